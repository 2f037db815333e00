"""Notices (通知/公告), letters (信函) and warm tips (温馨提示): the desk writes one from a
template, a second person approves it, and it goes out to its audience: one copy per unit
(NoticeDelivered: the unit's page and timeline), messages by the channels it names, and a
signed read link per recipient so the desk sees who has not read it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import (
    DunningReminderIssued,
    NoticeDelivered,
    NoticePublished,
    NoticeRead,
    PublicShareDisclosed,
)
from libs.contracts.events import plaza_zone
from libs.runtime import limits, pdf
from libs.runtime.errors import Conflict, DomainError, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.notices import facts
from services.notices.audiences import domain as audiences
from services.notices.audiences import services as audience_units
from services.notices.delivery import domain as delivery
from services.notices.delivery import store as messages_store
from services.notices.notices import domain, store


class NoticeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: domain.Kind = "notice"
    title: limits.Name
    body: limits.Text
    values: dict[str, limits.Name] = {}
    audience: audiences.Audience = msgspec.field(default_factory=audiences.Audience)
    channels: list[str] = []
    urgent: bool = False


class NoticeUpdate(NoticeCreate, kw_only=True, forbid_unknown_fields=True):
    pass


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note | None = None


class Approvals(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Several notices waiting for approval, approved at once (a lead clearing the day's
    dunning letters): each is approved on its own, as if one by one."""
    notice_ids: Annotated[list[limits.Code], msgspec.Meta(min_length=1, max_length=200)]


class Refusal(msgspec.Struct, kw_only=True):
    notice_id: str
    status: int
    detail: str
    field: str | None = None


class ApprovalsView(msgspec.Struct, kw_only=True):
    approved: list[str]
    refused: list[Refusal]


class NoticeView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    kind: str
    title: str
    body: str
    values: dict[str, str]
    audience: dict
    audience_text: str
    channels: list[str]
    urgent: bool
    status: str
    created_at: str
    created_by: str | None
    submitted_at: str | None
    decided_at: str | None
    decided_by: str | None
    reason: str | None
    published_at: str | None
    recipients: int
    read: int
    has_table: bool = False  # a table comes with it (attachment.xlsx, attachment.pdf)


class RecipientView(msgspec.Struct, kw_only=True):
    unit: str
    occupant_name: str | None
    delivered_at: str
    read_at: str | None
    read_via: str | None
    link: str  # the signed token
    url: str = ""  # where the occupant opens it (the console's phone page)


class AudienceUnitView(msgspec.Struct, kw_only=True):
    unit: str
    occupant_name: str | None
    building: str | None
    floor: str | None


class UnitNoticeView(msgspec.Struct, kw_only=True):
    notice_id: str
    kind: str
    urgent: bool
    title: str
    body: str
    delivered_at: str
    read_at: str | None


def _refused(exc: domain.NoticeRefused | audiences.AudienceRefused):
    return (Conflict if getattr(exc, "conflict", False) else InvalidInput)(exc.reason, field=exc.field)


def _view(row, read: int = 0) -> NoticeView:
    audience = msgspec.convert(row["audience"], audiences.Audience)
    return NoticeView(
        id=row["id"], plaza_id=row["plaza_id"], kind=row["kind"], title=row["title"], body=row["body"],
        values=row["values"], audience=row["audience"], audience_text=audiences.describe(audience),
        channels=row["channels"], urgent=row["urgent"], status=row["status"], created_at=iso(row["created_at"]),
        created_by=row["created_by"], submitted_at=iso(row["submitted_at"]), decided_at=iso(row["decided_at"]),
        decided_by=row["decided_by"], reason=row["reason"], published_at=iso(row["published_at"]),
        recipients=row["recipients"], read=read, has_table=bool(row["attachment"]),
    )


def _checked(body: NoticeCreate) -> dict:
    try:
        audiences.check(body.audience)
        for channel in body.channels:
            if channel not in domain.CHANNELS:
                raise domain.NoticeRefused(f"channel {channel!r} is not one of {', '.join(domain.CHANNELS)}",
                                           "channels")
        domain.check_template(body.kind, body.title, body.body, body.values, body.audience.units)
    except (domain.NoticeRefused, audiences.AudienceRefused) as exc:
        raise _refused(exc) from exc
    return {"kind": body.kind, "title": body.title, "body": body.body, "values": dict(body.values),
            "audience": msgspec.to_builtins(body.audience), "channels": sorted(set(body.channels)),
            "urgent": body.urgent}


async def create_notice(tx: Tx, plaza_id: str, body: NoticeCreate, *, actor: str, source: str | None = None,
                        correlation_id: str | None = None) -> NoticeView:
    """A draft, written by ``actor``; with ``source`` (another service's request), once."""
    notice_id = new_event_id()
    row = {"id": notice_id, "plaza_id": plaza_id, **_checked(body), "status": "draft", "created_at": utcnow(),
           "created_by": actor, "recipients": 0, "correlation_id": correlation_id or notice_id, "source": source}
    if not await store.add_notice(tx.conn, row):
        return _view(await store.notice_of_source(tx.conn, plaza_id, source))
    return await show_notice(tx.conn, plaza_id, notice_id)


async def update_notice(tx: Tx, plaza_id: str, notice_id: str, body: NoticeUpdate) -> NoticeView:
    row = await _notice(tx.conn, plaza_id, notice_id)
    try:
        domain.editable(row["status"])
    except domain.NoticeRefused as exc:
        raise _refused(exc) from exc
    if not await store.update_notice(tx.conn, plaza_id, notice_id, ("draft", "rejected"),
                                     {**_checked(body), "status": "draft"}):
        raise Conflict("the notice changed meanwhile; read it again", field="status")
    return await show_notice(tx.conn, plaza_id, notice_id)


async def submit_notice(tx: Tx, plaza_id: str, notice_id: str) -> NoticeView:
    """Sent to a supervisor for approval (the writer cannot approve it)."""
    row = await _notice(tx.conn, plaza_id, notice_id)
    try:
        status = domain.submit(row["status"])
    except domain.NoticeRefused as exc:
        raise _refused(exc) from exc
    values = {"status": status, "submitted_at": utcnow(), "decided_at": None, "decided_by": None, "reason": None}
    if not await store.update_notice(tx.conn, plaza_id, notice_id, (row["status"],), values):
        raise Conflict("the notice changed meanwhile; read it again", field="status")
    return await show_notice(tx.conn, plaza_id, notice_id)


async def reject_notice(tx: Tx, plaza_id: str, notice_id: str, body: Decision, *, actor: str) -> NoticeView:
    row = await _notice(tx.conn, plaza_id, notice_id)
    status = domain.decide(row["status"], row["created_by"], actor, approve=False)
    values = {"status": status, "decided_at": utcnow(), "decided_by": actor, "reason": body.reason}
    if not await store.update_notice(tx.conn, plaza_id, notice_id, ("pending",), values):
        raise Conflict("the notice changed meanwhile; read it again", field="status")
    return await show_notice(tx.conn, plaza_id, notice_id)


async def approve_notice(tx: Tx, plaza_id: str, notice_id: str, *, actor: str, secret: str,
                         now: dt.datetime | None = None, console_url: str = "") -> NoticeView:
    """Approved by a second person and published at once: each unit of the audience (as the
    facts stand now) gets its own copy, its messages queued, and NoticeDelivered."""
    row = await _notice(tx.conn, plaza_id, notice_id)
    domain.decide(row["status"], row["created_by"], actor, approve=True)
    now = now or utcnow()
    audience = msgspec.convert(row["audience"], audiences.Audience)
    units = await audience_units.select_units(tx.conn, plaza_id, audience, now)
    if row["kind"] == "dunning":
        held = sorted({u["unit"] for u in units} & await facts.held_units(tx.conn, plaza_id))
        if held:
            raise Conflict(f"unit {held[0]!r} has a complaint open: dunning waits until it is closed", field="unit")
    if not units:
        raise InvalidInput(f"no unit is in this notice's audience ({audiences.describe(audience)}) now; "
                           "change the audience or reject it", field="audience")
    values = {"status": "published", "decided_at": now, "decided_by": actor, "published_at": now,
              "recipients": len(units)}
    if not await store.update_notice(tx.conn, plaza_id, notice_id, ("pending",), values):
        raise Conflict("the notice changed meanwhile; read it again", field="status")
    await _deliver(tx, {**row, **values}, units, now=now, secret=secret, actor=actor, console_url=console_url)
    return await show_notice(tx.conn, plaza_id, notice_id)


async def _deliver(tx: Tx, notice: dict, units: list[dict], *, now: dt.datetime, secret: str, actor: str,
                   console_url: str = "") -> None:
    plaza_id, notice_id = notice["plaza_id"], notice["id"]
    published = NoticePublished(
        plaza_id=plaza_id, correlation_id=notice["correlation_id"], actor=actor, notice_id=notice_id,
        kind=notice["kind"], title=notice["title"], urgent=notice["urgent"], recipients=len(units), approver=actor)
    copies, messages, delivered = [], [], []
    for unit in units:
        title = domain.fill(notice["title"], unit, notice["values"])
        text = domain.fill(notice["body"], unit, notice["values"])
        copies.append({"plaza_id": plaza_id, "notice_id": notice_id, "unit": unit["unit"],
                       "occupant_name": unit["occupant_name"], "title": title, "body": text, "delivered_at": now})
        token = delivery.sign(secret, delivery.ReadClaims(plaza_id, notice_id, unit["unit"])) if secret else ""
        link = delivery.link_url(console_url, plaza_id, token) if console_url else token
        for channel in notice["channels"]:
            address = unit["occupant_phone"] if channel in ("sms", "wechat") else None
            messages.append({
                "id": new_event_id(), "plaza_id": plaza_id, "notice_id": notice_id, "unit": unit["unit"],
                "channel": channel, "address": address, "text": f"{title}: {domain.summary(text)} [{link}]",
                "status": "pending" if address else "failed", "attempts": 0, "next_attempt_at": now,
                "error": None if address else f"the unit has no {channel} address"})
        delivered.append(NoticeDelivered(
            plaza_id=plaza_id, correlation_id=notice["correlation_id"], causation_id=published.id, actor=actor,
            occurred_at=now, unit=unit["unit"], notice_id=notice_id, kind=notice["kind"], title=title,
            urgent=notice["urgent"], channels=notice["channels"]))
    await store.add_recipients(tx.conn, copies)
    await messages_store.add_messages(tx.conn, messages)
    await tx.emit(published, *delivered)


async def audience_now(conn: AsyncConnection, plaza_id: str, notice_id: str,
                       now: dt.datetime | None = None) -> list[AudienceUnitView]:
    """The units the notice would reach if approved now (for the approver to look at)."""
    row = await _notice(conn, plaza_id, notice_id)
    audience = msgspec.convert(row["audience"], audiences.Audience)
    return [AudienceUnitView(unit=u["unit"], occupant_name=u["occupant_name"], building=u["building"], floor=u["floor"])
            for u in await audience_units.select_units(conn, plaza_id, audience, now or utcnow())]


async def disclose_public_share(tx: Tx, event: PublicShareDisclosed) -> NoticeView:
    """The financial disclosure (财务公开) of a period's public-share costs: a notice to the
    whole plaza carrying the table, written in the name of whoever ran the charge and
    waiting for a lead's approval (four eyes) like any notice. Once per period."""
    draft = NoticeCreate(kind="disclosure", title=domain.disclosure_title(event.period),
                         body=domain.disclosure_body(event), values={"period": event.period}, urgent=False)
    view = await create_notice(tx, event.plaza_id, draft, actor=event.actor, source=f"public-share:{event.period}",
                               correlation_id=event.correlation_id)
    if view.status == "draft":
        await store.update_notice(tx.conn, event.plaza_id, view.id, ("draft",), {
            "status": "pending", "submitted_at": utcnow(), "attachment": domain.disclosure_table(event)})
    return await show_notice(tx.conn, event.plaza_id, view.id)


async def dunning_letter(tx: Tx, event: DunningReminderIssued) -> NoticeView:
    """Billing's dunning reminder as a letter (and SMS) to its unit, awaiting a lead's
    approval; once per reminder (its entry and stage)."""
    draft = NoticeCreate(kind="dunning", title=domain.DUNNING_TITLE, body=domain.DUNNING_BODY,
                         values=domain.dunning_values(event), audience=audiences.Audience(units=[event.unit]),
                         channels=list(domain.DUNNING_CHANNELS))
    view = await create_notice(tx, event.plaza_id, draft, actor=event.actor,
                               source=f"dunning:{event.entry_id}:{event.stage}", correlation_id=event.correlation_id)
    if view.status == "draft":
        await store.update_notice(tx.conn, event.plaza_id, view.id, ("draft",), {"status": "pending",
                                                                                "submitted_at": utcnow()})
    return await show_notice(tx.conn, event.plaza_id, view.id)


async def attachment_of(conn: AsyncConnection, plaza_id: str, notice_id: str) -> tuple[dict, dict]:
    """The notice and the table it carries (NotFound when it carries none)."""
    row = await _notice(conn, plaza_id, notice_id)
    if not row["attachment"]:
        raise NotFound(f"notice {notice_id!r} carries no table", field="notice_id")
    return row, row["attachment"]


async def show_notice(conn: AsyncConnection, plaza_id: str, notice_id: str) -> NoticeView:
    row = await _notice(conn, plaza_id, notice_id)
    _, read = await store.read_counts(conn, plaza_id, notice_id)
    return _view(row, read)


async def list_notices(conn: AsyncConnection, plaza_id: str, *, status: str | None, kind: str | None,
                       after: str | None, limit: int) -> list[NoticeView]:
    rows = await store.list_notices(conn, plaza_id, status=status, kind=kind, after=after, limit=limit)
    read = await store.read_counts_of(conn, plaza_id, [r["id"] for r in rows])
    return [_view(r, read.get(r["id"], 0)) for r in rows]


async def recipients(conn: AsyncConnection, plaza_id: str, notice_id: str, *, read: bool | None,
                     secret: str, console_url: str = "") -> list[RecipientView]:
    await _notice(conn, plaza_id, notice_id)
    out = []
    for r in await store.list_recipients(conn, plaza_id, notice_id, read=read):
        token = delivery.sign(secret, delivery.ReadClaims(plaza_id, notice_id, r["unit"]))
        out.append(RecipientView(
            unit=r["unit"], occupant_name=r["occupant_name"], delivered_at=iso(r["delivered_at"]),
            read_at=iso(r["read_at"]), read_via=r["read_via"], link=token,
            url=delivery.link_url(console_url, plaza_id, token) if console_url else ""))
    return out


async def unit_notices(conn: AsyncConnection, plaza_id: str, unit: str, limit: int = 100) -> list[UnitNoticeView]:
    return [UnitNoticeView(notice_id=r["notice_id"], kind=r["kind"], urgent=r["urgent"], title=r["title"],
                           body=r["body"], delivered_at=iso(r["delivered_at"]), read_at=iso(r["read_at"]))
            for r in await store.unit_notices(conn, plaza_id, unit, limit)]


async def read_notice(tx: Tx, plaza_id: str, notice_id: str, unit: str, *, via: str, actor: str) -> UnitNoticeView:
    """The unit's copy, marked read the first time (NoticeRead then, once)."""
    copy = await store.get_recipient(tx.conn, plaza_id, notice_id, unit)
    if copy is None:
        raise NotFound(f"notice {notice_id!r} was not sent to unit {unit!r}", field="notice_id")
    notice = await _notice(tx.conn, plaza_id, notice_id)
    now = utcnow()
    if await store.mark_read(tx.conn, plaza_id, notice_id, unit, now, via):
        await tx.emit(NoticeRead(plaza_id=plaza_id, correlation_id=notice["correlation_id"], actor=actor,
                                 occurred_at=now, unit=unit, notice_id=notice_id, via=via))
        copy = {**copy, "read_at": now}
    return UnitNoticeView(notice_id=notice_id, kind=notice["kind"], urgent=notice["urgent"], title=copy["title"],
                          body=copy["body"], delivered_at=iso(copy["delivered_at"]), read_at=iso(copy["read_at"]))


async def letter_pdf(conn: AsyncConnection, plaza_id: str, notice_id: str, unit: str) -> bytes:
    """The unit's copy as a printable letter (信函): addressed to its occupant, signed by
    the plaza's customer-service centre, dated the day it was sent (the plaza's day)."""
    copy = await store.get_recipient(conn, plaza_id, notice_id, unit)
    if copy is None:
        raise NotFound(f"notice {notice_id!r} was not sent to unit {unit!r}", field="notice_id")
    plaza = await store.plaza(conn, plaza_id)
    zone = plaza_zone(plaza["timezone"] if plaza else None)
    notice = await _notice(conn, plaza_id, notice_id)
    blocks = domain.letter_blocks(copy, plaza_name=plaza["name"] if plaza else plaza_id,
                                  sent_on=copy["delivered_at"].astimezone(zone).date(), attachment=notice["attachment"])
    return await asyncio.to_thread(pdf.render, copy["title"], blocks)


async def read_by_link(tx: Tx, plaza_id: str, token: str, *, secret: str) -> UnitNoticeView:
    try:
        claims = delivery.verify(secret, token)
    except delivery.LinkRefused as exc:
        raise LinkRefused(str(exc), field="token") from exc
    if claims.plaza_id != plaza_id:
        raise LinkRefused("this notice link is not valid", field="token")
    return await read_notice(tx, plaza_id, claims.notice_id, claims.unit, via="link", actor=f"occupant:{claims.unit}")


async def _notice(conn: AsyncConnection, plaza_id: str, notice_id: str):
    row = await store.get_notice(conn, plaza_id, notice_id)
    if row is None:
        raise NotFound(f"notice {notice_id!r} not found", field="notice_id")
    return row


class LinkRefused(DomainError):
    """A read link this deployment did not sign (or altered since): 403."""

    status = 403
    title = "Forbidden"
