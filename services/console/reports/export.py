"""The collection chart billing does not draw: billed against collected per unit, drawn
with matplotlib in a CJK font found on the system (English labels when none is)."""

from __future__ import annotations

import io
from collections.abc import Sequence

CJK_PREFERENCE = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                  "WenQuanYi Micro Hei", "Noto Sans CJK TC", "Noto Sans CJK JP")


def choose_cjk(families: Sequence[str]) -> str | None:
    """The family to write Chinese in: the first preferred one present, else any sans CJK."""
    present = set(families)
    for name in CJK_PREFERENCE:
        if name in present:
            return name
    return next((f for f in sorted(present) if "CJK" in f and "Sans" in f and "Mono" not in f), None)


def cjk_family() -> str | None:
    from matplotlib import font_manager

    return choose_cjk([f.name for f in font_manager.fontManager.ttflist])


def collection_chart(title: str, units: Sequence[str], series: dict[str, Sequence[float]], font: str | None) -> bytes:
    """Grouped bars in yuan, one group per unit, as SVG (text as paths: the page needs no font)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.2))
    axes = figure.add_subplot()
    family = {"fontfamily": font} if font else {}
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        axes.bar([x + i * width for x in range(len(units))], values, width=width, label=name)
    axes.set_xticks([x + 0.4 - width / 2 for x in range(len(units))], list(units), rotation=20, **family)
    axes.set_title(title, **family)
    if series:
        axes.legend(prop={"family": font} if font else None)
    axes.grid(axis="y", alpha=.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="svg")
    return out.getvalue()
