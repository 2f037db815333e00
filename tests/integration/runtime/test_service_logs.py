"""A service's log file is one format: with JSON logging on, every line — its own, uvicorn's,
nats-py's — is one JSON object with the service, level and time, and no colour codes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from scripts.natsserver import free_port
from tests.support.harness import eventually

ROOT = Path(__file__).resolve().parents[3]


async def test_every_line_a_service_process_writes_is_one_json_object(bus, nats_server, tmp_path):
    await bus.declare_streams()
    port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "PLAZADESK_NATS_URL": nats_server.url,
        "PLAZADESK_DATA_DIR": str(tmp_path), "PLAZADESK_LOG_JSON": "true", "INTAKE_HTTP_PORT": str(port),
    }
    # The migration step first, as make run and every deployment run it.
    subprocess.run([sys.executable, "-m", "scripts.migrate", "--service", "intake"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log_file = tmp_path / "intake.log"
    with open(log_file, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "services.intake"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            async def ready():
                assert proc.poll() is None, log_file.read_text()
                try:
                    return (await client.get("/ready")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, timeout=60, what="intake to be ready")
            assert (await client.get("/health")).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)

    text = log_file.read_text()
    assert "\x1b" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # each parses alone
    assert all({"service", "level", "timestamp", "event"} <= line.keys() for line in lines), lines
    assert {line["service"] for line in lines} == {"intake"}
    loggers = {line.get("logger") for line in lines}
    assert "uvicorn.error" in loggers, loggers  # the libraries' lines are there, as JSON
    assert {"service_started", "service_stopped"} <= {line["event"] for line in lines}
