"""The deploy files carry the same users as ``make run``: deploy/nats/users.conf is what the
generator writes, nats-server takes single.conf with the passwords from the environment,
compose and Kubernetes give each service its own user, no password is committed, and the
generator's consumers are the ones the services declare."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nats
import nats.js.errors
import pytest
import yaml

from libs.contracts import STREAMS
from libs.runtime.bus.access import inbox_prefix
from libs.runtime.bus.connection import Broker
from libs.runtime.bus.streams import declare_own_stream
from scripts import natsconf
from scripts.natsserver import binary, free_port
from tests.support.harness import eventually

ROOT = Path(__file__).resolve().parents[3]
NATS_DIR = ROOT / "deploy" / "nats"
RUNNING = [s for s in natsconf.SERVICES if (ROOT / "services" / s / "handlers.py").exists()]


def test_users_conf_is_what_the_generator_writes():
    committed = (NATS_DIR / "users.conf").read_text()
    body = "".join(line for line in committed.splitlines(keepends=True) if not line.startswith("#"))
    assert body == _generated(), "regenerate: python -m scripts.natsconf deploy (see the file's header)"


def _generated() -> str:
    refs = {name: natsconf.Password(env=natsconf.env_name(name)) for name in natsconf.user_names()}
    return natsconf.authorization(natsconf.users(refs))


def test_nats_server_takes_the_deploy_config_with_passwords_from_the_environment(tmp_path):
    port = free_port()
    conf = (NATS_DIR / "single.conf").read_text()
    conf = conf.replace("0.0.0.0:4222", f"127.0.0.1:{port}").replace("127.0.0.1:8222", f"127.0.0.1:{free_port()}")
    conf = conf.replace("/data/jetstream", str(tmp_path / "jetstream"))
    (tmp_path / "single.conf").write_text(conf)
    shutil.copy(NATS_DIR / "users.conf", tmp_path / "users.conf")
    env = {natsconf.env_name(name): f"pw-{name}" for name in natsconf.user_names()}
    proc = subprocess.Popen([binary(), "-c", str(tmp_path / "single.conf")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(proc, port)

        async def check():
            nc = await nats.connect(f"nats://127.0.0.1:{port}", user="intake", password="pw-intake",
                                     inbox_prefix=inbox_prefix("intake"))
            ack = await _declare_and_publish(nc)
            await nc.close()
            with pytest.raises(Exception):
                await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False, connect_timeout=2)
            return ack

        assert asyncio.run(check()).stream == "INTAKE"
    finally:
        proc.terminate()
        proc.wait(10)


async def _declare_and_publish(nc):
    from nats.js.api import StreamConfig

    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="INTAKE", subjects=["plazadesk.intake.>"]))
    return await js.publish("plazadesk.intake.p1.request.received", b"{}")


def _wait_listening(proc, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "nats-server refused the deploy configuration"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                if conn.recv(4) == b"INFO":
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nats-server did not start listening")


def test_compose_gives_each_service_its_own_user_and_nats_every_password():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in (s for s in RUNNING if s in compose["services"]):
        env = compose["services"][service]["environment"]
        prefix = service.upper()
        assert env[f"{prefix}_NATS_USER"] == service
        assert env[f"{prefix}_NATS_PASSWORD"].startswith(f"${{{natsconf.env_name(service)}:?")
    assert compose["services"]["nats"]["env_file"] == [".env"]
    assert "ports" not in compose["services"]["nats"]  # reached on the compose network only


def test_kubernetes_gives_each_service_its_own_user_from_the_secret():
    from tests.deploy import tools  # the charts rendered by Helm's own library

    docs = tools.render_plazadesk()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for service in (s for s in RUNNING if s in deployments):
        [container] = deployments[service]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[f"{service.upper()}_NATS_USER"] == service
        # The password as a file of the pod's projected Secret volume (the setting's _FILE form).
        files = tools.secret_files(deployments[service]["spec"]["template"]["spec"], container)
        assert files[env[f"{service.upper()}_NATS_PASSWORD_FILE"]] == ("plazadesk-nats", natsconf.env_name(service))
    [nats_set] = [d for d in tools.render_nats() if d["kind"] == "StatefulSet"]
    [container] = [c for c in nats_set["spec"]["template"]["spec"]["containers"] if c["name"] == "nats"]
    assert container["envFrom"] == [{"secretRef": {"name": "plazadesk-nats"}}]
    template = yaml.safe_load((ROOT / "deploy" / "k8s" / "nats-secret.example.yaml").read_text())
    assert set(template["stringData"]) == {natsconf.env_name(n) for n in natsconf.user_names()} | {"NATS_ROUTE_PASSWORD"}


def test_no_password_is_committed():
    files = [*NATS_DIR.iterdir(), ROOT / "docker-compose.yml",
             *(p for p in (ROOT / "deploy" / "k8s").rglob("*") if p.is_file() and "charts" not in p.parts)]
    for path in files:
        text = path.read_text()
        assert not re.search(r"password:\s*\"", text), path  # every password a $VARIABLE
        assert not re.search(r"\b[0-9a-f]{48}\b", text), path  # nor a generated one


class Recorder:
    """Takes a service's handlers.subscribe like Consumers does, keeping only the names."""

    def __init__(self) -> None:
        self.durables: dict[str, set[str]] = {}

    def subscribe(self, producer: str, _pattern: str, name: str, *_args, **_kwargs) -> None:
        self.durables.setdefault(producer, set()).add(name)

    subscribe_batch = subscribe


@pytest.mark.parametrize("service", RUNNING)
def test_each_service_user_may_use_exactly_the_consumers_its_handlers_declare(service):
    handlers = importlib.import_module(f"services.{service}.handlers")
    recorder = Recorder()
    if "settings" in inspect.signature(handlers.subscribe).parameters:
        handlers.subscribe(recorder, importlib.import_module(f"services.{service}.settings").Settings())
    else:
        handlers.subscribe(recorder)
    # The durables the generated user may pull from, read back from its rights.
    producer_of = {spec.name: producer for producer, spec in STREAMS.items()}
    declared: dict[str, set[str]] = {}
    for right in natsconf.service_user(service, natsconf.Password("x")).publish:
        if right.startswith("$JS.API.CONSUMER.MSG.NEXT."):
            stream, durable = right.split(".")[5:7]
            declared.setdefault(producer_of[stream], set()).add(durable.removeprefix(f"{service}-"))
    assert declared == recorder.durables, "regenerate deploy/nats/users.conf (python -m scripts.natsconf deploy)"


async def test_the_cluster_config_forms_a_cluster_its_users_work_on_and_no_stranger_joins(tmp_path):
    clients, routes = [free_port() for _ in range(3)], [free_port() for _ in range(3)]
    shutil.copy(NATS_DIR / "users.conf", tmp_path / "users.conf")
    passwords = {natsconf.env_name(name): f"pw-{name}" for name in natsconf.user_names()}
    procs = []
    try:
        for i in range(3):
            conf = (NATS_DIR / "cluster.conf").read_text()
            conf = conf.replace("0.0.0.0:4222", f"127.0.0.1:{clients[i]}").replace("0.0.0.0:6222", f"127.0.0.1:{routes[i]}")
            conf = conf.replace("127.0.0.1:8222", f"127.0.0.1:{free_port()}").replace("/data/jetstream", str(tmp_path / f"js{i}"))
            (tmp_path / f"node{i}.conf").write_text(conf)
            env = {**passwords, "NATS_SERVER_NAME": f"nats-{i + 1}", "NATS_ROUTE_PASSWORD": "route-pw",
                   **{f"NATS_ROUTE_{j + 1}": f"nats-route://route:route-pw@127.0.0.1:{routes[j]}" for j in range(3)}}
            procs.append(subprocess.Popen([binary(), "-c", str(tmp_path / f"node{i}.conf")], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        stranger_port = free_port()
        (tmp_path / "stranger.conf").write_text(
            f"listen: 127.0.0.1:{stranger_port}\ncluster {{ name: plazadesk, listen: 127.0.0.1:{free_port()}, "
            f"routes: [nats-route://127.0.0.1:{routes[0]}] }}\n")
        procs.append(subprocess.Popen([binary(), "-c", str(tmp_path / "stranger.conf")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for proc, port in zip(procs, [*clients, stranger_port]):
            await asyncio.to_thread(_wait_listening, proc, port)

        stranger = await nats.connect(f"nats://127.0.0.1:{stranger_port}")
        overheard = await stranger.subscribe("plazadesk.>")
        await stranger.flush()
        broker = Broker(",".join(f"nats://127.0.0.1:{p}" for p in clients), user="dispatch", password="pw-dispatch")
        await broker.connect()
        try:
            async def declared() -> bool:
                try:
                    await declare_own_stream(broker, "dispatch", replicas=3)
                    return True
                except (nats.js.errors.ServiceUnavailableError, nats.errors.TimeoutError):
                    return False  # the cluster is still electing its JetStream leader

            await eventually(declared, timeout=30, interval=0.5, what="DISPATCH declared with three replicas")
            ack = await broker.js.publish("plazadesk.dispatch.p1.engineering.work_order.created", b"{}")
            assert (ack.stream, len((await broker.js.stream_info("DISPATCH")).cluster.replicas)) == ("DISPATCH", 2)
        finally:
            await broker.close()
        with pytest.raises(nats.errors.TimeoutError):
            await overheard.next_msg(timeout=1)
        await stranger.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
