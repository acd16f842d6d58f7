"""The report's charts: matplotlib figures rendered to inline SVG (no JavaScript, no network:
the page reads offline and prints). Each function takes rows of counts and returns an SVG
element as text; text stays text (svg.fonttype none) so the file is small and searchable."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, MaxNLocator

COLORS = {
    "HIPAA": "#4C72B0", "PCI-DSS": "#C44E52", "GDPR": "#55A868", "LOCATION": "#8172B2",
    "critical": "#B2182B", "high": "#EF8A62", "medium": "#F7C873", "low": "#67A9CF",
    "published": "#55A868", "suppressed": "#F7C873", "quarantined": "#C44E52",
}  # fmt: skip
PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B2", "#937860", "#DA8BC3",
           "#8C8C8C", "#CCB974", "#64B5CD")  # fmt: skip
WIDTH = 9.0  # inches at 96 dpi: the page's column


def color(name: str, index: int) -> str:
    return COLORS.get(name, PALETTE[index % len(PALETTE)])


def _thousands(value: float, _pos: int | None = None) -> str:
    return f"{value:,.0f}"


def _svg(fig, name: str) -> str:
    """The figure as an <svg> element (no XML prolog), its ids prefixed by `name` so several
    charts can share one page."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{name}-\1"', text)
    return text.replace("<svg ", f'<svg role="img" aria-labelledby="{name}-title" ', 1)


def _figure(height: float):
    fig, ax = plt.subplots(figsize=(WIDTH, height), dpi=96)
    fig.set_facecolor("none")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _margins(fig, left: float, bottom: float, top: float = 0.15, right: float = 0.25) -> None:
    """Margins in inches, set once (a `bbox_inches="tight"` save draws every figure twice)."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height
    )


def _label_inches(labels: Iterable[str]) -> float:
    """Room for tick labels of 10 pt: ~0.075 in per character."""
    return 0.3 + 0.075 * max((len(label) for label in labels), default=0)


def stacked_days(
    name: str, rows: Iterable[tuple[date, str, int]], order: Sequence[str] = ()
) -> str:
    """Bars per day, stacked by the second column (regulation or severity)."""
    totals: dict[str, dict[date, int]] = defaultdict(dict)
    days: set[date] = set()
    for day, key, n in rows:
        totals[key][day] = totals[key].get(day, 0) + n
        days.add(day)
    ordered_days = sorted(days)
    keys = [k for k in order if k in totals] + sorted(k for k in totals if k not in order)
    fig, ax = _figure(3.4)
    bottom = [0] * len(ordered_days)
    positions = range(len(ordered_days))
    for i, key in enumerate(keys):
        values = [totals[key].get(day, 0) for day in ordered_days]
        ax.bar(positions, values, bottom=bottom, color=color(key, i), label=key, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = -(-len(ordered_days) // 8)  # at most 8 labels
    ax.set_xlim(-0.6, max(len(ordered_days), 7) - 0.4)  # a day or two do not fill the width
    ax.set_xticks(list(positions)[::step], [d.strftime("%b %d") for d in ordered_days][::step])
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("violations")
    ax.legend(frameon=False, ncols=min(len(keys), 6), loc="lower left", bbox_to_anchor=(0, 1))
    _margins(fig, left=0.4 + _label_inches([f"{max(bottom, default=0):,}"]), bottom=0.45, top=0.45)
    return _svg(fig, name)


def ranking(name: str, rows: Sequence[tuple[str, int]], colors: Sequence[str] = ()) -> str:
    """Horizontal bars, largest on top."""
    rows = list(rows)
    fig, ax = _figure(0.9 + 0.32 * max(len(rows), 1))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    labels = [label for label, _ in rows][::-1]
    values = [n for _, n in rows][::-1]
    bar_colors = list(colors)[::-1] if colors else PALETTE[0]
    ax.barh(range(len(rows)), values, color=bar_colors, height=0.7)
    ax.set_yticks(range(len(rows)), labels)
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("violations")
    _margins(fig, left=_label_inches(labels), bottom=0.6, right=0.45)
    return _svg(fig, name)


def stacked_runs(
    name: str, runs: Sequence[str], parts: dict[str, Sequence[int]], xlabel: str
) -> str:
    """Horizontal bars per run (newest on top), stacked by the parts' keys."""
    longest = max((len(key) for key in parts), default=0)
    columns = 3 if longest < 28 else 2 if longest < 48 else 1
    top = 0.2 + 0.25 * -(-len(parts) // columns)  # the legend's rows
    fig, ax = _figure(top + 0.7 + 0.3 * max(len(runs), 1))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    left = [0] * len(runs)
    for i, (key, values) in enumerate(parts.items()):
        ax.barh(range(len(runs)), values, left=left, color=color(key, i), label=key, height=0.7)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(range(len(runs)), runs)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, ncols=columns, loc="lower left", bbox_to_anchor=(0, 1), fontsize=9)
    _margins(fig, left=_label_inches(runs), bottom=0.6, top=top, right=0.45)
    return _svg(fig, name)


def run_series(
    name: str, runs: Sequence[str], left: Sequence[float | None], right: Sequence[float | None],
    left_label: str, right_label: str,
) -> str:  # fmt: skip
    """Two measures per run (oldest first): bars on the left axis, a line on the right."""
    fig, ax = _figure(2.4 + 0.55 * _label_inches(runs))
    positions = range(len(runs))
    ax.bar(positions, [v or 0 for v in left], color=PALETTE[0], width=0.7, label=left_label)
    ax.set_ylabel(left_label)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    other = ax.twinx()
    other.spines[["top"]].set_visible(False)
    points = [(i, v) for i, v in enumerate(right) if v is not None]
    if points:
        other.plot(*zip(*points, strict=True), color=PALETTE[1], marker="o", label=right_label)
    other.set_ylabel(right_label)
    other.set_ylim(bottom=0)
    step = max(1, len(runs) // 10)
    ax.set_xlim(-0.6, max(len(runs), 7) - 0.4)
    ax.set_xticks(list(positions)[::step], list(runs)[::step], rotation=30, ha="right")
    ax.legend(
        [ax.patches[0], *other.get_lines()] if ax.patches else [], [left_label, right_label],
        frameon=False, ncols=2, loc="lower left", bbox_to_anchor=(0, 1),
    )  # fmt: skip
    top_value = max((v or 0 for v in left), default=0)
    _margins(
        fig, left=0.4 + _label_inches([f"{top_value:,.0f}"]), bottom=0.35 + 0.55 * _label_inches(runs),
        top=0.4, right=0.9,
    )  # fmt: skip
    return _svg(fig, name)
