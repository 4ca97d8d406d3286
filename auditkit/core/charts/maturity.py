"""Charts of a maturity assessment (a gap analysis): clauses or sections scored on a scale 0..maximum against
a target maturity. A value of None means "not assessed" (or every question not applicable): nothing is
drawn for it. `rtl` mirrors the horizontal charts for right-to-left documents: labels on the right and
the scale growing leftwards."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .base import PALETTE, Chart, _families, _figure, _number, _scale, _wrapped, shaped

PRIMARY, WARNING, TARGET = PALETTE[0], PALETTE[2], PALETTE[4]
IMPROVED, WORSE, UNCHANGED = "#198754", "#dc3545", "#adb5bd"
TEXT, GRID = "#212529", "#dee2e6"
_LABEL_WIDTH = 48  # characters before a row label folds (ISO 10002's longest clause titles run to ~60)


def _present(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _same_length(name: str, values: Sequence, labels: Sequence[str]) -> None:
    if len(values) != len(labels):
        raise ValueError(f"{name} has {len(values)} values for {len(labels)} labels")


def _row_labels(labels: Sequence[str]) -> tuple[list[str], float]:
    """Row labels folded to fit, and the height in inches each row then needs (8 pt text, one or two lines)."""
    folded = [shaped(_wrapped(label, _LABEL_WIDTH)) for label in labels]
    return folded, 0.42 if any("\n" in label for label in folded) else 0.3


def _set_row_labels(axes, folded: Sequence[str]) -> None:
    axes.set_yticks(range(len(folded)))
    # Folded lines stay flush against the axis on either side (the mirror of the left-to-right layout).
    axes.set_yticklabels(folded, fontfamily=_families(), fontsize=8)


def _rows_figure(title: str, labels: Sequence[str], *, rtl: bool, pad: float = 6.0, width: float = 7.0):
    """A horizontal chart with one row per label, first label on top, as tall as its rows need."""
    folded, row_inches = _row_labels(labels)
    figure, axes = _figure(title, width, 1.3 + row_inches * max(len(labels), 1), rtl=rtl, pad=pad)
    _set_row_labels(axes, folded)
    axes.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    axes.tick_params(axis="y", length=0)
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="x", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _mirror(axes, rtl: bool) -> None:
    """Right to left: the scale grows leftwards and the row labels stand on the right."""
    if rtl:
        axes.invert_xaxis()
        axes.yaxis.tick_right()
        axes.yaxis.set_label_position("right")


def _x_scale(axes, maximum: float, *, low: float, high: float) -> None:
    axes.set_xlim(low, high)
    ticks = _scale(maximum)
    axes.set_xticks(ticks)
    axes.set_xticklabels([_number(tick) for tick in ticks])


def radar_chart(labels: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str,
                maximum: float, target: float | None = None, target_label: str = "", rtl: bool = False) -> Chart:
    """One closed polygon per series (a baseline and its follow-ups) on axes running clockwise from the top
    (counter-clockwise right to left), a dashed ring at the target, rings 0..maximum, and a legend below when
    there is more than one series or a named target. A None value leaves a gap in its polygon (and no fill)."""
    ticks = _scale(maximum)
    families = _families()
    count = len(labels)
    figure = Figure(figsize=(6.4, 6.6), layout="constrained")
    figure.suptitle(shaped(title), fontfamily=families, fontsize=11, x=0.98 if rtl else 0.02,
                    ha="right" if rtl else "left")
    axes = figure.add_subplot(projection="polar")
    axes.set_theta_offset(math.pi / 2)
    axes.set_theta_direction(1 if rtl else -1)
    angles = [2 * math.pi * index / count for index in range(count)]
    axes.set_xticks(angles)
    axes.set_xticklabels([shaped(_wrapped(label, 18)) for label in labels], fontfamily=families, fontsize=8)
    for angle, text in zip(angles, axes.get_xticklabels(), strict=True):
        # Labels lean away from the circle: left of it end at their right edge, right of it start at their left.
        across, up = math.sin(-angle if rtl else angle), math.cos(angle)
        text.set_horizontalalignment("left" if across > 0.1 else "right" if across < -0.1 else "center")
        text.set_verticalalignment("bottom" if up > 0.1 else "top" if up < -0.1 else "center")
    axes.tick_params(axis="x", pad=6)
    axes.set_ylim(0, maximum)
    axes.set_yticks(ticks)
    axes.set_yticklabels([_number(tick) for tick in ticks], fontsize=7, color=PALETTE[5])
    axes.set_rlabel_position(180 / count if count else 0)  # between the first two axes, clear of their labels
    axes.grid(color=GRID, linewidth=0.7)
    axes.spines["polar"].set_color(GRID)
    around = [*angles, *angles[:1]]
    for index, (name, values) in enumerate(series.items()):
        _same_length(f"series {name!r}", values, labels)
        colour = PALETTE[index % len(PALETTE)]
        radii = [float(value) if _present(value) else math.nan for value in values]
        closed = [*radii, *radii[:1]]
        axes.plot(around, closed, color=colour, linewidth=1.8, marker="o", markersize=4, label=shaped(name),
                  zorder=3)
        if count and all(_present(value) for value in values):
            axes.fill(around, closed, color=colour, alpha=0.12, zorder=2)
    if target is not None:
        ring = [2 * math.pi * step / 180 for step in range(181)]
        axes.plot(ring, [target] * len(ring), color=TARGET, linestyle="--", linewidth=1.2,
                  label=shaped(target_label) if target_label else None, zorder=2)
    entries = len(series) + (1 if target is not None and target_label else 0)
    if len(series) > 1 or (series and entries > len(series)):
        handles, names = axes.get_legend_handles_labels()
        if rtl:
            handles, names = handles[::-1], names[::-1]
        figure.legend(handles, names, loc="outside lower center", ncol=min(entries, 3), frameon=False,
                      markerfirst=not rtl, prop={"family": families, "size": 8})
    return Chart(figure)


def clause_bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str, maximum: float,
                     target: float | None = None, target_label: str = "", rtl: bool = False) -> Chart:
    """One horizontal bar per clause on 0..maximum, below target in the warning colour and at or above it in
    the primary colour, its value printed at its end, and a dashed line at the target with its label."""
    _same_length("values", values, labels)
    named_target = target is not None and bool(target_label)
    figure, axes = _rows_figure(title, labels, rtl=rtl, pad=18 if named_target else 6)
    _x_scale(axes, maximum, low=0, high=maximum * 1.1)  # room past the end for the printed value
    nudge = maximum * 0.012
    for row, value in enumerate(values):
        if not _present(value):
            continue
        below = target is not None and value < target
        axes.barh(row, value, height=0.62, color=WARNING if below else PRIMARY, zorder=2)
        axes.text(value + nudge, row, _number(value), va="center", ha="right" if rtl else "left", fontsize=7,
                  color=TEXT, zorder=3)
    if target is not None:
        axes.axvline(target, color=TARGET, linestyle="--", linewidth=1.2, zorder=4)
        if target_label:
            axes.annotate(shaped(target_label), (target, 1.0), xycoords=axes.get_xaxis_transform(),
                          xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8,
                          color=TARGET, fontfamily=_families())
    _mirror(axes, rtl)
    return Chart(figure)


def heat_map(rows: Sequence[str], columns: Sequence[str], counts: Sequence[Sequence[int | None]], *, title: str,
             rtl: bool = False) -> Chart:
    """Rows (clauses) against columns (maturity levels), each cell shaded by its count and the count printed
    in each cell that has any. None counts as 0."""
    if len(counts) != len(rows):
        raise ValueError(f"counts has {len(counts)} rows for {len(rows)} row labels")
    matrix = []
    for label, line in zip(rows, counts, strict=True):
        if len(line) != len(columns):
            raise ValueError(f"row {label!r} has {len(line)} counts for {len(columns)} columns")
        matrix.append([int(count) if _present(count) else 0 for count in line])
    families = _families()
    folded, row_inches = _row_labels(rows)
    width, height = 3.2 + 0.95 * max(len(columns), 1), 1.6 + row_inches * max(len(rows), 1)
    figure, axes = _figure(title, width, height, rtl=rtl)
    for spine in axes.spines.values():
        spine.set_visible(False)
    peak = max((count for line in matrix for count in line), default=0)
    if matrix and columns:
        axes.imshow(matrix, cmap="Blues", vmin=0, vmax=max(peak, 1) * 1.15, aspect="auto")
        for row, line in enumerate(matrix):
            for column, count in enumerate(line):
                if count:
                    axes.text(column, row, str(count), ha="center", va="center", fontsize=8,
                              color="white" if count > 0.55 * peak else TEXT)
    axes.set_xticks(range(len(columns)))
    axes.set_xticklabels([shaped(_wrapped(column, 14)) for column in columns], fontfamily=families, fontsize=8)
    axes.xaxis.tick_top()
    _set_row_labels(axes, folded)
    # White lines between the cells.
    axes.set_xticks([x - 0.5 for x in range(1, len(columns))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    axes.grid(which="minor", color="white", linewidth=1.5)
    axes.tick_params(which="both", length=0)
    axes.set_xlim(-0.5, max(len(columns), 1) - 0.5)
    axes.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    _mirror(axes, rtl)
    return Chart(figure)


def change_chart(labels: Sequence[str], before: Sequence[float | None], after: Sequence[float | None], *,
                 title: str, before_label: str, after_label: str, maximum: float, rtl: bool = False) -> Chart:
    """A dumbbell per clause: a ring at the baseline, a dot at the follow-up, joined by a line that is green
    when the clause improved, red when it got worse and grey when unchanged (the dot then sits in the ring).
    A clause assessed only once shows its one marker."""
    _same_length("before", before, labels)
    _same_length("after", after, labels)
    figure, axes = _rows_figure(title, labels, rtl=rtl, pad=22)
    margin = maximum * 0.04  # markers at 0 and at the maximum stay whole
    _x_scale(axes, maximum, low=-margin, high=maximum + margin)
    for row, (first, last) in enumerate(zip(before, after, strict=True)):
        if _present(first) and _present(last):
            colour = IMPROVED if last > first else WORSE if last < first else UNCHANGED
            axes.plot([first, last], [row, row], color=colour, linewidth=3, solid_capstyle="round", zorder=2)
        if _present(first):
            axes.scatter([first], [row], s=70, facecolor="white", edgecolor=PALETTE[5], linewidths=1.5, zorder=3)
        if _present(last):
            axes.scatter([last], [row], s=28, color=PRIMARY, zorder=4)
    handles = [
        Line2D([], [], linestyle="", marker="o", markersize=8, markerfacecolor="white",
               markeredgecolor=PALETTE[5], markeredgewidth=1.5, label=shaped(before_label)),
        Line2D([], [], linestyle="", marker="o", markersize=5.5, color=PRIMARY, label=shaped(after_label)),
    ]
    # Above the rows, clear of the data, at the end opposite the title; right to left it reads from the right.
    axes.legend(handles=handles[::-1] if rtl else handles, loc="lower left" if rtl else "lower right",
                bbox_to_anchor=(0, 1) if rtl else (1, 1), ncol=2, frameon=False, borderaxespad=0.2,
                markerfirst=not rtl, prop={"family": _families(), "size": 8})
    _mirror(axes, rtl)
    return Chart(figure)
