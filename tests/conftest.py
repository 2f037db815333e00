from __future__ import annotations

import pytest

from scripts.natsserver import NatsServer
from tests.support import browser
from tests.support.harness import Bus, SharedNatsServer, database_params, drop_schema


def pytest_terminal_summary(terminalreporter):
    """Said at the end of a run that took in the console's browser tests, ``-q`` or not:
    whether they ran in a Chromium or were skipped for want of one."""
    reports = (r for kind in terminalreporter.stats.values() for r in kind)
    if any(getattr(r, "nodeid", "").startswith("tests/browser/") for r in reports):
        terminalreporter.write_line(browser.summary())


def pytest_configure(config):
    config.addinivalue_line("markers", "own_nats_server: the test stops or restarts nats-server, so it gets one of its own")


@pytest.fixture(scope="session")
def shared_nats_server(tmp_path_factory):
    """One real nats-server with JetStream for the whole run, on a free port."""
    data = tmp_path_factory.mktemp("shared-nats")
    server = SharedNatsServer(data / "nats").start(data / "nats.log")
    yield server
    server.stop()


@pytest.fixture
async def nats_server(request, tmp_path, shared_nats_server):
    """A real nats-server as the test's own: an account of the shared server (its own
    subjects and streams), or, for a test marked ``own_nats_server``, a server of its own."""
    if request.node.get_closest_marker("own_nats_server") is None:
        yield await shared_nats_server.account()
        return
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


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory):
    """PostgreSQL and NATS (one server, or a three-node cluster) from testcontainers where
    a Docker engine answers, else the local ones (tests/support/containers.py)."""
    from tests.support.containers import Infrastructure

    with Infrastructure(tmp_path_factory.mktemp("infrastructure")) as infra:
        yield infra
