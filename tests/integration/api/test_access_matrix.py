"""The access matrix: every route of every service's OpenAPI document (and /metrics), each
asked four ways, as the public API promises (docs/access.md):

- no token → 401 with ``WWW-Authenticate: Bearer``;
- a token for another plaza → 404, word for word what an unknown plaza gets;
- a token with none of the route's roles at the plaza → 403;
- an occupant's token (one unit) on a route the table does not grant occupants → 403;
- a token with one of its roles → neither 401 nor 403 nor the plaza's 404 (the request may
  still be refused for its body: the matrix sends an empty one).

Every answer is a problem (RFC 9457). The counts are printed (``-s``) and asserted."""

from __future__ import annotations

import re

from five_services import SERVICES, clients  # noqa: F401  (clients: the fixture)
from libs.contracts.access import GLOBAL_ROLES, PUBLIC, ROLES, RUNTIME, row
from tests.support.harness import bearer, eventually

PLAZA, OTHER = "matrix-1", "matrix-2"
EXAMPLE = {"day": "2026-03-01"}
PLAZA_ROLES = set(ROLES) - GLOBAL_ROLES


def routes(app) -> list[tuple[str, str]]:
    """("METHOD", "/path/{template}") of the OpenAPI document, and the runtime's /metrics."""
    found = [(method.upper(), path) for path, item in app.openapi_schema.to_schema()["paths"].items()
             for method in item if method in ("get", "post", "put", "patch", "delete")]
    return found + [tuple(key.split(" ", 1)) for key, roles in RUNTIME.items() if roles != PUBLIC]


def filled(path: str, plaza: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: plaza if m[1] == "plaza" else EXAMPLE.get(m[1], "x1"), path)


def holder(role: str, plaza: str) -> dict:
    """A token holding ``role`` (globally where the role may be global, else at ``plaza``)."""
    if role in GLOBAL_ROLES:
        return bearer(f"matrix-{role}", roles=[role])
    if role == "occupant":  # the unit of the filled path: the route narrows to it
        return bearer(f"occupant:{plaza}:x1:m", plazas={plaza: [role]}, unit="x1")
    return bearer(f"matrix-{role}", plazas={plaza: [role]}, department="engineering")


async def ask(client, method: str, path: str, headers: dict | None):
    request = client.build_request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)
    request.headers.pop("Authorization", None)  # the test client's default token
    request.headers.update(headers or {})
    return await client.send(request)


async def test_every_route_answers_each_kind_of_caller_as_promised(clients):
    r = await clients["archive"].put(f"/v1/plazas/{PLAZA}", json={"name": "Matrix", "timezone": "Asia/Shanghai"})
    assert r.status_code in (200, 201), r.text
    for service in SERVICES:
        async def known(client=clients[service]):
            return (await client.get(filled(_a_list(client.app), PLAZA))).status_code == 200
        await eventually(known, what=f"{service} to know plaza {PLAZA}")

    counts = {"routes": 0, "no token": 0, "another plaza": 0, "wrong role": 0, "occupant": 0, "right role": 0,
              "public": 0}
    unexpected = []
    for service in SERVICES:
        client = clients[service]
        for method, template in routes(client.app):
            roles = row(service, f"{method} {template}")
            assert roles is not None, f"{service} {method} {template} has no row"
            counts["routes"] += 1
            path = filled(template, PLAZA)
            scoped = "{plaza}" in template

            def check(case: str, r, ok: bool) -> None:
                counts[case] += 1
                if not ok:
                    unexpected.append((service, case, method, template, r.status_code, r.text[:200]))

            if roles == PUBLIC:
                r = await ask(client, method, path, None)
                # (a survey link's own signature may still refuse it: 403 naming the token)
                check("public", r, r.status_code != 401 and (r.status_code != 403 or r.json().get("field") == "token"))
                continue
            r = await ask(client, method, path, None)
            check("no token", r, r.status_code == 401 and r.headers.get("www-authenticate", "").startswith("Bearer")
                  and r.headers["content-type"].startswith("application/problem+json"))
            if scoped:
                r = await ask(client, method, path, bearer("matrix-elsewhere", plazas={OTHER: sorted(PLAZA_ROLES)}))
                unknown = await ask(client, method, filled(template, OTHER), bearer("o", roles=["operator"]))
                same = unknown.status_code != 404 or r.json()["detail"] == unknown.json()["detail"].replace(OTHER, PLAZA)
                check("another plaza", r, r.status_code == 404 and r.json().get("field") == "plaza" and same)
            wrong = sorted(PLAZA_ROLES - roles)
            if wrong:
                r = await ask(client, method, path, bearer("matrix-wrong", plazas={PLAZA: wrong}))
                check("wrong role", r, r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json"))
            if scoped and "occupant" not in roles:
                r = await ask(client, method, path, holder("occupant", PLAZA))
                check("occupant", r, r.status_code == 403)
            for role in sorted(roles):
                r = await ask(client, method, path, holder(role, PLAZA))
                plaza_404 = r.status_code == 404 and r.json().get("field") == "plaza"
                check("right role", r, r.status_code not in (401, 403) and not plaza_404 and r.status_code < 500)
    print(f"\naccess matrix: {counts}, unexpected: {len(unexpected)}")
    assert not unexpected, "\n".join(map(str, unexpected))
    cases = sum(v for k, v in counts.items() if k != "routes")
    assert counts["routes"] >= 100 and cases >= 4 * counts["routes"], counts


def _a_list(app) -> str:
    return next(path for method, path in routes(app) if method == "GET" and path.count("{") == 1
                and not path.endswith((".svg", ".xlsx", "chart", "report", "monthly")))
