"""The five services in one process against one nats-server, for tests that go over every
service's HTTP API the same way (documentation pages, unknown plazas, fuzzing).
(Imported by the test modules here; not collected itself.)"""

from __future__ import annotations

import importlib
from contextlib import AsyncExitStack, asynccontextmanager

from litestar import Litestar
from litestar.testing import AsyncTestClient

from libs.runtime.testing import Bus, service_settings

SERVICES = ("archive", "billing", "dispatch", "intake", "survey")


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
            clients[service] = await stack.enter_async_context(AsyncTestClient(app))
        yield clients
