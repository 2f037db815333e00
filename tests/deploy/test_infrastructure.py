"""The suite's PostgreSQL and NATS, from containers where a Docker engine answers and the
local ones otherwise (tests/support/containers.py): each works as the services use it."""

from __future__ import annotations

import sys

import nats
import nats.js.errors
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from libs.runtime.bus.connection import Broker
from libs.runtime.bus.streams import declare_own_stream
from tests.support.containers import Infrastructure, docker_answers
from tests.support.harness import eventually


def test_testcontainers_is_imported_only_when_docker_answers(tmp_path):
    infra = Infrastructure(tmp_path, docker=False)
    infra.nats()
    infra.__exit__(None, None, None)
    if not docker_answers():
        assert not any(m == "testcontainers" or m.startswith("testcontainers.") for m in sys.modules)


async def test_postgres_answers(infrastructure):
    if infrastructure.postgres_url is None:
        pytest.skip("no Docker engine and no PostgreSQL on 127.0.0.1:5432")
    engine = create_async_engine(infrastructure.postgres_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_one_nats_server_takes_a_stream(infrastructure):
    nc = await nats.connect(infrastructure.nats())
    try:
        js = nc.jetstream()
        await js.add_stream(name="INFRA", subjects=["infra.>"])
        ack = await js.publish("infra.one", b"{}")
        assert ack.stream == "INFRA"
    finally:
        await nc.close()


async def test_the_cluster_keeps_a_stream_on_three_servers(infrastructure):
    broker = Broker(",".join(infrastructure.nats_cluster()))
    await broker.connect()
    try:
        async def declared() -> bool:
            try:
                await declare_own_stream(broker, "dispatch", replicas=3)
                return True
            except (nats.js.errors.ServiceUnavailableError, nats.errors.TimeoutError):
                return False  # the cluster is still electing its JetStream leader

        await eventually(declared, timeout=30, interval=0.5, what="DISPATCH declared with three replicas")
        info = await broker.js.stream_info("DISPATCH")
        assert info.config.num_replicas == 3 and len(info.cluster.replicas) == 2
    finally:
        await broker.close()
