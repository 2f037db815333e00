"""SLA use cases: each plaza's policy (its business calendar and the allowances per class
of work), read for a batch of work orders and replaced by the manager; and the service's
clock, against which deadlines are set and judged."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import utcnow
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.dispatch import facts
from services.dispatch.sla import domain, store


def now() -> dt.datetime:
    """Read at every call, so tests swap it (monkeypatch) to move time past a deadline
    instead of waiting; every capability of dispatch reads the time here."""
    return utcnow()


class SlaPolicyShown(domain.SlaPolicy, frozen=True, kw_only=True):
    # True while the plaza has no policy of its own and the defaults apply.
    defaults: bool = False


async def policy_of(conn, plaza_id: str) -> domain.SlaPolicy:
    return (await policies_of(conn, [plaza_id]))[plaza_id]


_policies: PlazaCache[domain.SlaPolicy] = PlazaCache()


async def policies_of(conn, plaza_ids) -> dict[str, domain.SlaPolicy]:
    """Each plaza's policy, or the defaults while it has none; kept a few seconds
    (PlazaCache), else one query for a batch."""
    async def load(missing: list[str]) -> dict[str, domain.SlaPolicy]:
        stored = await store.policies_of(conn, missing)
        return {
            p: msgspec.convert(stored[p], domain.SlaPolicy) if stored.get(p) else domain.DEFAULT_POLICY
            for p in missing
        }

    return await _policies.many(database_key(conn), plaza_ids, load)


def forget_policy(conn, plaza_id: str) -> None:
    _policies.forget(database_key(conn), [plaza_id])


async def show_policy(conn, plaza_id: str) -> SlaPolicyShown:
    stored = await store.get_policy(conn, plaza_id)
    policy = msgspec.convert(stored, domain.SlaPolicy) if stored else domain.DEFAULT_POLICY
    return SlaPolicyShown(**msgspec.structs.asdict(policy), defaults=stored is None)


async def replace_policy(tx: Tx, plaza_id: str, body: domain.SlaPolicy, actor: str) -> SlaPolicyShown:
    """Classes left out keep their defaults. Deadlines already given do not move. Returns
    the policy as stored."""
    await facts.require_plaza(tx.conn, plaza_id)
    policy = msgspec.structs.replace(body, targets={**domain.DEFAULT_TARGETS, **body.targets})
    try:
        domain.check_policy(policy)
    except domain.PolicyRefused as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    await store.put_policy(tx.conn, plaza_id, msgspec.to_builtins(policy), now(), actor)
    forget_policy(tx.conn, plaza_id)
    return SlaPolicyShown(**msgspec.structs.asdict(policy), defaults=False)
