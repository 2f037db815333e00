"""All events of PlazaDesk: one module per producing stream, one tagged union per stream.

Every class is tagged with its own name (``type``); each stream has a tagged union and a
decoder, so a consumer turns bytes into the right event in one call. A producer adds its
events in its own module (``libs/contracts/<service>.py``) and lists them in ``EVENTS``.
"""

from __future__ import annotations

from typing import Union

import msgspec

from libs.contracts import archive, billing, dispatch, intake, notices, staff, survey
from libs.contracts.archive import *  # noqa: F403
from libs.contracts.billing import *  # noqa: F403
from libs.contracts.common import *  # noqa: F403
from libs.contracts.dispatch import *  # noqa: F403
from libs.contracts.envelope import Event
from libs.contracts.intake import *  # noqa: F403
from libs.contracts.notices import *  # noqa: F403
from libs.contracts.staff import *  # noqa: F403
from libs.contracts.survey import *  # noqa: F403

_MODULES = {"archive": archive, "intake": intake, "dispatch": dispatch, "survey": survey, "billing": billing,
            "staff": staff, "notices": notices}

UNIONS: dict[str, object] = {name: Union[module.EVENTS] for name, module in _MODULES.items()}  # type: ignore[valid-type]
ArchiveEvent = UNIONS["archive"]
IntakeEvent = UNIONS["intake"]
DispatchEvent = UNIONS["dispatch"]
SurveyEvent = UNIONS["survey"]
BillingEvent = UNIONS["billing"]
StaffEvent = UNIONS["staff"]
NoticesEvent = UNIONS["notices"]
AnyEvent = Union[tuple(cls for module in _MODULES.values() for cls in module.EVENTS)]  # type: ignore[valid-type]

STREAM_OF: dict[type, str] = {cls: name for name, module in _MODULES.items() for cls in module.EVENTS}

DECODERS: dict[str, msgspec.json.Decoder] = {
    name: msgspec.json.Decoder(union) for name, union in UNIONS.items()  # type: ignore[arg-type]
}
ANY_DECODER = msgspec.json.Decoder(AnyEvent)
ENCODER = msgspec.json.Encoder()


def encode(event: Event) -> bytes:
    return ENCODER.encode(event)


def decode(data: bytes, stream: str | None = None) -> AnyEvent:
    """Bytes → event; raises msgspec.ValidationError / DecodeError naming what is wrong."""
    return (DECODERS[stream] if stream else ANY_DECODER).decode(data)
