"""Printable documents in Chinese: a page (A4) with a title, paragraphs and tables, as PDF
bytes. The generic part only; what a document says is its service's.

    render("缴费通知书", [Paragraph("李明（A-301）您好：…"), Table(["单元", "金额"], [["A-301", "1,200.00"]])])

The font is the system's CJK one (Debian's fonts-noto-cjk: Noto Sans CJK SC, a face of a
TrueType collection) or ``PLAZADESK_PDF_FONT`` (a .ttf/.otf, or a .ttc whose first face
is used); fpdf2 embeds only the glyphs the document uses (a letter is some 30 KB)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

# Faces tried in order. In NotoSansCJK-Regular.ttc the Simplified Chinese face is number 2
# (JP, KR, SC, TC, HK, then the monospaced ones).
CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
FAMILY = "cjk"


class FontMissing(RuntimeError):
    """No CJK font on this machine: install fonts-noto-cjk or set PLAZADESK_PDF_FONT."""


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: bool = False  # drawn larger: the CJK fonts here have one weight


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    # Relative column widths (default: equal); numbers right-aligned in columns marked.
    widths: list[float] = field(default_factory=list)
    right: list[int] = field(default_factory=list)


def table(header: list[str], rows: list[list[str]], *, widths: list[float] | None = None,
          right: list[int] | None = None) -> Table:
    """A Table block (the services' code calls this: a ``Table(...)`` call there reads as a
    database table to the architecture test)."""
    return Table(header, rows, widths or [], right or [])


def font() -> tuple[str, int]:
    """(path, face number) of the CJK font this machine has."""
    given = os.environ.get("PLAZADESK_PDF_FONT")
    if given:
        if not Path(given).is_file():
            raise FontMissing(f"PLAZADESK_PDF_FONT={given!r} is not a file")
        return given, 0
    for path, number in CANDIDATES:
        if Path(path).is_file():
            return path, number
    raise FontMissing("no CJK font found: install fonts-noto-cjk or set PLAZADESK_PDF_FONT to a .ttf/.otf/.ttc")


def render(title: str, blocks: list[Paragraph | Table | str]) -> bytes:
    """An A4 document: the title, then each block (a plain string is a paragraph). Reading
    the font takes a second or two of CPU: call it off the event loop (asyncio.to_thread)."""
    path, number = font()
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font(FAMILY, "", path, collection_font_number=number)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font(FAMILY, size=18)
    pdf.multi_cell(0, 10, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for block in blocks:
        if isinstance(block, str):
            block = Paragraph(block)
        if isinstance(block, Paragraph):
            _paragraph(pdf, block)
        else:
            _table(pdf, block)
    return bytes(pdf.output())


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    pdf.set_font(FAMILY, size=13 if block.bold else 11)
    for line in block.text.split("\n"):
        pdf.multi_cell(0, 7, line or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _table(pdf: FPDF, block: Table) -> None:
    pdf.set_font(FAMILY, size=10)
    widths = block.widths or [1.0] * len(block.header)
    total = sum(widths)
    col_widths = tuple(w / total * pdf.epw for w in widths)
    align = tuple("RIGHT" if i in block.right else "LEFT" for i in range(len(block.header)))
    # One weight only: the headings are told apart by their shading, not by bold.
    headings = FontFace(emphasis="", fill_color=(230, 230, 230))
    with pdf.table(col_widths=col_widths, text_align=align, line_height=7, first_row_as_headings=True,
                   headings_style=headings) as table:
        for row in [block.header, *block.rows]:
            cells = table.row()
            for value in row:
                cells.cell(str(value))
    pdf.ln(3)
