"""Writes docs/access.md from the permission table (libs/contracts/access.py), so the
page says exactly what the services enforce. ``python -m scripts.access_doc`` rewrites
it; ``--check`` exits 1 when the page is out of date (a unit test does the same)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from libs.contracts.access import GLOBAL_ROLES, PERMISSIONS, PUBLIC, ROLES, RUNTIME

DOC = Path(__file__).resolve().parent.parent / "docs" / "access.md"
COLUMNS = ("clerk", "supervisor", "manager", "staff", "finance", "auditor", "operator", "occupant")

HEAD = """# Access: logins, tokens, roles

<!-- Written by `python -m scripts.access_doc` from libs/contracts/access.py: edit the table
there, then run it (tests/unit/test_access_doc.py fails while this page is out of date). -->

Every call to PlazaDesk's HTTP APIs carries a bearer token:
`Authorization: Bearer <token>`. The staff service (port 8006) issues them at
`POST /v1/token` `{"username", "password"}` → `{"access_token", "token_type": "bearer",
"expires_in"}` and publishes its public keys at `GET /.well-known/jwks.json`.

```sh
TOKEN=$(curl -s localhost:8006/v1/token -H 'content-type: application/json' \\
  -d '{"username": "operator", "password": "'"$(cat data/operator-password)"'"}' | jq -r .access_token)
curl -s localhost:8001/v1/plazas/demo/requests -H "Authorization: Bearer $TOKEN"
```

## What each answer means

| the caller | answer |
|---|---|
| no token, or a token that does not verify (signature, issuer, expiry, audience) | 401, `WWW-Authenticate: Bearer` |
| a token that does not hold the path's plaza | 404, word for word what a plaza that does not exist gets: a token never learns which other plazas there are |
| a token without a role the route's row names, at that plaza | 403, naming the roles that may |
| a role the row names | the route's own answer |
| (the issuer's keys cannot be read just now) | 503, `Retry-After` |

Every answer is a problem (RFC 9457, `application/problem+json`). `/health`, `/ready`,
`/schema…` and `/asyncapi` take no token; `/metrics` takes an operator's or an auditor's.
The actor recorded on every event and record is the token's subject (`sub`).

## Roles

A token's `plazas` claim gives its roles per plaza (`{"plaza-id": ["clerk", ...]}`); its
`roles` claim the global ones, which only operator and auditor may be: a global role holds
every plaza. Department staff carry their department in `department` and see and act on
their own department's work orders only (another department's work order is not found).
Occupants (商户/居民) have no account: the desk gives them a one-time link
(`POST /v1/plazas/{plaza}/occupant-links` at staff, 7 days at most), exchanged once at
`POST /v1/token` `{"grant_type": "magic_link", "token"}` for an hour's token of role
`occupant` at that plaza with a `unit` claim. It sees its own unit only: logging and reading
its requests (always channel online), its account, its return visits (list, answer);
another unit is not found (404), every other route 403.

| role | |
|---|---|
{roles}

## How tokens are verified

Each service verifies a token itself, with the issuer's public keys (no call per request):
the signature (EdDSA/Ed25519, RS256 or ES256, the key named by the token's `kid`), `iss`,
`exp` (10 s of clock leeway) and, when set, `aud`. The keys come from a JWKS file
(`AUTH_JWKS_FILE`) or are fetched from `AUTH_JWKS_URL` and kept; a token signed with a key not
seen yet makes one fresh fetch (a rotated key), at most every 30 s, and the set is fetched
again every 5 minutes (a removed key stops being accepted). Settings, as environment
variables (`PLAZADESK_…` for every service, or `<SERVICE>_…` for one):

| variable | default | |
|---|---|---|
| `PLAZADESK_AUTH_JWKS_URL` | `http://127.0.0.1:8006/.well-known/jwks.json` | the issuer's keys |
| `PLAZADESK_AUTH_JWKS_FILE` | (none) | a JWKS file instead (tests, benchmarks, an air-gapped site) |
| `PLAZADESK_AUTH_ISSUER` | `plazadesk-staff` | the `iss` a token must carry |
| `PLAZADESK_AUTH_AUDIENCE` | (none: not checked) | the `aud` a token must carry |
| `PLAZADESK_AUTH_ROLES_CLAIM` | `roles` | dotted path of the roles |
| `PLAZADESK_AUTH_PLAZAS_CLAIM` | `plazas` | dotted path of the plazas |
| `PLAZADESK_AUTH_DEPARTMENT_CLAIM` | `department` | dotted path of the department |
| `PLAZADESK_AUTH_NAME_CLAIM` | `name` | dotted path of the display name (else `preferred_username`) |
| `PLAZADESK_AUTH_UNIT_CLAIM` | `unit` | dotted path of an occupant's unit (a token of role occupant sees that unit only) |

Roles PlazaDesk does not know are ignored (a provider adds its own, such as
`offline_access`). The plazas claim is either `{"plaza": [roles]}` or a list of plaza ids,
at which the token's non-global roles then apply.

## An OIDC provider instead of the staff service (Keycloak)

Any OIDC provider that signs with RS256/ES256/EdDSA and publishes a JWKS will do. With a
Keycloak realm `plazadesk`: realm roles named as PlazaDesk's (`clerk`, `finance`, …), a user
attribute `plazas` (multivalued, plaza ids) and one `department`, each added to the access
token by a "User Attribute" mapper, and an audience mapper for the client `plazadesk`:

```sh
PLAZADESK_AUTH_ISSUER=https://sso.example.com/realms/plazadesk
PLAZADESK_AUTH_JWKS_URL=https://sso.example.com/realms/plazadesk/protocol/openid-connect/certs
PLAZADESK_AUTH_AUDIENCE=plazadesk
PLAZADESK_AUTH_ROLES_CLAIM=realm_access.roles
PLAZADESK_AUTH_PLAZAS_CLAIM=plazas
PLAZADESK_AUTH_DEPARTMENT_CLAIM=department
```

(tests/unit/runtime/test_auth_tokens.py verifies such a token, signed by a key the test
makes.)

## The permission table

One row per route, as the service's OpenAPI document names it; a service refuses to start
with a route that has no row. ✓: the role may call it (at the path's plaza). Public: no
token (a survey link is its own credential, signed and bounded by the survey service).
"""


def render() -> str:
    roles = "\n".join(f"| `{name}`{' (may be global)' if name in GLOBAL_ROLES else ''} | {text} |"
                      for name, text in ROLES.items())
    out = [HEAD.replace("{roles}", roles)]
    header = "| route | " + " | ".join(COLUMNS) + " |\n|---|" + "---|" * len(COLUMNS)
    sections = [("every service", RUNTIME), *PERMISSIONS.items()]
    for service, rows in sections:
        out.append(f"\n### {service}\n\n{header}\n")
        for route, allowed in rows.items():
            if allowed == PUBLIC:
                out.append(f"| `{route}` (public: no token) |" + " |" * len(COLUMNS) + "\n")
                continue
            out.append(f"| `{route}` | " + " | ".join("✓" if role in allowed else "" for role in COLUMNS) + " |\n")
    return "".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description="Write docs/access.md from libs/contracts/access.py.")
    ap.add_argument("--check", action="store_true", help="exit 1 if the page is out of date, write nothing")
    args = ap.parse_args()
    text = render()
    if args.check:
        sys.exit(0 if DOC.exists() and DOC.read_text() == text else 1)
    DOC.write_text(text)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
