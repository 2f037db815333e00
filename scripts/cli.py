"""``plazadesk``: one command line for the operator (``plazadesk --help``; ``--help`` on every
command).

It talks to a running PlazaDesk the way any client does: the services' HTTP APIs with a token
of the operator (from staff's ``POST /v1/token``), and NATS with the operator's credentials for
the dead-letter tools. Where a command works on a service's own database (archive's rebuild
and import), it runs that service's own command (``python -m services.archive …``) with the
same settings. Settings come from the environment as the services' do:
``PLAZADESK_<SERVICE>_URL`` (default http://127.0.0.1:<port>), ``PLAZADESK_OPERATOR_PASSWORD``
(else ``<data>/operator-password``), ``PLAZADESK_NATS_URL`` and the operator's NATS password
(``PLAZADESK_NATS_PASSWORD``, else ``<data>/nats/passwords.json``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import httpx

from scripts.system import SERVICES as PORTS  # every service and its default port


class Desk:
    """Where the services answer and who the operator is."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = Path(data_dir)
        self._token: str | None = None

    def url(self, service: str) -> str:
        return os.environ.get(f"PLAZADESK_{service.upper()}_URL", f"http://127.0.0.1:{PORTS[service]}")

    def operator_password(self) -> str:
        given = os.environ.get("PLAZADESK_OPERATOR_PASSWORD")
        if given:
            return given
        kept = self.data_dir / "operator-password"
        if not kept.exists():
            raise click.ClickException(f"no operator password: set PLAZADESK_OPERATOR_PASSWORD or keep it in {kept}")
        return kept.read_text().strip()

    def token(self) -> str:
        if self._token is None:
            r = httpx.post(f"{self.url('staff')}/v1/token", timeout=10,
                           json={"username": "operator", "password": self.operator_password()})
            if r.status_code != 200:
                raise click.ClickException(f"the staff service refused the operator's login: {r.status_code} {r.text[:200]}")
            self._token = r.json()["access_token"]
        return self._token

    def call(self, service: str, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        try:
            return httpx.request(method, f"{self.url(service)}{path}", headers=headers, timeout=30, **kwargs)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"{service} at {self.url(service)} did not answer: {exc}") from None

    def ok(self, service: str, method: str, path: str, **kwargs) -> dict:
        r = self.call(service, method, path, **kwargs)
        if r.status_code >= 400:
            try:
                problem = r.json()
                detail = f"{problem.get('title', '')}: {problem.get('detail', '')}" + (
                    f" (field {problem['field']})" if problem.get("field") else "")
            except ValueError:
                detail = r.text[:300]
            raise click.ClickException(f"{service} answered {r.status_code}: {detail}")
        return r.json() if r.content else {}

    def nats_url(self) -> str:
        url = os.environ.get("PLAZADESK_NATS_URL", "nats://127.0.0.1:4222").split(",")[0]
        password = os.environ.get("PLAZADESK_NATS_PASSWORD")
        if password is None:
            kept = self.data_dir / "nats" / "passwords.json"
            password = json.loads(kept.read_text())["operator"] if kept.exists() else None
        if password and "@" not in url:
            url = url.replace("nats://", f"nats://{os.environ.get('PLAZADESK_NATS_USER', 'operator')}:{password}@", 1)
        return url


pass_desk = click.make_pass_decorator(Desk)


def out(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", default=lambda: os.environ.get("PLAZADESK_DATA_DIR", "data"), show_default="data",
              help="where `make run` keeps the operator's and NATS passwords")
@click.pass_context
def main(ctx: click.Context, data_dir: str) -> None:
    """PlazaDesk's operator command line: plazas and staff, the unit register, runs, dead
    letters, backups and a health overview."""
    ctx.obj = Desk(data_dir)


# ---------------------------------------------------------------- health
@main.command()
@pass_desk
def health(desk: Desk) -> None:
    """Every service: ready or not, and each consumer's backlog and dead letters (from /metrics)."""
    from prometheus_client.parser import text_string_to_metric_families

    worst = 0
    for service in PORTS:
        try:
            ready = httpx.get(f"{desk.url(service)}/ready", timeout=3)
            state = "ready" if ready.status_code == 200 else f"NOT READY {ready.json().get('checks')}"
        except (httpx.HTTPError, ValueError) as exc:
            state, ready = f"DOWN ({type(exc).__name__})", None
        worst = max(worst, 0 if state == "ready" else 1)
        click.echo(f"{service:<9} {desk.url(service):<28} {state}")
        if ready is None or ready.status_code != 200 or service == "console":
            continue
        metrics = desk.call(service, "GET", "/metrics")
        if metrics.status_code != 200:
            continue
        per: dict[str, dict[str, float]] = {}
        for family in text_string_to_metric_families(metrics.text):
            for s in family.samples:
                if s.name in ("plazadesk_consumer_pending", "plazadesk_consumer_ack_pending", "plazadesk_dead_letters"):
                    per.setdefault(s.labels["consumer"], {})[s.name.removeprefix("plazadesk_")] = s.value
                elif s.name in ("plazadesk_outbox_backlog", "plazadesk_outbox_oldest_age_seconds") and s.value:
                    click.echo(f"  outbox: {s.name.removeprefix('plazadesk_outbox_')} {s.value:g}")
        for consumer, v in sorted(per.items()):
            waiting = v.get("consumer_pending", 0) + v.get("consumer_ack_pending", 0)
            dead = v.get("dead_letters", 0)
            flag = "  <-- dead letters" if dead else ""
            click.echo(f"  {consumer:<40} waiting {waiting:>6g}  dead letters {dead:>4g}{flag}")
    sys.exit(worst)


# ---------------------------------------------------------------- plazas and staff
@main.group()
def plaza() -> None:
    """Plazas (archive's register)."""


@plaza.command("set")
@click.argument("plaza_id")
@click.option("--name", required=True)
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@pass_desk
def plaza_set(desk: Desk, plaza_id: str, name: str, timezone: str) -> None:
    """Register a plaza or change its name or time zone."""
    out(desk.ok("archive", "PUT", f"/v1/plazas/{plaza_id}", json={"name": name, "timezone": timezone}))


@main.group()
def staff() -> None:
    """People at a plaza (the staff service)."""


@staff.command("set")
@click.argument("plaza_id")
@click.argument("username")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="clerk, supervisor, manager, staff, finance, auditor")
@click.option("--department", default=None, help="for department staff: engineering, security, cleaning, …")
@click.option("--password", default=None, help="a first password (else the person has none until one is set)")
@pass_desk
def staff_set(desk: Desk, plaza_id: str, username: str, name: str, roles: tuple[str, ...], department: str | None,
              password: str | None) -> None:
    """Take a person on at a plaza, or change their name, roles or department."""
    body = {"name": name, "roles": list(roles), **({"department": department} if department else {}),
            **({"password": password} if password else {})}
    out(desk.ok("staff", "PUT", f"/v1/plazas/{plaza_id}/staff/{username}", json=body))


# ---------------------------------------------------------------- the unit register
@main.group()
def units() -> None:
    """The unit register (archive)."""


@units.command("import")
@click.argument("plaza_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check every row, change nothing")
def units_import(plaza_id: str, file: str, dry_run: bool) -> None:
    """Import a plaza's unit register from CSV or .xlsx, with a progress bar (archive's own
    command, on archive's database)."""
    sys.exit(_service_command("archive", "import", plaza_id, file, *(["--dry-run"] if dry_run else [])))


@main.group()
def archive() -> None:
    """Archive's own maintenance."""


@archive.command("rebuild")
@click.option("--plaza", default=None, help="only this plaza")
def archive_rebuild(plaza: str | None) -> None:
    """Rebuild the timelines and projections by replaying every stream."""
    sys.exit(_service_command("archive", "rebuild", *(["--plaza", plaza] if plaza else [])))


def _service_command(service: str, *args: str) -> int:
    return subprocess.call([sys.executable, "-m", f"services.{service}", *args])


# ---------------------------------------------------------------- runs
@main.group()
def run() -> None:
    """Billing's runs (each idempotent: running one twice changes nothing the second time)."""


@run.command("fees")
@click.argument("plaza_id")
@click.option("--period", required=True, help="YYYY-MM")
@pass_desk
def run_fees(desk: Desk, plaza_id: str, period: str) -> None:
    """The property fee run of a period: one invoice per occupied unit."""
    out(desk.ok("billing", "POST", f"/v1/plazas/{plaza_id}/fee-runs", json={"period": period}))


@run.command("dunning")
@click.argument("plaza_id")
@pass_desk
def run_dunning(desk: Desk, plaza_id: str) -> None:
    """Reminders and escalations of the units in arrears (held while a complaint is open)."""
    out(desk.ok("billing", "POST", f"/v1/plazas/{plaza_id}/dunning-runs", json={}))


@run.command("public-share")
@click.argument("plaza_id")
@click.option("--period", required=True, help="YYYY-MM")
@pass_desk
def run_public_share(desk: Desk, plaza_id: str, period: str) -> None:
    """The public-share (公摊) run of a period: each unit charged its share once."""
    out(desk.ok("billing", "POST", f"/v1/plazas/{plaza_id}/public-share/{period}/run", json={}))


# ---------------------------------------------------------------- dead letters
@main.group("dead-letters")
def dead_letters() -> None:
    """Events a consumer could not apply: list, show, replay after a fix, discard (audited)."""


def _with_js(job):
    async def go(url: str):
        import nats

        nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
        try:
            return await job(nc.jetstream())
        finally:
            await nc.drain()

    return go


@dead_letters.command("list")
@click.option("--consumer", default=None, help="one consumer's, e.g. billing-work-order-closed")
@click.option("--service", default=None, help="one service's consumers")
@click.option("--json", "as_json", is_flag=True)
@pass_desk
def dl_list(desk: Desk, consumer: str | None, service: str | None, as_json: bool) -> None:
    """The dead letters, oldest first: sequence, consumer, event, why."""
    from libs.runtime import deadletters

    async def job(js):
        return [x async for x in deadletters.letters(js, consumer=consumer, service=service)]

    found = asyncio.run(_with_js(job)(desk.nats_url()))
    if as_json:
        out([{k: v for k, v in _plain(x).items() if k != "data"} for x in found])
        return
    for x in found:
        click.echo(f"{x.seq:>6}  {x.consumer:<36} {x.event_type or '?':<24} {x.plaza_id or '?':<14} {x.reason}")
    click.echo(f"{len(found)} dead letter(s)", err=True)


@dead_letters.command("show")
@click.argument("seq", type=int)
@pass_desk
def dl_show(desk: Desk, seq: int) -> None:
    """One dead letter: its reason, where it came from, the whole event."""
    from libs.runtime import deadletters

    try:
        letter = asyncio.run(_with_js(lambda js: deadletters.show(js, seq))(desk.nats_url()))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    shown = _plain(letter)
    shown["event"] = json.loads(letter.data) if letter.data[:1] == b"{" else letter.data.decode("utf-8", "replace")
    del shown["data"]
    out(shown)


@dead_letters.command("replay")
@click.argument("seqs", type=int, nargs=-1)
@click.option("--consumer", default=None, help="every dead letter of this consumer")
@click.option("--reason", default="", help="what was fixed (kept in the audit)")
@click.option("--actor", default=lambda: os.environ.get("USER", "operator"), show_default="$USER")
@pass_desk
def dl_replay(desk: Desk, seqs: tuple[int, ...], consumer: str | None, reason: str, actor: str) -> None:
    """Publish each again on its first subject once the cause is fixed, and remove it.
    Consumers that had applied it only acknowledge it (their inbox knows its id)."""
    from libs.runtime import deadletters

    if not seqs and not consumer:
        raise click.UsageError("name the dead letters (their sequences) or --consumer")

    async def job(js):
        chosen = list(seqs) or [x.seq async for x in deadletters.letters(js, consumer=consumer)]
        done = []
        for seq in chosen:
            try:
                done.append(await deadletters.replay(js, seq, actor=actor, reason=reason))
            except (LookupError, ValueError) as exc:
                click.echo(f"{seq}: {exc}", err=True)
        return done

    done = asyncio.run(_with_js(job)(desk.nats_url()))
    for x in done:
        click.echo(f"replayed {x.seq} ({x.event_type}) to {x.subject}")
    if len(done) < (len(seqs) or len(done)):
        sys.exit(1)


@dead_letters.command("discard")
@click.argument("seq", type=int)
@click.option("--reason", required=True, help="why it is dropped (kept in the audit with the whole event)")
@click.option("--actor", default=lambda: os.environ.get("USER", "operator"), show_default="$USER")
@pass_desk
def dl_discard(desk: Desk, seq: int, reason: str, actor: str) -> None:
    """Remove a dead letter for good, with a reason."""
    from libs.runtime import deadletters

    try:
        letter = asyncio.run(_with_js(lambda js: deadletters.discard(js, seq, actor=actor, reason=reason))(desk.nats_url()))
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"discarded {letter.seq} ({letter.event_type}): {reason}")


@dead_letters.command("audit")
@click.option("--limit", default=50, show_default=True)
@pass_desk
def dl_audit(desk: Desk, limit: int) -> None:
    """Who replayed or discarded which dead letter or event set aside, when and why."""
    from libs.runtime import deadletters

    for entry in asyncio.run(_with_js(lambda js: deadletters.audit_trail(js, limit))(desk.nats_url())):
        where = f"#{entry['seq']} {entry['consumer']}" if "seq" in entry else f"{entry.get('service')} {entry.get('event_id')}"
        click.echo(f"{entry['at']}  {entry['action']:<22} {entry['actor']:<12} {where} "
                   f"{entry.get('event_type')}: {entry['reason']}")


# ---------------------------------------------------------------- events set aside
@main.group("set-aside")
def set_aside() -> None:
    """Events the broker refused for good (never published): list, show, replay after a fix,
    discard (audited). Works on the service's own database, with its settings."""


def _service_db(service: str):
    import importlib

    from libs.runtime.db import Database

    settings = importlib.import_module(f"services.{service}.settings").from_env()
    tables = importlib.import_module(f"services.{service}.tables")
    schema = None if settings.database_url.startswith("sqlite") else settings.database_schema
    return Database(settings.database_url, schema=schema), tables.metadata


def _on_db(service: str, job):
    async def go():
        db, metadata = _service_db(service)
        try:
            return await job(db, metadata)
        finally:
            await db.dispose()

    return asyncio.run(go())


SERVICE = click.option("--service", required=True, type=click.Choice([s for s in PORTS if s != "console"]))


@set_aside.command("list")
@SERVICE
def sa_list(service: str) -> None:
    """What the service set aside, oldest first: event id, type, when, why."""
    from libs.runtime import setaside

    rows = _on_db(service, setaside.listed)
    for r in rows:
        click.echo(f"{r['event_id']}  {r['event_type']:<24} {r['failed_at']:%Y-%m-%d %H:%M}  {len(r['payload']):>8} B  {r['reason']}")
    click.echo(f"{len(rows)} event(s) set aside", err=True)


@set_aside.command("show")
@SERVICE
@click.argument("event_id")
def sa_show(service: str, event_id: str) -> None:
    """One event set aside, whole."""
    from libs.runtime import setaside

    try:
        row = _on_db(service, lambda db, md: setaside.show(db, md, event_id))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    out({**{k: v for k, v in row.items() if k != "payload"}, "event": json.loads(row["payload"])})


@set_aside.command("replay")
@SERVICE
@click.argument("event_id")
@click.option("--reason", default="", help="what was fixed (kept in the audit)")
@click.option("--actor", default=lambda: os.environ.get("USER", "operator"), show_default="$USER")
@pass_desk
def sa_replay(desk: Desk, service: str, event_id: str, reason: str, actor: str) -> None:
    """Put it back in the outbox once the cause is fixed: the service's relay publishes it."""
    from libs.runtime import deadletters, setaside

    try:
        row = _on_db(service, lambda db, md: setaside.replay(db, md, event_id))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    asyncio.run(_with_js(lambda js: deadletters.record(
        js, setaside.REPLAYED, actor=actor, reason=reason, service=service, event_id=event_id,
        event_type=row["event_type"], subject=row["subject"], set_aside_reason=row["reason"]))(desk.nats_url()))
    click.echo(f"{event_id} ({row['event_type']}) is back in {service}'s outbox")


@set_aside.command("discard")
@SERVICE
@click.argument("event_id")
@click.option("--reason", required=True, help="why it is dropped (kept in the audit with the whole event)")
@click.option("--actor", default=lambda: os.environ.get("USER", "operator"), show_default="$USER")
@pass_desk
def sa_discard(desk: Desk, service: str, event_id: str, reason: str, actor: str) -> None:
    """Remove it for good, with a reason."""
    from libs.runtime import deadletters, setaside

    try:
        row = _on_db(service, lambda db, md: setaside.discard(db, md, event_id, reason))
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    asyncio.run(_with_js(lambda js: deadletters.record(
        js, setaside.DISCARDED, actor=actor, reason=reason, service=service, event_id=event_id,
        event_type=row["event_type"], subject=row["subject"], set_aside_reason=row["reason"],
        event=row["payload"].decode("utf-8", "replace")))(desk.nats_url()))
    click.echo(f"discarded {event_id} ({row['event_type']}): {reason}")


def _plain(letter) -> dict:
    import msgspec

    return msgspec.structs.asdict(letter)


# ---------------------------------------------------------------- backups
@main.group()
def backup() -> None:
    """Backups of every database and stream, and their restore (scripts.backup)."""


@backup.command("create", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def backup_create(args: tuple[str, ...]) -> None:
    """Take a backup (`plazadesk backup create --to DIR [--keep N]`)."""
    sys.exit(subprocess.call([sys.executable, "-m", "scripts.backup", "create", *args]))


@backup.command("restore", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def backup_restore(args: tuple[str, ...]) -> None:
    """Restore one (`plazadesk backup restore --from DIR`), with the services stopped."""
    sys.exit(subprocess.call([sys.executable, "-m", "scripts.backup", "restore", *args]))


if __name__ == "__main__":
    main()
