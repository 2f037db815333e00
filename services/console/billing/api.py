"""收费 pages: find an account, see it, take a payment (once, however often the form is
sent), the arrears by age and the 催缴 worklist. Routes only translate."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.billing import domain
from services.console.billing import services as billing
from services.console.gateway.domain import UpstreamError
from services.console.i18n.domain import N_

# What billing names in a refusal → the form's field it belongs next to.
PAYMENT_FIELDS = {"amount_fen": "amount", "method": "method", "reference": "reference"}


@get("/billing", include_in_schema=False)
async def index(request: Request, q: str = "", arrears: bool = False) -> Template:
    page = await billing.accounts(request.state.calls, request.state.plaza, in_arrears=arrears)
    wanted = q.strip().upper()
    items = [a for a in page.get("items") or [] if not wanted or wanted in str(a.get("unit", "")).upper()
             or wanted in str(a.get("occupant_name") or "").upper()]
    if wanted and len(items) == 1:
        return Redirect(f"/billing/{quote(items[0]['unit'], safe='')}", status_code=303)
    return Template("billing/index.html", context={"accounts": items, "q": q, "arrears": arrears,
                                                   "more": page.get("next")})


@get("/billing/arrears", include_in_schema=False)
async def arrears(request: Request, as_of: str = "") -> Template:
    table = await billing.arrears(request.state.calls, request.state.plaza, as_of or None)
    return Template("billing/arrears.html", context={"table": table, "as_of": as_of})


@get("/billing/dunning", include_in_schema=False)
async def dunning(request: Request, status: str = "open") -> Template:
    return await _dunning_page(request, status)


async def _dunning_page(request: Request, status: str, *, error: UpstreamError | None = None,
                        failed_task: str | None = None, status_code: int = 200) -> Template:
    tasks = await billing.dunning_tasks(request.state.calls, request.state.plaza,
                                        status=status if status in domain.TASK_STATUSES else None)
    who = await billing.contacts(request.state.calls, request.state.plaza,
                                 [t["unit"] for t in tasks if t.get("status") == "open"])
    return Template("billing/dunning.html", status_code=status_code, context={
        "tasks": tasks, "contacts": who, "status": status, "outcomes": domain.OUTCOMES, "outcome_names": domain.OUTCOME_NAMES,
        "statuses": domain.TASK_STATUSES, "can_record": domain.can_record_outcome(request.state.roles),
        "error": error, "failed_task": failed_task})


@post("/billing/dunning/{task_id:str}/outcome", include_in_schema=False)
async def record_outcome(request: Request, task_id: str) -> Response:
    form = await request.form()
    status = str(form.get("status") or "open")
    try:
        await billing.record_outcome(request.state.calls, request.state.plaza, task_id,
                                     str(form.get("outcome") or ""), str(form.get("note") or "").strip() or None)
    except UpstreamError as exc:
        if exc.status in (401, 403) or exc.status >= 500:
            raise
        return await _dunning_page(request, status, error=exc, failed_task=task_id, status_code=exc.status)
    return Redirect(f"/billing/dunning?status={quote(status)}", status_code=303)


@get("/billing/{unit:str}", include_in_schema=False)
async def account(request: Request, unit: str, paid: str = "") -> Template:
    return await _account_page(request, unit, paid=paid)


@get("/billing/{unit:str}/ledger", include_in_schema=False)
async def ledger(request: Request, unit: str) -> Template:
    """The account's figures and entries again, when billing announces a change: the
    payment form beside them keeps what is being typed."""
    found = await billing.account(request.state.calls, request.state.plaza, unit)
    return Template("billing/_ledger.html", context={
        "unit": unit, "account": found, "utilities": domain.UTILITIES,
        "entries": domain.entry_rows(found.get("entries") or []) if found else []})


async def _account_page(request: Request, unit: str, *, paid: str = "", form: dict | None = None,
                        errors: dict | None = None, status_code: int = 200) -> Template:
    found = await billing.account(request.state.calls, request.state.plaza, unit)
    entries = domain.entry_rows(found.get("entries") or []) if found else []
    return Template("billing/account.html", status_code=status_code, context={
        "unit": unit, "account": found, "entries": entries, "receipt": domain.receipt_of(entries, paid),
        "methods": domain.METHODS, "utilities": domain.UTILITIES,
        "can_pay": domain.can_take_payment(request.state.roles),
        # A refused form keeps what was typed and its key: nothing was paid with it yet.
        "form": form or {"key": domain.new_key(), "amount": "", "method": "", "reference": ""},
        "errors": errors or {}})


@post("/billing/{unit:str}/payments", include_in_schema=False)
async def take_payment(request: Request, unit: str) -> Response:
    data = await request.form()
    form = {name: str(data.get(name) or "").strip() for name in ("key", "amount", "method", "reference")}
    form["key"] = form["key"] or domain.new_key()
    try:
        amount = domain.fen_of(form["amount"])
    except domain.AmountRefused as exc:
        return await _account_page(request, unit, form=form, errors={"amount": exc.message}, status_code=422)
    if form["method"] not in domain.METHOD_NAMES:
        return await _account_page(request, unit, form=form, errors={"method": N_("Choose how it was paid")},
                                   status_code=422)
    try:
        paid = await billing.take_payment(request.state.calls, request.state.plaza, unit, amount_fen=amount,
                                          method=form["method"], reference=form["reference"] or None, key=form["key"])
    except UpstreamError as exc:
        if exc.status in (401, 403) or exc.status >= 500:
            raise
        field = PAYMENT_FIELDS.get(exc.field or "", "form")
        return await _account_page(request, unit, form=form, errors={field: exc.detail}, status_code=exc.status)
    return Redirect(f"/billing/{quote(unit, safe='')}?paid={quote(paid['id'], safe='')}", status_code=303)


@get("/billing/{unit:str}/statement.pdf", include_in_schema=False)
async def statement(request: Request, unit: str, month: str = "") -> Response:
    """The unit's statement of account for a month (this month unless said), as billing writes it."""
    month = domain.month_or_this(month)
    answer = await billing.paper(request.state.calls, request.state.plaza, unit, "statement.pdf", month=month)
    return _pdf(answer, f"statement-{unit}-{month}.pdf")


@get("/billing/{unit:str}/receipts/{entry_id:str}", include_in_schema=False)
async def receipt(request: Request, unit: str, entry_id: str) -> Response:
    answer = await billing.paper(request.state.calls, request.state.plaza, unit, f"receipts/{quote(entry_id, safe='')}")
    return _pdf(answer, f"receipt-{entry_id}.pdf")


def _pdf(answer, name: str) -> Response:
    disposition = answer.headers.get("content-disposition") or f'attachment; filename="{name}"'
    return Response(answer.content, media_type="application/pdf", headers={"Content-Disposition": disposition})


ROUTES = [index, arrears, dunning, record_outcome, account, ledger, take_payment, statement, receipt]
