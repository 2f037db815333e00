"""Events on the STAFF stream (produced by staff): who works at a plaza, in which roles.

Other services keep their own copy from these (names to show, assignees to check: an
assignee must be active staff of the work order's department and plaza). They carry no
password hash and no phone number: nothing a subscriber needs, everything a leak would
expose."""

from __future__ import annotations

from datetime import datetime

from libs.contracts.envelope import Event


class StaffJoined(Event, frozen=True, kw_only=True, tag=True):
    """A person got roles at a plaza they did not hold before."""

    username: str
    name: str
    roles: list[str]  # at this plaza
    department: str | None = None
    post: str | None = None  # 岗位
    active: bool = True

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "staff", "joined")


class StaffChanged(Event, frozen=True, kw_only=True, tag=True):
    """A person's roles at the plaza, or their name, department, post or standing changed
    (the whole record as it now is, so a copy needs no earlier event)."""

    username: str
    name: str
    roles: list[str]
    department: str | None = None
    post: str | None = None
    active: bool = True

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "staff", "changed")


class StaffLeft(Event, frozen=True, kw_only=True, tag=True):
    """A person no longer works at the plaza (their other plazas are unchanged)."""

    username: str

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "staff", "left")


class ShiftPlanned(Event, frozen=True, kw_only=True, tag=True):
    """A person is on the roster for a post from ``starts_at`` to ``ends_at`` (UTC), or a
    planned shift changed (a swap the supervisor approved names the new person): the whole
    shift as it now is, under the same ``shift_id``. Dispatch offers only people on shift
    when a work order is assigned; the SLA sweep escalates to the supervisor on duty."""

    shift_id: str
    username: str
    post: str  # 岗位: front_desk, customer_specialist, visits, cashier, records, supervisor, …
    department: str | None = None
    starts_at: datetime
    ends_at: datetime

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "staff", "shift")


class ShiftCancelled(Event, frozen=True, kw_only=True, tag=True):
    """A planned shift no longer happens (its person is off the roster for it)."""

    shift_id: str
    username: str

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "staff", "shift")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (StaffJoined, StaffChanged, StaffLeft, ShiftPlanned, ShiftCancelled)
