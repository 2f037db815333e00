"""Post records (岗位记录): what a person did on a day, from the events of the services
they worked in, and their handover notes; the supervisor signs a day off. Pure, no I/O."""

from __future__ import annotations

import datetime as dt

from libs.runtime import foureyes

# Actors that are no person of the desk: the services themselves and occupants' links.
NOT_A_PERSON = ("system",)


def is_person(actor: str | None) -> bool:
    return bool(actor) and actor not in NOT_A_PERSON and not actor.startswith("occupant:")


def activity(event) -> tuple[str, str, str, str | None] | None:
    """(who, kind, ref, what) an event records a person doing, or None: a request logged
    (intake, the clerk who took it), a return visit made (survey), a dunning reminder
    (billing), a complaint's work order handled (dispatch)."""
    name = type(event).__name__
    if name == "RequestReceived":
        who = event.received_by or event.actor
        return (who, "request", event.request_id, event.channel) if is_person(who) else None
    if not is_person(event.actor):
        return None
    if name == "VisitCompleted":
        return event.actor, "visit", event.visit_id, event.rating
    if name in ("DunningReminderIssued",):
        return event.actor, "dunning", event.task_id, event.stage
    if getattr(event, "work_order_id", None) and getattr(event, "kind", None) == "complaint":
        return event.actor, "complaint", event.work_order_id, name
    return None


def check_day(day: str) -> dt.date:
    try:
        return dt.date.fromisoformat(day)
    except (TypeError, ValueError):
        from services.staff.posts.domain import Refused
        raise Refused("day must be YYYY-MM-DD", field="day") from None


def reviewer(clerk: str, supervisor: str) -> str:
    """Nobody signs off their own day."""
    return foureyes.second_person(clerk, supervisor, f"{clerk}'s post record")
