"""A backup and its restore through the library, against a real nats-server and a service's
SQLite file: an event published after the streams' snapshot is published again, a damaged
backup restores nothing, what is there is overwritten only when asked, old backups go."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid

import pytest
import sqlalchemy as sa

from libs.contracts import utcnow
from libs.runtime import backup
from libs.runtime.backup.plan import NatsPlace, ServicePlace
from libs.runtime.db import Database, sqlite_utc_text
from libs.runtime.settings import nats_servers
from libs.runtime.uow import add_runtime_tables
from scripts.natsserver import free_port
from tests.support.harness import PG_URL, Bus, drop_schema, postgres_reachable

pytestmark = pytest.mark.asyncio


async def billing_database(path) -> str:
    metadata = sa.MetaData()
    add_runtime_tables(metadata)
    sa.Table("ledger", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("amount_fen", sa.Integer))
    url = f"sqlite:///{path}"
    db = Database(url)
    await db.create_all(metadata)
    await db.dispose()
    return url


def outbox(url: str, rows: dict[str, dt.datetime | None]) -> None:
    conn = sqlite3.connect(url.split(":///")[1])
    with conn:
        conn.executemany(
            "INSERT INTO outbox (event_id, subject, payload, created_at, published_at, attempts) VALUES (?, ?, ?, ?, ?, 0)",
            [(i, "plazadesk.billing.p1.charge.posted", b"{}", sqlite_utc_text(utcnow()), at and sqlite_utc_text(at))
             for i, at in rows.items()])
        conn.execute("INSERT INTO ledger (amount_fen) VALUES (3000)")
    conn.close()


def unpublished(url: str) -> set[str]:
    conn = sqlite3.connect(url.split(":///")[1])
    try:
        return {r[0] for r in conn.execute("SELECT event_id FROM outbox WHERE published_at IS NULL")}
    finally:
        conn.close()


@pytest.fixture
async def setup(bus: Bus, nats_server, tmp_path):
    await bus.declare_streams("billing")
    for event_id in ("e1", "e2"):
        await bus.publish_raw("plazadesk.billing.p1.charge.posted", b"{}", msg_id=event_id)
    url = await billing_database(tmp_path / "data" / "billing.db")
    now = utcnow()
    # e1 and e2 are in the stream; e3 was marked published as the snapshot was taken and is
    # not; e0 was published a day ago (long since in the stream, or purged from it).
    outbox(url, {"e0": now - dt.timedelta(days=1), "e1": now, "e2": now, "e3": now, "e4": None})
    place = ServicePlace("billing", url, "billing", str(tmp_path / "data"), ("survey-link-secret",))
    (tmp_path / "data" / "survey-link-secret").write_text("s3cret-s3cret-s3cret")
    return [place], NatsPlace(nats_servers(nats_server.url)), url


async def lose_everything(bus: Bus, url: str, tmp_path) -> None:
    for stream in ("BILLING", "DEADLETTER"):
        await bus.js.delete_stream(stream)
    for path in (tmp_path / "data").iterdir():
        path.unlink()


async def test_an_event_published_after_the_snapshot_is_published_again(bus, setup, tmp_path):
    places, nats, url = setup
    folder = await backup.create(tmp_path / "backups", places, nats, say=lambda _: None)
    book = backup.backups(tmp_path / "backups")[0][1]
    assert {s.stream for s in book.streams} == {"BILLING", "DEADLETTER"}
    assert [(d.service, d.kind) for d in book.databases] == [("billing", "sqlite")]
    assert "ledger" in book.databases[0].tables and book.files[0].paths == ["survey-link-secret"]

    await lose_everything(bus, url, tmp_path)
    said = []
    await backup.restore(folder, places, nats, say=said.append)
    assert unpublished(url) == {"e3", "e4"}, said
    assert "billing: 1 events published after the snapshot will be published again" in said
    assert [m.headers["Nats-Msg-Id"] for m in await bus.messages("BILLING")] == ["e1", "e2"]
    assert (tmp_path / "data" / "survey-link-secret").read_text() == "s3cret-s3cret-s3cret"


async def test_a_damaged_backup_restores_nothing(bus, setup, tmp_path):
    places, nats, url = setup
    folder = await backup.create(tmp_path / "backups", places, nats, say=lambda _: None)
    copy = folder / "databases" / "billing.sqlite"
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError, match="databases/billing.sqlite: its SHA-256 differs"):
        backup.verify(folder)
    await lose_everything(bus, url, tmp_path)
    with pytest.raises(backup.BackupError, match="databases/billing.sqlite: its SHA-256 differs"):
        await backup.restore(folder, places, nats, say=lambda _: None)
    assert not (tmp_path / "data" / "billing.db").exists()
    assert [s.config.name for s in await bus.js.streams_info()] == []


async def test_what_is_there_is_overwritten_only_when_asked(bus, setup, tmp_path):
    places, nats, url = setup
    folder = await backup.create(tmp_path / "backups", places, nats, say=lambda _: None)
    await bus.publish_raw("plazadesk.billing.p1.charge.posted", b"{}", msg_id="later")
    with pytest.raises(backup.BackupError, match="already there .*stream BILLING.*database billing"):
        await backup.restore(folder, places, nats, say=lambda _: None)
    running = sqlite3.connect(url.split(":///")[1])  # as a service that was not stopped holds it
    running.execute("SELECT 1 FROM ledger").fetchall()
    with pytest.raises(backup.BackupError, match="still open by a running process .*database billing"):
        await backup.restore(folder, places, nats, replace=True, say=lambda _: None)
    running.close()
    await backup.restore(folder, places, nats, replace=True, say=lambda _: None)
    assert [m.headers["Nats-Msg-Id"] for m in await bus.messages("BILLING")] == ["e1", "e2"]


async def test_keep_removes_all_but_the_newest(setup, tmp_path):
    places, nats, _ = setup
    made = [await backup.create(tmp_path / "backups", places, nats, keep=2, say=lambda _: None) for _ in range(3)]
    assert [folder for folder, _ in backup.backups(tmp_path / "backups")] == made[1:]
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in made[-1].rglob("*") if p.is_file())


async def test_a_nats_that_does_not_answer_stops_the_backup_before_it_writes(setup, tmp_path):
    places, _, _ = setup
    with pytest.raises(Exception):
        await backup.create(tmp_path / "backups", places, NatsPlace([f"nats://127.0.0.1:{free_port()}"]), say=lambda _: None)
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL on 127.0.0.1:5432")
async def test_a_postgresql_schema_comes_back_under_the_name_the_settings_give(bus, nats_server, tmp_path, cleanup_schemas):
    await bus.declare_streams("billing")
    old, new = (f"t_{uuid.uuid4().hex[:10]}_billing" for _ in range(2))
    cleanup_schemas += [old, new]
    metadata = sa.MetaData()
    add_runtime_tables(metadata)
    sa.Table("alembic_version", metadata, sa.Column("version_num", sa.String(32), primary_key=True))
    db = Database(PG_URL, schema=old)
    await db.create_all(metadata)
    async with db.write() as conn:
        await conn.execute(sa.text(f'INSERT INTO "{old}".alembic_version VALUES (\'0007_ledger\')'))
        await conn.execute(sa.text(f'INSERT INTO "{old}".outbox (event_id, subject, payload, created_at, published_at, attempts) '
                                   "VALUES ('e9', 's', '\\x7b7d', now(), now(), 0)"))
    await db.dispose()
    nats = NatsPlace(nats_servers(nats_server.url))
    folder = await backup.create(tmp_path / "backups", [ServicePlace("billing", PG_URL, old, str(tmp_path))], nats,
                                 say=lambda _: None)
    await drop_schema(old)
    await bus.js.delete_stream("BILLING")
    await bus.js.delete_stream("DEADLETTER")

    said = []
    await backup.restore(folder, [ServicePlace("billing", PG_URL, new, str(tmp_path))], nats, say=said.append)
    db = Database(PG_URL, schema=new)
    async with db.read() as conn:
        assert (await conn.execute(sa.text(f'SELECT version_num FROM "{new}".alembic_version'))).scalar_one() == "0007_ledger"
        unmarked = (await conn.execute(sa.text(f'SELECT event_id FROM "{new}".outbox WHERE published_at IS NULL'))).all()
    await db.dispose()
    assert [r[0] for r in unmarked] == ["e9"], said  # published as the snapshot was taken, not in the stream
