"""Charts for managers, drawn with matplotlib (headless: the Agg backend, no screen needed)."""

from __future__ import annotations

import io

MAX_LABEL = 32


def _plain(text: str) -> str:
    """Text drawn as is: matplotlib reads $…$ as mathematics ("Laser $5/h" would break the chart)."""
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
