"""The report as a browser shows it: headless Chromium renders the HTML to a PNG of a
plausible size (skipped without Chromium, failed under CI)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alerts.report import WeeklyReport
from drift.reporting import ReportRequest
from drift.store.sql import SqlStore

from .chromium import WIDTH, chromium_or_skip, png_size, screenshot
from .example_report import example_report
from .history import NOW


def assert_plausible_png(png: Path, height: int) -> None:
    data = png.read_bytes()
    assert png_size(data) == (WIDTH, height)
    assert len(data) > 20_000  # a page of text and colour, not a blank or an error page


def test_the_history_report_renders_in_chromium(store: SqlStore, tmp_path: Path) -> None:
    program = chromium_or_skip()
    request = ReportRequest(now=NOW, since=NOW - timedelta(days=7), timezone="Europe/Berlin")
    page = tmp_path / "report.html"
    page.write_text(WeeklyReport().build(store, request).html, encoding="utf-8")
    png = tmp_path / "report.png"
    screenshot(program, page, png, 2400)
    assert_plausible_png(png, 2400)


def test_the_bundled_examples_report_renders_in_chromium(tmp_path: Path) -> None:
    program = chromium_or_skip()
    page = example_report(tmp_path)
    html = page.read_text()
    assert "Drifted from the approved design" in html and "online-shop version 3" in html
    png = tmp_path / "example.png"
    screenshot(program, page, png, 1600)
    assert_plausible_png(png, 1600)
