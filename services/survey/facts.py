"""Survey's copy of archive's plazas and units (tables ``plazas`` and ``units`` in
tables.py): recorded from archive's events, and checked before a close is applied, so no
visit is made for a plaza or unit archive never registered."""

from __future__ import annotations

from libs.contracts.events import UnitRegistered
from libs.runtime import replica
from libs.runtime.uow import Tx
from services.survey import tables
from services.survey.campaigns import domain as campaigns


async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as survey's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, tables.plazas, tables.units, events, unit_extra=_survey_facts)


async def require_known_facts(tx: Tx, events: list) -> None:
    """No visit for a plaza or unit archive has not registered (UnknownFact: the consumer
    waits for archive's facts a while, then dead-letters the event)."""
    await replica.require_known(tx.conn, tables.plazas, tables.units, events)


def _survey_facts(event: UnitRegistered) -> dict:
    # A unit whose building archive does not know is placed by its number's prefix: the
    # building is a campaign's stratum.
    return {"building": campaigns.building_of(event.unit, event.building)}
