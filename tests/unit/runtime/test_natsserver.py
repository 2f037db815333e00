"""The embedded nats-server starts even when its chosen port is taken before it binds."""

from __future__ import annotations

import socket

from scripts import natsserver


def test_a_port_taken_before_the_bind_gets_the_server_new_ports(tmp_path, monkeypatch):
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    real = natsserver.free_port
    handed = iter([taken])

    def free_port(port=None):  # the first choice is the squatter's, as if it won the race
        return port if port else next(handed, None) or real()

    monkeypatch.setattr(natsserver, "free_port", free_port)
    server = natsserver.NatsServer(tmp_path / "nats")
    assert server.port == taken
    try:
        server.start(tmp_path / "nats.log")
        assert server.port != taken
        with socket.create_connection(("127.0.0.1", server.port), timeout=1):
            pass
    finally:
        server.stop()
        squatter.close()
