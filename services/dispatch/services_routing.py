"""Use cases that keep dispatch's own copy of archive's facts and the plaza's routing table."""

from __future__ import annotations


import msgspec

from libs.contracts import validate_token
from libs.contracts.subjects import InvalidToken
from libs.runtime import limits, replica
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.dispatch import domain, store


class RoutingRuleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    keyword: limits.line(limits.KEYWORD_MAX, min_length=1)
    department: limits.Name


class RoutingRulesUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rules: limits.items(RoutingRuleIn, limits.RULES_MAX)


# --- archive's facts -------------------------------------------------------------------


async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as dispatch's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, store.plazas, store.units, events)


async def require_known_facts(tx: Tx, events: list) -> None:
    """Nothing is done for a plaza or unit archive has not registered (UnknownFact: the
    consumer waits for archive's facts a while, then dead-letters the event)."""
    await replica.require_known(tx.conn, store.plazas, store.units, events)


# --- routing rules ---------------------------------------------------------------------


_rules: PlazaCache[list[domain.RoutingRule]] = PlazaCache()


async def rules_of(conn, plaza_ids) -> dict[str, list[domain.RoutingRule]]:
    """Each plaza's own table, or the defaults while it has none; kept a few seconds
    (PlazaCache), else one query for a batch."""
    async def load(missing: list[str]) -> dict[str, list[domain.RoutingRule]]:
        tables = await store.routing_rules_of(conn, missing)
        return {
            plaza_id: [domain.RoutingRule(keyword=r["keyword"], department=r["department"]) for r in rows] or domain.DEFAULT_RULES
            for plaza_id, rows in tables.items()
        }

    return await _rules.many(database_key(conn), plaza_ids, load)


def forget_rules(conn, plaza_id: str) -> None:
    _rules.forget(database_key(conn), [plaza_id])


async def replace_routing_rules(tx: Tx, plaza_id: str, body: RoutingRulesUpdate) -> None:
    """An empty list puts the plaza back on the default rules."""
    if not await store.plaza_exists(tx.conn, plaza_id):
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")
    for i, rule in enumerate(body.rules):
        try:
            validate_token(rule.department, "department")
        except InvalidToken as exc:
            raise InvalidInput(str(exc), field=f"rules[{i}].department") from exc
    rows = [{"keyword": r.keyword.lower(), "department": r.department} for r in body.rules]
    await store.replace_routing_rules(tx.conn, plaza_id, rows)
    forget_rules(tx.conn, plaza_id)
