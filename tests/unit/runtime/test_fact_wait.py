"""How long an event about a plaza or unit a service does not know yet waits for archive's
facts: soon looked at again (the fact is usually milliseconds behind), then less and less
often, and dead-lettered once the wait is over or its deliveries are spent."""

from __future__ import annotations

import pytest

from libs.runtime.bus import fact_wait_delay


def schedule(max_deliver: int, wait_s: float, first_delivery: int = 1) -> tuple[list[float], int]:
    """The delays between deliveries, and the delivery at which the event is dead-lettered."""
    delays, delivered = [], first_delivery
    while (delay := fact_wait_delay(delivered, max_deliver, wait_s)) is not None:
        delays.append(delay)
        delivered += 1
    return delays, delivered


def test_the_default_wait_looks_again_soon_then_spreads_out_to_its_end():
    delays, dead_at = schedule(5, 30.0)
    assert dead_at == 5  # every delivery is used
    assert delays[0] == pytest.approx(0.1)
    assert delays == sorted(delays)
    assert sum(delays) == pytest.approx(30.0)  # the last delivery comes when the wait is over
    assert sum(delays[:3]) < 5.0  # a fact a few seconds late is not waited for to the end


@pytest.mark.parametrize("wait_s", [0.5, 3.0, 30.0, 600.0])
@pytest.mark.parametrize("max_deliver", [2, 3, 5, 10])
def test_the_wait_is_bounded_by_its_setting_and_by_the_deliveries(max_deliver, wait_s):
    delays, dead_at = schedule(max_deliver, wait_s)
    assert sum(delays) == pytest.approx(wait_s)
    assert dead_at == max_deliver
    assert all(d > 0 for d in delays)


def test_no_wait_dead_letters_at_once():
    assert fact_wait_delay(1, 5, 0.0) is None


def test_deliveries_spent_elsewhere_end_the_wait():
    """An event redelivered for other reasons (a transient failure, a crash) has fewer left."""
    assert fact_wait_delay(5, 5, 30.0) is None
    delays, dead_at = schedule(5, 30.0, first_delivery=4)
    assert dead_at == 5 and len(delays) == 1
