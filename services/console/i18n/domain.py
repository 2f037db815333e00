"""Words, money and dates as the person reading them expects: zh-CN first (2026年12月4日,
¥1,234.50), English second. Babel holds the locales' conventions; the catalogue of the
console's own words is read by ``i18n.services``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LANGUAGES = ("zh-CN", "en")
DEFAULT_TZ = "Asia/Shanghai"
_LOCALE = {"zh-CN": "zh_CN", "en": "en"}


def N_(message: str) -> str:
    """Marks a word for the catalogue where it is defined (a status, a menu entry); it is
    translated where it is shown. The catalogue test finds every one of them."""
    return message


def language_of(value: str | None, default: str = "zh-CN") -> str:
    """A supported language from a choice or an Accept-Language header, else the default."""
    for part in (value or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


def money(fen: int | None, language: str = "zh-CN") -> str:
    """Integer fen as yuan: ¥1,234.50 (a negative amount as -¥1,234.50)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{format_decimal(abs(fen) / 100, format='#,##0.00', locale=_LOCALE[language])}"


def instant(value: Any) -> dt.datetime | None:
    """An ISO 8601 time as the services write it (or a datetime), in UTC when it names no
    zone; None for nothing or what is not a time."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def date(value: Any, language: str = "zh-CN") -> str:
    """2026年12月4日 / 4 Dec 2026. A date (a day of the calendar) is shown as it is; an
    instant in the plaza's time zone."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and len(value) == 10:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        at = instant(value)
        if at is None:
            return "—" if value in (None, "") else str(value)
        day = at.astimezone(_zone()).date()
    if language == "zh-CN":
        return format_date(day, "long", locale="zh_CN")
    return format_date(day, "d MMM y", locale="en")


def datetime(value: Any, language: str = "zh-CN") -> str:
    """2026年12月4日 14:05 / 4 Dec 2026 14:05, in the plaza's time zone."""
    at = instant(value)
    if at is None:
        return "—" if value in (None, "") else str(value)
    pattern = "y年M月d日 HH:mm" if language == "zh-CN" else "d MMM y HH:mm"
    return format_datetime(at, pattern, tzinfo=_zone(), locale=_LOCALE[language])


def minutes(value: int | float | None, language: str = "zh-CN") -> str:
    """A duration: 3天4小时 / 3 d 4 h; 25分钟 / 25 min."""
    if value is None:
        return "—"
    total = int(value)
    days, rest = divmod(abs(total), 1440)
    hours, mins = divmod(rest, 60)
    zh = language == "zh-CN"
    parts = []
    if days:
        parts.append(f"{days}天" if zh else f"{days} d")
    if hours:
        parts.append(f"{hours}小时" if zh else f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins}分钟" if zh else f"{mins} min")
    return ("-" if total < 0 else "") + ("" if zh else " ").join(parts)


def _zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(DEFAULT_TZ)
