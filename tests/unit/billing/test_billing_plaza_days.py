"""A plaza's days are its own local days (due dates, report months, days past due), and a
reopened complaint is open again whatever order its work order's events arrive in."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from zoneinfo import ZoneInfo

from libs.contracts.events import ChargeLine, WorkOrderClosed
from services.billing.dunning import domain as domain_arrears
from services.billing.ledger import domain
from services.billing.reports.services import month_bounds

UTC = dt.timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 07:30 on 1 December in Shanghai is still 30 November in UTC.
EARLY_ON_THE_1ST = dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


def test_a_charge_at_0730_local_on_the_1st_falls_in_that_month_not_the_one_before():
    december, november = month_bounds("2026-12", SHANGHAI), month_bounds("2026-11", SHANGHAI)
    assert december[0] <= EARLY_ON_THE_1ST < december[1]
    assert not november[0] <= EARLY_ON_THE_1ST < november[1]
    assert december == (dt.datetime(2026, 11, 30, 16, tzinfo=UTC), dt.datetime(2026, 12, 31, 16, tzinfo=UTC))


def test_the_month_follows_the_plaza_zone_not_a_fixed_one():
    new_york = ZoneInfo("America/New_York")
    # 03:00 UTC on 1 December is still the evening of 30 November in New York.
    at = dt.datetime(2026, 12, 1, 3, tzinfo=UTC)
    start, end = month_bounds("2026-11", new_york)
    assert start <= at < end and end == dt.datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_a_charge_falls_due_counted_from_the_plazas_day_of_the_closing():
    closing = WorkOrderClosed(
        plaza_id="p1", correlation_id="c", work_order_id="wo-1", request_id="r", unit="A-1", department="eng",
        paid=True, occurred_at=EARLY_ON_THE_1ST,
        charge_lines=[ChargeLine(line_id="l1", kind="labour", description="l1", quantity=1, unit_price_fen=100,
                                 amount_fen=100)],
    )
    [(_, posting)] = domain.charges_of_closings([closing], {"p1": SHANGHAI})
    assert posting.due_date == dt.date(2026, 12, 1) + dt.timedelta(days=domain.CHARGE_TERMS_DAYS)
    # A plaza billing has not heard of yet is in the default zone, Asia/Shanghai.
    [(_, unknown)] = domain.charges_of_closings([closing])
    assert unknown.due_date == posting.due_date


def test_an_unknown_or_unreadable_zone_is_the_default_one():
    assert domain.plaza_zone(None) == domain.plaza_zone("Not/AZone") == domain.plaza_zone("") == SHANGHAI
    assert domain.plaza_zone("Europe/London") == ZoneInfo("Europe/London")


def test_a_refund_without_a_due_date_is_due_on_the_plazas_day():
    class Entry:
        id, kind, amount_fen, due_date, occurred_at = "r1", "refund", 500, None, EARLY_ON_THE_1ST
        reverses_entry_id = invoice_id = work_order_id = None
        description = "refund"

    [item] = domain.open_items([Entry()], SHANGHAI)
    assert item.due_date == dt.date(2026, 12, 1)


# --- a work order's steps ---------------------------------------------------------------

def _life(reopens: int, *, cancelled: bool = False) -> list[tuple[str, int]]:
    """A complaint's events in the order dispatch emitted them: created, then closed and
    reopened in turn (a reopening carries the new reopen count), maybe cancelled at the end."""
    events = [("created", 0)]
    for n in range(reopens + 1):
        events.append(("closed", n))
        if n < reopens:
            events.append(("reopened", n + 1))
    if cancelled:
        events[-1] = ("cancelled", reopens)
    return events


def _step(kind: str, reopen_count: int) -> int:
    return domain_arrears.complaint_step(reopen_count, closed=kind in ("closed", "cancelled"))


def test_a_reopening_is_later_than_the_closing_it_undoes_and_earlier_than_the_next():
    steps = [_step(*e) for e in _life(3)]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert [domain_arrears.step_status(s) for s in steps[:4]] == ["open", "closed", "open", "closed"]


def test_whatever_order_its_events_arrive_in_a_work_order_ends_where_its_last_event_left_it():
    rng = random.Random(7)
    for reopens, stop_early, cancelled in itertools.product(range(3), range(3), (False, True)):
        life = _life(reopens, cancelled=cancelled)
        life = life[:len(life) - stop_early] or life  # some are still open, reopened or not
        expected = domain_arrears.step_status(_step(*life[-1]))
        for _ in range(20):
            arrived = life + rng.sample(life, rng.randint(0, len(life)))  # some come twice
            rng.shuffle(arrived)
            [row] = domain_arrears.latest_steps([("p1", "A-1", "wo-1", _step(*e)) for e in arrived])
            assert row["status"] == expected, (life, arrived)
