"""Charts drawn once with matplotlib and given as SVG for pages and PNG for documents, with fonts that cover
Persian (shaped and right to left) and Chinese. `base` owns the fonts and `Chart`; `register` the charts of
the complaint register; `maturity` those of a gap analysis. Charts take plain labels (already translated)
and numbers: core knows no feature."""

from .base import PALETTE, Chart, can_draw, font_families, shaped
from .maturity import change_chart, clause_bar_chart, heat_map, radar_chart
from .register import bar_chart, pareto_chart, stacked_bar_chart

__all__ = [
    "PALETTE",
    "Chart",
    "bar_chart",
    "can_draw",
    "change_chart",
    "clause_bar_chart",
    "font_families",
    "heat_map",
    "pareto_chart",
    "radar_chart",
    "shaped",
    "stacked_bar_chart",
]
