"""Demo plaza data for ``make run``: loaded through archive's and staff's public APIs, so
re-loading it on a restart changes nothing (an identical PUT is a no-op)."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import httpx

PLAZA = "demo"
UNITS = [
    ("A-101", 120.0, "shop", "星巴克 Starbucks", "merchant", "021-5555-0101", True),
    ("A-203", 86.5, "shop", "李明茶行 Li Ming Tea", "merchant", "13800000203", False),
    ("A-305", 64.0, "shop", "Happy Noodles", "merchant", "13800000305", False),
    ("B-1201", 210.0, "office", "Sunrise Consulting", "merchant", "021-5555-1201", True),
    ("C-0802", 98.0, "residence", "王芳 Wang Fang", "resident", "13900000802", False),
    ("C-1506", 132.0, "residence", "陈伟 Chen Wei", "resident", "13900001506", False),
]


def load(archive_url: str, headers: dict[str, str] | None = None) -> list[str]:
    """``headers``: an operator's ``Authorization`` (registering plazas and units is theirs)."""
    with httpx.Client(base_url=archive_url, timeout=10, headers=headers) as c:
        c.put(f"/v1/plazas/{PLAZA}", json={"name": "Demo Plaza 示范广场", "timezone": "Asia/Shanghai"}).raise_for_status()
        for unit, area, use, name, kind, phone, key in UNITS:
            c.put(
                f"/v1/plazas/{PLAZA}/units/{unit}",
                json={"area_m2": area, "use": use, "occupant": {"name": name, "kind": kind, "phone": phone}, "key_account": key},
            ).raise_for_status()
    return [u[0] for u in UNITS]


# One demo user per role at the demo plaza: (username, name, roles, department, post).
DEMO_STAFF = [
    ("demo-clerk", "李静 Li Jing (客服专员)", ["clerk"], "customer-service", "客服专员 clerk"),
    ("demo-supervisor", "王芳 Wang Fang (客服主管)", ["supervisor"], "customer-service", "客服主管 supervisor"),
    ("demo-manager", "赵强 Zhao Qiang (物业经理)", ["manager"], None, "物业经理 property manager"),
    ("demo-engineer", "张伟 Zhang Wei (工程部)", ["staff"], "engineering", "维修工 maintenance technician"),
    ("demo-finance", "陈红 Chen Hong (财务)", ["finance"], "finance", "出纳 cashier"),
    ("demo-auditor", "刘洋 Liu Yang (审计)", ["auditor"], None, "审计 auditor"),
]
DEMO_PASSWORDS = "demo-passwords.json"


def operator_headers(staff_url: str, operator_password: str, timeout: float = 30) -> dict[str, str]:
    """The operator's ``Authorization``, once staff answers (it starts with the others)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=staff_url, timeout=10) as c:
        while True:
            try:
                r = c.post("/v1/token", json={"username": "operator", "password": operator_password})
                r.raise_for_status()
                return {"Authorization": f"Bearer {r.json()['access_token']}"}
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def load_staff(staff_url: str, auth: dict[str, str], data_dir: Path, timeout: float = 30) -> list[tuple[str, str, str]]:
    """The demo plaza's users, put by the operator through staff's public API, each with a
    generated password kept in DATA_DIR/demo-passwords.json (0600), so a restart keeps
    them. Returns (username, roles, password) for ``make run`` to print."""
    path = data_dir / DEMO_PASSWORDS
    kept = json.loads(path.read_text()) if path.is_file() else {}
    passwords = {user: kept.get(user) or secrets.token_urlsafe(12) for user, *_ in DEMO_STAFF}
    if passwords != kept:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(passwords, f, indent=2)
    with httpx.Client(base_url=staff_url, timeout=10) as c:
        for user, name, roles, department, post in DEMO_STAFF:
            body = {"name": name, "roles": roles, "password": passwords[user], "post": post}
            if department:
                body["department"] = department
            _put_when_known(c, f"/v1/plazas/{PLAZA}/staff/{user}", body, auth, timeout)
    return [(user, ",".join(roles), passwords[user]) for user, _, roles, *_ in DEMO_STAFF]


def _put_when_known(c: httpx.Client, path: str, body: dict, headers: dict, timeout: float) -> None:
    """Staff learns of the demo plaza from archive's stream a moment after archive has it:
    404 until then."""
    deadline = time.monotonic() + timeout
    while True:
        r = c.put(path, json=body, headers=headers)
        if r.status_code != 404 or time.monotonic() > deadline:
            r.raise_for_status()
            return
        time.sleep(0.2)
