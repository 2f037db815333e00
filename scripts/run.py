"""``make run``: nats-server + the console and the six services + demo data and demo users,
until Ctrl-C. The console's address and the logins are printed first.

State lives in ./data (JetStream files and one SQLite file per service), so stopping and
running again continues where it left off.

Scaled out (docs/operations.md#replicas-on-one-machine), each option also an environment
variable: ``--database postgres`` (PLAZADESK_DATABASE; PLAZADESK_DATABASE_URL names the
server, else the local one), ``--intake-replicas N`` (PLAZADESK_INTAKE_REPLICAS),
``--consumer-replicas N`` (PLAZADESK_CONSUMER_REPLICAS: dispatch, billing, survey and
archive), ``--nats-nodes 3`` (PLAZADESK_NATS_NODES: a JetStream cluster on loopback, every
stream on three replicas).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from scripts import demo
from scripts.system import CONSUMERS, NATS_PORT, OPERATOR_PASSWORD_FILE, SERVICES, System

CONSOLE = "console"
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def database_url(database: str) -> str | None:
    """``postgres``: PLAZADESK_DATABASE_URL, else the local server's ``postgres`` database
    (each service in a schema of its own); ``sqlite``: one file per service in the data
    folder, unless PLAZADESK_DATABASE_URL names a database."""
    if database not in ("sqlite", "postgres"):
        raise SystemExit(f"--database must be sqlite or postgres, not {database!r}")
    given = os.environ.get("PLAZADESK_DATABASE_URL")
    return given or (LOCAL_POSTGRES if database == "postgres" else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--nats-url", default=None, help="use this NATS instead of starting one")
    parser.add_argument("--no-demo", action="store_true")
    env = os.environ.get
    parser.add_argument("--database", default=env("PLAZADESK_DATABASE", "sqlite"), help="sqlite or postgres")
    parser.add_argument("--intake-replicas", type=int, default=int(env("PLAZADESK_INTAKE_REPLICAS", "1")))
    parser.add_argument("--consumer-replicas", type=int, default=int(env("PLAZADESK_CONSUMER_REPLICAS", "1")),
                        help="of dispatch, billing, survey and archive")
    parser.add_argument("--nats-nodes", type=int, default=int(env("PLAZADESK_NATS_NODES", "1")), help="1, or 3 for a cluster")
    args = parser.parse_args()

    replicas = {"intake": args.intake_replicas, **dict.fromkeys(CONSUMERS, args.consumer_replicas)}
    try:
        system = System(args.data_dir, nats_url=args.nats_url, replicas=replicas, nats_nodes=args.nats_nodes,
                        database_url=database_url(args.database))
    except ValueError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
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
    nodes = f"a cluster of {len(system.cluster.nodes)}, every stream on each; " if system.cluster else ""
    print(f"\n  NATS (JetStream)  {system.services_nats_url}   {nodes}data: {system.data_dir / 'nats'}")
    if system.database_url:
        print(f"  database          {system.database_url.split('@')[-1]}   each service in a schema of its own")
    if system.passwords:  # never the passwords themselves: they would end up in terminal logs
        print(f"  NATS users        one per service and department, the console and 'operator': {system.passwords_file}")
    for name in SERVICES:
        # The console is pages for people, not an API: it has no OpenAPI document.
        api = "the web console" if name == CONSOLE else f"OpenAPI: {system.url(name)}/schema"
        replicas = system.replica_names(name)
        logs = f"log: {system.logs / (name + '.log')}" + (f" (+{len(replicas) - 1} replicas on this port)" if len(replicas) > 1 else "")
        print(f"  {name:<9} {system.url(name):<24} {api:<40} {logs}")
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
    cluster = getattr(system, "cluster", None)
    for i, node in enumerate(cluster.nodes if cluster else []):
        wanted[f"NATS {node.server_name}"] = (NATS_PORT + i, node.port)
    return [
        f"  WARNING: port {port} is taken by another program: {name} runs on {actual} instead"
        for name, (port, actual) in wanted.items() if actual != port
    ]


if __name__ == "__main__":
    sys.exit(main())
