"""Prometheus metrics shared by the runtime; each service serves them at /metrics.

Three kinds:
- counted as things happen: events handled per consumer and outcome, batch sizes and times,
  HTTP latency per route, outbox rows published or set aside, and the business counters read
  off the events a service publishes (``count_published``): requests by kind, money in fen,
  escalations per plaza;
- read at each scrape (``libs.runtime.gauges``): what is waiting — each consumer's pending and
  redelivered messages, the outbox backlog and the age of its oldest row, events set aside,
  dead letters per consumer — so a graph shows the backlog now, not what was counted;
- a service's own gauges registered on its Runtime (dispatch's work orders by status).
"""

from __future__ import annotations

import msgspec
from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter(
    "plazadesk_events_handled_total",
    "Events taken from the bus, by outcome (applied, duplicate, retried, dead_lettered)",
    ["service", "consumer", "outcome"],
)
BATCH_SIZE = Histogram(
    "plazadesk_consumer_batch_size", "Messages per batch a consumer applied", ["service", "consumer"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
BATCH_SECONDS = Histogram(
    "plazadesk_consumer_batch_seconds", "Time to apply one batch (decode, transaction, acks)",
    ["service", "consumer"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter(
    "plazadesk_outbox_published_total", "Outbox rows published to JetStream", ["service"]
)
HTTP_REQUESTS = Histogram(
    "plazadesk_http_request_seconds", "HTTP request latency per route (its path template) and status",
    ["service", "method", "route", "status"],
)
OUTBOX_SET_ASIDE = Counter(
    "plazadesk_outbox_set_aside_total",
    "Outbox rows the broker refused for good (e.g. over its max_payload), moved to failed_events",
    ["service"],
)

# Read at each scrape (libs.runtime.gauges).
CONSUMER_PENDING = Gauge(
    "plazadesk_consumer_pending", "Messages on the stream the consumer has not been given yet",
    ["service", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "plazadesk_consumer_ack_pending", "Messages given to the consumer and not yet acknowledged",
    ["service", "consumer"],
)
CONSUMER_REDELIVERED = Gauge(
    "plazadesk_consumer_redelivered", "Messages being delivered again (not acknowledged in time or nacked)",
    ["service", "consumer"],
)
OUTBOX_BACKLOG = Gauge("plazadesk_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "plazadesk_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row (0 when none)", ["service"]
)
SET_ASIDE_EVENTS = Gauge(
    "plazadesk_set_aside_events", "Events the relay set aside (failed_events) and nobody has replayed or discarded",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "plazadesk_dead_letters", "Messages on the dead-letter stream from this consumer", ["service", "consumer"]
)
SCRAPE_ERRORS = Counter(
    "plazadesk_scrape_errors_total", "Gauges that could not be read at a scrape (the source did not answer)",
    ["service", "source"],
)

# The business, read off the events a service published (so counted once per event, by the
# service that owns the fact, whatever its replicas).
EVENTS_PUBLISHED = Counter(
    "plazadesk_events_published_total", "Events published, by plaza and type", ["service", "plaza", "type"]
)
REQUESTS = Counter("plazadesk_requests_total", "Requests received, by plaza and kind", ["plaza", "kind"])
MONEY_FEN = Counter(
    "plazadesk_money_fen_total", "Money posted to accounts, in fen (charges, payments, refunds, …)", ["plaza", "type"]
)
ESCALATIONS = Counter(
    "plazadesk_escalations_total", "Work orders escalated (SLA breach or a major complaint), by plaza and level",
    ["plaza", "level"],
)

# Money that moved (a correction's sign varies: it is counted among the events only).
_MONEY = {"ChargePosted", "PaymentReceived", "RefundIssued", "DepositHeld", "DepositRefunded"}


class _Seen(msgspec.Struct):
    """What the business counters read of an event: a few fields, nothing else decoded."""

    type: str
    plaza_id: str = ""
    kind: str | None = None
    amount_fen: int | None = None
    level: str | None = None


_seen = msgspec.json.Decoder(_Seen)


def count_published(service: str, payloads) -> None:
    """The business counters of the events just published (each published once: the relay
    calls this after JetStream acknowledged them)."""
    for payload in payloads:
        try:
            seen = _seen.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
        EVENTS_PUBLISHED.labels(service, seen.plaza_id, seen.type).inc()
        if seen.type == "RequestReceived" and seen.kind:
            REQUESTS.labels(seen.plaza_id, seen.kind).inc()
        elif seen.type == "WorkOrderEscalated":
            ESCALATIONS.labels(seen.plaza_id, seen.level or "").inc()
        elif seen.type in _MONEY and seen.amount_fen is not None and seen.amount_fen >= 0:
            MONEY_FEN.labels(seen.plaza_id, seen.type).inc(seen.amount_fen)
