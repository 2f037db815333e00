"""What a plaza decides about its surveys: how long after a close a return visit falls due,
the fatigue window, how long a survey link lives, and the questionnaire its campaigns ask
(scale and dimensions), each within the bounds it must keep. Pure values; no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, get_args

import msgspec

from libs.runtime import limits

Scale = Literal["five_point", "three_level"]
SCALES: tuple[str, ...] = get_args(Scale)
DEFAULT_FATIGUE_DAYS = 30
DEFAULT_LINK_TTL_HOURS = 168
# A survey link is a credential anyone holding it can use: it lives a month at most, and
# a token claiming longer is refused even when signed (links/domain.py).
MAX_LINK_TTL_HOURS = 24 * 30
DEFAULT_SAMPLE_SIZE = 100
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class PolicyRefused(Exception):
    """A policy (or a campaign's questionnaire) the rules do not take; ``field`` names what."""

    def __init__(self, reason: str, *, field: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class Dimension(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: limits.Code
    label: limits.Name
    department: limits.Name  # whose work this dimension rates, for the per-department figures


DEFAULT_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(code="cleanliness", label="环境卫生 cleanliness", department="cleaning"),
    Dimension(code="security", label="安全秩序 security", department="security"),
    Dimension(code="repairs", label="工程维修 repairs", department="engineering"),
    Dimension(code="staff_attitude", label="服务态度 staff attitude", department="customer_service"),
    Dimension(code="facilities", label="公共设施 facilities", department="engineering"),
)


def check_bounds(*, window_hours: int | None, fatigue_days: int, link_ttl_hours: int, sample_size: int) -> None:
    """``window_hours`` None: the deployment's default, checked by the settings."""
    checks = [
        (window_hours is None or 1 <= window_hours <= 24 * 60, "window_hours", "1 hour to 60 days"),
        (0 <= fatigue_days <= 366, "fatigue_days", "0 (no fatigue window) to 366 days"),
        (1 <= link_ttl_hours <= MAX_LINK_TTL_HOURS, "link_ttl_hours", "1 hour to 30 days (720 hours)"),
        (1 <= sample_size <= 100_000, "campaign.sample_size", "1 to 100000"),
    ]
    for ok, field, allowed in checks:
        if not ok:
            raise PolicyRefused(f"{field} must be {allowed}", field=field)


def check_dimensions(dimensions: Iterable[Dimension]) -> tuple[Dimension, ...]:
    dims = tuple(dimensions)
    if not dims:
        raise PolicyRefused("a questionnaire needs at least one dimension", field="dimensions")
    codes = [d.code for d in dims]
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        raise PolicyRefused(f"dimension codes must be snake_case: {bad}", field="dimensions")
    if len(set(codes)) != len(codes):
        raise PolicyRefused("dimension codes must be unique", field="dimensions")
    return dims
