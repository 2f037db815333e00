"""Webhooks for department systems that cannot hold a NATS connection (a web app, a
contractor's SaaS): the rules, pure.

A delivery is a POST of the event's JSON, signed the way Stripe and GitHub sign theirs: the
header ``PlazaDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
The receiver recomputes it with the endpoint's secret and refuses a body that was changed or a
timestamp too old (a replay). A 2xx answer delivers it; anything else (or no answer in time)
is tried again on a back-off schedule for a day, then the delivery is marked failed (and can
be redelivered by hand)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from libs.runtime.errors import InvalidInput

SIGNATURE_HEADER = "PlazaDesk-Signature"
# After the first attempt: 10 s, 30 s, 1 min, 5 min, 15 min, 30 min, then every hour.
BACKOFF_S = (10, 30, 60, 300, 900, 1800, 3600)
GIVE_UP_AFTER = dt.timedelta(days=1)
# The department's own work orders' events (every one when an endpoint names no type).
WORK_ORDER_EVENTS = (
    "WorkOrderCreated", "WorkOrderAssigned", "WorkOrderStarted", "WorkOrderResolved", "WorkOrderClosed",
    "WorkOrderReopened", "WorkOrderEscalated", "WorkOrderCancelled", "WorkOrderRerouted",
)
# The plaza's notices going out (a notice, announcement, warm tip, letter …), whichever
# department asks: sent only to an endpoint that names the type, so an endpoint registered
# for "every work-order event" does not start receiving the plaza's notices. A unit's copy
# and its reading (NoticeDelivered, NoticeRead) are the occupants' business, not a department's.
NOTICE_EVENTS = ("NoticePublished",)
# Every event type a department may ask for.
EVENT_TYPES = WORK_ORDER_EVENTS + NOTICE_EVENTS


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def check_url(url: str, *, allow_http: bool) -> str:
    """An https URL with a host (http only where the deployment allows it: a LAN, a test)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("url must be an https:// address with a host", field="url")
    if parts.scheme == "http" and not allow_http:
        raise InvalidInput("url must be https:// (deliveries carry signed business data)", field="url")
    if parts.username or parts.password:
        raise InvalidInput("url must not carry a user or password: the signature authenticates PlazaDesk", field="url")
    return url


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"unknown event types {unknown}; known: {list(EVENT_TYPES)}", field="events")
    return sorted(set(events))


def wants(endpoint: dict, event_type: str, department: str | None) -> bool:
    """The endpoint's department's work orders, of the types it asked for (all when none);
    its plaza's notices when it named them. ``department``: the work order's (none for a
    notice, which is the whole plaza's)."""
    if not endpoint["active"]:
        return False
    if event_type in NOTICE_EVENTS:
        return event_type in endpoint["events"]
    return endpoint["department"] == department and (not endpoint["events"] or event_type in endpoint["events"])


def next_attempt(since: dt.datetime, attempts: int, now: dt.datetime,
                 backoff_s: tuple[float, ...] = BACKOFF_S) -> dt.datetime | None:
    """When to try again after ``attempts`` failed tries of a series begun at ``since``;
    None once that would be more than a day after it (the delivery has failed)."""
    wait = backoff_s[min(attempts - 1, len(backoff_s) - 1)]
    at = now + dt.timedelta(seconds=wait)
    return None if at - since > GIVE_UP_AFTER else at


def delivered(status: int | None) -> bool:
    return status is not None and 200 <= status < 300

