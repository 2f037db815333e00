"""The five services' HTTP edges under test: each app served on the test's loop (SQLite,
a real nats-server), and a walk over its routes and request body types that builds the
smallest body putting one value at one field. (Imported by the edge test modules; not
collected itself.)

A body holding only the field under test is refused at that field when the value is
wrong (msgspec checks the fields present before it reports a missing one); when the
answer names another field, the value under test was accepted.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Iterator
from contextlib import asynccontextmanager

import msgspec
import msgspec.inspect as mi
import pytest

from libs.contracts import STREAMS

from libs.contracts.events import Occupant, PlazaRegistered, UnitRegistered
from tests.support.harness import eventually, register_plazas, served_here, service_settings

SERVICES = ("intake", "dispatch", "billing", "survey", "archive")
UPLOADS = ("/v1/plazas/{plaza}/units/import", "/v1/plazas/{plaza}/units/{unit}/documents")
HEADERS = {"Idempotency-Key": "edge-test"}


@pytest.fixture
def edge(nats_server, bus, tmp_path):
    """``async with edge("intake") as client``: the service's app, knowing nothing yet."""

    streams: set[str] = set()  # declared already, by the test or by a service it served

    @asynccontextmanager
    async def serve(service: str):
        # Every producer's stream (STAFF, NOTICES too): a service starts once the streams it
        # reads exist.
        missing = [s for s in STREAMS if s != service and s not in streams]
        if missing:
            await bus.declare_streams(*missing)
        streams.update(missing, [service])
        settings_type = importlib.import_module(f"services.{service}.settings").Settings
        create_app = importlib.import_module(f"services.{service}.app").create_app
        settings = service_settings(settings_type, nats_url=nats_server.url, db_kind="sqlite", tmp_path=tmp_path)
        app = create_app(settings)
        async with served_here(app, f"http://{service}") as client:
            client.app = app  # the routes to walk
            # Plaza p1 exists (an unknown plaza is a 404 before any body is read).
            if service == "archive":
                r = await client.put("/v1/plazas/p1", json={"name": "Plaza One", "timezone": "Asia/Shanghai"}, headers=HEADERS)
                assert r.status_code in (200, 201), r.text
            else:
                await register_plazas(bus, "p1", taken_by=service)
            yield client

    return serve


class Route(msgspec.Struct, frozen=True):
    method: str
    template: str  # as the API documents it: /v1/plazas/{plaza}/…
    path: str  # with sample path parameters
    body: object  # the ``data`` annotation, or None


def routes(app) -> list[Route]:
    found = []
    for route in app.routes:
        if not route.path.startswith("/v1/"):
            continue
        template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        path = re.sub(r"\{(\w+):(\w+)\}", lambda m: "2026-12-01" if m.group(2) == "date" else _sample(m.group(1)), route.path)
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append(Route(method, template, path, data.annotation if data else None))
    return found


def body_leaves(app) -> Iterator[tuple[Route, "Leaf"]]:
    """Every field of every request body of the app, with its route: what the walks check."""
    for route in body_routes(app):
        for leaf in leaves(route.body):
            yield route, leaf


def body_routes(app) -> list[Route]:
    return [r for r in routes(app) if r.body is not None]


def _sample(name: str) -> str:
    return {"plaza": "p1", "unit": "A-1"}.get(name, f"{name}-1")


# --- fields of a body --------------------------------------------------------------------

ITEM = object()  # a list's first item


class Key(msgspec.Struct, frozen=True):
    key: object  # a dict key of the right type


class Leaf(msgspec.Struct, frozen=True):
    path: tuple  # field names, ITEM, Key
    info: object  # the msgspec.inspect type at the path

    @property
    def field(self) -> str:
        """The field as the API names it: ``materials[0].name``, ``answers[...]``."""
        out = ""
        for step in self.path:
            if step is ITEM:
                out += "[0]"
            elif isinstance(step, Key):
                out += "[...]"
            else:
                out += f".{step}" if out else step
        return out

    def body(self, value) -> object:
        """The smallest body holding ``value`` at this field."""
        for step in reversed(self.path):
            if step is ITEM:
                value = [value]
            elif isinstance(step, Key):
                value = {step.key: value}
            else:
                value = {step: value}
        return value


def leaves(annotation) -> Iterator[Leaf]:
    """Every field of a body type, nested ones too (each struct, list and dict is a leaf as
    well as its contents), once each."""
    yield from _walk(mi.type_info(annotation), (), set())


def _walk(info, path: tuple, seen: set) -> Iterator[Leaf]:
    if isinstance(info, mi.UnionType):
        for member in info.types:
            yield from _walk(member, path, seen)
        return
    if isinstance(info, mi.NoneType) or (path, type(info)) in seen:
        return
    seen.add((path, type(info)))
    if path:
        yield Leaf(path, info)
    if isinstance(info, mi.StructType):
        for field in info.fields:
            yield from _walk(field.type, (*path, field.encode_name), seen)
    elif isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        yield from _walk(info.item_type, (*path, ITEM), seen)
    elif isinstance(info, mi.DictType):
        yield from _walk(info.value_type, (*path, Key(sample_key(info.key_type, 0))), seen)


def structs(annotation) -> Iterator[Leaf]:
    """The body itself (path ()) and every struct nested in it."""
    info = mi.type_info(annotation)
    for member in info.types if isinstance(info, mi.UnionType) else (info,):
        if isinstance(member, mi.StructType):
            yield Leaf((), member)
    for leaf in leaves(annotation):
        if isinstance(leaf.info, mi.StructType):
            yield leaf


def sample_key(info, n: int):
    if isinstance(info, mi.DateType):
        return (dt.date(2026, 1, 1) + dt.timedelta(days=n)).isoformat()
    if isinstance(info, mi.LiteralType):
        return info.values[n % len(info.values)]
    return f"k{n}"


def allowed(info) -> list | None:
    """The values an enum-like field takes, or None."""
    if isinstance(info, mi.LiteralType):
        return list(info.values)
    if isinstance(info, mi.EnumType):
        return [m.value for m in info.cls]
    return None


def answer_field(r) -> str | None:
    try:
        return r.json().get("field")
    except ValueError:
        return None


async def known_unit(bus, client, unit: str) -> None:
    """Plaza p1 and ``unit`` as archive publishes them; returns once intake knows the unit."""
    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
    await bus.publish(UnitRegistered(plaza_id="p1", correlation_id="seed", unit=unit, revision=1, area_m2=80.0,
                                     use="shop", occupant=Occupant(name="Li Ming", kind="merchant")))

    async def known():
        # A blank text is refused naming "text" only once the unit is known.
        r = await client.post("/v1/plazas/p1/requests", json={"channel": "internal", "unit": unit, "text": " "})
        return r.json().get("field") == "text"

    await eventually(known, what="intake to learn the unit")
