"""The fatigue look-up of a batch of closes, on a unit with a long history: it finds the
unit's closes followed up by a call near the new ones and reads only those, however many of
the unit's visits went by survey link (or an older release skipped). A real database
(SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from libs.contracts import new_event_id, utcnow
from libs.runtime.db import sqlite_driver
from libs.runtime.db import migrate
from tests.support.harness import fresh_database, make_tables
from services.survey import tables
from services.survey.visits import store

DAY = dt.timedelta(days=1)
NOW = utcnow().replace(microsecond=0)


def visit(unit: str, wo: str, closed_at: dt.datetime, skip_reason: str | None, method: str = "phone") -> dict:
    return {
        "id": new_event_id(), "plaza_id": "p1", "work_order_id": wo, "reopen_count": 0, "request_id": None,
        "unit": unit, "department": "engineering", "closed_at": closed_at, "scheduled_at": closed_at,
        "due_at": closed_at + DAY, "correlation_id": wo, "scheduled_event_id": new_event_id(),
        "skip_reason": skip_reason, "method": method,
    }


async def index_names(db) -> set[str]:
    async with db.read() as conn:
        return await conn.run_sync(
            lambda c: {i["name"] for i in sa.inspect(c).get_indexes("visits", schema=db.schema)})


async def test_the_fatigue_look_up_reads_only_the_called_visits_of_a_busy_unit(db_kind, tmp_path, cleanup_schemas):
    db = fresh_database(db_kind, tmp_path, cleanup_schemas, "survey")
    try:
        # A file from the releases before, its tables made at start-up: its index on (plaza,
        # unit, closed at) is the one SQLite took over the partial index, and the partial
        # index of surveyed (not skipped) visits reads the online ones too. The migration
        # step drops both when it adopts the file.
        await db.create_all(migrate.baseline_metadata(tables.metadata))  # as that release had them
        async with db.write() as conn:
            table = f'"{db.schema}".visits' if db.schema else "visits"
            await conn.execute(sa.text(f"CREATE INDEX ix_visits_plaza_unit ON {table} (plaza_id, unit, closed_at)"))
            await conn.execute(sa.text(f"CREATE INDEX ix_visits_surveyed ON {table} (plaza_id, unit, closed_at) "
                                       "WHERE skip_reason IS NULL"))
        await make_tables(db, tables.metadata)
        assert not {"ix_visits_plaza_unit", "ix_visits_surveyed"} & await index_names(db)
        assert {"ix_visits_called", "ix_visits_plaza_unit_id"} <= await index_names(db)

        rows = [visit("A-1", "wo-surveyed", NOW - 3 * DAY, None), visit("A-1", "wo-old", NOW - 40 * DAY, None),
                visit("B-2", "wo-other-unit", NOW - DAY, None)]
        rows += [visit("A-1", f"wo-skipped-{i}", NOW - dt.timedelta(minutes=i + 1), "fatigue") for i in range(100)]
        rows += [visit("A-1", f"wo-online-{i}", NOW - dt.timedelta(hours=i + 3), None, "online") for i in range(200)]
        async with db.write() as conn:
            await conn.execute(tables.visits.insert(), rows)

        statements: list[tuple[str, tuple]] = []
        async with db.read() as conn:
            def seen(_conn, _cursor, statement, parameters, _context, _many):
                statements.append((statement, parameters))

            sa.event.listen(conn.sync_connection, "before_cursor_execute", seen)
            units = {("p1", "A-1"), ("p1", "C-3"), ("p1", "D-4"), ("p1", "E-5"), ("p1", "F-6")}  # a batch's
            found = await store.called_closes(conn, units, NOW - 30 * DAY, NOW + 30 * DAY)
            assert found == {("p1", "A-1"): [("wo-surveyed", NOW - 3 * DAY)]}

            raw = sqlite_driver(conn)
            if raw is not None:  # SQLite chooses without statistics; PostgreSQL has them
                (statement, parameters), = statements
                plan = " ".join(str(r[-1]) for r in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
                assert "USING INDEX ix_visits_called " in plan, plan  # not every visit of the unit
    finally:
        await db.dispose()
