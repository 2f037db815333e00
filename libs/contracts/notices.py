"""Events on the NOTICES stream (produced by notices): what the desk told the occupants
(通知/公告, 信函, 温馨提示), to which units, and who has read it."""

from __future__ import annotations

from typing import Literal

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

NoticeKind = Literal["notice", "letter", "tip", "disclosure", "dunning", "activity"]


class NoticePublished(Event, frozen=True, kw_only=True, tag=True):
    """A notice approved by a second person went out to ``recipients`` units (the audience
    as the facts stood at that moment)."""

    notice_id: str
    kind: NoticeKind
    title: str
    urgent: bool = False
    recipients: Quantity
    approver: str

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "notice", "published")


class NoticeDelivered(Event, frozen=True, kw_only=True, tag=True):
    """One unit's copy of a published notice: on its page in the console and on its
    timeline; ``channels`` are the messages sent besides (sms, wechat, email)."""

    unit: str
    notice_id: str
    kind: NoticeKind
    title: str
    urgent: bool = False
    channels: list[str] = []

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "notice", "delivered")


class NoticeRead(Event, frozen=True, kw_only=True, tag=True):
    """The unit opened its notice (its signed link, or its page in the console); only the
    first reading is announced."""

    unit: str
    notice_id: str
    via: Literal["link", "console"] = "link"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "notice", "read")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (NoticePublished, NoticeDelivered, NoticeRead)
