"""Satisfaction campaigns (定期满意度调查): the questionnaire, the stratified sample, and the
statistics.

Sampling: the plaza's units are grouped into strata by building and by occupant kind
(merchant / resident); the sample size is shared among strata in proportion to their size
(largest remainder, ties to the stratum that sorts first), and each stratum's units are drawn
with a generator seeded by the campaign's seed and the stratum, so the same seed over the
same units always draws the same sample.

Statistics: each answer to a dimension is a level (satisfied, basically satisfied,
unsatisfied; on the five-point scale 4–5, 3, 1–2). The satisfaction rate (满意率) is
satisfied plus basically satisfied over all answers, as for return visits.

The questionnaire (scale, dimensions) is the plaza's: defined with its survey policy.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from typing import Literal, get_args

import msgspec

from services.survey.policy import domain as policy

Level = Literal["satisfied", "basically_satisfied", "unsatisfied"]
LEVELS: tuple[str, ...] = get_args(Level)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class CampaignRefused(Exception):
    def __init__(self, reason: str, *, field: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class SampleUnit(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    building: str
    occupant_kind: str

    @property
    def stratum(self) -> tuple[str, str]:
        return (self.building, self.occupant_kind)


def building_of(unit: str, building: str | None = None) -> str:
    """Archive's building if it sends one, else the unit's prefix (``A-203`` → ``A``)."""
    return building or unit.split("-", 1)[0]


def check_month(month: str, field: str = "month") -> str:
    if not _MONTH.match(month or ""):
        raise CampaignRefused("month must be YYYY-MM", field=field)
    return month


def level_of(scale: str, value: object, field: str) -> Level:
    if scale == "five_point":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise CampaignRefused("answer on the five-point scale: an integer 1–5", field=field)
        return "satisfied" if value >= 4 else "basically_satisfied" if value == 3 else "unsatisfied"
    if value not in LEVELS:
        raise CampaignRefused(f"answer one of {', '.join(LEVELS)}", field=field)
    return value  # type: ignore[return-value]


def score_answers(scale: str, dimensions: tuple[policy.Dimension, ...], answers: dict) -> dict[str, tuple[Level, int | None]]:
    """Dimension code → (level, score); every answered code must be on the questionnaire."""
    if not answers:
        raise CampaignRefused("answer at least one dimension", field="answers")
    known = {d.code for d in dimensions}
    out: dict[str, tuple[Level, int | None]] = {}
    for code, value in answers.items():
        if code not in known:
            raise CampaignRefused(f"{code!r} is not on this questionnaire", field=f"answers.{code}")
        level = level_of(scale, value, f"answers.{code}")
        out[code] = (level, value if scale == "five_point" else None)  # type: ignore[assignment]
    return out


# --- sampling -------------------------------------------------------------------------

def allocate(strata: dict[tuple[str, str], int], size: int) -> dict[tuple[str, str], int]:
    """Proportional allocation by largest remainder; the whole population when it is smaller."""
    if size < 1:
        raise CampaignRefused("sample size must be at least 1", field="sample_size")
    total = sum(strata.values())
    if size >= total:
        return dict(strata)
    quotas = {k: Fraction(size * n, total) for k, n in strata.items()}
    shares = {k: int(q) for k, q in quotas.items()}
    left = size - sum(shares.values())
    by_remainder = sorted(quotas, key=lambda k: (-(quotas[k] - shares[k]), k))
    for k in by_remainder[:left]:
        shares[k] += 1
    return shares


def strata_of(units: Iterable[SampleUnit]) -> dict[tuple[str, str], list[SampleUnit]]:
    groups: dict[tuple[str, str], list[SampleUnit]] = defaultdict(list)
    for u in units:
        groups[u.stratum].append(u)
    return {k: sorted(v, key=lambda u: u.unit) for k, v in sorted(groups.items())}


def draw_sample(units: Iterable[SampleUnit], size: int, seed: int) -> list[SampleUnit]:
    groups = strata_of(units)
    if not groups:
        raise CampaignRefused("the plaza has no units to survey yet", field="sample_size")
    shares = allocate({k: len(v) for k, v in groups.items()}, size)
    drawn: list[SampleUnit] = []
    for key, members in groups.items():
        rng = random.Random(f"{seed}|{key[0]}|{key[1]}")
        drawn.extend(rng.sample(members, shares[key]))
    return sorted(drawn, key=lambda u: u.unit)


# --- statistics -------------------------------------------------------------------------

class Tally(msgspec.Struct, kw_only=True):
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0

    def add(self, level: str, n: int = 1) -> None:
        setattr(self, level, getattr(self, level) + n)

    @property
    def answered(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied

    @property
    def rate(self) -> float | None:
        if not self.answered:
            return None
        return round((self.satisfied + self.basically_satisfied) / self.answered, 4)


def tally(rows: Iterable[tuple[tuple, str, int]]) -> dict[tuple, Tally]:
    """(group key, level, count) rows → one Tally per key, keys sorted."""
    out: dict[tuple, Tally] = defaultdict(Tally)
    for key, level, n in rows:
        out[key].add(level, n)
    return dict(sorted(out.items()))


def trend(rates: dict[str, float | None]) -> list[tuple[str, float | None, float | None]]:
    """(month, rate, change from the month before) for the months in order (环比)."""
    out, previous = [], None
    for month in sorted(rates):
        rate = rates[month]
        delta = round(rate - previous, 4) if rate is not None and previous is not None else None
        out.append((month, rate, delta))
        previous = rate
    return out


def month_bounds(month: str, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The month in the plaza's own time zone, as a UTC [start, end) pair."""
    year, mon = map(int, check_month(month).split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=tz)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
