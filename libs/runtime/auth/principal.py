"""Who a verified token says is calling: the subject, its roles per plaza, its department.

The claims are read by name (PlazaDesk's staff service: ``roles``, ``plazas``,
``department``); an OIDC provider's are found by dotted paths (Keycloak's realm roles are
``realm_access.roles``), set in the service's settings."""

from __future__ import annotations

from typing import Any

import msgspec

from libs.contracts.access import GLOBAL_ROLES, ROLES


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    sub: str
    name: str = ""
    roles: frozenset[str] = frozenset()  # global: operator, auditor (every plaza)
    plazas: dict[str, frozenset[str]] = {}
    department: str | None = None
    # An occupant's unit (房号/铺位): the one unit whose records an ``occupant`` token sees.
    unit: str | None = None

    def holds(self, plaza: str) -> bool:
        """The token may see this plaza at all (a global role holds every plaza)."""
        return bool(self.roles) or plaza in self.plazas

    def roles_at(self, plaza: str | None) -> frozenset[str]:
        """The roles at a plaza; with no plaza (a route of no plaza), every role it holds."""
        if plaza is None:
            return self.roles.union(*self.plazas.values())
        return self.roles | self.plazas.get(plaza, frozenset())

    def department_only(self, plaza: str) -> str | None:
        """The department whose work alone this token may see at the plaza: set when its only
        role there is ``staff`` (a supervisor who is also staff sees every department)."""
        return self.department if self.roles_at(plaza) == {"staff"} else None

    def own_unit(self, plaza: str) -> str | None:
        """The unit whose records alone this token may see at the plaza: set when its only
        role there is ``occupant`` (staff: None, every unit). An occupant token without a
        unit claim sees no unit at all: "" matches none, so it is never taken for staff."""
        if self.roles_at(plaza) != {"occupant"}:
            return None
        return self.unit or ""

    def may_see_unit(self, plaza: str, unit: str) -> bool:
        """Staff see every unit of a plaza they hold; an occupant only their own."""
        own = self.own_unit(plaza)
        return own is None or own == unit


class ClaimNames(msgspec.Struct, frozen=True, kw_only=True):
    roles: str = "roles"
    plazas: str = "plazas"
    department: str = "department"
    name: str = "name"
    unit: str = "unit"


def from_claims(claims: dict[str, Any], names: ClaimNames = ClaimNames()) -> Principal:
    """A principal from verified claims. Roles not in PlazaDesk's list are dropped (an OIDC
    provider adds its own, such as ``offline_access``); a global role other than operator or
    auditor is dropped too. ``plazas`` is {plaza: [roles]}, or a list of plaza ids at which
    the token's non-global roles apply (what a provider's simple group mapper gives)."""
    listed = _known(_at(claims, names.roles))
    plazas_claim = _at(claims, names.plazas)
    if isinstance(plazas_claim, dict):
        plazas = {str(p): _known(r) for p, r in plazas_claim.items()}
    elif isinstance(plazas_claim, list):
        plazas = {str(p): listed - GLOBAL_ROLES for p in plazas_claim}
    else:
        plazas = {}
    department = _at(claims, names.department)
    unit = _at(claims, names.unit)
    return Principal(
        sub=str(claims["sub"]),
        name=str(_at(claims, names.name) or claims.get("preferred_username") or ""),
        roles=listed & GLOBAL_ROLES,
        plazas={p: r for p, r in plazas.items() if r},
        department=str(department) if isinstance(department, str) and department else None,
        unit=unit if isinstance(unit, str) and unit else None,
    )


def _at(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _known(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return frozenset()
    return frozenset(role for role in value if role in ROLES)
