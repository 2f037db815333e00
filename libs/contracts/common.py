"""Value objects and literal types shared by several streams' events."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Channel = Literal["phone", "visit", "letter", "online", "internal"]
Kind = Literal["service", "complaint", "suggestion", "praise"]
Use = Literal["shop", "office", "residence"]
OccupantKind = Literal["merchant", "resident"]
Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
PaymentMethod = Literal["cash", "card", "transfer", "wechat", "alipay"]

# Money moved or asked for, quantities and counts are never negative on an event. The
# bound is part of the type, so every consumer's decoder refuses such an event in the same
# way (dead-lettered with the field named) before anything of it is applied. The JSON type
# stays an integer: events that were valid decode as before. A balance (which may be
# negative) is a plain int.
Fen = Annotated[int, msgspec.Meta(ge=0)]
Quantity = Annotated[int, msgspec.Meta(ge=0)]
Area = Annotated[float, msgspec.Meta(ge=0)]


class Occupant(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: OccupantKind
    phone: str | None = None


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    phone: str | None = None


class Material(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    quantity: Quantity
    unit_price_fen: Fen


class CatalogueOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An item of the plaza's service catalogue (多种经营有偿服务) a request orders: its code
    in billing's price list and how many (per-unit items: hours, square metres, pieces)."""

    code: str
    quantity: Quantity = 1


class ChargeLine(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One billable line of a work order; ``line_id`` is stable across reopenings."""

    line_id: str
    kind: Literal["labour", "material"]
    description: str
    quantity: Quantity
    unit_price_fen: Fen
    amount_fen: Fen
    # Added in v1 (compatible: default; left out when None, so a line reads as before). A
    # catalogue service the request ordered: billing prices it from its own price list (a
    # quoted item: ``amount_fen`` is the quote). Its ``kind`` is labour, so a consumer that
    # knows only labour and material still decodes it.
    catalogue_item: str | None = None
