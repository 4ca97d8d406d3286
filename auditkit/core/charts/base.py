"""The ground every chart stands on: the fonts that cover Persian (shaped and right to left) and Chinese,
the `Chart` that gives SVG for pages and PNG for documents, and small helpers for figures, labels and
numbers. Fonts come from a registry, never from this repository: Vazirmatn from the `vazirmatn` npm package
(vendored at build time), Noto Sans CJK from the system (Debian's fonts-noto-cjk). Matplotlib (3.11+)
shapes Persian and lays it out right to left itself. A missing font is said once in the log, never left to
show boxes silently. Figures are `matplotlib.figure.Figure`, never pyplot: no global registry holds them
(so nothing leaks once a `Chart` is dropped) and they are safe to draw from several threads."""

from __future__ import annotations

import base64
import io
import logging
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

log = logging.getLogger("auditkit.core.charts")
_VENDOR_TTF = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "fonts" / "ttf"
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


def _families() -> list[str]:
    return list(font_families())


def _figure(title: str, width: float = 7.0, height: float = 3.2, *, rtl: bool = False, pad: float = 6.0):
    """A figure with one axes, its title at the reading start (left, or right for right-to-left pages)."""
    figure = Figure(figsize=(width, height))
    axes = figure.add_subplot()
    axes.set_title(shaped(title), fontfamily=_families(), fontsize=11, loc="right" if rtl else "left", pad=pad)
    for side in ("top", "left" if rtl else "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _labels(axes, labels: Sequence[str], rotate: bool) -> None:
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels([shaped(str(label)) for label in labels], fontfamily=_families(),
                         rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=8)


def _wrapped(label: str, width: int) -> str:
    """A label folded on spaces into lines of about `width` characters (each line keeps its own direction)."""
    return "\n".join(textwrap.wrap(str(label), width=width, break_long_words=False)) or str(label)


def _number(value: float) -> str:
    """A number as charts print it: plain, at most one decimal, never locale-formatted ("2.5", "3", "-0.5")."""
    text = f"{float(value):.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _scale(maximum: float) -> list[float]:
    """Ticks from 0 to `maximum`: every step of a small whole-number scale (a maturity scale 0..4), else a few
    round steps."""
    if maximum <= 0:
        raise ValueError(f"the scale maximum must be positive, not {maximum!r}")
    if float(maximum).is_integer() and maximum <= 10:
        return list(range(int(maximum) + 1))
    return [tick for tick in MaxNLocator(nbins=5).tick_values(0, maximum) if 0 <= tick <= maximum]
