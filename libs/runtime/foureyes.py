"""Four eyes (四眼原则): money that leaves the ledger, a correction of it, a stock
adjustment and a key-account plan each need a second person to say yes. Whoever asked
for it can never approve it; which roles may approve is the permission table's job.

A pure rule, shared by the services that hold such requests (no I/O, no framework)."""

from __future__ import annotations

from typing import Literal

from libs.runtime.errors import Conflict, DomainError

Status = Literal["pending", "approved", "rejected"]


class FourEyesRefused(DomainError):
    status = 403
    title = "Forbidden"


def second_person(requested_by: str | None, approver: str, what: str) -> str:
    """The approver, if they are not the one who asked; ``what`` names the request."""
    if not approver or not approver.strip():
        raise FourEyesRefused(f"four eyes: {what} needs an approver who says who they are", field="actor")
    if requested_by is not None and approver == requested_by:
        raise FourEyesRefused(
            f"four eyes: {what} was requested by {requested_by!r}, who cannot approve it; "
            "a second person must", field="actor",
        )
    return approver


def decide(status: str, requested_by: str | None, decider: str, what: str, *, approve: bool) -> Status:
    """A pending request decided once: approved by a second person, or rejected (whoever
    asked may withdraw their own). A request decided already is a conflict (409)."""
    if status != "pending":
        raise Conflict(f"{what} is {status} already; only a pending one is decided", field="status")
    if approve:
        second_person(requested_by, decider, what)
    return "approved" if approve else "rejected"
