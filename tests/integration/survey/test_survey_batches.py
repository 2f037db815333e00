"""Survey's busy consumers take a fetched batch at a time. A backlog published while survey
is down arrives as one batch: it must give exactly the visits and events that one event at
a time gives, however its events depend on each other. Against a real nats-server and a
real database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import VisitScheduled, VisitSkipped, WorkOrderClosed
from tests.support.harness import archive_taken, client_for, eventually, service_settings
from services.survey.app import create_app
from services.survey.settings import Settings
from services.survey.visits import services as visit_services
from tests.support.archive_facts import register

DAY = dt.timedelta(days=1)
T0 = (utcnow() - 10 * DAY).replace(microsecond=0)


@pytest.fixture
async def survey_settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    """One deployment's settings: starting survey twice with them is a restart on the same
    database and the same durable consumers."""
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas)
    async with client_for(create_app(settings)):  # survey learns archive's facts, then is down
        for plaza in ("batched", "one-by-one", "p1"):
            await register(bus, plaza, "A", "B", "C", "E", known_by="survey")
    return settings


@pytest.fixture
def batch_sizes(monkeypatch):
    """How many events each successful call of the set-based use cases was given."""
    sizes: dict[str, list[int]] = {"closed": []}

    def recording(name, use_case):
        async def wrapper(tx, events, **kw):
            await use_case(tx, events, **kw)
            sizes[name].append(len(events))
        return wrapper

    monkeypatch.setattr(visit_services, "schedule_visits", recording("closed", visit_services.schedule_visits))
    return sizes


def closed(plaza: str, wo: str, unit: str, at: dt.datetime, reopen_count: int = 0,
           kind: str | None = "service") -> WorkOrderClosed:
    return WorkOrderClosed(
        plaza_id=plaza, correlation_id=f"req-{wo}", occurred_at=at, work_order_id=wo, kind=kind,
        request_id=f"req-{wo}", unit=unit, department="engineering", reopen_count=reopen_count, paid=False,
    )


async def drained(bus, durable: str) -> None:
    """Everything published so far on DISPATCH for this consumer is acknowledged."""

    await eventually(lambda: bus.caught_up("DISPATCH", durable), what=f"{durable} to acknowledge everything")


async def visits_of(client, plaza: str) -> list[dict]:
    r = await client.get(f"/v1/plazas/{plaza}/visits", params={"limit": 200})
    assert r.status_code == 200
    return r.json()["items"]


async def announced(bus, plaza: str) -> list:
    """The VisitScheduled (and, were any published, VisitSkipped) events survey published for the plaza."""
    out = []
    for cls in (VisitScheduled, VisitSkipped):
        what = cls.__name__.removeprefix("Visit").lower()
        out += [msgspec.json.decode(m.data, type=cls) for m in await bus.messages("SURVEY", f"plazadesk.survey.{plaza}.visit.{what}")]
    return out


async def outcome(client, bus, plaza: str, expected_visits: int) -> dict:
    """Per close (work order, reopen count): the visit's status, how it is made and why, and
    the types of the events announcing it."""
    visits = await eventually(
        lambda: _at_least(visits_of(client, plaza), expected_visits), what=f"{expected_visits} visits in {plaza}"
    )
    events = await eventually(lambda: _at_least(announced(bus, plaza), len(visits)), what=f"{plaza}'s visit events")
    result = {}
    for v in visits:
        mine = [e for e in events if e.visit_id == v["id"]]
        result[v["work_order_id"], v["reopen_count"]] = (
            v["status"], v["method"], v["method_reason"], sorted(type(e).__name__ for e in mine),
        )
    return result


async def _at_least(coro, n: int):
    items = await coro
    return items if len(items) >= n else None


def history(plaza: str) -> tuple[list, list]:
    """What survey learnt before it went down, then the closes that piled up meanwhile."""
    before = [closed(plaza, "wo-0", "C", T0 - 20 * DAY)]
    second = closed(plaza, "wo-2", "A", T0 + 5 * DAY)
    backlog = [
        closed(plaza, "wo-1", "A", T0),
        second,  # by link: wo-1 was called a moment ago, in this very batch
        closed(plaza, "wo-2", "A", T0 + 6 * DAY, reopen_count=1),  # its reopening: always called
        msgspec.structs.replace(second, id=new_event_id()),  # the same close re-sent: changes nothing
        closed(plaza, "wo-3", "A", T0 - 3 * DAY),  # arrives late: by link, after the reopening's call
        closed(plaza, "wo-4", "B", T0),
        closed(plaza, "wo-5", "B", T0 + DAY, kind="complaint"),  # the close says so: called within the window
        closed(plaza, "wo-6", "B", T0 + 2 * DAY, kind=None),  # no kind (an older producer): an ordinary
        # job, by link after the complaint's call
        closed(plaza, "wo-7", "C", T0),  # by link: wo-0 was called, before the restart
    ]
    return before, backlog


# Every close gets its visit, announced by VisitScheduled: a call, or within the fatigue
# window a survey link.
CALL = ("overdue", "phone", None, ["VisitScheduled"])
LINK = ("overdue", "online", "fatigue", ["VisitScheduled"])

EXPECTED = {
    ("wo-0", 0): CALL,
    ("wo-1", 0): CALL,
    ("wo-2", 0): LINK,
    ("wo-2", 1): CALL,
    ("wo-3", 0): LINK,
    ("wo-4", 0): CALL,
    ("wo-5", 0): CALL,
    ("wo-6", 0): LINK,
    ("wo-7", 0): LINK,
}


async def test_a_backlog_in_one_batch_gives_the_visits_of_one_close_at_a_time(survey_settings, bus, batch_sizes):
    for plaza in ("batched", "one-by-one"):
        before, _ = history(plaza)
        for event in before:
            await bus.publish(event)
    async with client_for(create_app(survey_settings)):
        await drained(bus, "survey-work-order-closed")
        await archive_taken(bus, "survey")

    _, backlog = history("batched")
    for event in backlog:  # survey is down: these pile up
        await bus.publish(event)
    async with client_for(create_app(survey_settings)) as client:
        batched = await outcome(client, bus, "batched", len(EXPECTED))
        assert len(backlog) in batch_sizes["closed"]  # the whole backlog in one call

        _, backlog = history("one-by-one")
        for event in backlog:
            await bus.publish(event)
            await drained(bus, "survey-work-order-closed")
        one_by_one = await outcome(client, bus, "one-by-one", len(EXPECTED))

    assert batched == EXPECTED
    assert one_by_one == EXPECTED
    assert len(await announced(bus, "batched")) == len(EXPECTED)  # the re-sent close announced nothing


async def test_a_bad_close_in_a_batch_is_dead_lettered_alone(survey_settings, bus):
    good_first = closed("p1", "wo-a", "A", T0)
    bad = closed("p1", "wo-bad", "A", dt.datetime(2024, 5, 1, 9, 30))  # no zone: can never be scheduled
    good_after = closed("p1", "wo-b", "A", T0 + DAY)
    for event in (good_first, bad, good_after):
        await bus.publish(event)

    async with client_for(create_app(survey_settings)) as client:
        await archive_taken(bus, "survey")
        visits = await eventually(lambda: _at_least(visits_of(client, "p1"), 2), what="the two good closes' visits")
        dead = await eventually(lambda: _at_least(bus.messages("DEADLETTER"), 1), what="a dead letter")
        await drained(bus, "survey-work-order-closed")
        assert len(await visits_of(client, "p1")) == 2

    by_wo = {v["work_order_id"]: v for v in visits}
    assert by_wo["wo-a"]["method"] == "phone"
    assert by_wo["wo-b"]["method_reason"] == "fatigue"  # the good ones still see each other
    [letter] = await bus.messages("DEADLETTER")
    assert msgspec.json.decode(letter.data, type=WorkOrderClosed).id == bad.id
    assert "occurred_at" in letter.headers["PlazaDesk-Reason"]
    assert letter.headers["PlazaDesk-Deliveries"] == "1"  # refused at once, not retried
    assert dead[0].headers["PlazaDesk-Consumer"] == "survey-work-order-closed"
