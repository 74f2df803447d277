"""The offline HTML report: structure, tables, and rendering in headless Chromium (slow)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lossproj.report import planner_table, report_html, report_years, write_report
from lossproj.variables import VARIABLES

#: Command-line switches of a quiet, offline, throw-away headless Chromium.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--enable-logging=stderr", "--v=0", "--hide-scrollbars")


@pytest.fixture
def projection(make_fake_projection):
    return make_fake_projection(scenarios=("baseline", "low"), regions=("Beijing", "Guangdong"))


def test_report_is_one_self_contained_page_per_region(projection):
    text = report_html(projection)
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    sections = re.findall(r'<section class="page" id="r(\d\d)">', text)
    assert sections == ["00", "11", "44"]  # China first, then provinces in code order
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert "广东 Guangdong" in text and "break-after: page" in text
    assert len(re.findall(r'src="data:image/png;base64,', text)) == 3


def test_planner_table_matches_the_projection(projection):
    table = planner_table(projection, "广东", "baseline")
    assert list(table.columns) == report_years(projection) == [2020, 2025, 2030, 2035, 2040,
                                                                2045, 2050]
    one = projection["shidu_parents_strict"].sel(scenario="baseline", region="Guangdong",
                                                 year=2030)
    label = VARIABLES["shidu_parents_strict"].long_name + ", 70+"
    row = [k for k in table.index if k[0].endswith(label)][0]
    assert table.loc[row, 2030] == round(float(one.sel(age=slice(70, None)).sum()))
    budget = [k for k in table.index if "allowance cost" in k[0]][0]
    assert budget[1].startswith("RMB 10,000")
    cost = projection["allowance_cost"].sel(scenario="baseline", region="Guangdong", year=2030)
    assert table.loc[budget, 2030] == round(float(cost.sum()) / 1e4)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(page: Path, screenshot: Path, profile: Path, size=(1280, 2200)) -> list[str]:
    """Open ``page`` in headless Chromium, save a screenshot; return its console messages."""
    exe = _chromium()
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={screenshot}",
           f"--window-size={size[0]},{size[1]}", page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert screenshot.is_file(), f"Chromium wrote no screenshot:\n{done.stderr[-2000:]}"
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def _not_blank(png: Path) -> tuple[float, int]:
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    inked = float((pixels.min(axis=-1) < 0.9).mean())
    colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    return inked, colours


@pytest.mark.slow
def test_report_renders_in_headless_chromium(projection, tmp_path):
    if _chromium() is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    # the console check sees an error when there is one
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><p>x</p><script>console.error("broken")</script>',
                   encoding="utf-8")
    assert any("broken" in line for line in render(bad, tmp_path / "bad.png",
                                                   tmp_path / "profile-bad"))
    page = write_report(projection, tmp_path / "report.html")
    shot = tmp_path / "report.png"
    console = render(page, shot, tmp_path / "profile")
    assert console == []
    inked, colours = _not_blank(shot)
    assert inked > 0.02 and colours > 50, (inked, colours)
