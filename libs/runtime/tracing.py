"""Traces with OpenTelemetry: one trace per case, from the request that opened it to the last
charge, visit and timeline entry it caused. Off unless ``OTLP_ENDPOINT`` is set (the spans
are then sent by OTLP over HTTP to that collector: Jaeger, Tempo, an OpenTelemetry Collector).

How a case stays one trace across services and the bus:
- intake's request id is its trace id (both 128 bits; the trace ids are generated as UUIDv7,
  time-ordered like every other id): the HTTP request that opens a case is the trace's root,
  and every event of the case carries that id as its ``correlation_id``;
- the W3C trace context travels in a ``traceparent`` header on each NATS message (kept in the
  outbox row beside the event, so the relay sends the context of the span that wrote it);
- a consumer applies each event in a span of the case's trace (trace id = the event's
  correlation id): a child of the span that published it when that span is of the same case,
  else linked to it — a clerk's later action (closing the work order) is an HTTP request of its
  own, and the charge and the visit it causes are still found in the case's trace, linked to
  the close;
- log lines keep the correlation id, which is the trace id in hex without dashes.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import uuid
from collections.abc import Iterator

import uuid_utils
from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

enabled = False
_propagator = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("plazadesk")
# While a consumer applies a batch: the span of each event being applied, by event id, so the
# events it emits carry the context of the one that caused them.
_applying: contextvars.ContextVar[dict[str, SpanContext] | None] = contextvars.ContextVar("applying", default=None)


def setup(service: str, endpoint: str) -> None:
    """Once per process: spans of ``service`` exported to ``endpoint`` (OTLP/HTTP)."""
    global enabled
    if not endpoint or enabled:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"plazadesk-{service}"}),
                              id_generator=id_generator())
    url = endpoint.rstrip("/") + ("" if endpoint.rstrip("/").endswith("/v1/traces") else "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url), schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    use(provider)


def use(provider) -> None:
    """Spans go to ``provider`` (``setup``, or a test's own with an in-memory exporter)."""
    global enabled, _tracer
    _tracer = provider.get_tracer("plazadesk")
    enabled = True


def id_generator():
    """PlazaDesk's ids for a TracerProvider (``setup``'s, or a test's own)."""
    from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator

    class UuidV7Ids(IdGenerator):
        """Trace ids that are UUIDv7 (so intake's request id can be its trace id and stay
        time-ordered). A trace's root span gets the span id derived from its trace id (the one
        a consumer names as the case's root, ``_case_parent``); other span ids are random, as
        OpenTelemetry's own. (The SDK asks for a root's trace id, then for its span id.)"""

        def __init__(self) -> None:
            self._random = RandomIdGenerator()
            self._root: int | None = None

        def generate_span_id(self) -> int:
            root, self._root = self._root, None
            return _span_id(str(uuid.UUID(int=root))) if root is not None else self._random.generate_span_id()

        def generate_trace_id(self) -> int:
            self._root = uuid_utils.uuid7().int
            return self._root

        def is_trace_id_random(self) -> bool:
            return False  # a UUIDv7 begins with the time

    return UuidV7Ids()


# ------------------------------------------------------------------ HTTP
_UNTRACED = frozenset({"/health", "/ready", "/metrics"})  # the probes and the scrapes: noise


@contextlib.contextmanager
def server_span(method: str, route: str, headers: dict[bytes, bytes], plaza: str | None) -> Iterator:
    """The span of one HTTP request: a child of the caller's (``traceparent``) or a root."""
    if not enabled or route in _UNTRACED:
        yield None
        return
    carrier = {"traceparent": headers.get(b"traceparent", b"").decode()} if b"traceparent" in headers else {}
    ctx = _propagator.extract(carrier) if carrier else None
    with _tracer.start_as_current_span(f"{method} {route}", context=ctx, kind=SpanKind.SERVER, attributes={
        "http.request.method": method, "http.route": route, **({"plazadesk.plaza": plaza} if plaza else {}),
    }) as span:
        yield span


def case_id() -> str | None:
    """The trace id of the HTTP request being served, as a UUID, when that request began its
    trace here (no caller's context): intake takes it as the new request's id, so the case's
    trace and its correlation id are one. None when tracing is off, when the trace is a
    caller's, or when this request already opened a case (one id, one request)."""
    if not enabled:
        return None
    span = trace.get_current_span()
    ctx = span.get_span_context()
    attributes = getattr(span, "attributes", None) or {}
    if not ctx.is_valid or getattr(span, "parent", None) is not None or "plazadesk.case_id" in attributes:
        return None
    case = str(uuid.UUID(int=ctx.trace_id))
    span.set_attribute("plazadesk.case_id", case)
    return case


# ------------------------------------------------------------------ the bus
def traceparent_for(event) -> str | None:
    """The ``traceparent`` an event is published with: the span applying the event that caused
    it (a consumer's batch), else the current span (an HTTP request)."""
    if not enabled:
        return None
    applying = _applying.get()
    ctx = applying.get(event.causation_id) if applying and event.causation_id else None
    if ctx is None:
        ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


@contextlib.contextmanager
def applying(consumer: str, events: list, headers: list[dict | None]) -> Iterator[dict[str, object]]:
    """One span per event while a consumer applies a batch, each in its case's trace; yields
    the spans by event id (the caller records each outcome)."""
    if not enabled:
        yield {}
        return
    spans, contexts = {}, {}
    for event, h in zip(events, headers):
        parent, links = _case_parent(event, (h or {}).get("traceparent"))
        span = _tracer.start_span(f"apply {type(event).__name__}", context=parent, links=links, kind=SpanKind.CONSUMER,
                                  attributes={"messaging.system": "nats", "messaging.consumer.group.name": consumer,
                                              "plazadesk.event_id": event.id, "plazadesk.plaza": event.plaza_id})
        spans[event.id] = span
        contexts[event.id] = span.get_span_context()
    token = _applying.set(contexts)
    try:
        yield spans
    finally:
        _applying.reset(token)
        for span in spans.values():
            span.end()


def _case_parent(event, traceparent: str | None):
    remote = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    remote_ctx = trace.get_current_span(remote).get_span_context() if remote is not None else None
    case = _trace_id(event.correlation_id)
    if remote_ctx is not None and remote_ctx.is_valid and (case is None or remote_ctx.trace_id == case):
        return remote, []
    if case is None:
        return None, ([Link(remote_ctx)] if remote_ctx is not None and remote_ctx.is_valid else [])
    # The case's trace, under its root (whose span id is derived from the case: id_generator),
    # linked to the span that published the event (another request's).
    root = SpanContext(trace_id=case, span_id=_span_id(event.correlation_id), is_remote=True,
                       trace_flags=TraceFlags(TraceFlags.SAMPLED))
    links = [Link(remote_ctx)] if remote_ctx is not None and remote_ctx.is_valid else []
    return trace.set_span_in_context(NonRecordingSpan(root)), links


def _trace_id(correlation_id: str | None) -> int | None:
    try:
        value = uuid.UUID(correlation_id).int if correlation_id else 0
    except ValueError:
        return None
    return value or None


def _span_id(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") or 1
