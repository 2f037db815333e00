"""Demo plaza data for ``make run``: loaded through archive's public API, so re-loading
it on a restart changes nothing (an identical PUT is a no-op)."""

from __future__ import annotations

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
