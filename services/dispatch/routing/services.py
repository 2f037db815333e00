"""Routing use cases: each plaza's routing table, read for a batch of requests and replaced
by the manager."""

from __future__ import annotations

import msgspec

from libs.contracts import validate_token
from libs.contracts.subjects import InvalidToken
from libs.runtime import limits
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.dispatch import facts
from services.dispatch.routing import domain, store


class RoutingRuleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    keyword: limits.line(limits.KEYWORD_MAX, min_length=1)
    department: limits.Name


class RoutingRulesUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rules: limits.items(RoutingRuleIn, limits.RULES_MAX)


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


async def show_routing_rules(conn, plaza_id: str) -> list[dict]:
    """The plaza's own table in order; empty while the default rules apply."""
    return await store.get_routing_rules(conn, plaza_id)


async def replace_routing_rules(tx: Tx, plaza_id: str, body: RoutingRulesUpdate) -> list[dict]:
    """An empty list puts the plaza back on the default rules. Returns the table as stored."""
    await facts.require_plaza(tx.conn, plaza_id)
    for i, rule in enumerate(body.rules):
        try:
            validate_token(rule.department, "department")
        except InvalidToken as exc:
            raise InvalidInput(str(exc), field=f"rules[{i}].department") from exc
    rows = [{"keyword": r.keyword.lower(), "department": r.department} for r in body.rules]
    await store.replace_routing_rules(tx.conn, plaza_id, rows)
    forget_rules(tx.conn, plaza_id)
    return [{"position": i, **row} for i, row in enumerate(rows, start=1)]
