"""A plaza's public areas: the places a request may be about when it is about no unit (the
car park, an entrance, a corridor). Ids are short codes a clerk and a console can send;
names are what people read. No I/O."""

from __future__ import annotations

import msgspec

from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime import limits
from libs.runtime.errors import InvalidInput

AREAS_MAX = 500


class PublicArea(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: limits.Code
    name: limits.Name


class PublicAreas(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    items: limits.items(PublicArea, AREAS_MAX)

    def ids(self) -> frozenset[str]:
        return frozenset(area.id for area in self.items)


# Most plazas have these; a plaza replaces the list with its own (地下停车场B2, 3F 东侧走廊…).
DEFAULT_AREAS = PublicAreas(items=[
    PublicArea(id="car-park", name="停车场 / car park"),
    PublicArea(id="east-entrance", name="东门 / east entrance"),
    PublicArea(id="west-entrance", name="西门 / west entrance"),
    PublicArea(id="corridors", name="公共走廊 / corridors"),
    PublicArea(id="toilets", name="公共卫生间 / public toilets"),
    PublicArea(id="escalators", name="扶梯 / escalators"),
])


def check_areas(areas: PublicAreas) -> PublicAreas:
    """Ids as plain tokens (they are filtered on and may name a subject downstream), each
    once, each with a name."""
    seen: set[str] = set()
    for i, area in enumerate(areas.items):
        try:
            validate_token(area.id, "area id")
        except InvalidToken as exc:
            raise InvalidInput(str(exc), field=f"items[{i}].id") from exc
        if area.id in seen:
            raise InvalidInput(f"area id {area.id!r} is listed twice", field=f"items[{i}].id")
        if not area.name.strip():
            raise InvalidInput("an area needs a name people can read", field=f"items[{i}].name")
        seen.add(area.id)
    return areas
