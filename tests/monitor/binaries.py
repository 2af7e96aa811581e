"""Programs some tests need (promtool, prometheus): skip without them, except under CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require(program: str, package: str) -> str:
    """The path of `program`; skips the test where it is absent, fails under CI (`CI=true`),
    where .ci/run installs `package`."""
    path = shutil.which(program)
    if path is None:
        why = f"{program} not found (apt-get install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{why}: required under CI", pytrace=False)
        pytest.skip(why)
    return path
