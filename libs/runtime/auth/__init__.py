"""Who is calling and what they may do: bearer tokens verified locally (``tokens``), the
caller as a Principal (``principal``), and the middleware, guard and ``actor`` dependency
every service's HTTP app uses (``http``). The rules themselves are one table,
libs/contracts/access.py."""

from libs.runtime.auth.http import (
    Authenticate, MissingRows, actor, apply_table, authorize, check_unit, own_unit, principal, unit_filter,
)
from libs.runtime.auth.principal import ClaimNames, Principal, from_claims
from libs.runtime.auth.tokens import InvalidToken, Keys, Verifier, verifier_for

__all__ = [
    "ACTOR", "PRINCIPAL",
    "Authenticate", "ClaimNames", "InvalidToken", "Keys", "MissingRows", "Principal", "Verifier", "actor",
    "apply_table", "authorize", "check_unit", "from_claims", "own_unit", "principal", "unit_filter", "verifier_for",
]

from litestar.params import Dependency

# ``actor: str = ACTOR`` in a route: the token's subject, provided by the runtime (marks the
# parameter as the runtime's dependency, so no route can take the actor from the request).
ACTOR = Dependency()
# ``principal: Principal | None = PRINCIPAL``: the verified caller (None on a public route).
PRINCIPAL = Dependency(skip_validation=True)
