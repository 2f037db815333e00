"""The whole PlazaDesk on one machine: a real nats-server and the six services as
processes. ``make run`` uses it, and so do the end-to-end tests and the benchmarks.

The nats-server it starts takes only its users (scripts/natsconf.py): their passwords are
generated once into ``<data>/nats/passwords.json`` (0600) and each service connects as its
own user.

Scaled out on one machine (docs/operations.md#replicas-on-one-machine): ``nats_nodes=3`` is a
three-node JetStream cluster on loopback with every stream on three replicas;
``database_url`` puts every service on PostgreSQL (a schema each); ``replicas`` runs a
service as several processes on its one port, the kernel spreading the connections over
them (SO_REUSEPORT). Each process is named by its service, the second and later replicas
``<service>-<n>`` (their logs ``<service>-<n>.log``)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scripts import natsconf
from scripts.natsserver import NatsCluster, NatsServer, free_port

SERVICES = {"console": 8000, "intake": 8001, "dispatch": 8002, "billing": 8003, "survey": 8004, "archive": 8005, "staff": 8006, "notices": 8007}
OPERATOR_PASSWORD_FILE = "operator-password"  # what staff reads on its first start
NATS_PORT = 4222
ROOT = Path(__file__).resolve().parent.parent
# The services that take events as durable pull consumers and may run as several replicas
# (the console keeps its sessions in its process, staff signs with one key set: one each).
CONSUMERS = ("dispatch", "billing", "survey", "archive")
REPLICABLE = ("intake", *CONSUMERS)


class System:
    def __init__(
        self,
        data_dir: str | os.PathLike,
        *,
        nats_url: str | None = None,
        default_ports: bool = True,
        env: dict[str, str] | None = None,
        sync_always: bool = True,
        replicas: dict[str, int] | None = None,
        nats_nodes: int = 1,
        database_url: str | None = None,
        database_schema_prefix: str = "",
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.logs = self.data_dir / "logs"
        self.nats: NatsServer | None = None
        # What tools connect with (the end-to-end tests, the benchmarks): the operator's
        # credentials are in it when this system starts its own server. The services get
        # ``services_nats_url`` and each its own user.
        self.nats_url = nats_url
        self.services_nats_url = nats_url
        self.passwords: dict[str, str] = {}
        self.sync_always = sync_always
        self.default_ports = default_ports
        self.ports = {
            name: free_port(port if default_ports else None) for name, port in SERVICES.items()
        }
        self.extra_env = env or {}
        self.procs: dict[str, subprocess.Popen] = {}
        self.cluster: NatsCluster | None = None
        self.nats_urls: list[str] = [nats_url] if nats_url else []  # every node, the operator's credentials in each
        self._scale(replicas or {}, nats_nodes, database_url, database_schema_prefix)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, timeout: float = 120) -> "System":
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.nats_url is None:
            self.start_nats()
        self.operator_password_generated = ensure_operator_password(self.data_dir, self.extra_env)
        self.migrate()
        # The tables are there (the migration step): every replica of every service starts
        # at once, none of them creates or alters a table.
        names = [name for service in SERVICES for name in self.replica_names(service)]
        for name in names:
            self.start_service(name)
        self.wait_ready(names, timeout=timeout)
        return self

    @property
    def passwords_file(self) -> Path:
        return self.data_dir / "nats" / "passwords.json"

    def start_nats(self) -> None:
        self.passwords = natsconf.ensure_passwords(self.passwords_file, natsconf.user_names())
        users = natsconf.users({name: natsconf.Password(pw) for name, pw in self.passwords.items()}, plazas=("demo",))
        if self.nats_nodes > 1:
            self.start_cluster(natsconf.authorization(users))
            return
        self.nats = NatsServer(self.data_dir / "nats", port=NATS_PORT, sync_always=self.sync_always,
                               authorization=natsconf.authorization(users))
        self.nats.start(self.logs / "nats-server.log")
        self.services_nats_url = self.nats.url
        self.nats_url = self.as_operator(self.nats.url)
        self.nats_urls = [self.nats_url]

    def as_operator(self, url: str) -> str:
        return url.replace("nats://", f"nats://{natsconf.OPERATOR}:{self.passwords[natsconf.OPERATOR]}@")

    def env_for(self, name: str) -> dict[str, str]:
        name = service_of(name)
        own = {f"{name.upper()}_NATS_USER": name, f"{name.upper()}_NATS_PASSWORD": self.passwords[name]} \
            if name in self.passwords else {}
        if name == "console" and natsconf.CONSOLE_OPS in self.passwords:  # its operations page's user
            own["CONSOLE_OPS_NATS_PASSWORD"] = self.passwords[natsconf.CONSOLE_OPS]
        return {
            **os.environ,
            "PLAZADESK_NATS_URL": self.services_nats_url or "",
            **own,
            "PLAZADESK_DATA_DIR": str(self.data_dir),
            "PLAZADESK_LOG_JSON": "true",
            f"{name.upper()}_HTTP_PORT": str(self.ports[name]),
            "PYTHONPATH": str(ROOT),
            # Where each service answers (the console calls them with the person's token).
            **{f"PLAZADESK_{other.upper()}_URL": self.url(other) for other in SERVICES},
            # Every service verifies tokens with the keys staff publishes.
            "PLAZADESK_AUTH_JWKS_URL": f"{self.url('staff')}/.well-known/jwks.json",
            **self.scale_env(name),
            **self.extra_env,
        }

    def migrate(self) -> None:
        """The migration step (python -m scripts.migrate), once, before the services start:
        they refuse to start on a database that is not at the newest revision."""
        self.logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PLAZADESK_DATA_DIR": str(self.data_dir), "PYTHONPATH": str(ROOT),
               **{k: v for service in SERVICES for k, v in self.scale_env(service).items()}, **self.extra_env}
        with open(self.logs / "migrate.log", "ab") as log:
            done = subprocess.run([sys.executable, "-m", "scripts.migrate"], cwd=ROOT, env=env, stdout=log, stderr=log)
        if done.returncode != 0:
            raise RuntimeError(f"the migration step failed ({done.returncode}); see {self.logs / 'migrate.log'}")

    def operator_password(self) -> str:
        """The operator's password: PLAZADESK_OPERATOR_PASSWORD, else the kept one."""
        given = self.extra_env.get("PLAZADESK_OPERATOR_PASSWORD") or os.environ.get("PLAZADESK_OPERATOR_PASSWORD")
        return given or (self.data_dir / OPERATOR_PASSWORD_FILE).read_text().strip()

    def start_service(self, name: str) -> None:
        """``name``: a service (its first replica) or a replica, ``<service>-<n>``."""
        log = open(self.logs / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service_of(name)}"],
            cwd=ROOT,
            env=self.env_for(name),
            stdout=log,
            stderr=log,
        )

    def wait_ready(self, names: list[str] | None = None, timeout: float = 60) -> None:
        """Until each process answers /ready itself. Replicas share their service's port,
        and each new connection goes to one of them: asked again until this one answers."""
        deadline = time.monotonic() + timeout
        for name in names or list(SERVICES):
            while True:
                proc = self.procs[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.logs / (name + '.log')}")
                try:
                    r = httpx.get(f"{self.url(service_of(name))}/ready", timeout=1)
                    # Our process's answer, not another's that took the port first (two
                    # systems starting at once on one machine may pick the same free port).
                    if r.status_code == 200 and r.json().get("pid") == proc.pid:
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready after {timeout}s; see {self.logs / (name + '.log')}")
                time.sleep(0.1)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hooks, no flush — what a crash looks like."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop_process(self, name: str) -> None:
        """SIGTERM to one process (a replica: the others keep its port) and its end."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self, name: str) -> None:
        self.start_service(name)
        self.wait_ready([name])

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.nats:
            self.nats.stop()
        if self.cluster:
            self.cluster.stop()

    # -- Scaled out: replicas, a NATS cluster, PostgreSQL ---------------------------------

    def _scale(self, replicas: dict[str, int], nats_nodes: int, database_url: str | None, schema_prefix: str) -> None:
        for service, n in replicas.items():
            if service not in REPLICABLE and n != 1:
                raise ValueError(f"{service} runs as one process; replicas are for {', '.join(REPLICABLE)}")
            if n < 1:
                raise ValueError(f"{service}: at least one replica")
        self.replicas = {service: replicas.get(service, 1) for service in SERVICES}
        if database_url is None:
            database_url = self.extra_env.get("PLAZADESK_DATABASE_URL") or os.environ.get("PLAZADESK_DATABASE_URL")
        self.database_url = database_url or None
        if max(self.replicas.values()) > 1 and not (self.database_url or "").startswith("postgresql"):
            # Two processes on one SQLite file would both relay its outbox (no SKIP LOCKED).
            raise ValueError("replicas need PostgreSQL: set PLAZADESK_DATABASE_URL (docs/operations.md#postgresql)")
        self.database_schema_prefix = schema_prefix
        if nats_nodes not in (1, 3):
            raise ValueError("NATS runs as one node or a cluster of three")
        self.nats_nodes = nats_nodes

    def scale_env(self, service: str) -> dict[str, str]:
        """What a scaled-out system adds to a service's environment."""
        env: dict[str, str] = {}
        if self.database_url:
            env["PLAZADESK_DATABASE_URL"] = self.database_url
            if self.database_schema_prefix:
                env[f"{service.upper()}_DATABASE_SCHEMA"] = f"{self.database_schema_prefix}{service}"
        if self.cluster is not None:
            env["PLAZADESK_STREAM_REPLICAS"] = str(len(self.cluster.nodes))
        if self.replicas.get(service, 1) > 1:
            env[f"{service.upper()}_HTTP_REUSE_PORT"] = "true"
        return env

    def replica_names(self, service: str) -> list[str]:
        """The service's processes: its first replica (named as the service), then the rest."""
        return [replica_name(service, n) for n in range(1, self.replicas.get(service, 1) + 1)]

    def start_cluster(self, authorization: str) -> None:
        """Three nats-servers on loopback as one JetStream cluster; the services connect to
        all three and declare their streams with three replicas."""
        self.cluster = NatsCluster(self.data_dir / "nats", first_port=NATS_PORT if self.default_ports else None,
                                   sync_always=self.sync_always, authorization=authorization)
        self.cluster.start(self.logs)
        self.services_nats_url = self.cluster.url
        self.nats_urls = [self.as_operator(url) for url in self.cluster.urls]
        self.nats_url = self.nats_urls[0]

    def __enter__(self) -> "System":
        # A start that fails (a service not ready in time) stops what it started: ``with``
        # calls __exit__ only after __enter__ returned, and the processes would outlive the test.
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def replica_name(service: str, n: int) -> str:
    return service if n == 1 else f"{service}-{n}"


def service_of(name: str) -> str:
    """The service a process runs (``intake-2`` → ``intake``)."""
    return name.split("-", 1)[0]


def ensure_operator_password(data_dir: Path, extra_env: dict[str, str]) -> bool:
    """Without PLAZADESK_OPERATOR_PASSWORD, the operator's password is generated here into
    DATA_DIR/operator-password (0600) before staff first starts, and staff takes it from
    there: it is then shown on the console by ``make run`` and never lands in staff's log
    file. True when it was generated now (the first start)."""
    if extra_env.get("PLAZADESK_OPERATOR_PASSWORD") or os.environ.get("PLAZADESK_OPERATOR_PASSWORD"):
        return False
    path = data_dir / OPERATOR_PASSWORD_FILE
    if path.is_file() and path.read_text().strip():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(18) + "\n")
    return True
