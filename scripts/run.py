"""``make run``: nats-server + the five services + demo data, until Ctrl-C.

State lives in ./data (JetStream files and one SQLite file per service), so stopping and
running again continues where it left off.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from scripts import demo
from scripts.system import NATS_PORT, SERVICES, System


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--nats-url", default=None, help="use this NATS instead of starting one")
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args()

    system = System(args.data_dir, nats_url=args.nats_url)
    stopping = {"now": False}

    def _stop(*_):
        stopping["now"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        system.start()
        units = [] if args.no_demo else demo.load(system.url("archive"))
    except Exception as exc:
        print(f"start-up failed: {exc}", file=sys.stderr)
        system.stop()
        return 1

    print("\nPlazaDesk is running (Ctrl-C stops everything)\n")
    warnings = moved_ports(system)
    for line in warnings:
        print(line)
    if warnings:
        print()
    print(f"  NATS (JetStream)  {system.services_nats_url}   data: {system.data_dir / 'nats'}")
    if system.passwords:  # never the passwords themselves: they would end up in terminal logs
        print(f"  NATS users        one per service and department, and 'operator': {system.passwords_file}")
    for name in SERVICES:
        print(f"  {name:<9} {system.url(name):<24} OpenAPI: {system.url(name)}/schema   log: {system.logs / (name + '.log')}")
    if units:
        print(f"\n  demo plaza 'demo' with units {', '.join(units)}")
        print(
            "  try: curl -s -XPOST "
            f"{system.url('intake')}/v1/plazas/demo/requests -H 'content-type: application/json' "
            "-d '{\"channel\":\"phone\",\"unit\":\"A-203\",\"text\":\"the drain is blocked\"}'"
        )
    sys.stdout.flush()
    try:
        while not stopping["now"]:
            for name, proc in system.procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited ({proc.returncode}); restarting — see {system.logs / (name + '.log')}", file=sys.stderr)
                    system.start_service(name)
            time.sleep(0.5)
    finally:
        print("\nstopping…")
        system.stop()
        print("stopped; state kept in", system.data_dir)
    return 0


def moved_ports(system: System) -> list[str]:
    """A warning line for each documented port another program holds (bookmarks, curl
    commands and the README's examples point at the documented one)."""
    wanted = {name: (port, system.ports[name]) for name, port in SERVICES.items()}
    if system.nats is not None:
        wanted["NATS"] = (NATS_PORT, system.nats.port)
    return [
        f"  WARNING: port {port} is taken by another program: {name} runs on {actual} instead"
        for name, (port, actual) in wanted.items() if actual != port
    ]


if __name__ == "__main__":
    sys.exit(main())
