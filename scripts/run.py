"""``make run``: nats-server + the console and the six services + demo data and demo users,
until Ctrl-C. The console's address and the logins are printed first.

State lives in ./data (JetStream files and one SQLite file per service), so stopping and
running again continues where it left off.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from scripts import demo
from scripts.system import NATS_PORT, OPERATOR_PASSWORD_FILE, SERVICES, System

CONSOLE = "console"


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
        units, users = [], []
        if not args.no_demo:
            auth = demo.operator_headers(system.url("staff"), system.operator_password())
            units = demo.load(system.url("archive"), headers=auth)
            users = demo.load_staff(system.url("staff"), auth, system.data_dir)
    except Exception as exc:
        print(f"start-up failed: {exc}", file=sys.stderr)
        system.stop()
        return 1

    print("\nPlazaDesk is running (Ctrl-C stops everything)\n")
    print_console(system, users)
    warnings = moved_ports(system)
    if warnings:
        print()
        for line in warnings:
            print(line)
    print(f"\n  NATS (JetStream)  {system.services_nats_url}   data: {system.data_dir / 'nats'}")
    if system.passwords:  # never the passwords themselves: they would end up in terminal logs
        print(f"  NATS users        one per service and department, the console and 'operator': {system.passwords_file}")
    for name in SERVICES:
        # The console is pages for people, not an API: it has no OpenAPI document.
        api = "the web console" if name == CONSOLE else f"OpenAPI: {system.url(name)}/schema"
        print(f"  {name:<9} {system.url(name):<24} {api:<40} log: {system.logs / (name + '.log')}")
    print_token_help(system)
    if units:
        print(f"\n  demo plaza 'demo' with units {', '.join(units)}")
        print(
            "  try (with a token from above): curl -s -XPOST "
            f"{system.url('intake')}/v1/plazas/demo/requests -H 'content-type: application/json' "
            "-H \"Authorization: Bearer $TOKEN\" "
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


def print_console(system: System, users: list[tuple[str, str, str]]) -> None:
    """The console's address first and framed, the logins right under it: what a person
    trying PlazaDesk opens (the services' lines below are for developers)."""
    who = "demo-clerk (password below)" if users else "operator (password below)"
    line = f"  Open the console: {system.url(CONSOLE)}  —  sign in as {who}"
    rule = "  " + "=" * (len(line) - 2)
    print(rule)
    print(line)
    print(rule)
    print_logins(system, users)


def print_logins(system: System, users: list[tuple[str, str, str]]) -> None:
    """How to log in: each demo user's password, then the operator's on the run that made
    it (else where it is kept)."""
    kept = system.data_dir / OPERATOR_PASSWORD_FILE
    if os.environ.get("PLAZADESK_OPERATOR_PASSWORD"):
        operator = "the password in PLAZADESK_OPERATOR_PASSWORD"
    elif system.operator_password_generated:
        operator = f"password {system.operator_password()}   (shown this once; kept in {kept})"
    else:
        operator = f"password in {kept}"
    if users:
        print("  demo users at plaza 'demo' (passwords kept in "
              f"{system.data_dir / demo.DEMO_PASSWORDS}):")
        for user, roles, password in users:
            print(f"    {user:<16} {roles:<11} password {password}")
    print(f"  'operator' (every plaza, staff and settings): {operator}")


def print_token_help(system: System) -> None:
    """The curl line that gets a token for the services' APIs."""
    print(
        "\n  get a token: TOKEN=$(curl -s -XPOST "
        f"{system.url('staff')}/v1/token -H 'content-type: application/json' "
        "-d '{\"username\":\"demo-clerk\",\"password\":\"<password>\"}' "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
    )


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
