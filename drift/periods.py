"""Periods written by people: `7d`, `36h`, `2w` (a report's `--since`, the settings' `since`)."""

from __future__ import annotations

import re
from datetime import timedelta

_PERIOD = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$")
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
PERIOD_HELP = "a period such as 36h, 7d or 2w"


def parse_period(text: str) -> timedelta:
    """The period `text` names; ValueError saying what is expected otherwise."""
    match = _PERIOD.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not {PERIOD_HELP}")
    return int(match.group(1)) * _UNIT[match.group(2)]
