"""What a request must pass before its handler runs, beyond its types: a plaza the service
knows, only the query parameters the route takes, and a JSON body the decoder can follow
and the database can hold. (Body sizes are Litestar's ``request_max_body_size``.)"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.constants import RESERVED_KWARGS
from litestar.exceptions import ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.params import BodyKwarg, DependencyKwarg, ParameterKwarg, PathParameter

from libs.runtime.errors import NotFound
from libs.runtime.http.problems import Problem


class ApiRequest(Request):
    """Litestar's request, refusing with 400 two JSON bodies that used to fail as 500s: one
    nested deeper than the decoder follows (msgspec stops at the interpreter's recursion
    limit, about a thousand levels: a RecursionError), and one with an integer no database
    column holds (beyond 64 bits: an OverflowError when it was stored)."""

    async def json(self) -> Any:
        try:
            body = await super().json()
        except RecursionError:
            raise Problem(400, "Bad Request", "the JSON body is nested too deeply to be read") from None
        where = _huge_integer(body)
        if where is not None:
            raise Problem(400, "Invalid request", f"{where}: integers must lie within ±2^63", field=where)
        return body


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _huge_integer(value: Any) -> str | None:
    """The path of the first integer outside 64 bits in a decoded JSON value, if any (a
    loop, not recursion: the value may be nested up to the decoder's limit)."""
    pending = [("", value)]
    while pending:
        path, item = pending.pop()
        kind = type(item)
        if kind is int:
            if not _INT64_MIN <= item <= _INT64_MAX:
                return path or "body"
        elif kind is dict:
            pending.extend((f"{path}.{k}" if path else str(k), v) for k, v in item.items())
        elif kind is list:
            pending.extend((f"{path}[{i}]", v) for i, v in enumerate(item))
    return None


# A route whose plaza may not exist yet (archive's registration of a plaza) says so in its opt.
PLAZA_MAY_BE_NEW = "plaza_may_be_new"
KNOWN_PLAZAS_MAX = 100_000


def unknown_plaza(plaza: str) -> NotFound:
    """The answer to a plaza that does not exist, and to one the caller's token does not
    hold: the same words, so a token never learns that another plaza exists."""
    return NotFound(f"plaza {plaza!r} is not registered (PUT /v1/plazas/{plaza} in archive)", field="plaza")


def known_plaza_guard(db, plazas: sa.Table):
    """One rule for every service: a route under /v1/plazas/{plaza} answers 404 naming the
    plaza when the service has no such plaza (its copy of archive's plazas; archive's own
    register in archive), before it reads or writes anything, lists and writes alike.
    Plazas are never removed, so one seen is remembered and the common case asks nothing."""
    known: set[str] = set()
    exists = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == sa.bindparam("plaza_id"))

    async def known_plaza(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        plaza = connection.path_params.get("plaza")
        if plaza is None or plaza in known or handler.opt.get(PLAZA_MAY_BE_NEW):
            return
        async with db.read() as conn:
            found = (await conn.execute(exists, {"plaza_id": plaza})).first() is not None
        if not found:
            raise unknown_plaza(plaza)
        if len(known) >= KNOWN_PLAZAS_MAX:
            known.clear()
        known.add(plaza)

    return known_plaza


_QUERY_NAMES: dict[Any, tuple[str, ...]] = {}


async def refuse_unknown_query(request: Request) -> None:
    """A query parameter the route does not take is refused (400 naming it and what the route
    takes): a typo (``stauts=``, ``format=`` on a report without formats) would otherwise
    change the answer silently."""
    if not request.scope.get("query_string"):
        return
    handler = request.scope["route_handler"]
    takes = _QUERY_NAMES.get(handler)
    if takes is None:
        takes = _QUERY_NAMES[handler] = _query_names(handler)
    unknown = [name for name in request.query_params if name not in takes]
    if unknown:
        what = f"it takes {', '.join(takes)}" if takes else "it takes no query parameters"
        raise ValidationException(
            detail="unknown query parameter",
            extra=[{"key": name, "message": f"not a parameter of this route; {what}", "source": "query"} for name in unknown],
        )


def _query_names(handler) -> tuple[str, ...]:
    dependencies = handler.resolve_dependencies()
    names = []
    for name, param in handler.parsed_fn_signature.parameters.items():
        kwarg = param.kwarg_definition
        if name in RESERVED_KWARGS or name in dependencies or isinstance(kwarg, (DependencyKwarg, BodyKwarg, PathParameter)):
            continue
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.header or kwarg.cookie:
                continue
            name = kwarg.query or name
        names.append(name)
    return tuple(names)
