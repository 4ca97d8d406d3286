"""Charts drawn once with matplotlib and given as SVG for pages and PNG for documents, with fonts that cover
Persian (shaped and right to left) and Chinese. Fonts come from a registry, never from this repository:
Vazirmatn from the `vazirmatn` npm package (vendored at build time), Noto Sans CJK from the system
(Debian's fonts-noto-cjk). Matplotlib (3.11+) shapes Persian and lays it out right to left itself.
A missing font is said once in the log, never left to show boxes silently."""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager
from matplotlib.figure import Figure

log = logging.getLogger(__name__)
_VENDOR_TTF = Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "fonts" / "ttf"
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_CJK = re.compile(r"[\u3400-\u9FFF\uF900-\uFAFF]")
PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#6c757d", "#0dcaf0", "#198754"]


@cache
def font_families() -> tuple[str, ...]:
    """The font fallback list: Latin, Persian, Chinese — whichever are installed."""
    families = ["DejaVu Sans"]
    for ttf in sorted(_VENDOR_TTF.glob("Vazirmatn-*.ttf")):
        font_manager.fontManager.addfont(str(ttf))
    if any(f.name == "Vazirmatn" for f in font_manager.fontManager.ttflist):
        families.append("Vazirmatn")
    else:
        log.warning("charts: Vazirmatn not found in %s (run `make assets`); Persian labels will not render",
                    _VENDOR_TTF)
    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name and "Sans" in f.name]
    if not cjk:
        for path in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",):
            if Path(path).exists():
                font_manager.fontManager.addfont(path)
        cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name and "Sans" in f.name]
    if cjk:
        families.append("Noto Sans CJK SC" if "Noto Sans CJK SC" in cjk else cjk[0])
    else:
        log.warning("charts: no Noto Sans CJK font (apt-get install fonts-noto-cjk); Chinese labels will not "
                    "render")
    return tuple(families)


def shaped(text: str) -> str:
    """Text as matplotlib should get it. Matplotlib 3.11 lays out complex scripts itself (joined Persian
    letters, right to left), so the text goes as it is; this is the one place to change if that ever stops."""
    return text


def can_draw(text: str) -> bool:
    families = font_families()
    if _ARABIC_SCRIPT.search(text) and "Vazirmatn" not in families:
        return False
    return not (_CJK.search(text) and not any("CJK" in f for f in families))


@dataclass
class Chart:
    figure: Figure

    def svg(self) -> str:
        buffer = io.StringIO()
        self.figure.savefig(buffer, format="svg", bbox_inches="tight")
        text = buffer.getvalue()
        return text[text.index("<svg"):]

    def svg_data_uri(self) -> str:
        """The SVG as an <img> source: its inline styles then stay inside the image, clear of the page's CSP."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg().encode()).decode()

    def png(self, dpi: int = 150) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        return buffer.getvalue()


def _figure(title: str, width: float = 7.0, height: float = 3.2):
    figure = Figure(figsize=(width, height))
    axes = figure.add_subplot()
    axes.set_title(shaped(title), fontfamily=list(font_families()), fontsize=11, loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _labels(axes, labels: Sequence[str], rotate: bool) -> None:
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels([shaped(str(label)) for label in labels], fontfamily=list(font_families()),
                         rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=8)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, target: float | None = None,
              target_label: str = "") -> Chart:
    figure, axes = _figure(title)
    axes.bar(range(len(values)), values, color=PALETTE[0])
    if target is not None:
        axes.axhline(target, color=PALETTE[4], linestyle="--", linewidth=1)
        axes.annotate(shaped(target_label), (len(values) - 0.5, target), fontsize=8, color=PALETTE[4],
                      ha="right", va="bottom", fontfamily=list(font_families()))
    _labels(axes, labels, rotate=len(labels) > 6)
    return Chart(figure)


def stacked_bar_chart(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str) -> Chart:
    figure, axes = _figure(title)
    bottom = [0.0] * len(labels)
    for index, (name, values) in enumerate(series.items()):
        axes.bar(range(len(labels)), values, bottom=bottom, label=shaped(name), color=PALETTE[index % len(PALETTE)])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _labels(axes, labels, rotate=len(labels) > 6)
    axes.legend(fontsize=7, frameon=False, prop={"family": list(font_families()), "size": 7})
    return Chart(figure)


def pareto_chart(labels: Sequence[str], values: Sequence[float], *, title: str) -> Chart:
    """Bars sorted largest first with the cumulative share as a line (the vital few)."""
    pairs = sorted(zip(labels, values, strict=True), key=lambda p: -p[1])
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
    share.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter())
    _labels(axes, labels, rotate=True)
    return Chart(figure)
