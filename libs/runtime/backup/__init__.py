"""Backups of a whole PlazaDesk and their restore: every stream (with its durable
consumers' state), every service's database, the files of each DATA_DIR, and a manifest
of sizes and checksums (docs/operations.md#backups). ``python -m scripts.backup`` is its
command line; another entry point calls it the same way::

    places, nats = backup.service_places(), backup.nats_place()   # from the environment
    folder = await backup.create("/backups", places, nats, keep=14)
    backup.verify(folder)                                          # the manifest, or BackupError
    await backup.restore(folder, places, nats, replace=False)      # the services stopped

``say`` (``print`` by default) receives one line per step.
"""

from libs.runtime.backup.plan import SERVICES, STREAM_NAMES, NatsPlace, ServicePlace, nats_place, service_places
from libs.runtime.backup.run import BackupError, backups, create, prune, restore, verify

__all__ = ["SERVICES", "STREAM_NAMES", "BackupError", "NatsPlace", "ServicePlace", "backups", "create", "nats_place",
           "prune", "restore", "service_places", "verify"]
