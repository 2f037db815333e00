"""What a backup takes and where it is, read from the same environment the services read
(``libs.runtime.settings``): each service's database URL and schema and its DATA_DIR, the
NATS URL, and the operator's NATS credentials (only the operator may snapshot and restore
streams: scripts/natsconf.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec

from libs.contracts import STREAMS
from libs.contracts.subjects import DEAD_LETTER_STREAM
from libs.runtime.settings import ServiceSettings, load, nats_servers, value_of

# Every process scripts/system.py runs (tests/unit/runtime/test_backup_plan.py keeps the two
# in step), each with a database of its own, in the order a backup copies them: a service
# that consumes another's events before that producer (notices before every producer it reads,
# billing and survey before dispatch,
# dispatch before intake and staff), so that what a consumer's copy applied is in its
# producer's copy, and archive last (every service takes its plazas and units). Events
# the later copies hold beyond the streams' snapshot are published again at the restore.
SERVICES = ("notices", "billing", "survey", "dispatch", "intake", "staff", "console", "archive")
# Every PlazaDesk stream: one per producing service, and the dead letters.
STREAM_NAMES = (*(spec.name for spec in STREAMS.values()), DEAD_LETTER_STREAM)
# What a service keeps in its DATA_DIR besides an SQLite file: archive's uploaded documents,
# and the keys generated there on a first start when no setting names one (staff's signing
# key and the operator's first password, survey's link secret, the console's session key).
# Without them a restored system signs new tokens, and old survey links and sessions fail.
DATA_FILES = {
    "archive": ("documents",),
    "staff": ("staff-signing-key.pem", "operator-password"),
    "survey": ("survey-link-secret",),
    "console": ("console-session-key",),
    "notices": ("notices-link-secret",),
}
OPERATOR = "operator"


class ServicePlace(msgspec.Struct, frozen=True):
    """Where one service keeps its state."""

    service: str
    database_url: str
    database_schema: str
    data_dir: str
    data_files: tuple[str, ...] = ()


class NatsPlace(msgspec.Struct, frozen=True):
    servers: list[str]
    user: str = ""
    password: str = ""


def _settings_of(service: str) -> type[ServiceSettings]:
    return msgspec.defstruct(f"{service.title()}Place", [("service", str, service), ("http_port", int, 0)],
                             bases=(ServiceSettings,), kw_only=True)


def service_places(environ: dict[str, str] | None = None, services: tuple[str, ...] = SERVICES) -> list[ServicePlace]:
    """Each service's database and DATA_DIR, as the service itself would read them
    (``<SERVICE>_DATABASE_URL``, then ``PLAZADESK_DATABASE_URL``, then SQLite in DATA_DIR)."""
    env = dict(os.environ if environ is None else environ)
    places = []
    for service in services:
        settings = load(_settings_of(service), service, env)
        places.append(ServicePlace(service, settings.database_url, settings.database_schema, settings.data_dir,
                                   DATA_FILES.get(service, ())))
    return places


def nats_place(environ: dict[str, str] | None = None) -> NatsPlace:
    """``BACKUP_NATS_URL`` or ``PLAZADESK_NATS_URL``; the operator's password from
    ``BACKUP_NATS_PASSWORD`` or ``OPERATOR_NATS_PASSWORD`` (the name the deploy files give
    it; or the file ``…_FILE`` names), else the passwords file ``make run`` keeps (``<DATA_DIR>/nats/passwords.json``),
    else the credentials in the URL."""
    env = dict(os.environ if environ is None else environ)
    url = env.get("BACKUP_NATS_URL") or env.get("PLAZADESK_NATS_URL") or "nats://127.0.0.1:4222"
    user = env.get("BACKUP_NATS_USER", OPERATOR)
    password = value_of(env, "BACKUP_NATS_PASSWORD") or value_of(env, "OPERATOR_NATS_PASSWORD") or ""
    if not password:
        kept = Path(env.get("PLAZADESK_DATA_DIR", "data"), "nats", "passwords.json")
        if kept.is_file():
            password = json.loads(kept.read_text()).get(user, "")
    if not password:
        user = ""  # the URL's own credentials, if any
    return NatsPlace(nats_servers(url), user, password)


async def connect(place: NatsPlace):
    import nats

    options = {"servers": place.servers, "name": "plazadesk-backup", "max_reconnect_attempts": 3,
               "connect_timeout": 5, "allow_reconnect": True}
    if place.user:
        options.update(user=place.user, password=place.password)
    return await nats.connect(**options)
