"""The report of the bundled example, made as a newcomer would: `drift run --once` with no
settings (the example, into ./drift.db), then `drift report --out report.html`.

`python -m tests.alerts.example_report docs/images/weekly-report.png` renders it into the
image the docs show (headless Chromium, 1000 px wide).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from drift.cli import main

from .chromium import find_chromium, screenshot
from .plugins import declared_plugins

DOC_IMAGE_HEIGHT = 2350


def example_report(folder: Path) -> Path:
    """Run the example's cycle and report in `folder`; the HTML report's path."""
    runner = CliRunner()
    here = Path.cwd()
    os.chdir(folder)
    try:
        with declared_plugins():
            ran = runner.invoke(main, ["run", "--once"])
            assert ran.exit_code == 0, ran.output
            made = runner.invoke(main, ["report", "--out", "report.html"])
            assert made.exit_code == 0, made.output
    finally:
        os.chdir(here)
    return folder / "report.html"


def main_script(image: Path) -> None:
    program = find_chromium()
    if program is None:
        sys.exit("chromium not found")
    with tempfile.TemporaryDirectory(prefix="drift-example-") as folder:
        page = example_report(Path(folder))
        screenshot(program, page, image.resolve(), DOC_IMAGE_HEIGHT)
    print(f"wrote {image}")


if __name__ == "__main__":
    main_script(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/weekly-report.png"))
