"""The report as headless Chromium renders it: charts in the DOM, the JSON's numbers on the page, pixels painted."""

import json
import os
import shutil
import subprocess

import pytest

from datahub_mesh.audit.charts import COLOURS
from datahub_mesh.audit.cli import main

from .helpers import (
    assert_page_matches_summary,
    build_scenario,
    colours_present,
    png_pixels,
    read_lines,
    read_page,
    write_lines,
)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
WINDOW = (1000, 1400)


def chromium_binary():
    override = os.environ.get("CHROMIUM")
    if override:
        return shutil.which(override)
    return next((found for found in map(shutil.which, BROWSERS) if found), None)


CHROMIUM = chromium_binary()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason=f"no chromium binary found (looked for {', '.join(BROWSERS)} on PATH and $CHROMIUM); "
    "install Debian's chromium package: apt-get install chromium",
)


def chromium(tmp_path, *arguments):
    profile = tmp_path / "chromium-profile"
    completed = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


@pytest.fixture
def report(tmp_path, monkeypatch):
    """A quarter over all four kinds of input, with line 3 of our log edited to allow a denied product."""
    logs = tmp_path / "logs"
    logs.mkdir()
    scenario = build_scenario(logs, monkeypatch)
    lines = read_lines(scenario["ours"])
    lines[2] = lines[2].replace('"allow": false', '"allow": true')
    write_lines(scenario["ours"], lines)
    out = tmp_path / "out"
    status = main([str(scenario[k]) for k in ("ours", "warn_mode", "opa", "console")] +
                  ["--quarter", "2026Q3", "--out", str(out)])
    assert status == 1
    summary = json.loads((out / "audit-2026Q3.json").read_text(encoding="utf-8"))
    return out / "audit-2026Q3.html", summary


def test_rendered_dom_has_the_charts_and_the_json_numbers(report, tmp_path):
    html_path, summary = report

    dom = chromium(tmp_path, "--dump-dom", html_path.as_uri())

    page = read_page(dom)
    assert "<svg" in dom and "</html>" in dom
    assert len(page.svgs) == 3
    assert all(svg["rects"] > 0 for svg in page.svgs)
    assert_page_matches_summary(page, summary)
    broken = [b for b in page.banners if b["kind"] == "broken"]
    assert broken[0]["text"].startswith("Chain broken at line 3")
    assert summary["integrity"]["first_breaks"][0]["line"] == 3


def test_screenshot_paints_the_banner_and_the_bars(report, tmp_path):
    html_path, _ = report
    shot = tmp_path / "report.png"

    chromium(tmp_path, f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}", html_path.as_uri())

    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == WINDOW
    painted = colours_present(rows, list(COLOURS.values()))
    assert all(count > 100 for count in painted.values()), painted
