"""Charts for managers, drawn with matplotlib (headless: the Agg backend, no screen needed)."""

from __future__ import annotations

import io


def hours_chart(title: str, hours_by_machine: dict[str, float], ylabel: str) -> bytes:
    """A bar chart of hours booked per machine, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: render to memory, never to a window
    from matplotlib import pyplot

    names = list(hours_by_machine)[:15] or ["—"]
    values = [hours_by_machine.get(n, 0.0) for n in names]
    figure, axes = pyplot.subplots(figsize=(8, 4.5), dpi=110)
    try:
        axes.barh(names[::-1], values[::-1], color="#2f7d6d")
        axes.set_title(title)
        axes.set_xlabel(ylabel)
        for spine in ("top", "right"):
            axes.spines[spine].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)
