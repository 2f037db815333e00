"""Setting up work orders for the console's browser tests through the services' own APIs
(as the operator, with httpx), the way the desk and the departments would make them."""

from __future__ import annotations

import httpx

from scripts import demo
from tests.support.harness import eventually

PLAZA = demo.PLAZA


class Jobs:
    """``async with Jobs(system) as jobs``: requests in, work orders moved along."""

    def __init__(self, system) -> None:
        self.system = system
        self.clients: dict[str, httpx.AsyncClient] = {}

    async def __aenter__(self) -> "Jobs":
        for name in ("intake", "dispatch", "survey"):
            self.clients[name] = httpx.AsyncClient(base_url=self.system.url(name), timeout=10,
                                                   headers=self.system.operator_auth)
        return self

    async def __aexit__(self, *exc) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def report(self, unit: str, text: str, channel: str = "phone") -> str:
        """A request at the desk; its id (intake learns the demo units from archive's events)."""
        async def accepted():
            r = await self.clients["intake"].post(f"/v1/plazas/{PLAZA}/requests",
                                                  json={"channel": channel, "unit": unit, "text": text})
            return r.json()["id"] if r.status_code == 202 else None

        return await eventually(accepted, timeout=30, interval=0.1, what=f"intake to take a request for {unit}")

    async def work_order_of(self, request_id: str) -> dict:
        async def opened():
            r = await self.clients["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id})
            items = r.json().get("items") if r.status_code == 200 else None
            return items[0] if items else None

        return await eventually(opened, timeout=30, interval=0.05, what=f"the work order of request {request_id}")

    async def work_order(self, work_order_id: str) -> dict:
        r = await self.clients["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders/{work_order_id}")
        r.raise_for_status()
        return r.json()

    async def act(self, work_order_id: str, action: str, body: dict | None = None) -> dict:
        r = await self.clients["dispatch"].post(f"/v1/plazas/{PLAZA}/work-orders/{work_order_id}/{action}",
                                                json=body or {})
        assert r.status_code == 200, f"{action}: {r.status_code} {r.text}"
        return r.json()

    async def assign(self, work_order_id: str, username: str) -> dict:
        """Once dispatch has heard from the staff service that the person works there."""
        refusals = []

        async def taken():
            r = await self.clients["dispatch"].post(f"/v1/plazas/{PLAZA}/work-orders/{work_order_id}/assign",
                                                    json={"assignee": username})
            if r.status_code != 200:
                refusals[:] = [r.text]
            return r.json() if r.status_code == 200 else None

        try:
            return await eventually(taken, timeout=30, interval=0.1, what=f"dispatch to accept {username} as assignee")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; dispatch said {refusals}") from None

    async def stock_item(self, sku: str, name: str, unit_price_fen: int, quantity: int) -> dict:
        r = await self.clients["dispatch"].put(f"/v1/plazas/{PLAZA}/stock/{sku}",
                                               json={"name": name, "unit_price_fen": unit_price_fen, "quantity": quantity})
        assert r.status_code in (200, 201), r.text
        return r.json()

    async def visit_of(self, work_order_id: str) -> dict:
        async def scheduled():
            r = await self.clients["survey"].get(f"/v1/plazas/{PLAZA}/visits", params={"work_order_id": work_order_id})
            items = r.json().get("items") if r.status_code == 200 else None
            return items[0] if items else None

        return await eventually(scheduled, timeout=30, interval=0.05, what=f"the return visit of {work_order_id}")

    async def closed_job(self, unit: str, text: str, assignee: str = "demo-engineer") -> dict:
        """A job done and closed, as the department and the desk would (its visit follows)."""
        order = await self.work_order_of(await self.report(unit, text))
        await self.assign(order["id"], assignee)
        await self.act(order["id"], "start")
        await self.act(order["id"], "resolve", {"paid": False})
        return await self.act(order["id"], "close")
