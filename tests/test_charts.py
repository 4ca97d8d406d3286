"""Charts: SVG for pages, PNG for documents, drawn with fonts that have Persian and Chinese glyphs."""

from __future__ import annotations

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from auditkit.core import charts
from tests.conftest import unavailable

pytestmark = pytest.mark.engine_independent


def _font_path(family: str) -> str:
    return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)


def test_persian_and_chinese_fonts_are_found_and_have_the_glyphs():
    families = charts.font_families()
    if "Vazirmatn" not in families:
        unavailable("Vazirmatn is not vendored: run `make assets`")
    assert FT2Font(_font_path("Vazirmatn")).get_char_index(ord("پ")) != 0
    cjk = [f for f in families if "CJK" in f]
    if not cjk:
        unavailable("no Noto Sans CJK font: apt-get install fonts-noto-cjk")
    assert FT2Font(_font_path(cjk[0])).get_char_index(ord("诉")) != 0


def test_a_chart_gives_svg_and_png():
    chart = charts.bar_chart(["2026-01", "2026-02", "2026-03"], [12, 30, 7], title="شکایات در هر ماه",
                             target=20, target_label="هدف")
    svg = chart.svg()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert chart.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pareto_and_stacked_charts_draw():
    assert charts.pareto_chart(["账单", "服务", "交付"], [5, 9, 1], title="帕累托").png()[:4] == b"\x89PNG"
    stacked = charts.stacked_bar_chart(["1", "2"], {"email": [1, 2], "phone": [3, 1]}, title="Channels")
    assert "<svg" in stacked.svg()
