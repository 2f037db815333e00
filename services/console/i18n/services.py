"""The catalogue of the console's own words: gettext .po files (one per capability, under
services/console/locale/zh_CN/), read with Babel. Message ids are English, so English needs
no catalogue; zh-CN is the default language."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


class Catalogue:
    def __init__(self, translations: dict[str, dict[str, str]]) -> None:
        self.translations = translations

    def gettext(self, language: str, message: str, **values) -> str:
        text = self.translations.get(language, {}).get(message) or message
        return text.format(**values) if values else text


def load(locale_dir: Path = LOCALE_DIR) -> Catalogue:
    """Every ``locale/<language>/*.po``; a message two files translate differently is an
    error at start-up rather than a page that says one thing here and another there."""
    translations: dict[str, dict[str, str]] = {}
    for folder in sorted(p for p in locale_dir.iterdir() if p.is_dir()):
        language = folder.name.replace("_", "-")
        words = translations.setdefault(language, {})
        for po in sorted(folder.rglob("*.po")):
            with po.open("rb") as f:
                for message in read_po(f):
                    if not message.id or not message.string or message.fuzzy:
                        continue
                    if words.get(message.id, message.string) != message.string:
                        raise ValueError(f"{po.name}: {message.id!r} is translated twice, differently")
                    words[message.id] = message.string
    return Catalogue(translations)
