"""The only code the services share about each other: event types, the envelope, subjects."""

from libs.contracts.envelope import Event, new_event_id, utcnow
from libs.contracts.subjects import (
    STREAMS,
    StreamSpec,
    dead_letter_subject,
    subject_for,
    validate_token,
)

__all__ = [
    "STREAMS",
    "Event",
    "StreamSpec",
    "dead_letter_subject",
    "new_event_id",
    "subject_for",
    "utcnow",
    "validate_token",
]
