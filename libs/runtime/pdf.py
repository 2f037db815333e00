"""Papers in Chinese as PDF, written the same way by every service: a title, then blocks
(``Paragraph``, ``Table``) in order, on A4 with page numbers. ``render(title, blocks)`` is
the whole API; what a paper says (a statement of account, a receipt, a letter) is its
service's.

Chinese needs a CJK font in the file: the system's Noto Sans CJK (Debian's fonts-noto-cjk),
Simplified Chinese face of the collection, embedded as the subset of glyphs used.
``PLAZADESK_PDF_FONT`` names another font file (a .ttf, .otf or .ttc) where that one is
not installed. Reading the CJK font's metrics costs a few seconds of CPU: render in a worker
thread (``libs.runtime.export.off_loop``), never on the event loop.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The Noto Sans CJK collection: face 2 is Simplified Chinese (JP, KR, SC, TC, HK, then Mono).
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_CJK_SC = 2
FAMILY = "cjk"


class FontMissing(RuntimeError):
    """No CJK font to write Chinese with: install fonts-noto-cjk or set PLAZADESK_PDF_FONT."""


@dataclass(frozen=True)
class Paragraph:
    """A run of text, wrapped to the page; ``size`` in points, ``align`` L, C, R or J."""

    text: str
    size: float = 10.5
    align: str = "L"


@dataclass(frozen=True)
class Table:
    """A header row and rows of cells (any value, written as its text; None is empty).
    ``widths``: each column's share of the line; ``align``: L, C or R per column."""

    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float] | None = None
    align: Sequence[str] | None = field(default=None)


def font() -> tuple[Path, int]:
    """The font file and the face in it that papers are written with."""
    chosen = os.environ.get("PLAZADESK_PDF_FONT")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise FontMissing(f"PLAZADESK_PDF_FONT={chosen!r} is not a file")
        return path, NOTO_CJK_SC if path.suffix.lower() == ".ttc" and "NotoSansCJK" in path.name else 0
    if NOTO_CJK.is_file():
        return NOTO_CJK, NOTO_CJK_SC
    raise FontMissing(f"no CJK font: {NOTO_CJK} is missing (apt-get install fonts-noto-cjk) "
                      "and PLAZADESK_PDF_FONT is not set")


def render(title: str, blocks: list) -> bytes:
    """The paper as PDF bytes: ``title`` on top, then each block. CPU work of seconds (the
    CJK font's metrics): call it in a worker thread."""
    from fpdf import FPDF

    path, face = font()
    pdf = FPDF(format="A4")
    pdf.set_title(_plain(title))
    pdf.set_creator("PlazaDesk")
    pdf.add_font(FAMILY, "", str(path), collection_font_number=face)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.alias_nb_pages()
    pdf.footer = lambda: _footer(pdf)  # the page number on every page
    pdf.add_page()
    pdf.set_font(FAMILY, size=16)
    pdf.multi_cell(0, 10, _plain(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for block in blocks:
        if isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Table):
            _table(pdf, block)
        else:
            raise TypeError(f"a paper's block is a Paragraph or a Table, not {type(block).__name__}")
    return bytes(pdf.output())


def _paragraph(pdf, p: Paragraph) -> None:
    pdf.set_font(FAMILY, size=p.size)
    pdf.multi_cell(0, p.size * 0.55, _plain(p.text), align=p.align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _table(pdf, t: Table) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(FAMILY, size=9.5)
    columns = len(t.header)
    align = list(t.align or ["L"] * columns)
    heading = FontFace(emphasis="", fill_color=(221, 235, 247))  # one face: no bold font to load
    with pdf.table(col_widths=tuple(t.widths) if t.widths else None, headings_style=heading,
                   text_align=tuple(align), line_height=6, first_row_as_headings=True) as table:
        header = table.row()
        for name in t.header:
            header.cell(_plain(name))
        for values in t.rows:
            row = table.row()
            for value in values:
                row.cell("" if value is None else _plain(str(value)))
    pdf.ln(3)


def _footer(pdf) -> None:
    pdf.set_y(-12)
    pdf.set_font(FAMILY, size=8)
    pdf.cell(0, 6, f"第 {pdf.page_no()} 页 / 共 {{nb}} 页", align="C")


def _plain(text: str) -> str:
    """Text as the page can hold it: controls dropped (a stored name may carry one)."""
    return "".join(ch for ch in str(text) if ch in "\n\t" or ord(ch) >= 32)


def yuan(fen: int) -> str:
    """Fen as a paper shows money: ¥1,234.56 (−¥5.00 for a credit)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL = ["", "拾", "佰", "仟"]
LARGE = ["", "万", "亿", "万亿"]


def yuan_in_words(fen: int) -> str:
    """An amount in Chinese capitals as a receipt writes it (人民币大写): 1234.50 is
    壹仟贰佰叁拾肆元伍角整; 100 yuan is 壹佰元整."""
    if fen < 0:
        return "负" + yuan_in_words(-fen)
    whole, jiao, fen_ = fen // 100, fen // 10 % 10, fen % 10
    text = (_integer_words(whole) + "元") if whole else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen_ and whole:
        text += "零"
    if fen_:
        text += DIGITS[fen_] + "分"
    if not fen_:
        text += "整"
    return text if whole or jiao or fen_ else "零元整"


def _integer_words(n: int) -> str:
    groups = []
    while n:
        groups.append(n % 10_000)
        n //= 10_000
    out, zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            zero = bool(out)
            continue
        if zero or (out and g < 1000):
            out += "零"
        zero = False
        out += _group_words(g) + LARGE[i]
    return out


def _group_words(g: int) -> str:
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = g // 10 ** pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[d] + SMALL[pos]
    return out
