"""A whole system with more than one replica of some services, every process started at
the same moment once the migration step has run, as a deployment rolls out: the extra
replicas are ``python -m services.<name>`` with the System's environment (the same
database, NATS user and durable consumers) on ports of their own."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from scripts.natsserver import free_port
from scripts.system import ROOT, SERVICES, System, ensure_operator_password


class Replica:
    def __init__(self, system: System, name: str, n: int) -> None:
        self.name, self.port = name, free_port(None)
        self.log = system.logs / f"{name}-{n}.log"
        env = {**system.env_for(name), f"{name.upper()}_HTTP_PORT": str(self.port)}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=env,
                                         stdout=out, stderr=out)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                r = httpx.get(f"{self.url}/ready", timeout=1)
                if r.status_code == 200 and r.json().get("pid") == self.proc.pid:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout}s; see {self.log}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_together(system: System, replicas: dict[str, int], timeout: float = 300) -> dict[str, list[str]]:
    """``System.start`` with ``replicas[name]`` processes of a service instead of one, all
    started at once after the migration step; the base URL of each, the System's first.
    (Thirteen processes importing at once on a busy two-core machine took over 90 s.)"""
    system.logs.mkdir(parents=True, exist_ok=True)
    if system.nats_url is None:
        system.start_nats()
    ensure_operator_password(system.data_dir, system.extra_env)
    system.migrate()
    for name in SERVICES:
        system.start_service(name)
    extra = [Replica(system, name, n) for name, count in replicas.items() for n in range(2, count + 1)]
    system.extra_replicas = extra
    system.wait_ready(timeout=timeout)
    for replica in extra:
        replica.wait_ready(timeout)
    return {name: [system.url(name)] + [r.url for r in extra if r.name == name] for name in SERVICES}


def stop_all(system: System) -> None:
    for replica in getattr(system, "extra_replicas", []):
        replica.stop()
    system.stop()
