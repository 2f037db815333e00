"""The table a notice carries (a disclosure's), as a workbook and as a printable PDF."""

from __future__ import annotations

from libs.runtime import export, pdf
from services.notices.notices import domain


def attachment_xlsx(attachment: dict) -> bytes:
    return export.xlsx([(attachment["title"], [attachment["header"], *attachment["rows"]])])


def attachment_pdf(title: str, body: str, attachment: dict) -> bytes:
    return pdf.render(title, [*[pdf.Paragraph(p) for p in body.split("\n\n")], *domain.table_blocks(attachment)])
