"""Assembles one service: database, broker, own stream, consumers, outbox relay, HTTP app.

Every service's ``app.py`` calls ``Runtime(...)`` and ``runtime.app(...)`` the same way, so
start-up, shutdown, health and readiness behave identically across the five.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import sqlalchemy as sa
from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import STREAMS, subject_for
from libs.contracts.events import encode
from libs.runtime import asyncapi
from libs.runtime import auth, bus, gauges, limits, tracing
from libs.runtime import logging as log
from libs.runtime import metrics
from libs.runtime.db import Database, migrate
from libs.runtime.groupcommit import GroupCommit
from libs.runtime.http import (
    ApiRequest, RequestContext, docs_assets, known_plaza_guard, openapi_config, ops_routes, problem_details,
    refuse_unknown_query,
)
from libs.runtime.relay import Relay
from libs.runtime.settings import ServiceSettings
from libs.runtime.uow import Tx

logger = log.get("service")
T = TypeVar("T")
STOP_STEP_S = 10.0


class Runtime:
    def __init__(
        self,
        settings: ServiceSettings,
        metadata: sa.MetaData,
        outbox: sa.Table,
        inbox: sa.Table,
    ) -> None:
        log.configure(settings.log_level, settings.log_json, settings.service)
        tracing.setup(settings.service, settings.otlp_endpoint)
        self.settings = settings
        self.service = settings.service
        self.metadata = metadata
        self.outbox_table = outbox
        self.inbox_table = inbox
        self.db = Database(settings.database_url, schema=settings.database_schema)
        self.broker = bus.make_broker(
            settings.nats_url, name=f"plazadesk-{self.service}",
            user=settings.nats_user, password=settings.nats_password,
            disconnected_cb=self._on_disconnected, reconnected_cb=self._on_reconnected, closed_cb=self._on_closed,
        )
        self.consumers = bus.Consumers(
            self.broker,
            self.db,
            self.tx_for,
            service=self.service,
            max_deliver=settings.max_deliver,
            ack_wait_s=settings.ack_wait_s,
            batch=settings.consumer_batch,
            linger_s=settings.consumer_linger_s,
            prompt_linger_s=settings.consumer_prompt_linger_s,
            fact_wait_s=settings.consumer_fact_wait_s,
        )
        self._publisher = bus.publisher(self.broker, STREAMS[self.service].name)
        self.relay = Relay(
            self.db,
            outbox,
            self._publisher,
            service=self.service,
            batch=settings.relay_batch,
            poll_s=settings.relay_poll_s,
            linger_s=settings.relay_linger_s,
        )
        self.connected = False
        self._stopping = False
        self._closed_since: float | None = None  # the connection closed for good, not yet re-opened
        self._reopening: asyncio.Task | None = None
        self._group = GroupCommit(self._apply_group, max_batch=settings.consumer_batch)
        self._periodic: list[tuple[float, Callable[[], Awaitable[None]], str]] = []
        self.own_gauges: list[tuple[str, gauges.OwnGauge]] = []
        self._tasks: list[asyncio.Task] = []

    def gauge(self, name: str, read: gauges.OwnGauge) -> None:
        """A gauge of its own, set by ``read`` (a read connection) at each scrape of /metrics."""
        self.own_gauges.append((name, read))

    def every(self, seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
        """Run ``job`` every ``seconds`` while the service runs (SLA sweeps, dunning runs).
        A job that fails is logged and tried again at the next tick; jobs must be
        idempotent, since after a restart they run again from the stored state."""
        self._periodic.append((seconds, job, name))

    async def _run_periodic(self, seconds: float, job, name: str) -> None:
        while True:
            try:
                await job()
            except Exception as exc:
                logger.warning("periodic_job_failed", job=name, error=repr(exc))
            await asyncio.sleep(seconds)

    def tx_for(self, conn: AsyncConnection) -> Tx:
        return Tx(conn, self.outbox_table, self.inbox_table, buffered=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One use case, one transaction: state and outbox rows commit together."""
        async with self.db.write() as conn:
            tx = self.tx_for(conn)
            yield tx
            await tx.flush()

    async def grouped(self, use_case: Callable[..., Awaitable[T]], *args, **kwargs) -> T:
        """Run a use case in a transaction shared with whatever other calls arrive at the
        same moment (group commit): one commit, one fsync, for a burst of requests. Each
        call runs in its own savepoint, so its failure undoes only its own writes and is
        raised to its own caller; the response is sent only after the commit."""
        outcome = await self._group.submit((use_case, args, kwargs))
        if isinstance(outcome, _Failed):
            raise outcome.error
        return outcome

    async def _apply_group(self, calls: list) -> list:
        # Optimistic: no savepoints. If any call fails, its group is undone and run again
        # with a savepoint per call (nothing was answered yet, so nothing is seen twice).
        if len(calls) > 1:
            try:
                async with self.db.write() as conn:
                    tx = self.tx_for(conn)
                    results = [await use_case(tx, *args, **kwargs) for use_case, args, kwargs in calls]
                    await tx.flush()
                return results
            except Exception:
                pass
        async with self.db.write() as conn:
            tx = self.tx_for(conn)
            results = []
            for use_case, args, kwargs in calls:
                mark = tx.mark()
                try:
                    async with conn.begin_nested():
                        results.append(await use_case(tx, *args, **kwargs))
                except Exception as exc:
                    tx.rollback_to(mark)
                    results.append(_Failed(exc))
            await tx.flush()
            return results

    def read(self):
        return self.db.read()

    async def publish(self, event, timeout_s: float = 2.0) -> None:
        """Publish straight to this service's own stream and wait for JetStream's ack (with
        the server's fsync setting, the event is on disk when this returns). For a use case
        whose only effect is the event; anything that also changes state uses the outbox."""
        payload = encode(event)
        ack = await self._publisher(subject_for(event), payload, event.id, tracing.traceparent_for(event))
        await asyncio.wait_for(ack, timeout_s)  # the relay's publisher: a third less CPU than nats-py's
        metrics.count_published(self.service, (payload,))

    async def start(self) -> None:
        self._stopping = False
        # Tables are the migration step's (python -m scripts.migrate), run once before any
        # replica starts: replicas creating them at once on PostgreSQL raced on CREATE.
        if migrate.migrations_of(self.metadata) is not None:  # (a test's own tables have none)
            await migrate.require_head(self.db, self.metadata, self.service)
        self.db.start_checkpoints()
        await self.broker.connect()
        await bus.declare_own_stream(self.broker, self.service, self.settings.stream_replicas)
        await bus.wait_for_streams(self.broker, sorted(self.consumers.streams))
        await self.consumers.start()
        self.relay.start()
        self._tasks = [
            asyncio.create_task(self._run_periodic(sec, job, name), name=name)
            for sec, job, name in self._periodic
        ]
        self._tasks.append(
            asyncio.create_task(_watch_the_loop(report_ms=self.settings.loop_stall_report_ms), name="loop-watch"))
        self.connected = True
        # What start-up built (modules, the app, tables, statements) lives as long as the
        # process: frozen out of the collector's scans. Full collections of it stalled the
        # loop for 50-150 ms under load (logged as gc_pause by the loop watch).
        if _serving:  # a service process (not tests, which start many runtimes in one)
            gc.collect()
            gc.freeze()
        logger.info("service_started", service=self.service, port=self.settings.http_port)

    async def _on_disconnected(self) -> None:
        self._publisher.lost()
        if not self._stopping:  # once per outage: nats-py reconnects by itself, to any server of the URL
            logger.warning("nats_disconnected", service=self.service)

    async def _on_reconnected(self) -> None:
        logger.info("nats_reconnected", service=self.service)

    async def _on_closed(self) -> None:
        """nats-py gives a connection up for good when the server closes it with an error
        (a message over its max_payload, an authorisation change): the runtime opens a new
        one and starts the subscribers on it, so the service never stays deaf and mute."""
        if self._stopping or not self.connected:
            return
        self._publisher.lost()
        if self._reopening is None or self._reopening.done():
            self._closed_since = time.monotonic()
            self._reopening = asyncio.create_task(self._reopen(), name=f"{self.service}-nats-reopen")

    async def _reopen(self) -> None:
        error = getattr(self.broker.nc, "last_error", None)
        logger.error("nats_connection_closed", service=self.service, error=repr(error))
        wait_s = 0.5
        while not self._stopping:
            try:
                await self.broker.reopen()
                await self.consumers.restart()
            except Exception as exc:
                logger.warning("nats_reopen_failed", service=self.service, error=repr(exc), retry_in_s=wait_s)
                await asyncio.sleep(wait_s)
                wait_s = min(wait_s * 2, 30.0)
                continue
            logger.info("nats_connection_reopened", service=self.service,
                        after_s=round(time.monotonic() - self._closed_since, 2))
            self._closed_since = None
            return

    async def stop(self) -> None:
        """Each step bounded: a step that hangs is logged and left behind, so a shutdown
        (a rolling restart, SIGTERM) always completes."""
        self._stopping = True
        if self._reopening is not None:
            self._reopening.cancel()
        for name, step in (
            ("periodic jobs", self._stop_tasks),
            ("outbox relay", self.relay.stop),
            ("broker", self._stop_broker),
            ("database", self.db.dispose),
        ):
            task = asyncio.ensure_future(step())
            done, _ = await asyncio.wait({task}, timeout=STOP_STEP_S)
            if not done:
                task.cancel()
                logger.error("shutdown_step_timed_out", step=name, after_s=STOP_STEP_S)
            elif task.exception() is not None:
                logger.warning("shutdown_step_failed", step=name, error=repr(task.exception()))
        logger.info("service_stopped", service=self.service)

    async def _stop_broker(self) -> None:
        try:
            await self.consumers.stop()
        finally:
            await self.broker.close()

    async def _stop_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def ready_checks(self) -> dict[str, bool]:
        nats_ok = self.connected and self.broker.is_connected  # (no connection while re-opened)
        return {"database": await self.db.ping(), "nats": nats_ok}

    def health_checks(self) -> dict[str, bool]:
        """Liveness: false once the service has been unable to publish for
        ``health_grace_s``: its relay failing every round (events waiting, none taken), or
        its connection closed for good and not re-opened. A broker that is down while the
        service has nothing to publish is /ready's business only: the client reconnects
        by itself."""
        grace = self.settings.health_grace_s
        closed_for = 0.0 if self._closed_since is None else time.monotonic() - self._closed_since
        return {"publishing": self.relay.failing_for() < grace, "nats": closed_for < grace}

    def app(self, route_handlers: Sequence, *, title: str, version: str = "1.0.0",
            own_jwks: dict | None = None) -> Litestar:
        """``own_jwks``: the keys the service itself signs tokens with (the staff service),
        trusted without fetching its own JWKS over HTTP."""
        from libs.runtime.http.setaside import SetAsideController  # GET /asyncapi; the operator's events set aside
        route_handlers = [*route_handlers, asyncapi.route(self.service, self.settings), SetAsideController]

        @asynccontextmanager
        async def lifespan(_app: Litestar):
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        # Every service keeps plazas (archive its register, the others a copy of it).
        plazas = self.metadata.tables.get("plazas")
        app = Litestar(
            route_handlers=[*route_handlers, *ops_routes(self.ready_checks, self.health_checks, lambda: gauges.refresh(self)), docs_assets()],
            dependencies={
                "runtime": Provide(self._self, sync_to_thread=False, use_cache=True),
                "actor": Provide(auth.actor, sync_to_thread=False),
                "principal": Provide(auth.principal, sync_to_thread=False),
            },
            # Who may call first (a plaza the token does not hold answers as an unknown one).
            guards=[auth.authorize, *([known_plaza_guard(self.db, plazas)] if plazas is not None else [])],
            lifespan=[lifespan],
            plugins=[problem_details()],
            request_class=ApiRequest,
            middleware=[RequestContext(self.service),
                        DefineMiddleware(auth.Authenticate, verifier=auth.verifier_for(self.settings, own_jwks))],
            before_request=refuse_unknown_query,
            request_max_body_size=limits.BODY_MAX,  # routes taking uploads set their own
            openapi_config=openapi_config(title, version),
            debug=False,
            logging_config=None,  # libs.runtime.logging owns the process's logging: one format
        )
        auth.apply_table(app, self.service)  # a route with no row in the table: no start
        return app

    def _self(self) -> "Runtime":
        return self


async def _watch_the_loop(every_s: float = 0.05, report_ms: float = 100.0) -> None:
    """Logs when the event loop was blocked (a long statement, a slow disk, a collection):
    every request and every batch of this service waited that long."""
    loop = asyncio.get_running_loop()
    started: dict = {}

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started["at"] = time.perf_counter()
        elif "at" in started:
            took = (time.perf_counter() - started.pop("at")) * 1000
            if took >= report_ms / 4:
                logger.warning("gc_pause", generation=info.get("generation"), ms=round(took, 1))

    gc.callbacks.append(on_gc)
    try:
        while True:
            due = loop.time() + every_s
            await asyncio.sleep(every_s)
            lag = (loop.time() - due) * 1000
            if lag >= report_ms:
                logger.warning("event_loop_stalled", ms=round(lag, 1))
    finally:
        gc.callbacks.remove(on_gc)


_serving = False


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def serve(create_app: Callable[[], Litestar], settings: ServiceSettings) -> None:
    """``python -m services.<name>``: HTTP, subscribers and relay in one process."""
    import uvicorn

    global _serving
    _serving = True

    config = uvicorn.Config(
        create_app(),
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    if settings.http_reuse_port:
        server.run(sockets=[reuse_port_socket(settings.http_host, settings.http_port)])
    else:
        server.run()


def reuse_port_socket(host: str, port: int):
    """Bound, not yet listening: uvicorn listens on it once the app has started, so the
    kernel hands this replica connections only when it can answer them. Every replica
    binds its own with SO_REUSEPORT and the kernel spreads new connections over those
    that listen (one user's processes only); a replica that stops leaves the others."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
