"""Every service in one process against one nats-server, for tests that go over every
service's HTTP API the same way (documentation pages, unknown plazas, fuzzing).
(Imported by the test modules here; not collected itself.)"""

from __future__ import annotations

import importlib
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from litestar import Litestar

from scripts.natsserver import NatsServer
from tests.support.harness import Bus, client_for, database_params, drop_schema, service_settings

SERVICES = ("archive", "billing", "dispatch", "intake", "survey", "staff", "notices")


def create_app(service: str, *, nats_url: str, db_kind: str, tmp_path, schemas: list | None = None) -> Litestar:
    settings_cls = importlib.import_module(f"services.{service}.settings").Settings
    settings = service_settings(settings_cls, nats_url=nats_url, db_kind=db_kind, tmp_path=tmp_path, schemas=schemas)
    return importlib.import_module(f"services.{service}.app").create_app(settings)


@asynccontextmanager
async def five_clients(nats_url: str, *, db_kind: str, tmp_path, schemas: list | None = None):
    """A test client per service, every stream declared first (each service waits for the
    streams it reads)."""
    async with Bus(nats_url) as bus:
        await bus.declare_streams()
    async with AsyncExitStack() as stack:
        clients = {}
        for service in SERVICES:
            app = create_app(service, nats_url=nats_url, db_kind=db_kind, tmp_path=tmp_path, schemas=schemas)
            clients[service] = await stack.enter_async_context(client_for(app))
        yield clients


@pytest.fixture(scope="module", params=database_params())
async def clients(request, tmp_path_factory):
    """The five services of one module's tests, on SQLite and on PostgreSQL when reachable."""
    tmp_path = tmp_path_factory.mktemp("five")
    server = NatsServer(tmp_path / "nats").start(tmp_path / "nats.log")
    schemas: list[str] = []
    try:
        async with five_clients(server.url, db_kind=request.param, tmp_path=tmp_path, schemas=schemas) as clients:
            yield clients
    finally:
        server.stop()
        for schema in schemas:
            await drop_schema(schema)
