"""A bad value of a request, worded with what the route's own types say: the values an enum
allows, the limit a value is over, the control character a text may not hold, the field an
object misses, every unknown field of the body and the fields each object does take.

What went wrong is read from structures, not from the words of the error: Litestar's
ValidationException gives each bad value's ``key`` (its path), ``source`` and msgspec's
``message``; the route's signature gives the type at that path and the request the value
there, which is held against the type's constraints. msgspec's message is kept as it is
where no constraint explains the error (a wrong type, a number out of range).
"""

from __future__ import annotations

import enum
import re
import types
import typing
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from litestar import Request
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from libs.runtime import limits

_ENTRY = object()  # a step to a dict's value: msgspec names every key of a dict "[...]"
_UNITS = {str: "characters", list: "items", dict: "entries"}
_KINDS = {str: str, list: list, tuple: list, set: list, frozenset: list, dict: dict}  # a type → its JSON value
_MOST_UNKNOWN = 20

# msgspec gives the place of an error only inside its message ("… - at `$.a[0].b`"), which
# Litestar cuts into the item's ``key`` ("a[0].b"): the one string read by pattern here.
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+|\.\.\.)\]")


def _steps(path: str) -> list:
    """``a[0].b`` → ["a", 0, "b"]; ``rates[...]`` → ["rates", _ENTRY]."""
    steps: list = []
    for name, index in _STEP.findall(path):
        steps.append(name if name else (_ENTRY if index == "..." else int(index)))
    return steps


class _At(NamedTuple):
    field: str  # the path as the API names it (a query parameter by its name in the query)
    root: Any  # the type the path starts from: the body's or the parameter's (None: unknown)
    types: list  # the types (Annotated kept) the path may lead to
    value: Any  # the request's value there (None where it cannot be followed)


def explain(request: Request, item: dict) -> list[dict]:
    """One error item of Litestar's (``key``, ``message``, ``source``) as the API's errors:
    field, message, source, status (400 or 422; the problem's own status is chosen from
    them), and ``allowed`` or ``limit`` where the type says them."""
    key = str(item.get("key") or "")
    source = item.get("source")
    at = _locate(request, source, "" if key in ("data", "$") else key.removeprefix("data.").removeprefix("$."))
    error = {"field": at.field or None, "message": str(item.get("message", "")), "source": source, "status": 400}
    value = at.value
    struct = next((s for t in at.types if (s := _struct(t)) is not None), None)
    if struct is not None and isinstance(value, dict):
        # An error at an object itself: an unknown field (msgspec stops at the first one it
        # meets) or, once every field is known, the first required field it lacks.
        takes = {f.encode_name: f for f in msgspec.structs.fields(struct)}
        if struct.__struct_config__.forbid_unknown_fields:
            unknown = next((str(k) for k in value if k not in takes), None)
            if unknown is not None:
                return _unknown_fields(request, at.root, _join(at.field, unknown), source)
        missing = next((name for name, f in takes.items() if f.required and name not in value), None)
        if missing is not None:
            error["field"] = _join(at.field, missing)
        return [error]
    limit = _max_length(at.types, value)
    multiline = _multiline(at.types)
    allowed = _allowed(at.types)
    if limit is not None and len(value) > limit:
        error.update(message=f"{len(value)} {_UNITS[type(value)]}, at most {limit}", limit=limit, status=422)
    elif multiline is not None and isinstance(value, str) and (found := limits.control_character(value, multiline=multiline)):
        rule = "only line breaks and tabs are allowed" if multiline else "this field takes one line of text"
        error.update(message=f"contains the control character {found}; {rule}", status=422)
    elif allowed is not None and value not in allowed and any(type(value) is type(v) for v in allowed):
        error.update(message=f"{value!r} is not one of {', '.join(map(str, allowed))}", allowed=allowed)
    return [error]


def _locate(request: Request, source: str | None, path: str) -> _At:
    handler = request.scope.get("route_handler")
    params = handler.parsed_fn_signature.parameters if handler is not None else {}
    steps = _steps(path)
    if source == "body":
        data = params.get("data")
        root = data.annotation if data else None
        return _At(path, root, _types_at(root, steps), _follow(_body_json(request), root, steps))
    name = steps[0] if steps and isinstance(steps[0], str) else None
    param = params.get(name) if name else None
    if param is None:
        return _At(path, None, [], None)
    public = getattr(param.kwarg_definition, "query", None) or name
    root, steps = param.annotation, steps[1:]
    if source == "query":
        given = request.query_params.getall(public, [])
        many = any(typing.get_origin(_bare(t)) in (list, tuple, set, frozenset) for t in _members(root))
        value = given if many else (given[0] if given else None)
    elif source == "path":
        value = request.path_params.get(name)
    else:
        value = None
    return _At(public + path[len(name):], root, _types_at(root, steps), _follow(value, root, steps))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _follow(value: Any, root: Any, steps: list) -> Any:
    for n, step in enumerate(steps):
        if isinstance(value, dict) and step is _ENTRY:
            # msgspec does not say which entry of a dict it refused: the first one that does
            # not fit the entries' type (those before it were taken, so it is that one).
            fits = _types_at(root, steps[: n + 1])
            value = next((v for v in value.values() if fits and not _fits(v, fits)), None)
        elif isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def _fits(value: Any, candidates: list) -> bool:
    try:
        msgspec.convert(value, type=typing.Union[tuple(candidates)], strict=False)  # as Litestar converts
    except (msgspec.ValidationError, TypeError, ValueError):
        return False
    return True


def _types_at(root: Any, steps: list) -> list:
    """The types (Annotated kept) a path into ``root`` may lead to; [] when none is known."""
    found = _members(root) if root is not None else []
    for step in steps:
        found = [m for t in found for inner in _inside(t, step) for m in _members(inner)]
    return found


def _members(t: Any) -> list:
    """A type's alternatives: ``X | None`` → [X, None]."""
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(t) for m in _members(arg)]
    return [t]


def _bare(t: Any) -> Any:
    return typing.get_args(t)[0] if typing.get_origin(t) is Annotated else t


def _struct(t: Any) -> type | None:
    bare = _bare(t)
    return bare if isinstance(bare, type) and issubclass(bare, msgspec.Struct) else None


def _inside(t: Any, step: Any) -> list:
    bare, struct = _bare(t), _struct(t)
    if struct is not None:
        return [f.type for f in msgspec.structs.fields(struct) if f.encode_name == step]
    origin, args = typing.get_origin(bare), typing.get_args(bare)
    if origin is dict and len(args) == 2:
        return [args[1]]
    if origin in (list, set, frozenset, tuple) and args and (step is _ENTRY or isinstance(step, int)):
        return [args[0]]
    return []


def _metas(candidates: list) -> list[msgspec.Meta]:
    return [meta for t in candidates if typing.get_origin(t) is Annotated
            for meta in typing.get_args(t)[1:] if isinstance(meta, msgspec.Meta)]


def _max_length(candidates: list, value: Any) -> int | None:
    """The most characters, items or entries ``value`` may have where it is of the kind the
    type limits (a text given where a list is due is a wrong type, not a long list)."""
    for t in candidates:
        if typing.get_origin(t) is not Annotated:
            continue
        bare, *metas = typing.get_args(t)
        kind = typing.get_origin(bare) or bare
        if _KINDS.get(kind) is type(value):
            return next((m.max_length for m in metas if isinstance(m, msgspec.Meta) and m.max_length is not None), None)
    return None


def _multiline(candidates: list) -> bool | None:
    """Whether the text at the path may hold line feeds and tabs; None where it is not one
    of the runtime's texts (limits.line or limits.text)."""
    return next((limits.PATTERNS[m.pattern] for m in _metas(candidates) if m.pattern in limits.PATTERNS), None)


def _allowed(candidates: list) -> list | None:
    for t in candidates:
        bare = _bare(t)
        if typing.get_origin(bare) is Literal:
            return list(typing.get_args(bare))  # in the order the type declares them
        if isinstance(bare, type) and issubclass(bare, enum.Enum):
            return [m.value for m in bare]
    return None


def _body_json(request: Request) -> Any:
    """The request's JSON as Litestar decoded it for the handler (None if it did not).
    Litestar keeps it in the scope's state, read here because an exception handler cannot
    await ``request.json()``; the tests that name every unknown field pin this."""
    value = ScopeState.from_scope(request.scope).json
    return None if value is Empty else value


def _unknown_fields(request: Request, root: Any, reported: str, source: str | None) -> list[dict]:
    """Every unknown field of the body (msgspec stops at the first), each with its path, and
    for each object once what it does take."""
    found: list[tuple[str, tuple]] = []
    if root is not None and source == "body":
        _collect_unknown(root, _body_json(request), "", found)
    if reported not in [path for path, _ in found]:
        found = [(reported, ())]
    errors, told = [], set()
    for path, takes in found[:_MOST_UNKNOWN]:
        where = path.rpartition(".")[0] or "the body"
        message = "unknown field"
        if takes and where not in told:
            told.add(where)
            message += f" ({where} takes {', '.join(takes)})"
        errors.append({"field": path, "message": message, "source": source, "status": 400})
    return errors


def _collect_unknown(t: Any, value: Any, prefix: str, found: list) -> None:
    for member in _members(t):
        struct, bare = _struct(member), _bare(member)
        origin, args = typing.get_origin(bare), typing.get_args(bare)
        if struct is not None and isinstance(value, dict):
            takes = {f.encode_name: f.type for f in msgspec.structs.fields(struct)}
            for key, item in value.items():
                if key in takes:
                    _collect_unknown(takes[key], item, _join(prefix, key), found)
                elif struct.__struct_config__.forbid_unknown_fields:
                    found.append((_join(prefix, str(key)), tuple(takes)))
            return
        if origin in (list, tuple) and args and isinstance(value, list):
            for n, item in enumerate(value):
                _collect_unknown(args[0], item, f"{prefix}[{n}]", found)
            return
        if origin is dict and len(args) == 2 and isinstance(value, dict):
            for item in value.values():
                _collect_unknown(args[1], item, f"{prefix}[...]", found)
            return
