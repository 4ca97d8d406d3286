"""Charts of the complaint register: volumes by month, within-target shares, stacked channels and Pareto."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.ticker import PercentFormatter

from .base import PALETTE, Chart, _families, _figure, _labels, shaped


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str, target: float | None = None,
              target_label: str = "") -> Chart:
    """Bars by label; a None (nothing to measure that month) is drawn as a dash on the axis, not as a zero."""
    figure, axes = _figure(title)
    measured = [index for index, value in enumerate(values) if value is not None]
    axes.bar(measured, [values[index] for index in measured], color=PALETTE[0])
    for index in sorted(set(range(len(values))) - set(measured)):
        axes.annotate("–", (index, 0), ha="center", va="bottom", color=PALETTE[4], fontsize=10)
    axes.set_xlim(-0.6, len(values) - 0.4)
    if target is not None:
        axes.axhline(target, color=PALETTE[4], linestyle="--", linewidth=1)
        axes.annotate(shaped(target_label), (len(values) - 0.5, target), fontsize=8, color=PALETTE[4],
                      ha="right", va="bottom", fontfamily=_families())
    _labels(axes, labels, rotate=len(labels) > 6)
    return Chart(figure)


def stacked_bar_chart(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str) -> Chart:
    figure, axes = _figure(title)
    bottom = [0.0] * len(labels)
    for index, (name, values) in enumerate(series.items()):
        axes.bar(range(len(labels)), values, bottom=bottom, label=shaped(name), color=PALETTE[index % len(PALETTE)])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _labels(axes, labels, rotate=len(labels) > 6)
    if series:  # no series (a window without complaints): no legend to draw
        axes.legend(fontsize=7, frameon=False, prop={"family": _families(), "size": 7})
    return Chart(figure)


def pareto_chart(labels: Sequence[str], values: Sequence[float], *, title: str,
                 rest: tuple[str, float] | None = None) -> Chart:
    """Bars sorted largest first with the cumulative share as a line (the vital few). `rest` (a label and the
    total of what is not drawn one by one) is the last bar, so the line ends at 100% of everything."""
    pairs = sorted(zip(labels, values, strict=True), key=lambda p: -p[1])
    if rest is not None and rest[1]:
        pairs.append(rest)
    labels, values = [p[0] for p in pairs], [p[1] for p in pairs]
    figure, axes = _figure(title)
    axes.bar(range(len(values)), values, color=PALETTE[0])
    total = sum(values) or 1
    cumulative, running = [], 0.0
    for value in values:
        running += value
        cumulative.append(100 * running / total)
    share = axes.twinx()
    share.plot(range(len(values)), cumulative, color=PALETTE[2], marker="o", markersize=3)
    share.set_ylim(0, 105)
    share.axhline(80, color=PALETTE[5], linestyle=":", linewidth=1)
    share.yaxis.set_major_formatter(PercentFormatter())
    _labels(axes, labels, rotate=True)
    return Chart(figure)
