from __future__ import annotations

import pytest

from libs.runtime.natsserver import NatsServer
from libs.runtime.testing import Bus, database_params, drop_schema


@pytest.fixture
def nats_server(tmp_path):
    """A fresh real nats-server with JetStream for each test, on a free port."""
    server = NatsServer(tmp_path / "nats").start(tmp_path / "nats.log")
    yield server
    server.stop()


@pytest.fixture
async def bus(nats_server):
    async with Bus(nats_server.url) as b:
        yield b


@pytest.fixture(params=database_params())
def db_kind(request):
    """Every database test runs on SQLite, and on PostgreSQL when one is reachable."""
    return request.param


@pytest.fixture
async def cleanup_schemas():
    schemas: list[str] = []
    yield schemas
    for schema in schemas:
        await drop_schema(schema)
