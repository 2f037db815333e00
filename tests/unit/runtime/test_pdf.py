"""Papers as PDF: Chinese written with the system's CJK font and read back as text, tables
and paragraphs in order, money as a receipt writes it."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from libs.runtime import pdf

pytestmark = pytest.mark.skipif(not pdf.NOTO_CJK.is_file(), reason="fonts-noto-cjk is not installed")


def plain(text: str) -> str:
    """Extracted text compared without spacing: pypdf reads fpdf2's embedded Identity
    encoding a byte at a time (a NUL before each glyph's character) and spaces CJK glyphs."""
    return "".join(text.replace("\x00", "").split())


def text_of(data: bytes) -> str:
    return "".join(plain(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages)


def test_a_paper_in_chinese_reads_back_as_its_text():
    data = pdf.render("月度对账单", [
        pdf.Paragraph("单元：A-203　业户：王芳"),
        pdf.Table(["日期", "摘要", "金额"], [["2026-12-01", "物业费 2026-12", pdf.yuan(123_456)], ["2026-12-05", None, "x"]],
                  widths=[2, 4, 2], align=["L", "L", "R"]),
        pdf.Paragraph("期末欠费 ¥1,234.56", size=12, align="R"),
    ])
    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert "月度对账单" in text and "单元：A-203" in text and "业户：王芳" in text
    assert "物业费2026-12" in text and "¥1,234.56" in text and "第1页/共1页" in text
    assert text.index("月度对账单") < text.index("日期") < text.index("期末欠费")


def test_a_long_table_runs_onto_more_pages_with_page_numbers():
    rows = [[f"2026-12-{i % 28 + 1:02d}", f"第{i}笔", pdf.yuan(i * 100)] for i in range(120)]
    reader = PdfReader(io.BytesIO(pdf.render("流水", [pdf.Table(["日期", "摘要", "金额"], rows)])))
    assert len(reader.pages) > 1
    assert f"第{len(reader.pages)}页/共{len(reader.pages)}页" in plain(reader.pages[-1].extract_text())


def test_a_block_that_is_neither_is_refused():
    with pytest.raises(TypeError):
        pdf.render("x", ["just a string"])


@pytest.mark.parametrize("fen, words", [
    (123_450, "壹仟贰佰叁拾肆元伍角整"), (10_000, "壹佰元整"), (100_000_005, "壹佰万元零伍分"),
    (1002, "壹拾元零贰分"), (101_000_000, "壹佰零壹万元整"), (0, "零元整"),
])
def test_money_in_chinese_capitals(fen, words):
    assert pdf.yuan_in_words(fen) == words


def test_money_in_figures():
    assert (pdf.yuan(123_456), pdf.yuan(-500), pdf.yuan(5)) == ("¥1,234.56", "-¥5.00", "¥0.05")
