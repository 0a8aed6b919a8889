"""Charts for managers, drawn with matplotlib (headless: the Agg backend, no screen needed)."""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
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


# Bars on one chart: every machine of a lab, within reason; the image grows with them.
MAX_BARS = 40


@dataclass(frozen=True)
class Bar:
    label: str  # the machine, as drawn
    value: float
    text: str  # the value, printed next to the bar


def chart_bars(
    hours_by_machine: dict[str, float], value_label: Callable[[float], str] = lambda v: f"{v:.1f} h"
) -> list[Bar]:
    """What the chart draws, top to bottom: every machine given (idle ones at 0 h too), its value printed."""
    return [
        Bar(_plain(name), hours, _plain(value_label(hours)))
        for name, hours in list(hours_by_machine.items())[:MAX_BARS]
    ]


def hours_chart(
    title: str,
    hours_by_machine: dict[str, float],
    ylabel: str,
    value_label: Callable[[float], str] = lambda v: f"{v:.1f} h",
    tick_label: Callable[[float], str] = lambda v: f"{v:g}",
) -> bytes:
    """A bar chart of hours booked per machine, each bar with its value, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: render to memory, never to a window
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter

    bars = chart_bars(hours_by_machine, value_label) or [Bar("—", 0.0, "")]
    height = max(4.5, 1.2 + 0.32 * len(bars))
    figure, axes = pyplot.subplots(figsize=(8, height), dpi=110)
    try:
        # Positions, not names, on the axis: two names cut to the same label stay two bars.
        positions = list(range(len(bars)))
        drawn = axes.barh(positions, [b.value for b in bars][::-1], color="#2f7d6d")
        axes.bar_label(drawn, labels=[b.text for b in bars][::-1], padding=3, fontsize=9)
        axes.set_yticks(positions, [b.label for b in bars][::-1])
        # Room on the right for the longest bar's value; a chart of idle machines still has an axis.
        axes.set_xlim(0, max(max(b.value for b in bars) * 1.18, 1.0))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: tick_label(value)))
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
