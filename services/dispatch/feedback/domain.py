"""Suggestion follow-up: the manager's answer to a merchant's suggestion moves through
received → under_consideration → adopted / declined, and a decision carries a reply.

Pure functions and small values; no I/O.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from libs.runtime import limits

State = Literal["received", "under_consideration", "adopted", "declined"]

# state → the states it may move to. A decision is final: the merchant has been answered.
FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "received": ("under_consideration",),
    "under_consideration": ("adopted", "declined"),
    "adopted": (),
    "declined": (),
}
DECIDED = ("adopted", "declined")


class SuggestionFollowUp(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    state: State
    # What the merchant is told; required with a decision (adopted or declined).
    reply: limits.Note | None = None
    # For the office only.
    note: limits.Note | None = None


class FollowUpRefused(Exception):
    def __init__(self, field: str, detail: str, *, conflict: bool) -> None:
        self.field = field
        self.conflict = conflict
        super().__init__(detail)


def allowed_states(state: str) -> list[str]:
    return list(FOLLOW_UPS.get(state, ()))


def followed_up(state: str, body: SuggestionFollowUp) -> str:
    """The suggestion's new state; refuses a step its state does not allow (a conflict) and
    a decision without a reply to the merchant (bad input)."""
    if body.state not in FOLLOW_UPS.get(state, ()):
        allowed = ", ".join(allowed_states(state)) or "nothing (decided)"
        raise FollowUpRefused("state", f"a suggestion that is {state} cannot become {body.state}; allowed now: {allowed}", conflict=True)
    if body.state in DECIDED and not (body.reply or "").strip():
        raise FollowUpRefused("reply", f"a suggestion {body.state} needs a reply to the merchant", conflict=False)
    return body.state
