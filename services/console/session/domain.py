"""Who is signed in and what the console offers them: pure rules over a verified
principal (libs.runtime.auth), no I/O."""

from __future__ import annotations

import msgspec

from libs.runtime.auth.principal import Principal
from services.console.i18n.domain import N_


class Session(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the encrypted session cookie holds: the tokens staff issued, and the choices
    made at the console (language, plaza)."""

    token: str
    refresh: str | None = None
    username: str
    language: str = "zh-CN"
    plaza: str | None = None


class MenuItem(msgspec.Struct, frozen=True):
    key: str
    label: str
    path: str


# The console's pages, in the department's words, and the roles each is for (the services
# still decide every call by the person's token: a menu only leaves out what would refuse).
PAGES: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    ("desk", N_("Desk"), "/desk", frozenset({"clerk", "supervisor", "manager"})),
    ("work_orders", N_("Work orders"), "/work-orders",
     frozenset({"clerk", "supervisor", "manager", "staff", "auditor", "operator"})),
    ("visits", N_("Return visits"), "/visits", frozenset({"clerk", "supervisor", "manager"})),
    ("escalations", N_("Escalations"), "/escalations", frozenset({"supervisor", "manager"})),
    ("feedback", N_("Suggestions and praise"), "/feedback", frozenset({"supervisor", "manager"})),
    ("units", N_("Units"), "/units", frozenset({"clerk", "supervisor", "manager", "finance", "auditor", "operator"})),
    ("movein", N_("Move-in"), "/move-in", frozenset({"clerk", "supervisor", "manager"})),
    ("billing", N_("Billing"), "/billing", frozenset({"clerk", "supervisor", "manager", "finance", "auditor"})),
    ("reports", N_("Reports"), "/reports", frozenset({"supervisor", "manager", "finance", "auditor"})),
    ("staffing", N_("Staffing"), "/staffing", frozenset({"supervisor", "manager", "auditor"})),
    ("notices", N_("Notices"), "/notices", frozenset({"clerk", "supervisor", "manager", "finance", "auditor"})),
    ("operations", N_("Operations"), "/operations", frozenset({"operator"})),
)


def plazas_of(principal: Principal) -> list[str]:
    return sorted(principal.plazas)


def choose_plaza(principal: Principal, wanted: str | None = None) -> str | None:
    """The plaza the console works at: the one asked for if the token holds it, else the
    token's first; a global role with no plaza of its own keeps what was asked."""
    if wanted and principal.holds(wanted):
        return wanted
    own = plazas_of(principal)
    return own[0] if own else wanted


def menu(principal: Principal, plaza: str | None) -> list[MenuItem]:
    roles = principal.roles_at(plaza)
    if roles == {"occupant"}:
        return [MenuItem("me", N_("My unit"), "/me")]
    return [MenuItem(key, label, path) for key, label, path, allowed in PAGES if roles & allowed]


def home(principal: Principal, plaza: str | None) -> str:
    """Where a person lands after signing in: their first page."""
    items = menu(principal, plaza)
    return items[0].path if items else "/no-access"


def safe_next(value: str | None) -> str | None:
    """Only a path of this console after signing in: never another site (an open redirect
    would carry a phishing link through the login page)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value
