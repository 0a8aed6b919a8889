"""Charts for managers, drawn with matplotlib (headless: the Agg backend, no screen needed)."""

from __future__ import annotations

import functools
import io
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.ft2font import FT2Font

MAX_LABEL = 32


@functools.cache
def _chart_font() -> FT2Font:
    """The font the charts are drawn with (matplotlib's default)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return FT2Font(font_manager.findfont(font_manager.FontProperties()))


def _drawable(character: str) -> bool:
    if unicodedata.category(character) == "Cf":  # zero-width joiners, direction marks: nothing to see
        return False
    return character.isspace() or _chart_font().get_char_index(ord(character)) != 0


def _plain(text: str) -> str:
    """Text drawn as is: matplotlib reads $…$ as mathematics ("Laser $5/h" would break the chart).

    Characters the font cannot draw (an emoji in a machine's name) are left out: matplotlib would
    draw an empty box for each, and warn on every chart.
    """
    text = " ".join("".join(filter(_drawable, text)).split()) or "?"
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return text.replace("$", r"\$")


def hours_chart(title: str, hours_by_machine: dict[str, float], ylabel: str) -> bytes:
    """A bar chart of hours booked per machine, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: render to memory, never to a window
    from matplotlib import pyplot

    names = list(hours_by_machine)[:15]
    values = [hours_by_machine[n] for n in names] or [0.0]
    labels = [_plain(n) for n in names] or ["—"]
    figure, axes = pyplot.subplots(figsize=(8, 4.5), dpi=110)
    try:
        # Positions, not names, on the axis: two names cut to the same label stay two bars.
        positions = list(range(len(labels)))
        axes.barh(positions, values[::-1], color="#2f7d6d")
        axes.set_yticks(positions, labels[::-1])
        axes.set_title(title.replace("$", r"\$"))
        axes.set_xlabel(_plain(ylabel))
        for spine in ("top", "right"):
            axes.spines[spine].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)
