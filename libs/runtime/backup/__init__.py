"""Backups of a whole PlazaDesk and their restore: every stream (with its durable
consumers' state), every service's database, the files of each DATA_DIR, and a manifest
of sizes and checksums (docs/operations.md#backups). ``python -m scripts.backup`` is its
command line."""

from libs.runtime.backup.plan import SERVICES, STREAM_NAMES, NatsPlace, ServicePlace, nats_place, service_places
from libs.runtime.backup.run import BackupError, backups, create, prune, restore, verify

__all__ = ["SERVICES", "STREAM_NAMES", "BackupError", "NatsPlace", "ServicePlace", "backups", "create", "nats_place", "prune", "restore",
           "service_places", "verify"]
