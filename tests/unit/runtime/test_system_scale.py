"""``make run``'s scaled-out options: what each service is told, and what is refused before
anything starts."""

from __future__ import annotations

import socket

import pytest

from libs.runtime.service import reuse_port_socket
from scripts.run import LOCAL_POSTGRES, database_url
from scripts.system import System, replica_name, service_of

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def test_replicas_need_postgresql(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAZADESK_DATABASE_URL", raising=False)
    with pytest.raises(ValueError, match="PostgreSQL"):
        System(tmp_path, default_ports=False, replicas={"intake": 3})


def test_the_console_and_staff_run_as_one_process(tmp_path):
    with pytest.raises(ValueError, match="console runs as one process"):
        System(tmp_path, default_ports=False, replicas={"console": 2}, database_url=PG)


def test_each_replica_shares_its_services_port_and_schema(tmp_path):
    system = System(tmp_path, default_ports=False, replicas={"intake": 3, "billing": 2}, database_url=PG,
                    database_schema_prefix="run1_")
    assert system.replica_names("intake") == ["intake", "intake-2", "intake-3"]
    assert system.replica_names("survey") == ["survey"]
    env = system.scale_env("intake")
    assert env["INTAKE_HTTP_REUSE_PORT"] == "true" and env["INTAKE_DATABASE_SCHEMA"] == "run1_intake"
    assert env["PLAZADESK_DATABASE_URL"] == PG
    assert "SURVEY_HTTP_REUSE_PORT" not in system.scale_env("survey")
    assert service_of(replica_name("intake", 2)) == "intake" and replica_name("intake", 1) == "intake"


def test_a_database_named_by_its_kind(monkeypatch):
    monkeypatch.delenv("PLAZADESK_DATABASE_URL", raising=False)
    assert database_url("postgres") == LOCAL_POSTGRES and database_url("sqlite") is None
    monkeypatch.setenv("PLAZADESK_DATABASE_URL", PG)
    assert database_url("postgres") == PG
    with pytest.raises(SystemExit):
        database_url("mysql")


def test_two_replicas_bind_one_port_and_the_kernel_spreads_connections():
    first = reuse_port_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = reuse_port_socket("127.0.0.1", port)
    try:
        for sock in (first, second):
            sock.listen()
            sock.setblocking(False)
        took = {id(first): 0, id(second): 0}
        for _ in range(64):
            with socket.create_connection(("127.0.0.1", port)):
                pass
        for sock in (first, second):
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                took[id(sock)] += 1
        assert sum(took.values()) == 64 and min(took.values()) > 0, took
    finally:
        first.close()
        second.close()
