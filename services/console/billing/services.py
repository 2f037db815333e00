"""收费's calls to the billing service, as the signed-in person: the services decide what
that person may see and do."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from services.console.billing import domain
from services.console.gateway.domain import UpstreamError


def _unit(unit: str) -> str:
    return quote(unit, safe="")


async def accounts(calls, plaza: str, *, in_arrears: bool = False, cursor: str | None = None) -> dict:
    return await calls.get("billing", f"/v1/plazas/{plaza}/accounts", in_arrears="true" if in_arrears else None,
                           cursor=cursor, limit=100)


async def account(calls, plaza: str, unit: str) -> dict | None:
    return await calls.get_or_none("billing", f"/v1/plazas/{plaza}/accounts/{_unit(unit)}")


async def take_payment(calls, plaza: str, unit: str, *, amount_fen: int, method: str, reference: str | None,
                       key: str) -> dict:
    """The form's own key goes to billing: a second send of the same form gets the first
    payment back. Two sends at once: billing answers the later one 409 until the first has
    committed, and then the payment it took — asked once more here."""
    body = {"amount_fen": amount_fen, "method": method, **({"reference": reference} if reference else {})}
    path = f"/v1/plazas/{plaza}/accounts/{_unit(unit)}/payments"
    for attempt in range(3):
        try:
            return await calls.post("billing", path, body, headers={"Idempotency-Key": key})
        except UpstreamError as exc:
            if exc.status != 409 or exc.field != "Idempotency-Key" or attempt == 2:
                raise
    raise AssertionError("unreachable")


async def arrears(calls, plaza: str, as_of: str | None = None) -> dict:
    return domain.ageing_table(await calls.get("billing", f"/v1/plazas/{plaza}/arrears", as_of=as_of))


async def dunning_tasks(calls, plaza: str, *, status: str | None = None, unit: str | None = None) -> list[dict]:
    page = await calls.get("billing", f"/v1/plazas/{plaza}/dunning/tasks", status=status, unit=unit)
    return domain.task_rows(page.get("items") or [])


async def contacts(calls, plaza: str, units: list[str]) -> dict[str, dict]:
    """Who to call for each unit of the worklist, from archive's register: a unit archive
    will not show this person is left without (the call can still be recorded)."""
    async def one(unit: str) -> tuple[str, dict]:
        try:
            found = await calls.get_or_none("archive", f"/v1/plazas/{plaza}/units/{_unit(unit)}")
        except UpstreamError:
            found = None
        return unit, (found or {}).get("occupant") or {}
    return dict(await asyncio.gather(*(one(u) for u in dict.fromkeys(units))))


async def record_outcome(calls, plaza: str, task_id: str, outcome: str, note: str | None) -> dict:
    body = {"outcome": outcome, **({"note": note} if note else {})}
    return await calls.post("billing", f"/v1/plazas/{plaza}/dunning/tasks/{quote(task_id, safe='')}/outcome", body)


async def paper(calls, plaza: str, unit: str, path: str, **params):
    """A unit's paper as billing writes it (a PDF), fetched as the person: the raw answer."""
    return await calls.response("billing", "GET", f"/v1/plazas/{plaza}/accounts/{_unit(unit)}/{path}", params=params)
