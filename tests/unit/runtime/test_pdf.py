"""A printable page in Chinese: title, paragraphs, a table, read back as text."""

from __future__ import annotations

import pytest

from libs.runtime import pdf
from tests.support.documents import pdf_text


def test_a_page_in_chinese_with_a_title_paragraphs_and_a_table():
    data = pdf.render("公摊费用公示", [
        pdf.Paragraph("2026 年 11 月公共区域电费，按建筑面积分摊。", bold=True),
        "如有疑问，请联系客服中心。",
        pdf.Table(["单元", "面积（㎡）", "分摊（元）"], [["A-301", "50.00", "123.45"], ["A-302", "80.00", "197.52"]],
                  widths=[2, 1, 1], right=[1, 2]),
    ])
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for words in ("公摊费用公示", "2026年11月公共区域电费，按建筑面积分摊。", "如有疑问，请联系客服中心。", "单元", "A-301", "197.52"):
        assert words in text


def test_a_missing_font_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAZADESK_PDF_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(pdf.FontMissing, match="none.ttf"):
        pdf.render("x", [])
