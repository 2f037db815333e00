"""Prometheus metrics shared by the runtime; each service serves them at /metrics."""

from prometheus_client import Counter, Histogram

EVENTS_HANDLED = Counter(
    "plazadesk_events_handled_total",
    "Events taken from the bus, by outcome (applied, duplicate, retried, dead_lettered)",
    ["service", "consumer", "outcome"],
)
OUTBOX_PUBLISHED = Counter(
    "plazadesk_outbox_published_total", "Outbox rows published to JetStream", ["service"]
)
HTTP_REQUESTS = Histogram(
    "plazadesk_http_request_seconds", "HTTP request latency", ["service", "method", "status"]
)
OUTBOX_SET_ASIDE = Counter(
    "plazadesk_outbox_set_aside_total",
    "Outbox rows the broker refused for good (e.g. over its max_payload), moved to failed_events",
    ["service"],
)
