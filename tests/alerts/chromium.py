"""Headless Chromium turns a report into a PNG, as a person's browser would show it.

Skips where Chromium is absent, except under CI (`CI=true`), where it fails: CI must render.
Also a script: `python -m tests.alerts.chromium PAGE.html OUT.png [HEIGHT]`.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH = 1000
PROGRAMS = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    return next((found for p in PROGRAMS if (found := shutil.which(p))), None)


def chromium_or_skip() -> str:
    import pytest

    found = find_chromium()
    if found is None:
        why = "Chromium not found (apt-get install chromium fonts-dejavu-core)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{why}: required under CI", pytrace=False)
        pytest.skip(why)
    return found


def screenshot(program: str, page: Path, png: Path, height: int = 2400) -> None:
    """Render `page` at WIDTH x `height` into `png` (offline: no network, no profile)."""
    with tempfile.TemporaryDirectory(prefix="drift-chromium-") as profile:
        command = [
            program,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{height}",
            f"--screenshot={png}",
            page.resolve().as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG; ValueError if `data` is not one."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


if __name__ == "__main__":
    program = find_chromium()
    if program is None:
        sys.exit("chromium not found")
    height = int(sys.argv[3]) if len(sys.argv) > 3 else 2400
    screenshot(program, Path(sys.argv[1]), Path(sys.argv[2]), height)
