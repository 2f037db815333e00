"""How a UTC-aware time is written as SQLite text: the fast path for times already in UTC
writes exactly what converting them first writes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from libs.runtime.db import sqlite_utc_text

UTC = dt.timezone.utc


@pytest.mark.parametrize("value, text", [
    (dt.datetime(2026, 3, 2, 16, 0, tzinfo=UTC), "2026-03-02 16:00:00.000000"),
    (dt.datetime(2026, 3, 2, 16, 0, 5, 123456, tzinfo=UTC), "2026-03-02 16:00:05.123456"),
    (dt.datetime(2026, 3, 3, 0, 0, 5, 7, tzinfo=dt.timezone(dt.timedelta(hours=8))), "2026-03-02 16:00:05.000007"),
    (dt.datetime(2026, 3, 3, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-03-02 16:00:00.000000"),
    (dt.datetime(2026, 3, 2, 16, 0, tzinfo=ZoneInfo("UTC")), "2026-03-02 16:00:00.000000"),  # UTC, not the singleton
])
def test_a_time_is_stored_as_its_utc_text_whatever_its_zone(value, text):
    assert sqlite_utc_text(value) == text


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc_text(dt.datetime(2026, 3, 2, 16, 0))
