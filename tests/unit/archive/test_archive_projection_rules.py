"""Archive's projection rules over a batch: a batch of events gives exactly what the same
events give one at a time (defects, renovation permits, warranty work orders)."""

from __future__ import annotations

import datetime as dt
import random

import msgspec

from libs.contracts import new_event_id
from libs.contracts.events import (
    Defect,
    HandoverInspected,
    RenovationApproved,
    RenovationClosed,
    RequestReceived,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
)
from services.archive.projections import domain as rules

T0 = dt.datetime(2027, 1, 10, 2, 0, tzinfo=dt.timezone.utc)


def at(minutes: int, plaza: str = "p1") -> dict:
    return dict(plaza_id=plaza, unit="C-0802", correlation_id="case-1", occurred_at=T0 + dt.timedelta(minutes=minutes))


def handover(minutes: int, *defect_ids: str, plaza: str = "p1") -> HandoverInspected:
    defects = [Defect(defect_id=d, description=f"defect {d}", responsible_party="Huajian") for d in defect_ids]
    return HandoverInspected(**at(minutes, plaza), inspection_id=f"insp-{minutes}", accepted=True, defects=defects)


def order(cls, defect: str, minutes: int, *, wo: str | None = None, plaza: str = "p1", **extra):
    common = dict(**at(minutes, plaza), work_order_id=wo or f"wo-{defect}", request_id=defect, department="engineering")
    if cls is WorkOrderCreated:
        return cls(**common, kind="service", text="warranty repair", warranty=extra.pop("warranty", True), **extra)
    if cls is WorkOrderClosed:
        return cls(**common, paid=False, **extra)
    return cls(**common, reason="still leaking", **extra)


def approved(permit: str, minutes: int, deposit: int = 500000) -> RenovationApproved:
    return RenovationApproved(**at(minutes), permit_id=permit, deposit_fen=deposit, valid_from=dt.date(2027, 1, 11),
                              valid_until=dt.date(2027, 2, 28))


def closed(permit: str, minutes: int, deduction: int = 0) -> RenovationClosed:
    return RenovationClosed(**at(minutes), permit_id=permit, deduction_fen=deduction)


def resent(event):
    """The same fact published again under a new event id (the inbox cannot catch it)."""
    return msgspec.structs.replace(event, id=new_event_id())


class FakeProjections:
    """The writes ``projections.services`` makes, with the database's own semantics:
    insert-if-absent, then the guarded updates of the rows that were already there."""

    def __init__(self) -> None:
        self.defects: dict = {}
        self.permits: dict = {}
        self.orders: dict = {}

    def known(self, asked: set) -> set:
        return {k for k in asked if k in self.defects}

    def apply(self, events: list) -> None:
        orders = {k for k in rules.work_orders_asked(events) if k in self.orders}
        plan = rules.plan(events, self.known(rules.defects_asked(events)), orders)
        for key, row in plan.defects.items():
            self.defects.setdefault(key, row)
        for key, p in plan.permits.items():
            if key not in self.permits:
                self.permits[key] = {"unit": p.unit, "status": p.status, **(p.approval or {}), **(p.closing or {})}
                continue
            row = self.permits[key]
            row.update(p.approval or {})
            if p.closing:
                row.update(p.closing, status="closed")
        for key, o in plan.work_orders.items():
            if key not in self.orders:
                self.orders[key] = o.if_new
            elif o.latest is not None and self.orders[key].step < o.latest.step:
                self.orders[key] = o.latest

    def outstanding(self) -> list[str]:
        fixed = {o.defect_id for o in self.orders.values() if o.closed}
        return sorted(d for (_, d) in self.defects if d not in fixed)


def one_at_a_time(events) -> FakeProjections:
    fake = FakeProjections()
    for event in events:
        fake.apply([event])
    return fake


def in_batches(events, size: int) -> FakeProjections:
    fake = FakeProjections()
    for i in range(0, len(events), size):
        fake.apply(events[i:i + size])
    return fake


def same(a: FakeProjections, b: FakeProjections) -> bool:
    return (a.defects, a.permits, a.orders) == (b.defects, b.permits, b.orders)


def test_a_reopening_that_overtakes_its_closing_in_one_batch_keeps_the_defect_outstanding():
    case = [
        handover(0, "d1", "d2", "d3"),
        order(WorkOrderCreated, "d1", 1), order(WorkOrderCreated, "d2", 2), order(WorkOrderCreated, "d3", 3),
        order(WorkOrderClosed, "d1", 20),
        order(WorkOrderReopened, "d2", 40, reopen_count=1),
        order(WorkOrderClosed, "d2", 21),  # the closing the reopening follows, arriving after it
    ]
    case.append(resent(case[-1]))  # and once more under a new id: still nothing changes
    batch = in_batches(case, len(case))
    assert batch.outstanding() == ["d2", "d3"]
    assert batch.orders[("p1", "wo-d2")].step == 2 and not batch.orders[("p1", "wo-d2")].closed
    assert same(batch, one_at_a_time(case))


def test_only_a_defect_known_by_then_is_closed_by_its_work_order():
    case = [
        order(WorkOrderClosed, "d9", 5),  # no handover found d9 yet: an ordinary work order
        handover(6, "d9"),
        order(WorkOrderClosed, "req-1", 7, wo="wo-ordinary"),
        order(WorkOrderClosed, "d9", 8, wo="wo-d9-b"),
    ]
    batch = in_batches(case, len(case))
    assert set(batch.orders) == {("p1", "wo-d9-b")}
    assert batch.outstanding() == []
    assert same(batch, one_at_a_time(case))


def test_a_warranty_order_closed_before_archive_files_its_handover_still_fixes_the_defect():
    """After a pause archive's dispatch consumer may run ahead of its intake consumer: the
    warranty order is created and closed before the handover that found the defect."""
    created, closing = order(WorkOrderCreated, "d7", 10), order(WorkOrderClosed, "d7", 30)
    for batches in ([[created, closing], [handover(0, "d7")]], [[created], [closing], [handover(0, "d7")]]):
        fake = FakeProjections()
        for batch in batches:
            fake.apply(batch)
        assert fake.orders[("p1", "wo-d7")].closed is True
        assert fake.outstanding() == []


def test_a_permit_closed_before_its_approval_arrives_is_closed_with_both_halves_filled_in():
    case = [closed("permit-1", 60, deduction=20000), approved("permit-1", 5), resent(approved("permit-1", 5))]
    batch = in_batches(case, len(case))
    permit = batch.permits[("p1", "permit-1")]
    assert permit["status"] == "closed" and permit["deduction_fen"] == 20000 and permit["deposit_fen"] == 500000
    assert same(batch, one_at_a_time(case))


def test_a_defect_found_twice_keeps_what_was_found_first():
    first, again = handover(0, "d1"), handover(30, "d1")
    batch = in_batches([first, again], 2)
    assert batch.defects[("p1", "d1")]["inspection_id"] == first.inspection_id


def random_case(seed: int, n: int = 150) -> list:
    r = random.Random(seed)
    events: list = []
    for minute in range(n):
        plaza = r.choice(["p1", "p2"])
        defect = f"d{r.randint(0, 8)}"
        wo = f"wo-{defect}-{r.randint(0, 1)}"
        pick = r.random()
        if pick < 0.1:
            events.append(handover(minute, *(f"d{r.randint(0, 8)}" for _ in range(r.randint(0, 2))), plaza=plaza))
        elif pick < 0.25:
            events.append(approved(f"permit-{r.randint(0, 3)}", minute, r.randint(1, 9) * 1000) if r.random() < 0.5
                          else closed(f"permit-{r.randint(0, 3)}", minute, r.randint(0, 5) * 100))
        elif pick < 0.4:
            events.append(order(WorkOrderCreated, defect, minute, wo=wo, plaza=plaza, warranty=r.random() < 0.7))
        elif pick < 0.65:
            events.append(order(WorkOrderClosed, defect, minute, wo=wo, plaza=plaza, reopen_count=r.randint(0, 2)))
        elif pick < 0.85:
            events.append(order(WorkOrderReopened, defect, minute, wo=wo, plaza=plaza, reopen_count=r.randint(1, 3)))
        else:
            events.append(RequestReceived(**at(minute, plaza), request_id=f"r{minute}", channel="phone",
                                          kind="service", text="door bell broken"))
        if r.random() < 0.1:
            events.append(resent(r.choice(events)))
    return events


def test_any_batching_of_a_mixed_history_gives_the_one_at_a_time_result():
    for seed in range(20):
        case = random_case(seed)
        expected = one_at_a_time(case)
        assert expected.orders and expected.permits and expected.defects  # the case exercises every projection
        for size in (2, 7, 50, len(case)):
            assert same(in_batches(case, size), expected), (seed, size)
