"""The routes an operator and an orchestrator use: /health (liveness), /ready (readiness)
and /metrics (Prometheus text: the runtime's counters of libs.runtime.metrics, the request
timings of the per-request context).

/metrics stays this one route over prometheus_client's registry rather than Litestar's
Prometheus plugin: measured on a trivial route, the plugin's middleware (a Request built,
a gauge, a counter and a histogram labelled on every request) served about 40 % fewer
requests per second than the request context's one histogram (docs/performance.md)."""

from __future__ import annotations

import os

from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def ops_routes(ready_check, health_check=None, refresh_gauges=None):
    """/health (liveness: ``health_check``, e.g. can the service still publish), /ready
    (``ready_check``: can it serve now) and /metrics (``refresh_gauges`` first reads what is
    waiting now: libs.runtime.gauges)."""

    @get("/health", sync_to_thread=False, include_in_schema=False)
    def health() -> Response:
        checks = health_check() if health_check else {}
        ok = all(checks.values())
        return Response({"status": "ok" if ok else "failing", "checks": checks}, status_code=200 if ok else 503)

    @get("/ready", include_in_schema=False)
    async def ready() -> Response:
        checks = await ready_check()
        ok = all(checks.values())
        # The process id: whoever started the process knows that the answer is its own and not
        # another process's that holds the port (scripts/system.py checks it).
        return Response({"status": "ready" if ok else "not ready", "checks": checks, "pid": os.getpid()},
                        status_code=200 if ok else 503)

    @get("/metrics", include_in_schema=False)
    async def metrics_() -> Response:
        if refresh_gauges is not None:
            await refresh_gauges()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [health, ready, metrics_]
