"""Charts: SVG for pages, PNG for documents, drawn with fonts that have Persian and Chinese glyphs."""

from __future__ import annotations

import warnings
from xml.etree import ElementTree

import pytest
from matplotlib import font_manager
from matplotlib.colors import to_hex
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


def test_a_month_with_nothing_to_measure_is_no_bar_not_a_zero():
    chart = charts.bar_chart(["2026-01", "2026-02", "2026-03"], [80.0, None, 0.0], title="Within target", target=90)
    axes = chart.figure.axes[0]
    assert [(round(bar.get_x() + bar.get_width() / 2), bar.get_height()) for bar in axes.patches] == [(0, 80), (2, 0)]
    assert [text.get_text() for text in axes.texts if text.get_text()] == ["–"]  # and the target line's label


def test_pareto_and_stacked_charts_draw():
    assert charts.pareto_chart(["账单", "服务", "交付"], [5, 9, 1], title="帕累托").png()[:4] == b"\x89PNG"
    # What is not drawn one by one is the last bar, so the cumulative line ends at 100% of everything.
    pareto = charts.pareto_chart(["a", "b"], [2, 6], title="Pareto", rest=("other", 12))
    bars, share = pareto.figure.axes[0].patches, pareto.figure.axes[1].lines[0]
    assert [bar.get_height() for bar in bars] == [6, 2, 12]
    assert list(share.get_ydata()) == [30.0, 40.0, 100.0]
    stacked = charts.stacked_bar_chart(["1", "2"], {"email": [1, 2], "phone": [3, 1]}, title="Channels")
    assert "<svg" in stacked.svg()


# --- Gap analysis (maturity) charts ------------------------------------------------------------------------

CLAUSES = ["4.1 General", "5.2 Policy", "7.4 Acknowledgement of complaint", "8.2 Analysis and evaluation of "
           "complaints", "8.7 Continual improvement"]
LEVELS = ["0 Not in place", "1 Initial", "2 Developing", "3 Established", "4 Optimised"]
PERSIAN = "۷.۴ تصدیق دریافت شکایت"
CHINESE = "7.4 确认收到投诉"


def _maturity_charts(labels, *, rtl=False):
    """Every maturity chart over `labels`, with a None (not assessed) in each series."""
    count = len(labels)
    before = [None if i == 0 else (i % 5) * 0.8 for i in range(count)]
    after = [None if i == count - 1 else min(4, (i % 5) * 0.8 + (0.5 if i % 2 else -0.5)) for i in range(count)]
    return {
        "radar": charts.radar_chart(labels, {"Baseline 2025": before, "Follow-up 2026": after}, title=labels[0],
                                    maximum=4, target=3, target_label=labels[-1], rtl=rtl),
        "clause_bar": charts.clause_bar_chart(labels, after, title=labels[0], maximum=4, target=3,
                                              target_label=labels[-1], rtl=rtl),
        "heat_map": charts.heat_map(labels, LEVELS, [[(i + j) % 3 for j in range(len(LEVELS))] for i in range(count)],
                                    title=labels[0], rtl=rtl),
        "change": charts.change_chart(labels, before, after, title=labels[0], before_label="Baseline",
                                      after_label="Follow-up", maximum=4, rtl=rtl),
    }


def _assert_svg_and_png(chart):
    svg = chart.svg()
    assert svg.startswith("<svg")
    ElementTree.fromstring(svg)  # noqa: S314 - well-formed XML; our own output, not untrusted input
    assert chart.png(dpi=60)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("rtl", [False, True])
def test_maturity_charts_give_svg_and_png(rtl):
    for chart in _maturity_charts(CLAUSES, rtl=rtl).values():
        _assert_svg_and_png(chart)


def test_maturity_charts_draw_nothing_for_values_not_assessed():
    nothing = [None] * len(CLAUSES)
    for chart in (
        charts.radar_chart(CLAUSES, {"Baseline": nothing, "Follow-up": [1, None, 2, None, 4]}, title="Sections",
                           maximum=4, target=3),
        charts.radar_chart(CLAUSES[:3], {"Only": [None, None, None]}, title="One series", maximum=4),
        charts.clause_bar_chart(CLAUSES, nothing, title="Clauses", maximum=4, target=3, target_label="Target"),
        charts.heat_map(CLAUSES, LEVELS, [[None] * len(LEVELS)] * len(CLAUSES), title="Heat"),
        charts.change_chart(CLAUSES, nothing, [None, 1, None, 2, None], title="Change", before_label="Before",
                            after_label="After", maximum=4),
    ):
        _assert_svg_and_png(chart)
    bars = charts.clause_bar_chart(CLAUSES, [None, 2, None, 3.5, None], title="Clauses", maximum=4, target=3)
    assert len(bars.figure.axes[0].patches) == 2  # one bar per assessed clause


def test_clause_bar_chart_colours_bars_against_the_target_and_prints_plain_values():
    chart = charts.clause_bar_chart(CLAUSES[:3], [2.5, 3, 4], title="Clauses", maximum=4, target=3,
                                    target_label="Target")
    axes = chart.figure.axes[0]
    colours = [to_hex(bar.get_facecolor()) for bar in axes.patches]
    assert colours[0] != colours[1] == colours[2]  # below the target stands out; at or above it does not
    texts = [text.get_text() for text in axes.texts]
    assert {"2.5", "3", "4"} <= set(texts) and "Target" in texts


def test_maturity_charts_refuse_mismatched_lengths():
    with pytest.raises(ValueError, match="values"):
        charts.clause_bar_chart(CLAUSES, [1, 2], title="Clauses", maximum=4)
    with pytest.raises(ValueError, match="row"):
        charts.heat_map(CLAUSES, LEVELS, [[1, 2, 3, 4, 5]], title="Heat")


def test_clause_bar_chart_grows_with_its_clauses():
    few = charts.clause_bar_chart(CLAUSES, [1, 2, 3, 4, 0], title="Clauses", maximum=4)
    many = charts.clause_bar_chart([f"{i}.1 Clause {i}" for i in range(45)], [i % 5 for i in range(45)],
                                   title="Clauses", maximum=4)
    assert many.figure.get_figheight() > few.figure.get_figheight() * 3
    heat_few = charts.heat_map(CLAUSES, LEVELS, [[1] * 5] * 5, title="Heat")
    heat_many = charts.heat_map([str(i) for i in range(45)], LEVELS, [[1] * 5] * 45, title="Heat")
    assert heat_many.figure.get_figheight() > heat_few.figure.get_figheight()


def test_right_to_left_mirrors_the_horizontal_charts():
    for name, chart in _maturity_charts(CLAUSES, rtl=True).items():
        if name == "radar":
            assert chart.figure.axes[0].get_theta_direction() == 1  # counter-clockwise
            continue
        axes = chart.figure.axes[0]
        assert axes.xaxis_inverted(), name
        assert axes.yaxis.get_ticks_position() == "right", name
    for name, chart in _maturity_charts(CLAUSES).items():
        if name != "radar":
            assert not chart.figure.axes[0].xaxis_inverted(), name


@pytest.mark.parametrize("label", [PERSIAN, CHINESE], ids=["persian", "chinese"])
def test_maturity_charts_draw_persian_and_chinese_without_missing_glyphs(label):
    if not charts.can_draw(label):
        unavailable(f"no font for {label!r}: Vazirmatn needs `make assets`, Chinese needs fonts-noto-cjk")
    labels = [label, *(label.replace("7.4", f"{n}.1").replace("۷.۴", f"۸.{n}") for n in range(4, 8))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for chart in _maturity_charts(labels, rtl=label == PERSIAN).values():
            chart.svg()
            chart.png(dpi=60)
    assert not [str(w.message) for w in caught if "Glyph" in str(w.message)]
