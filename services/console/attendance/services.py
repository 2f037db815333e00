"""The person's own attendance at the staff service: their shift now, clocking in and out.
Where staff does not offer attendance (404: not deployed there yet) or cannot be reached,
the header shows nothing: a page never fails for it."""

from __future__ import annotations

from urllib.parse import quote

from services.console.gateway.domain import UpstreamError
from services.console.gateway.services import Calls


def _p(plaza: str) -> str:
    return f"/v1/plazas/{quote(plaza, safe='')}/attendance"


async def mine(calls: Calls, plaza: str) -> dict | None:
    """``{"shift": {…} | None, "clocked_in_at": … | None}``, or None where there is none to show."""
    try:
        return await calls.get_or_none("staff", f"{_p(plaza)}/me")
    except UpstreamError:
        return None


async def clock(calls: Calls, plaza: str, what: str) -> tuple[dict | None, UpstreamError | None]:
    """Clock in or out (``what``: in, out); then the attendance as staff now has it, and
    staff's refusal (not on shift, already clocked in…) to show beside the button."""
    refused = None
    try:
        await calls.post("staff", f"{_p(plaza)}/clock-{what}", {})
    except UpstreamError as exc:
        refused = exc
    # Staff without attendance answers the read with 404 too: then nothing is shown at all.
    return await mine(calls, plaza), refused
