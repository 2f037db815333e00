"""NATS users and their permissions: the ``authorization`` block of nats-server's
configuration, and the passwords behind it.

One user per service (``intake``, ``dispatch``, …): it publishes only its own subjects
(``plazadesk.<service>.>``) and its own dead letters, manages only its own stream and the
shared dead-letter stream, and uses only its own durable consumers on the streams it reads.
One user per department (``dept-<department>``): it reads that department's work orders on
DISPATCH through durable consumers whose filter stays inside
``plazadesk.dispatch.*.<department>.>``, and nothing else. ``operator``: everything (streams,
dead-letter replay, the archive's rebuild). No user: no connection (``no_auth_user`` unset).

All users share one account, so JetStream needs no exports or imports. NATS permissions
match whole subject tokens: a consumer name cannot be granted by prefix (``billing-*`` is a
literal name), so every durable a user may use is named here. A department's are
``dept-<department>-all`` and ``dept-<department>-<plaza>`` for the plazas given (the
department kit's default names).

Passwords are stored as they are, not as bcrypt hashes: nats-server compares a bcrypt hash
on every connection, but nothing installed here computes one (neither the ``bcrypt`` package
nor the ``nats`` command line). They are 192 random bits each, in files only their owner
reads (0600), and in deploys they come from environment variables (``$VAR`` in the
configuration; a Secret in Kubernetes).

    python -m scripts.natsconf deploy     the authorization block of deploy/nats/*.conf
    python -m scripts.natsconf env        new passwords as .env lines (docker compose)
    python -m scripts.natsconf secret     new passwords as a Kubernetes Secret
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

import msgspec

from libs.contracts import validate_token
from libs.contracts.subjects import DEAD_LETTER_STREAM
from libs.runtime import asyncapi, setaside
from libs.runtime.deadletters import AUDIT_STREAM, AUDIT_SUBJECT
from services.console.live import domain as live  # what its live queues listen to

SERVICES = ("intake", "dispatch", "billing", "survey", "archive", "staff", "notices")
DEPARTMENTS = ("engineering", "security", "cleaning", "customer_service")
OPERATOR = "operator"
CONSOLE_OPS = "console-ops"  # the console's operations page (dead letters), for operators only
# The password the nodes of a NATS cluster present to each other (deploy/nats/cluster.conf).
ROUTE_PASSWORD = "NATS_ROUTE_PASSWORD"
DISPATCH_STREAM = "DISPATCH"

def consumes(service: str) -> dict[str, tuple[str, ...]]:
    """The durable consumers a service declares (its ``handlers.subscribe``, recorded as for
    its AsyncAPI document), by the producer whose stream they read: ``<service>-<name>``."""
    found: dict[str, list[str]] = {}
    for subscription in asyncapi.subscriptions(service):
        found.setdefault(subscription.producer, []).append(subscription.name)
    return {producer: tuple(names) for producer, names in found.items()}


class Password(msgspec.Struct, frozen=True):
    """A password as it is, or (``env``) the environment variable nats-server reads it from."""

    value: str = ""
    env: str = ""

    def render(self) -> str:
        return f"${self.env}" if self.env else json.dumps(self.value)


class User(msgspec.Struct, frozen=True):
    """``publish`` and ``subscribe``: the subjects allowed; None allows everything."""

    name: str
    password: Password
    publish: tuple[str, ...] | None = ()
    subscribe: tuple[str, ...] | None = ()


def inbox(user: str) -> str:
    """Where the user's replies come (libs.runtime.bus.access.inbox_prefix)."""
    return f"_INBOX.{user}.>"


def stream_of(service: str) -> str:
    """The stream a service declares, named as libs.contracts.STREAMS names it."""
    return service.upper()


def consumer_rights(stream: str, durable: str, filter_subject: str | None = None) -> list[str]:
    """Look up, create, fetch from and acknowledge on one durable consumer. With
    ``filter_subject`` the consumer can only be created with a filter inside it: nats-py
    names the filter in the API subject, and nats-server refuses a request whose body
    names another one. Without it, the older creation subjects too (a service's own)."""
    api = "$JS.API.CONSUMER"
    create = [f"{api}.CREATE.{stream}.{durable}.{filter_subject}"] if filter_subject else [
        f"{api}.CREATE.{stream}.{durable}", f"{api}.CREATE.{stream}.{durable}.>",
        f"{api}.DURABLE.CREATE.{stream}.{durable}",
    ]
    return [f"{api}.INFO.{stream}.{durable}", *create, f"{api}.MSG.NEXT.{stream}.{durable}", f"$JS.ACK.{stream}.{durable}.>"]


def service_user(service: str, password: Password) -> User:
    own = [stream_of(service), DEAD_LETTER_STREAM]
    publish = [f"plazadesk.{service}.>", f"plazadesk.deadletter.{service}.>"]
    publish += [f"$JS.API.STREAM.{verb}.{stream}" for stream in own for verb in ("INFO", "CREATE", "UPDATE")]
    # The operator replays or discards the service's events set aside through its API: the
    # service writes those two records of the operators' audit trail, and nothing else there.
    publish += [f"$JS.API.STREAM.CREATE.{AUDIT_STREAM}", *(f"{AUDIT_SUBJECT}.{action}" for action in (setaside.REPLAYED, setaside.DISCARDED))]
    for producer, names in consumes(service).items():
        stream = stream_of(producer)
        if stream not in own:  # waits for the producer to declare it
            publish.append(f"$JS.API.STREAM.INFO.{stream}")
        for name in names:
            publish += consumer_rights(stream, f"{service}-{name}")
    return User(service, password, tuple(publish), (inbox(service),))


def department_durables(department: str, plazas: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(f"dept-{department}-{plaza}" for plaza in ("all", *plazas))


def department_user(department: str, password: Password, plazas: tuple[str, ...] = ()) -> User:
    validate_token(department, "department")  # a '*' or '>' here would widen the grant
    for plaza in plazas:
        validate_token(plaza, "plaza")
    name = f"dept-{department}"
    work_orders = f"plazadesk.dispatch.*.{department}.>"
    publish = [right for durable in department_durables(department, plazas)
               for right in consumer_rights(DISPATCH_STREAM, durable, work_orders)]
    return User(name, password, tuple(publish), (work_orders, inbox(name)))


CONSOLE = "console"


def console_user(password: Password) -> User:
    """The console reads events to nudge open pages (plain subscriptions, no consumer) and
    publishes nothing."""
    return User(CONSOLE, password, (), (*live.SUBJECTS, inbox(CONSOLE)))


def console_ops_user(password: Password) -> User:
    """The console's operations page (its operators only): read and remove dead letters,
    publish a replayed event on the subject it was first published on (any stream's), and
    write the operators' audit trail (OPSAUDIT). No consumer, no stream of the services."""
    audit = "OPSAUDIT"
    js = "$JS.API.STREAM"
    publish = (
        f"{js}.INFO.{DEAD_LETTER_STREAM}", f"{js}.MSG.GET.{DEAD_LETTER_STREAM}", f"{js}.MSG.DELETE.{DEAD_LETTER_STREAM}",
        f"{js}.CREATE.{audit}", f"{js}.INFO.{audit}", f"{js}.MSG.GET.{audit}", "plazadesk.audit.ops.>",
        *(f"plazadesk.{s}.>" for s in SERVICES),
    )
    return User(CONSOLE_OPS, password, publish, (inbox(CONSOLE_OPS),))


def operator_user(password: Password) -> User:
    return User(OPERATOR, password, None, None)


def user_names(departments: tuple[str, ...] = DEPARTMENTS) -> list[str]:
    return [*SERVICES, CONSOLE, CONSOLE_OPS, *(f"dept-{d}" for d in departments), OPERATOR]


def users(passwords: dict[str, Password], departments: tuple[str, ...] = DEPARTMENTS,
          plazas: tuple[str, ...] = ()) -> list[User]:
    """Every user, each with its password from ``passwords`` (by user name)."""
    return [
        *(service_user(s, passwords[s]) for s in SERVICES),
        console_user(passwords[CONSOLE]),
        console_ops_user(passwords[CONSOLE_OPS]),
        *(department_user(d, passwords[f"dept-{d}"], plazas) for d in departments),
        operator_user(passwords[OPERATOR]),
    ]


def authorization(all_users: list[User]) -> str:
    """nats-server's ``authorization`` block for the users: the configuration text."""
    lines = ["authorization {", "  users = ["]
    for user in all_users:
        head = f"    {{user: {json.dumps(user.name)}, password: {user.password.render()}"
        if user.publish is None and user.subscribe is None:
            lines.append(head + "}")
            continue
        lines.append(head + ", permissions: {")
        for verb, subjects in (("publish", user.publish), ("subscribe", user.subscribe)):
            if subjects is not None:  # an empty list would allow everything: a subject no one uses
                lines.append(f"      {verb}: {{allow: [")
                lines += [f"        {json.dumps(s)}" for s in subjects or ("_NOTHING_",)]
                lines.append("      ]}")
        lines.append("    }}")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def env_name(user: str) -> str:
    """The environment variable of a user's password: INTAKE_NATS_PASSWORD,
    DEPT_ENGINEERING_NATS_PASSWORD, OPERATOR_NATS_PASSWORD."""
    return f"{user.upper().replace('-', '_')}_NATS_PASSWORD"


def new_password() -> str:
    return secrets.token_hex(24)


def ensure_passwords(path: str | os.PathLike, names: list[str]) -> dict[str, str]:
    """The passwords kept in ``path`` (JSON, 0600), generated once for the names it lacks."""
    path = Path(path)
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in names if name not in known]
    if missing or not path.exists():
        known.update({name: new_password() for name in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(known, out, indent=2)
    os.chmod(path, 0o600)  # also a file an earlier version left readable
    return known


def write_private(path: str | os.PathLike, text: str) -> None:
    """A file only its owner reads: a configuration that holds passwords."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)


def _secret(name: str, passwords: dict[str, str]) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", "type: Opaque", "stringData:"]
    lines += [f"  {env_name(user)}: {json.dumps(pw)}" for user, pw in passwords.items()]
    lines.append(f"  {ROUTE_PASSWORD}: {json.dumps(new_password())}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.natsconf", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("deploy", "env", "secret"))
    parser.add_argument("--department", action="append", help="a department (repeatable; default: "
                        + ", ".join(DEPARTMENTS) + ")")
    parser.add_argument("--plaza", action="append", default=[], help="also a durable dept-<department>-<plaza>")
    parser.add_argument("--secret-name", default="plazadesk-nats")
    args = parser.parse_args(argv)
    departments = tuple(args.department or DEPARTMENTS)
    names = user_names(departments)
    if args.what == "deploy":
        refs = {name: Password(env=env_name(name)) for name in names}
        sys.stdout.write(authorization(users(refs, departments, tuple(args.plaza))))
    elif args.what == "env":
        sys.stdout.write("".join(f"{env_name(name)}={new_password()}\n" for name in names))
        sys.stdout.write(f"{ROUTE_PASSWORD}={new_password()}\n")
    else:
        sys.stdout.write(_secret(args.secret_name, {name: new_password() for name in names}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
