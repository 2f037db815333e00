"""Reading back the documents the services render (PDF, xlsx), for tests. (Imported by test
modules; not collected itself.)"""

from __future__ import annotations

import io


def pdf_text(data: bytes) -> str:
    """The text of a PDF, without spaces: pypdf reads fpdf2's embedded encoding CMap (2-byte
    codes) a byte at a time and puts a NUL before each glyph's character, which a viewer's
    copy and paste does not."""
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(data)).pages
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in pages)


def xlsx_rows(data: bytes, sheet: int = 0) -> list[list]:
    """Every row of a sheet (the first by default) of an .xlsx, as values."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[sheet]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
