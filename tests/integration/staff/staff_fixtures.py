"""The staff service under test, knowing plazas p1 and p2 from archive's events, and
helpers: log in, read the STAFF stream. (Imported by the staff test modules.)"""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from libs.contracts.events import DECODERS
from services.staff.app import create_app
from services.staff.settings import Settings
from tests.support.harness import eventually, register_plazas, served_here, service_settings

OPERATOR_PASSWORD = "operator-test-password"


@pytest.fixture
async def staff_settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    # Staff takes archive's plazas, and what the desk did from intake, dispatch, survey, billing.
    await bus.declare_streams("archive", "intake", "dispatch", "survey", "billing")
    return service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                            schemas=cleanup_schemas, operator_password=OPERATOR_PASSWORD)


@pytest.fixture
async def staff(staff_settings, bus):
    async with AsyncTestClient(create_app(staff_settings)) as client:
        await register_plazas(bus, "p1", "p2", taken_by="staff")
        yield client


@asynccontextmanager
async def served(settings, bus, plazas=("p1", "p2")):
    async with served_here(create_app(settings), "http://staff") as client:
        await register_plazas(bus, *plazas, taken_by="staff")
        yield client


async def login(client, username: str, password: str, **extra):
    return await client.post("/v1/token", json={"username": username, "password": password, **extra})


async def bearer(client, username: str = "operator", password: str = OPERATOR_PASSWORD) -> dict:
    r = await login(client, username, password)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def staff_events(bus, type_name: str | None = None) -> list:
    try:
        messages = await bus.messages("STAFF")
    except Exception:  # the stream appears with the service's start
        return []
    events = [DECODERS["staff"].decode(m.data) for m in messages]
    return [e for e in events if type_name is None or type(e).__name__ == type_name]


async def wait_for_events(bus, type_name: str, count: int, **match) -> list:
    async def probe():
        found = [e for e in await staff_events(bus, type_name) if all(getattr(e, k) == v for k, v in match.items())]
        return found if len(found) >= count else None

    return await eventually(probe, what=f"{count} {type_name} on the STAFF stream matching {match}")


async def person(client, op: dict, username: str, roles: list[str], plaza: str = "p1", **extra) -> dict:
    """A person at the plaza who can log in (password: ``<username>-password``)."""
    body = {"name": username.title(), "roles": roles, "password": f"{username}-password", **extra}
    r = await client.put(f"/v1/plazas/{plaza}/staff/{username}", json=body, headers=op)
    assert r.status_code == 200, r.text
    return await bearer(client, username, f"{username}-password")


async def qualify(client, lead: dict, usernames: list[str], post: str, plaza: str = "p1") -> None:
    """The induction and the post's own course, passed by each person."""
    for course in ("induction", post):
        r = await client.post(f"/v1/plazas/{plaza}/training/sessions", headers=lead,
                              json={"course": course, "starts_at": "2026-01-05T01:00:00Z", "invited": usernames})
        assert r.status_code == 201, r.text
        results = [{"username": u, "attended": True, "score": 90} for u in usernames]
        r = await client.post(f"/v1/plazas/{plaza}/training/sessions/{r.json()['id']}/results", headers=lead,
                              json={"results": results})
        assert r.status_code == 200, r.text
