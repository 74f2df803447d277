"""Bilingual planner figures: axes from zero with units, Chinese labels, a CJK font or a clear error."""

from __future__ import annotations

import pytest

from lossproj import planner_plots as pp


@pytest.fixture
def projection(make_fake_projection):
    return make_fake_projection(scenarios=("baseline", "low"), regions=("Beijing", "Guangdong"),
                                years=range(2018, 2026))


def test_trend_axes_start_at_zero_with_units_and_both_languages(projection):
    with pp.bilingual_fonts():
        fig = pp.band_trend(projection, "广东")
    (ax,) = fig.axes
    assert ax.get_ylim()[0] == 0
    assert ax.get_ylabel() == "persons / 人"
    assert ax.get_title().startswith("广东 Guangdong: 失独父母")
    assert len(ax.get_lines()) == 4  # two scenarios × 60+ and 70+
    budget = pp.budget_trend(projection, "Guangdong").axes[0]
    assert "亿元" in budget.get_ylabel() and budget.get_ylim()[0] == 0


def test_missing_cjk_font_fails_clearly(monkeypatch):
    pp.cjk_font.cache_clear()
    monkeypatch.setattr(pp, "CJK_FAMILIES", ())
    monkeypatch.setattr(pp, "_fontconfig_cjk_files", lambda: [])
    try:
        with pytest.raises(pp.FontNotFoundError, match="apt-get install fonts-noto-cjk"):
            pp.cjk_font()
        with pytest.raises(pp.FontNotFoundError, match="does not exist"):
            pp.cjk_font("/no/such/font.ttf")
    finally:
        pp.cjk_font.cache_clear()


def test_unknown_region_names_the_close_one(projection):
    with pytest.raises(ValueError, match="did you mean 'Guangdong'"):
        pp.band_trend(projection, "Guangzou")
    with pytest.raises(ValueError, match="region '西藏' is not in the result"):
        pp.pyramid(projection, "西藏")
