"""Every word the console shows is in both languages: each message of the templates and of
the console's code has its Chinese, and money and dates read the Chinese way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.extract import extract_from_dir

from services.console.i18n import domain as words
from services.console.i18n import services as catalogue

CONSOLE = Path(__file__).resolve().parents[3] / "services" / "console"
KEYWORDS = {"_": None, "N_": None, "gettext": None}


def messages() -> dict[str, str]:
    """Every message id of the console, with where it is used."""
    found: dict[str, str] = {}
    for method, pattern in (("jinja2", "**/templates/**.html"), ("python", "**.py")):
        extracted = extract_from_dir(
            str(CONSOLE), method_map=[(pattern, method)], keywords=KEYWORDS,
            options_map={pattern: {"extensions": "jinja2.ext.do"}} if method == "jinja2" else None)
        for filename, lineno, message, _comments, _context in extracted:
            if "node_modules" in filename:
                continue
            for text in message if isinstance(message, tuple) else (message,):
                if text:
                    found.setdefault(text, f"{filename}:{lineno}")
    return found


def test_every_word_of_the_console_has_its_chinese():
    zh = catalogue.load().translations.get("zh-CN", {})
    found = messages()
    assert len(found) > 20, "the extraction found the console's words"
    missing = [f"{text!r} ({where})" for text, where in sorted(found.items()) if text not in zh]
    assert not missing, "no Chinese for:\n" + "\n".join(missing)


def test_a_word_is_chinese_for_zh_and_english_for_en():
    words_ = catalogue.load()
    assert words_.gettext("zh-CN", "Work orders") == "工单"
    assert words_.gettext("en", "Work orders") == "Work orders"


def test_money_is_yuan_with_two_decimals():
    assert words.money(123450, "zh-CN") == "¥1,234.50"
    assert words.money(-5, "en") == "-¥0.05"
    assert words.money(None) == "—"


def test_dates_read_the_chinese_way_in_the_plazas_time_zone():
    # 16:30 UTC is half past midnight the next day in Shanghai.
    instant = dt.datetime(2026, 12, 3, 16, 30, tzinfo=dt.timezone.utc)
    assert words.date(instant, "zh-CN") == "2026年12月4日"
    assert words.datetime("2026-12-03T16:30:00Z", "zh-CN") == "2026年12月4日 00:30"
    assert words.date("2026-12-04", "en") == "4 Dec 2026"
    assert words.minutes(1505, "zh-CN") == "1天1小时5分钟"


def test_the_language_comes_from_the_choice_or_the_browser():
    assert words.language_of("en-GB,en;q=0.9") == "en"
    assert words.language_of("zh-TW") == "zh-CN"
    assert words.language_of("fr", default="zh-CN") == "zh-CN"
