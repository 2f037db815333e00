"""Authentication and authorization of every route, with Litestar's security support.

- ``Authenticate`` (an AbstractAuthenticationMiddleware): a bearer token, when sent, is
  verified and becomes ``request.user`` (a Principal); a bad one is a 401 at once.
- ``authorize`` (the app's first guard): the route's row of libs.contracts.access decides.
  A public route passes; no token 401; a plaza the token does not hold 404, the very answer
  an unknown plaza gets (a token never learns that another plaza exists); a role the row
  does not name 403.
- ``actor`` (a dependency): the token's subject, recorded on every event and record.
- ``own_unit`` / ``check_unit``: an occupant's token sees one unit; the use case or route
  narrows to it (the table only says an occupant may call the route at all).
- ``apply_table``: every route of the app gets its row at start-up; a route without one
  stops the service from starting.
"""

from __future__ import annotations

import structlog
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.routes import HTTPRoute

from libs.contracts.access import PUBLIC, row
from libs.runtime.auth.principal import Principal
from libs.runtime.auth.tokens import InvalidToken, KeysUnavailable, Verifier
from libs.runtime.errors import NotFound
from libs.runtime.http.guards import unknown_plaza
from libs.runtime.http.problems import Problem

ACCESS = "access"  # a handler's opt: {method: roles}
EXCLUDE = "exclude_from_auth"  # a handler's opt: Litestar's authentication middleware skips it
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="plazadesk"'}


class MissingRows(RuntimeError):
    pass


def unauthorized(detail: str, error: str = "invalid_token") -> Problem:
    challenge = {"WWW-Authenticate": f'Bearer realm="plazadesk", error="{error}"'} if error else CHALLENGE
    return Problem(401, "Unauthorized", detail, headers=challenge)


class Authenticate(AbstractAuthenticationMiddleware):
    def __init__(self, app, verifier: Verifier, **kwargs) -> None:
        super().__init__(app, **kwargs)
        self.verifier = verifier

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            return AuthenticationResult(user=None, auth=None)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("the Authorization header must be 'Bearer <token>'", "invalid_request")
        try:
            principal = await self.verifier.principal(token.strip())
        except KeysUnavailable as exc:
            raise Problem(503, "Service Unavailable", str(exc), headers={"Retry-After": "5"}) from None
        except InvalidToken as exc:
            raise unauthorized(str(exc)) from None
        structlog.contextvars.bind_contextvars(actor=principal.sub)
        return AuthenticationResult(user=principal, auth=None)


async def authorize(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    roles = handler.opt[ACCESS][connection.scope["method"]]
    if roles is PUBLIC:
        return
    user: Principal | None = connection.scope.get("user")
    if user is None:
        raise unauthorized("this route needs a bearer token (POST /v1/token at the staff service)", "")
    plaza = connection.path_params.get("plaza")
    if plaza is not None and not user.holds(plaza):
        raise unknown_plaza(plaza)  # word for word an unknown plaza's answer
    if not roles & user.roles_at(plaza):
        where = f" at plaza {plaza!r}" if plaza is not None else ""
        raise Problem(403, "Forbidden",
                      f"{connection.scope['method']} {connection.scope['path']} needs one of the roles "
                      f"{', '.join(sorted(roles))}{where}; the token has {', '.join(sorted(user.roles_at(plaza))) or 'none'}",
                      roles=sorted(roles))


def actor(request: ASGIConnection) -> str:
    """The authenticated subject (the ``actor`` of every event and record a route writes)."""
    user = request.scope.get("user")
    if user is None:
        raise unauthorized("this route needs a bearer token", "")
    return user.sub


def principal(request: ASGIConnection) -> Principal | None:
    return request.scope.get("user")


def own_unit(principal: Principal | None, plaza: str) -> str | None:
    """The unit an occupant is limited to at the plaza; None for staff (and a public or
    in-process call with no principal): the same pattern as ``department_only``."""
    return principal.own_unit(plaza) if principal is not None else None


def check_unit(principal: Principal | None, plaza: str, unit: str) -> None:
    """404 when an occupant names a unit other than their own. The answer says only that
    the unit is not theirs, never whether it exists or what it holds."""
    if principal is not None and not principal.may_see_unit(plaza, unit):
        raise NotFound(f"unit {unit!r} is not your unit at plaza {plaza!r}", field="unit")


def unit_filter(principal: Principal | None, plaza: str, unit: str | None) -> str | None:
    """The unit a list is narrowed to: an occupant's own, asked for or not (another one is
    a 404, as ``check_unit``); for staff, the unit asked for, if any."""
    own = own_unit(principal, plaza)
    if own is None:
        return unit
    if unit is not None:
        check_unit(principal, plaza, unit)
    return own


def apply_table(app: Litestar, service: str) -> None:
    """Give every route handler its rows; refuse to start with a route the table misses."""
    missing = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method == "OPTIONS":  # a CORS pre-flight: answered by the framework
                    found = PUBLIC
                else:
                    found = row(service, f"{method} {route.path_format}")
                if found is None:
                    missing.append(f"{method} {route.path_format}")
                    continue
                handler.opt.setdefault(ACCESS, {})[method] = PUBLIC if found == PUBLIC else found
            # A public route reads no token at all: a probe or a survey link works whatever
            # header comes with it (and whether or not the issuer's keys can be read now).
            rows = handler.opt.get(ACCESS, {})
            if rows and all(roles is PUBLIC for roles in rows.values()):
                handler.opt[EXCLUDE] = True
    if missing:
        raise MissingRows(f"{service}: no row in libs/contracts/access.py PERMISSIONS for {', '.join(missing)}")
