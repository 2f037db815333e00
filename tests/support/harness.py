"""Test helpers every service's tests use the same way: a real nats-server per test,
SQLite always and PostgreSQL when reachable, waiting for conditions instead of sleeping."""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx

import msgspec
import nats
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from libs.contracts import Event, STREAMS, subject_for
from libs.contracts.events import PlazaRegistered, encode
from libs.runtime.db import Database, migrate
from scripts.natsserver import NatsServer

T = TypeVar("T")

PG_URL = os.environ.get("PLAZADESK_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    if os.environ.get("PLAZADESK_TEST_PG", "auto") == "off":
        return False
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def database_params() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_reachable() else ["sqlite"]


def database_settings(kind: str, tmp_path, service: str) -> dict:
    """Settings overrides for one service's database in one test."""
    if kind == "sqlite":
        return {"database_url": f"sqlite+aiosqlite:///{tmp_path}/{service}.db"}
    return {"database_url": PG_URL, "database_schema": f"t_{uuid.uuid4().hex[:10]}_{service}"}


def fresh_database(kind: str, tmp_path, cleanup_schemas: list, name: str) -> Database:
    """A fresh database of this kind for one test, not yet opened (a schema of its own on
    PostgreSQL, dropped after the test through ``cleanup_schemas``)."""
    settings = database_settings(kind, tmp_path, name)
    if "database_schema" in settings:
        cleanup_schemas.append(settings["database_schema"])
    return Database(settings["database_url"], schema=settings.get("database_schema"))


async def make_tables(database: Database, metadata: sa.MetaData) -> None:
    """A service's tables as the migration step makes them (its revisions, to the newest),
    so every test that stores something runs the migrations; tables a test declares on the
    spot (no revisions) are created directly. As fast as creating them from the metadata:
    dispatch's 22 tables, median of 5, SQLite 0.29 s against 0.27 s, PostgreSQL 0.97 s
    against 1.29 s on the two busy cores the suite shares (80 ms and 200 ms when idle)."""
    if migrate.migrations_of(metadata) is None:
        await database.create_all(metadata)
    else:
        await migrate.upgrade(database.url, database.schema, metadata)


def migrated(settings):
    """``settings`` after the migration step ran on its database, as before a service starts."""
    tables = importlib.import_module(f"services.{settings.service}.tables")
    schema = None if settings.database_url.startswith("sqlite") else settings.database_schema
    # From a test's running event loop too (a settings function is called inside tests).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, migrate.upgrade(settings.database_url, schema, tables.metadata)).result()
    return settings


@asynccontextmanager
async def service_database(kind: str, tmp_path, cleanup_schemas: list, service: str, metadata: sa.MetaData):
    """One service's tables on a ``fresh_database``, disposed of after the test."""
    database = fresh_database(kind, tmp_path, cleanup_schemas, service)
    await make_tables(database, metadata)
    try:
        yield database
    finally:
        await database.dispose()


async def drop_schema(schema: str) -> None:
    engine = create_async_engine(PG_URL)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await engine.dispose()


def posts_per_replica(url: str, replicas: int, headers: dict[str, str], timeout: float = 30.0) -> dict[int, int]:
    """The POSTs each replica of a service on one port (SO_REUSEPORT) has answered, by its
    pid: /ready and /metrics asked on one connection reach one process; a new connection
    may reach another, so it asks again until it has heard from ``replicas`` of them."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while len(counts) < replicas and time.monotonic() < deadline:
        with httpx.Client(base_url=url, headers=headers, timeout=5, limits=httpx.Limits(max_connections=1)) as one:
            pid = one.get("/ready").json()["pid"]
            text = one.get("/metrics").text
        counts[pid] = sum(int(s.value) for family in text_string_to_metric_families(text) for s in family.samples
                          if s.name == "plazadesk_http_request_seconds_count" and s.labels.get("method") == "POST")
    return counts


def wait_for(probe: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """``eventually`` for a test that talks to the system with a synchronous client (the
    end-to-end tests, against real processes)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


async def eventually(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"
) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming what never happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: T | None = None
    while loop.time() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


async def register_plazas(bus: "Bus", *plaza_ids: str, taken_by: str | None = None) -> None:
    """Archive's PlazaRegistered for each plaza, as archive publishes it: a service answers
    404 under /v1/plazas/{plaza} for a plaza it has not heard of. With ``taken_by`` (a
    running service), returns once that service has taken everything on ARCHIVE."""
    for plaza_id in plaza_ids:
        await bus.publish(PlazaRegistered(plaza_id=plaza_id, correlation_id="seed", name=plaza_id))
    if taken_by is not None:
        await archive_taken(bus, taken_by)


async def archive_taken(bus: "Bus", service: str) -> None:
    """Everything on ARCHIVE delivered to ``service`` and acknowledged (so applied)."""
    await eventually(lambda: bus.caught_up(STREAMS["archive"].name, f"{service}-archive"),
                     what=f"{service} to take archive's plazas")


class Bus:
    """A plain nats-py client for tests: publish events as a producer would, read streams."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.nc = None
        self.js = None

    async def __aenter__(self) -> "Bus":
        self.nc = await nats.connect(self.url)
        self.js = self.nc.jetstream()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.nc.drain()

    async def declare_streams(self, *services: str) -> None:
        from nats.js.api import StreamConfig

        from libs.contracts.subjects import DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECTS

        for service in services or tuple(STREAMS):
            spec = STREAMS[service]
            await self.js.add_stream(StreamConfig(name=spec.name, subjects=spec.subjects, duplicate_window=120))
        await self.js.add_stream(StreamConfig(name=DEAD_LETTER_STREAM, subjects=DEAD_LETTER_SUBJECTS))

    async def publish(self, event: Event, *, msg_id: str | None = None) -> None:
        await self.js.publish(subject_for(event), encode(event), headers={"Nats-Msg-Id": msg_id or event.id})

    async def publish_raw(self, subject: str, data: bytes, msg_id: str | None = None) -> None:
        await self.js.publish(subject, data, headers={"Nats-Msg-Id": msg_id or uuid.uuid4().hex})

    async def caught_up(self, stream: str, durable: str) -> bool:
        """The durable consumer has acknowledged the last message of the stream that it takes
        (its filter subjects) and holds none unacknowledged. The pending counts alone do not
        say so: right after a publish the server may not yet count the new message as
        pending (it updates a consumer's count on its own time), so they read 0 before the
        consumer has even seen it."""
        from nats.js.errors import NotFoundError

        try:
            info = await self.js.consumer_info(stream, durable)
        except NotFoundError:  # the service has not attached its consumer yet
            return False
        filters = info.config.filter_subjects or [info.config.filter_subject or ">"]
        last = 0
        for subject in filters:
            try:
                last = max(last, (await self.js.get_last_msg(stream, subject)).seq)
            except NotFoundError:
                continue
        return info.num_ack_pending == 0 and info.ack_floor.stream_seq >= last

    async def messages(self, stream: str, subject: str | None = None) -> list:
        """Everything currently in a stream (optionally one filter subject), oldest first."""
        info = await self.js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            try:
                msg = await self.js.get_msg(stream, seq)
            except Exception:
                continue
            if subject is None or _matches(subject, msg.subject):
                out.append(msg)
        return out


class SharedNatsServer(NatsServer):
    """One nats-server for a whole test run, its tests kept apart by NATS accounts: each
    account has its own subjects and its own JetStream (streams, consumers, dead letters),
    so a test sees exactly what it would on a server of its own, without the server's
    start-up and stop. Accounts are handed out in turn and emptied of streams before each
    use; a test that stops or restarts the server takes one of its own instead."""

    def __init__(self, data_dir, *, accounts: int = 32, **kwargs) -> None:
        super().__init__(data_dir, **kwargs)
        self.accounts = accounts
        self._next = 0

    def config(self) -> str:
        users = "".join(
            f"  T{i}: {{ jetstream: enabled, users: [{{user: t{i}, password: t{i}}}] }}\n" for i in range(self.accounts))
        return super().config() + f"accounts {{\n{users}}}\n"

    async def account(self) -> "NatsAccount":
        """The next account, with none of an earlier test's streams left in it."""
        i, self._next = self._next, (self._next + 1) % self.accounts
        account = NatsAccount(self, f"nats://t{i}:t{i}@127.0.0.1:{self.port}")
        nc = await nats.connect(account.url)
        try:
            js = nc.jetstream()
            for name in await js.streams_info():
                await js.delete_stream(name.config.name)
        finally:
            await nc.close()
        return account


class NatsAccount:
    """What a test sees of the shared server: its own URL (the account's credentials)."""

    def __init__(self, server: SharedNatsServer, url: str) -> None:
        self.server = server
        self.url = url


def _matches(pattern: str, subject: str) -> bool:
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


def service_settings(settings_cls, *, nats_url: str, db_kind: str, tmp_path, schemas: list[str] | None = None, **overrides):
    """Settings for one service under test, its database migrated; PostgreSQL schemas are
    recorded for cleanup."""
    service = next(f.default for f in msgspec.structs.fields(settings_cls) if f.name == "service")
    db = database_settings(db_kind, tmp_path, service)
    if schemas is not None and "database_schema" in db:
        schemas.append(db["database_schema"])
    overrides.setdefault("auth_jwks_file", jwks_file())
    return migrated(settings_cls(nats_url=nats_url, data_dir=str(tmp_path), log_json=True, **db, **overrides))


@asynccontextmanager
async def served_here(app, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    """A service's app on the test's own event loop, with a client whose requests really
    overlap (litestar's AsyncTestClient runs each request to its end in a portal thread,
    so ``asyncio.gather`` over it never overlaps two). Enter it inside the test: the app's
    lifespan must end in the task that began it."""
    async with app.lifespan():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url,
                                     headers=default_headers()) as client:
            yield client


# -- Tokens ------------------------------------------------------------------------------
# An Ed25519 key made for this test run, its public half in a JWKS file every service under
# test reads (``service_settings``; ``PLAZADESK_AUTH_JWKS_FILE`` for real processes).

ISSUER = "plazadesk-staff"
TEST_KID = "test-key"
DEFAULT_SUBJECT = "front-desk"
_keys: dict = {}


def _signing_key():
    if "private" not in _keys:
        import atexit
        import json
        import shutil
        import tempfile

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from jwt.algorithms import OKPAlgorithm

        private = Ed25519PrivateKey.generate()
        jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
        folder = tempfile.mkdtemp(prefix="plazadesk-jwks-")
        atexit.register(shutil.rmtree, folder, True)
        path = os.path.join(folder, "jwks.json")
        with open(path, "w") as out:
            json.dump({"keys": [{**jwk, "kid": TEST_KID, "alg": "EdDSA", "use": "sig"}]}, out)
        _keys.update(private=private, jwks_file=path)
    return _keys["private"]


def jwks_file() -> str:
    """The JWKS file holding the test run's public key."""
    _signing_key()
    return _keys["jwks_file"]


def token(sub: str = DEFAULT_SUBJECT, *, roles=(), plazas: dict | None = None, department: str | None = None,
          name: str | None = None, expires_in: float = 24 * 3600, issuer: str = ISSUER, key=None,
          kid: str = TEST_KID, **claims) -> str:
    """A signed token as the staff service issues one (``key``: another signing key, to
    forge one)."""
    import time

    import jwt

    now = int(time.time())
    body = {"iss": issuer, "sub": sub, "name": name or sub, "iat": now, "exp": now + int(expires_in),
            "roles": list(roles), "plazas": {p: list(r) for p, r in (plazas or {}).items()},
            "department": department, **claims}
    return jwt.encode(body, key or _signing_key(), algorithm="EdDSA", headers={"kid": kid})


def bearer(sub: str = DEFAULT_SUBJECT, **kwargs) -> dict[str, str]:
    """The Authorization header of ``token(sub, ...)``."""
    return {"Authorization": f"Bearer {token(sub, **kwargs)}"}


def as_actor(sub: str) -> dict[str, str]:
    """Headers of a request made by ``sub``, with the default test token's rights."""
    return bearer(sub, roles=["operator"])


def default_headers() -> dict[str, str]:
    """The tests' default caller: a global operator (every plaza, every route)."""
    if "default" not in _keys:
        _keys["default"] = as_actor(DEFAULT_SUBJECT)
    return dict(_keys["default"])


def client_for(app, **kwargs):
    """Litestar's AsyncTestClient sending the default token."""
    from litestar.testing import AsyncTestClient

    client = AsyncTestClient(app, **kwargs)
    client.headers.update(default_headers())
    return client
