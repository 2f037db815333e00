"""nats-py is pinned to the range whose private attributes the runtime's wire module was
checked against; an upgrade outside it, or one that drops an attribute, fails here by name
(tests/integration/runtime/test_wire_private_api.py checks the same on a connected client)."""

from __future__ import annotations

import asyncio
import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from packaging.requirements import Requirement

from libs.runtime.bus.wire import PRIVATE_API

ROOT = Path(__file__).resolve().parents[3]


def pinned(name: str) -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return next(r for r in map(Requirement, project["dependencies"]) if r.name == name)


def test_the_installed_nats_py_is_within_its_pinned_range():
    requirement = pinned("nats-py")
    assert requirement.specifier.contains(version("nats-py")), f"nats-py {version('nats-py')} outside {requirement}"
    assert any(s.operator == "<" for s in requirement.specifier), "nats-py needs an upper bound (its private API is used)"


def test_the_installed_faststream_is_within_its_pinned_range():
    requirement = pinned("faststream")
    assert requirement.specifier.contains(version("faststream")), f"faststream {version('faststream')} outside {requirement}"


def test_every_private_attribute_the_wire_uses_is_there():
    client = Client()
    sub = Subscription(client, 1, "probe")
    objects = {Client: client, Subscription: sub, Msg: Msg(client, subject="probe", reply="", data=b"")}
    missing = [f"{cls.__name__}.{attr} ({what})" for cls, attr, what in PRIVATE_API if not hasattr(objects[cls], attr)]
    assert not missing, f"nats-py {version('nats-py')} lacks what libs/runtime/bus/wire.py uses: {missing}"
    assert inspect.iscoroutinefunction(client._send_command) and inspect.iscoroutinefunction(client._flush_pending)
    assert isinstance(sub._pending_queue, asyncio.Queue) and sub._pending_size == 0
    assert objects[Msg]._client is client and objects[Msg]._ackd is False
