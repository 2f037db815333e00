"""Four eyes (四眼原则): money that leaves the ledger, a correction of it, a stock
adjustment and a key-account plan each need a second person to say yes. Whoever asked
for it can never approve it; which roles may approve is the permission table's job.

A pure rule, shared by the services that hold such requests (no I/O, no framework)."""

from __future__ import annotations

from libs.runtime.errors import DomainError


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
