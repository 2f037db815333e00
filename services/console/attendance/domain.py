"""Clocking in and out from the console's header: who is offered it, and the words of a
post. No I/O."""

from __future__ import annotations

from services.console.i18n.domain import N_

# 岗位 as the roster names them; another post is shown as the roster wrote it.
POSTS: dict[str, str] = {
    "front_desk": N_("Front desk"), "customer_specialist": N_("Customer specialist"),
    "visits": N_("Return visits"), "cashier": N_("Cashier"), "records": N_("Records"),
    "supervisor": N_("Supervisor"), "fitter": N_("Fitter"), "guard": N_("Guard"), "cleaner": N_("Cleaner"),
}

# People of the plaza who work shifts; an occupant, the operator or an auditor has none.
ON_ROSTER = frozenset({"clerk", "supervisor", "manager", "staff", "finance"})


def offered(roles: set[str] | frozenset[str]) -> bool:
    """The header offers clocking in to a person of the plaza's own staff."""
    return bool(set(roles) & ON_ROSTER)


def post_label(post: str | None) -> str:
    return POSTS.get(post or "", post or "")
