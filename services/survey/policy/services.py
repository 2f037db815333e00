"""The plaza survey policy: read it (as the API shows it, and as visits, links and campaigns
use it), and replace it."""

from __future__ import annotations

import msgspec

from libs.contracts import utcnow
from libs.runtime import limits
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.survey.policy import domain, store


class CampaignSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a new campaign gets unless its creator says otherwise."""

    sample_size: limits.Count = domain.DEFAULT_SAMPLE_SIZE
    scale: domain.Scale = "five_point"
    dimensions: limits.items(domain.Dimension, limits.DIMENSIONS_MAX) = msgspec.field(
        default_factory=lambda: list(domain.DEFAULT_DIMENSIONS)
    )


class PolicyUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # None: the deployment's VISIT_WINDOW_HOURS.
    window_hours: limits.Count | None = None
    fatigue_days: limits.Count = domain.DEFAULT_FATIGUE_DAYS
    link_ttl_hours: limits.Count = domain.DEFAULT_LINK_TTL_HOURS
    campaign: CampaignSettings = msgspec.field(default_factory=CampaignSettings)


class Policy(msgspec.Struct, kw_only=True):
    plaza_id: str
    window_hours: int
    fatigue_days: int
    link_ttl_hours: int
    campaign: CampaignSettings
    updated_at: str | None = None
    updated_by: str | None = None


async def effective_policy(conn, plaza_id: str, default_window_hours: int) -> Policy:
    """The plaza's policy as stored now (what the API shows, and campaigns and links use)."""
    return _policy(plaza_id, await store.get_policy(conn, plaza_id), default_window_hours)


# A batch of closes needs its plazas' policies, which almost never change: kept a few
# seconds (PlazaCache) rather than read and built by every batch. A PUT forgets the
# plaza's entry here at once; another replica sees it within the cache's lifetime. The
# deployment's default window is part of the key: a plaza on the defaults takes it.
_policies: PlazaCache[Policy] = PlazaCache()


async def effective_policies(conn, plaza_ids: set[str], default_window_hours: int) -> dict[str, Policy]:
    async def load(missing: list[str]) -> dict[str, Policy]:
        rows = await store.get_policies(conn, missing)
        return {plaza_id: _policy(plaza_id, rows.get(plaza_id), default_window_hours) for plaza_id in missing}

    return await _policies.many((*database_key(conn), default_window_hours), plaza_ids, load)


def forget_policy(conn, plaza_id: str, default_window_hours: int) -> None:
    _policies.forget((*database_key(conn), default_window_hours), [plaza_id])


def _policy(plaza_id: str, row, default_window_hours: int) -> Policy:
    if row is None:
        return Policy(plaza_id=plaza_id, window_hours=default_window_hours, fatigue_days=domain.DEFAULT_FATIGUE_DAYS,
                      link_ttl_hours=domain.DEFAULT_LINK_TTL_HOURS, campaign=CampaignSettings())
    return Policy(
        plaza_id=plaza_id, window_hours=row["window_hours"], fatigue_days=row["fatigue_days"],
        link_ttl_hours=row["link_ttl_hours"], campaign=msgspec.convert(row["campaign"], CampaignSettings),
        updated_at=row["updated_at"].isoformat().replace("+00:00", "Z"), updated_by=row["updated_by"],
    )


async def put_policy(tx: Tx, plaza_id: str, body: PolicyUpdate, *, default_window_hours: int, actor: str) -> Policy:
    _check(body)
    await store.put_policy(tx.conn, plaza_id, {
        "window_hours": body.window_hours or default_window_hours,
        "fatigue_days": body.fatigue_days,
        "link_ttl_hours": body.link_ttl_hours,
        "campaign": msgspec.to_builtins(body.campaign),
        "updated_at": utcnow(),
        "updated_by": actor,
    })
    forget_policy(tx.conn, plaza_id, default_window_hours)
    return await effective_policy(tx.conn, plaza_id, default_window_hours)


def _check(body: PolicyUpdate) -> None:
    try:
        domain.check_bounds(window_hours=body.window_hours, fatigue_days=body.fatigue_days,
                            link_ttl_hours=body.link_ttl_hours, sample_size=body.campaign.sample_size)
    except domain.PolicyRefused as exc:
        raise InvalidInput(exc.reason, field=exc.field) from exc
    try:
        domain.check_dimensions(body.campaign.dimensions)
    except domain.PolicyRefused as exc:
        raise InvalidInput(exc.reason, field=f"campaign.{exc.field}") from exc
