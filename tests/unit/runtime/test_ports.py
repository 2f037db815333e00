"""``make run`` started again at once keeps the documented ports, and says loudly when
another program really holds one."""

from __future__ import annotations

import socket
from types import SimpleNamespace

from scripts import natsserver
from scripts.run import moved_ports
from scripts.system import NATS_PORT, SERVICES


def port_left_in_time_wait() -> int:
    """A port as a stopped service leaves it: its server (SO_REUSEADDR, as uvicorn and
    nats-server bind) closed a connection first, so the port's end waits in TIME_WAIT."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()
    assert client.recv(1) == b""  # the server's close arrived
    client.close()
    server.close()
    return port


def test_a_port_whose_last_connections_wait_in_time_wait_is_still_free():
    port = port_left_in_time_wait()
    assert natsserver.free_port(port) == port


def test_a_port_another_program_listens_on_is_taken():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        assert not natsserver._port_free(port)
        assert natsserver.free_port(port) != port


def test_the_banner_warns_of_each_port_that_moved():
    documented = SimpleNamespace(ports=dict(SERVICES), nats=SimpleNamespace(port=NATS_PORT))
    assert moved_ports(documented) == []

    moved = SimpleNamespace(ports={**SERVICES, "billing": 41001}, nats=SimpleNamespace(port=42222))
    assert moved_ports(moved) == [
        "  WARNING: port 8003 is taken by another program: billing runs on 41001 instead",
        f"  WARNING: port {NATS_PORT} is taken by another program: NATS runs on 42222 instead",
    ]
    assert moved_ports(SimpleNamespace(ports=dict(SERVICES), nats=None)) == []  # --nats-url: not ours to move
