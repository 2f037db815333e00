"""The whole PlazaDesk on one machine: a real nats-server and the six services as
processes. ``make run`` uses it, and so do the end-to-end tests and the benchmarks.

The nats-server it starts takes only its users (scripts/natsconf.py): their passwords are
generated once into ``<data>/nats/passwords.json`` (0600) and each service connects as its
own user."""

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
from scripts.natsserver import NatsServer, free_port

SERVICES = {"console": 8000, "intake": 8001, "dispatch": 8002, "billing": 8003, "survey": 8004, "archive": 8005, "staff": 8006}
OPERATOR_PASSWORD_FILE = "operator-password"  # what staff reads on its first start
NATS_PORT = 4222
ROOT = Path(__file__).resolve().parent.parent


class System:
    def __init__(
        self,
        data_dir: str | os.PathLike,
        *,
        nats_url: str | None = None,
        default_ports: bool = True,
        env: dict[str, str] | None = None,
        sync_always: bool = True,
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
        self.ports = {
            name: free_port(port if default_ports else None) for name, port in SERVICES.items()
        }
        self.extra_env = env or {}
        self.procs: dict[str, subprocess.Popen] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, timeout: float = 60) -> "System":
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.nats_url is None:
            self.start_nats()
        self.operator_password_generated = ensure_operator_password(self.data_dir, self.extra_env)
        for name in SERVICES:
            self.start_service(name)
        self.wait_ready(timeout=timeout)
        return self

    @property
    def passwords_file(self) -> Path:
        return self.data_dir / "nats" / "passwords.json"

    def start_nats(self) -> None:
        self.passwords = natsconf.ensure_passwords(self.passwords_file, natsconf.user_names())
        users = natsconf.users({name: natsconf.Password(pw) for name, pw in self.passwords.items()}, plazas=("demo",))
        self.nats = NatsServer(self.data_dir / "nats", port=NATS_PORT, sync_always=self.sync_always,
                               authorization=natsconf.authorization(users))
        self.nats.start(self.logs / "nats-server.log")
        self.services_nats_url = self.nats.url
        self.nats_url = self.nats.url.replace("nats://", f"nats://{natsconf.OPERATOR}:{self.passwords[natsconf.OPERATOR]}@")

    def env_for(self, name: str) -> dict[str, str]:
        own = {f"{name.upper()}_NATS_USER": name, f"{name.upper()}_NATS_PASSWORD": self.passwords[name]} \
            if name in self.passwords else {}
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
            **self.extra_env,
        }

    def operator_password(self) -> str:
        """The operator's password: PLAZADESK_OPERATOR_PASSWORD, else the kept one."""
        given = self.extra_env.get("PLAZADESK_OPERATOR_PASSWORD") or os.environ.get("PLAZADESK_OPERATOR_PASSWORD")
        return given or (self.data_dir / OPERATOR_PASSWORD_FILE).read_text().strip()

    def start_service(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=ROOT,
            env=self.env_for(name),
            stdout=log,
            stderr=log,
        )

    def wait_ready(self, names: list[str] | None = None, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for name in names or list(SERVICES):
            while True:
                proc = self.procs[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.logs / (name + '.log')}")
                try:
                    r = httpx.get(f"{self.url(name)}/ready", timeout=1)
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

    def __enter__(self) -> "System":
        try:
            return self.start()
        except BaseException:
            self.stop()  # a start that failed leaves no process behind (__exit__ is not called)
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


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
