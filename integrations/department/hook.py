"""What the kit does with each work-order event: the part a department replaces.

A hook is a function taking one event (a ``libs.contracts.dispatch`` work-order Struct:
``WorkOrderCreated``, ``WorkOrderAssigned``, …), plain or ``async``. The kit acknowledges
the event only after the hook returned; if the hook raises, the event comes again later
(with a growing delay), so a hook must tolerate seeing an event twice: the event's ``id``
is unique, and ``work_order_id`` names the job.

Set ``PLAZADESK_HOOK=package.module:function`` to use your own; the default writes each
event as one JSON line (the event as PlazaDesk published it) to ``PLAZADESK_OUTPUT``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

Hook = Callable[[Any], Awaitable[None] | None]

_ENCODER = msgspec.json.Encoder()


def json_lines(output: str = "-") -> Hook:
    """The default hook: one JSON line per event, to stdout (``-``) or appended to a file
    and flushed to disk before the event is acknowledged."""

    def write(event) -> None:
        line = _ENCODER.encode(event) + b"\n"
        if output == "-":
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
            return
        with open(output, "ab") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())

    return write


def load(spec: str) -> Hook:
    """``package.module:function`` → that function (a hook of the department's own)."""
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise ValueError(f"PLAZADESK_HOOK must be 'package.module:function', not {spec!r}")
    hook = getattr(importlib.import_module(module_name), name)
    if not callable(hook):
        raise ValueError(f"PLAZADESK_HOOK {spec!r} is not a function")
    return hook
