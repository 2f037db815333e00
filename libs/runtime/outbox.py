"""The names services import from here today: the unit of work (``libs.runtime.uow``) and
the relay (``libs.runtime.relay``), re-exported while their imports move."""

from libs.runtime.relay import ATOMIC_FROM, MARK_AT, Publish, Relay, unpublished
from libs.runtime.uow import FAILED_EVENTS, RefusedForGood, Tx, add_runtime_tables

__all__ = [
    "ATOMIC_FROM", "FAILED_EVENTS", "MARK_AT", "Publish", "RefusedForGood", "Relay", "Tx", "add_runtime_tables",
    "unpublished",
]
