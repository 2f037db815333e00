"""What the HTTP edge accepts: body sizes, text lengths, list sizes, amounts, and text
without control characters. One place for the numbers (the README's limits table lists
them) and the constrained types every request body uses.

The broker takes messages of up to 8 MB; a request body becomes at most one event of
about its own size, so the body limits keep every event far below that. The numbers are
meant to be generous for a property desk: a request's text is a long letter, a note a long
paragraph, a name a long company name.

A value over a limit, or text with a control character, is refused with 422 naming the
field and the limit (libs/runtime/http/fields.py words the answer); a body over its size, 413.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

KiB = 1024
MiB = 1024 * KiB

# Request bodies, in bytes.
BODY_MAX = 64 * KiB  # every JSON body
DOCUMENT_MAX = 20 * MiB  # a document filed on a unit (a scanned contract, a permit)
IMPORT_MAX = 10 * MiB  # a unit register import (CSV or .xlsx)
IMPORT_ROWS_MAX = 50_000  # rows of one import (a compressed .xlsx unpacks far beyond its bytes)

# Text, in characters.
TEXT_MAX = 4000  # a request's text, a description
NOTE_MAX = 2000  # notes, comments, reasons
NAME_MAX = 200  # a person, company, item, department, title
CODE_MAX = 64  # a unit, sku, code, id, time zone, month
PHONE_MAX = 40
KEYWORD_MAX = 100

# Lists, in items.
MATERIALS_MAX = 100  # material lines of one work order
CONTACTS_MAX = 50  # contacts and family members of a unit
WORKERS_MAX = 200  # workers of one renovation
DEFECTS_MAX = 200  # defects of one inspection
RULES_MAX = 500  # routing rules, referral entries, kind rules
KEYWORDS_MAX = 1000  # keywords of one rule
DIMENSIONS_MAX = 50  # survey dimensions, answers of one response
REASONS_MAX = 20  # reason codes of one answer
DATES_MAX = 1000  # closed dates, capacity overrides

# Amounts.
FEN_MAX = 10**12  # ten billion yuan: no amount of a plaza comes near, and every sum fits 64 bits
QUANTITY_MAX = 1_000_000

# Refused in every text field: C0 controls and DEL. Multi-line text keeps line feeds and
# tabs. The patterns are valid in Python and ECMA-262 (the OpenAPI document shows them);
# "(?!\n)" because Python's "$" also matches before a final line feed.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$(?!\n)"
MULTI_LINE = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"
PATTERNS = {ONE_LINE: False, MULTI_LINE: True}  # pattern → line feeds and tabs allowed


def line(max_length: int = NAME_MAX, *, min_length: int | None = None) -> Any:
    """One line of text: no control characters at all."""
    return Annotated[str, msgspec.Meta(min_length=min_length, max_length=max_length, pattern=ONE_LINE)]


def text(max_length: int = TEXT_MAX, *, min_length: int | None = None) -> Any:
    """Text that may run over several lines: line feeds and tabs, no other control characters."""
    return Annotated[str, msgspec.Meta(min_length=min_length, max_length=max_length, pattern=MULTI_LINE)]


def items(item_type: Any, max_length: int) -> Any:
    return Annotated[list[item_type], msgspec.Meta(max_length=max_length)]


Name = line(NAME_MAX)
Code = line(CODE_MAX)
Phone = line(PHONE_MAX)
Keyword = line(KEYWORD_MAX)  # a blank one is the domain rules' to refuse, naming its list
Note = text(NOTE_MAX)
Text = text(TEXT_MAX)
Fen = Annotated[int, msgspec.Meta(ge=0, le=FEN_MAX)]  # money that is never negative
Quantity = Annotated[int, msgspec.Meta(ge=0, le=QUANTITY_MAX)]
# Bounded both ways, the sign left to the domain rules (a 422 naming the field says why).
Amount = Annotated[int, msgspec.Meta(ge=-FEN_MAX, le=FEN_MAX)]
Count = Annotated[int, msgspec.Meta(ge=-QUANTITY_MAX, le=QUANTITY_MAX)]

_CONTROL = {False: re.compile(r"[\x00-\x1f\x7f]"), True: re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")}


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character in ``value`` as ``U+0001``, or None: for text that does
    not come through a typed body (import rows, upload names)."""
    found = _CONTROL[multiline].search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def too_long(value: str, max_length: int) -> str | None:
    """Why ``value`` is too long, or None."""
    return f"{len(value)} characters, at most {max_length}" if len(value) > max_length else None


def size_text(n: int) -> str:
    """64 KiB, 20 MiB: a size as the README's limits table gives it."""
    for unit, name in ((MiB, "MiB"), (KiB, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} bytes"
