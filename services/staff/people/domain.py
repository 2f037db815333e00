"""The rules about people: which roles exist, which may be global, what a role needs
(staff belongs to a department), and who may read or change the staff of a plaza. No I/O."""

from __future__ import annotations

import re
from typing import Literal

from libs.contracts.subjects import InvalidToken, validate_token

# 客服专员, 客服主管, 物业经理, 部门员工, 财务, 审计（只读）, 运维
STAFF_ROLES = ("clerk", "supervisor", "manager", "staff", "finance", "auditor", "operator")
StaffRole = Literal["clerk", "supervisor", "manager", "staff", "finance", "auditor", "operator"]
ROLES = (*STAFF_ROLES, "occupant")  # occupants log in elsewhere (their own narrow access)
GLOBAL_ROLES = ("operator", "auditor")  # held at every plaza
OPERATOR = "operator"
OPERATOR_USERNAME = "operator"

# Who reads a plaza's staff list, who changes it.
READERS = frozenset({"supervisor", "manager", "operator", "auditor"})
WRITERS = frozenset({"operator"})

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 256


class Refused(Exception):
    def __init__(self, reason: str, field: str) -> None:
        super().__init__(reason)
        self.reason, self.field = reason, field


def check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise Refused(f"username {username!r} must be 1-64 lower-case letters, digits, '.', '_' or '-', "
                      "starting with a letter or digit", "username")
    return username


def plaza_roles(roles: list[str], department: str | None) -> list[str]:
    """The roles a person may hold at one plaza, each once, in the canonical order. At
    least one (leaving a plaza is DELETE); ``staff`` needs the person's department."""
    unknown = [r for r in roles if r not in STAFF_ROLES]
    if unknown:
        raise Refused(f"unknown role {unknown[0]!r}; staff roles are {', '.join(STAFF_ROLES)}", "roles")
    if not roles:
        raise Refused("at least one role (to take a person off the plaza, DELETE them)", "roles")
    if "staff" in roles and not department:
        raise Refused("role 'staff' needs the person's department (e.g. engineering)", "department")
    return [r for r in STAFF_ROLES if r in roles]


def global_roles(roles: list[str]) -> list[str]:
    """Roles held at every plaza: only operator and auditor may be."""
    wrong = [r for r in roles if r not in GLOBAL_ROLES]
    if wrong:
        raise Refused(f"role {wrong[0]!r} cannot be global; only {' and '.join(GLOBAL_ROLES)} can", "roles")
    return [r for r in GLOBAL_ROLES if r in roles]


def check_department(department: str | None) -> str | None:
    if department is None:
        return None
    try:
        return validate_token(department, "department")  # it becomes a subject token of work orders
    except InvalidToken as exc:
        raise Refused(str(exc), "department") from exc


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise Refused(f"a password is {PASSWORD_MIN}-{PASSWORD_MAX} characters", "password")
    return password


def join(roles: list[str]) -> str:
    return ",".join(roles)


def split(stored: str | None) -> list[str]:
    return [r for r in (stored or "").split(",") if r]


# --- who may do what ---------------------------------------------------------------------

def roles_at(claims: dict, plaza: str) -> set[str] | None:
    """The caller's roles at a plaza (a global role counts at every plaza); None: the
    plaza is not theirs at all (answered 404, never revealing what is there)."""
    held = set(claims.get("roles") or ())
    plazas = claims.get("plazas") or {}
    if plaza in plazas:
        return held | set(plazas[plaza])
    return held or None


def decide(claims: dict, plaza: str | None, allowed: frozenset[str]) -> int:
    """200 (allowed), 404 (not their plaza) or 403 (their plaza, not their role). With no
    plaza (a person's global record) only global roles count."""
    if plaza is None:
        return 200 if set(claims.get("roles") or ()) & allowed else 403
    held = roles_at(claims, plaza)
    if held is None:
        return 404
    return 200 if held & allowed else 403
