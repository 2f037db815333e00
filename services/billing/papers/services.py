"""A unit's papers as PDF: the monthly statement of account and a payment's receipt. Reads
only; the PDF is drawn in a worker thread (seconds of CPU for the CJK font)."""

from __future__ import annotations

from libs.contracts import utcnow
from libs.runtime import export, pdf
from libs.runtime.errors import NotFound
from services.billing import facts
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import services as ledger
from services.billing.ledger import store as ledger_store
from services.billing.papers import domain
from services.billing.reports.services import month_bounds


async def _heading(conn, plaza_id: str, unit: str) -> domain.Heading:
    await ledger.require_account(conn, plaza_id, unit)
    row = await facts.get_unit(conn, plaza_id, unit)
    return domain.Heading(plaza=await facts.plaza_name(conn, plaza_id), unit=unit,
                          occupant=row.occupant_name if row is not None else None)


async def statement_pdf(conn, plaza_id: str, unit: str, month: str) -> bytes:
    zone = await facts.plaza_zone(conn, plaza_id)
    start, end = month_bounds(month, zone)
    head = await _heading(conn, plaza_id, unit)
    s = domain.statement(await ledger_store.entries_of(conn, plaza_id, unit), month, start, end, zone)
    blocks = domain.statement_blocks(head, s, ledger_domain.local_date(utcnow(), zone))
    return await export.off_loop(pdf.render, f"{head.plaza} 月度对账单", blocks)


async def receipt_pdf(conn, plaza_id: str, unit: str, entry_id: str) -> bytes:
    head = await _heading(conn, plaza_id, unit)
    entry = await ledger_store.get_entry(conn, plaza_id, unit, entry_id)
    if entry is None or entry.kind not in domain.RECEIPTS:
        raise NotFound(f"no payment or recharge {entry_id!r} on unit {unit!r}'s account", field="entry_id")
    blocks = domain.receipt_blocks(head, entry, await facts.plaza_zone(conn, plaza_id))
    return await export.off_loop(pdf.render, f"{head.plaza} 收款收据", blocks)
