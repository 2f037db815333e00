"""Phone etiquette figures (接听商户电话: 铃声响三声之内接起, 报“您好”, 必要时复述) per clerk:
the share of calls answered within three rings (15 s), the average time to answer, how
often the greeting was given and the key points read back, and how satisfied the return
visits that followed their requests were. Pure, no I/O."""

from __future__ import annotations

import datetime as dt

import msgspec

THREE_RINGS = dt.timedelta(seconds=15)  # a ring cycle is about 5 s (GB/T 15279's 1 s on, 4 s off)
SATISFIED = ("satisfied", "basically_satisfied")


class Call(msgspec.Struct, frozen=True, kw_only=True):
    received_by: str
    rang_at: dt.datetime
    answered_at: dt.datetime
    greeting: bool
    read_back: bool


class ClerkFigures(msgspec.Struct, kw_only=True):
    username: str
    calls: int = 0  # phone requests with a call record
    within_three_rings: int = 0
    within_three_rings_pct: float | None = None
    average_answer_s: float | None = None
    greeting_pct: float | None = None
    read_back_pct: float | None = None
    visits: int = 0  # return visits answered after their requests
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    satisfaction_pct: float | None = None  # satisfied or basically satisfied


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def figures(calls: list[Call], ratings: list[tuple[str, str]]) -> list[ClerkFigures]:
    """``ratings``: (the clerk who took the request, the visit's rating)."""
    clerks: dict[str, ClerkFigures] = {}
    waits: dict[str, list[float]] = {}
    greeted: dict[str, int] = {}
    read: dict[str, int] = {}
    for c in calls:
        f = clerks.setdefault(c.received_by, ClerkFigures(username=c.received_by))
        wait = c.answered_at - c.rang_at
        f.calls += 1
        f.within_three_rings += wait <= THREE_RINGS
        waits.setdefault(c.received_by, []).append(wait.total_seconds())
        greeted[c.received_by] = greeted.get(c.received_by, 0) + c.greeting
        read[c.received_by] = read.get(c.received_by, 0) + c.read_back
    for clerk, rating in ratings:
        f = clerks.setdefault(clerk, ClerkFigures(username=clerk))
        f.visits += 1
        if rating in ("satisfied", "basically_satisfied", "unsatisfied"):
            setattr(f, rating, getattr(f, rating) + 1)
    for name, f in clerks.items():
        f.within_three_rings_pct = pct(f.within_three_rings, f.calls)
        f.average_answer_s = round(sum(waits[name]) / len(waits[name]), 1) if waits.get(name) else None
        f.greeting_pct = pct(greeted.get(name, 0), f.calls)
        f.read_back_pct = pct(read.get(name, 0), f.calls)
        f.satisfaction_pct = pct(f.satisfied + f.basically_satisfied, f.visits)
    return [clerks[k] for k in sorted(clerks)]
