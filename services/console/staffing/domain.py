"""员工管理 (/staffing): the supervisor's page of the desk's own people — the week's roster
and the hours nobody covers, swaps and rotation plans to approve, the training sessions,
the day's post records to sign off, and the month's report (phone etiquette, attendance).
Pure rules, no I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.console.i18n.domain import N_

POST_NAMES = {
    "front_desk": N_("Front desk"), "customer_specialist": N_("Customer specialist"),
    "visits": N_("Return visits"), "cashier": N_("Cashier"), "records": N_("Records"),
    "supervisor": N_("Supervisor"), "induction": N_("Induction"),
}
SWAP_STATUS = {"pending": N_("Waiting for approval"), "approved": N_("Approved"), "rejected": N_("Rejected")}
ZONE = ZoneInfo("Asia/Shanghai")


def post_name(code: str) -> str:
    return POST_NAMES.get(code, code)


def today(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(ZONE).date().isoformat()


def this_month(now: dt.datetime | None = None) -> str:
    return today(now)[:7]


def pct(value) -> str:
    return "—" if value is None else f"{value:.1f} %"


def may_decide(roles) -> bool:
    """Approvals and sign-offs are the supervisor's and the manager's."""
    return bool(set(roles) & {"supervisor", "manager", "operator"})
