"""Value objects and literal types shared by several streams' events."""

from __future__ import annotations

from typing import Literal

import msgspec

Channel = Literal["phone", "visit", "letter", "online", "internal"]
Kind = Literal["service", "complaint", "suggestion", "praise"]
Use = Literal["shop", "office", "residence"]
OccupantKind = Literal["merchant", "resident"]
Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
PaymentMethod = Literal["cash", "card", "transfer", "wechat", "alipay"]


class Occupant(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: OccupantKind
    phone: str | None = None


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    phone: str | None = None


class Material(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    quantity: int
    unit_price_fen: int


class ChargeLine(msgspec.Struct, frozen=True, kw_only=True):
    """One billable line of a work order; ``line_id`` is stable across reopenings."""

    line_id: str
    kind: Literal["labour", "material"]
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
