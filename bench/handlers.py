"""In-process consumer throughput, without NATS: where does a consumer's time go?

``python -m bench.handlers survey [--events 5000] [--profile out.prof]`` builds the real
service (its Runtime, tables and subscriptions) on a fresh SQLite file, captures the
handler its main subscription registers, and applies backlog events in batches exactly as
``Consumers.apply_batch`` does (inbox check, handler, inbox and outbox rows, one commit).
The figure is an upper bound for ``make bench``'s drain, which adds fetch, decode and ack.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import pstats
import tempfile
import time
from pathlib import Path

from bench.run import DRAIN, backlog_for
from libs.contracts.events import Occupant, PlazaRegistered, UnitRegistered
from libs.runtime.db import migrate


async def run(service: str, events: int, batch: int, profile: str | None) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"plazadesk-handlers-{service}-"))
    settings_mod = importlib.import_module(f"services.{service}.settings")
    app_mod = importlib.import_module(f"services.{service}.app")
    settings = settings_mod.Settings(data_dir=str(work), nats_url="nats://127.0.0.1:1", log_level="warning")
    captured: dict[str, object] = {}

    from libs.runtime import bus

    original = bus.Consumers.subscribe

    def capture(self, producer, pattern, name, handler, **options):
        captured[f"{self.service}-{name}"] = handler
        return original(self, producer, pattern, name, handler, **options)

    bus.Consumers.subscribe = capture
    try:
        app = app_mod.create_app(settings)
    finally:
        bus.Consumers.subscribe = original
    runtime = next(d for d in app.dependencies.values()).dependency()
    await migrate.upgrade(runtime.db.url, runtime.db.schema, runtime.metadata)  # the migration step
    _, durable = DRAIN[service]
    handler = captured[durable]
    plaza = f"drain-{service}"
    # The facts other services learn from archive first, as in a running system.
    facts = [PlazaRegistered(plaza_id=plaza, correlation_id="c", name="Bench", timezone="Asia/Shanghai")] + [
        UnitRegistered(plaza_id=plaza, correlation_id="c", unit=f"U-{i}", revision=1, area_m2=80, use="shop",
                       occupant=Occupant(name="Li", kind="merchant"))
        for i in range(500)
    ]
    archive_durable = f"{service}-archive"
    if archive_durable in captured and service != "intake":
        await runtime.consumers._apply_fast(archive_durable, captured[archive_durable], facts)
    elif service == "archive":  # its own register, which its consumers check events against
        from services.archive.register import services as register

        async with runtime.transaction() as tx:
            await register.register_plaza(tx, plaza, register.PlazaUpdate(name="Bench"), actor="bench", correlation_id=None)
            for unit in facts[1:]:
                await register.register_unit(tx, plaza, unit.unit, register.UnitUpdate(
                    area_m2=unit.area_m2, use=unit.use, occupant=unit.occupant), actor="bench", correlation_id=None)
    backlog = [backlog_for(service, i, plaza) for i in range(events)]
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(0, events, batch):
        outcomes = await runtime.consumers._apply_fast(durable, handler, backlog[i:i + batch])
        assert outcomes.count("applied") == len(outcomes), outcomes
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    elapsed = time.perf_counter() - start
    await runtime.db.dispose()
    return {"service": service, "events": events, "batch": batch, "seconds": round(elapsed, 2),
            "events_per_s": round(events / elapsed, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("service", choices=sorted(DRAIN))
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--profile", default=None, help="write cProfile stats here and print the top")
    args = ap.parse_args()
    result = asyncio.run(run(args.service, args.events, args.batch, args.profile))
    print(result)
    if args.profile:
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
