"""Shared by the identity regression tests: a baseline proposed from a system and checked
against it, and a system judged against a baseline text."""

from __future__ import annotations

import textwrap
from typing import Any

from builders import graph

from drift.baseline.load import parse_baseline
from drift.baseline.propose import propose
from drift.diff.check import check
from drift.findings import CheckResult
from drift.model import SystemGraph


def roundtrip(*docs: Any, cluster: str = "c") -> tuple[SystemGraph, str, CheckResult]:
    g = graph(*docs, cluster=cluster)
    draft = propose(g, source="test")
    result = check(parse_baseline(draft.encode(), "d.yaml"), g, source="t")
    return g, draft, result


def judge(g: SystemGraph, text: str) -> CheckResult:
    return check(parse_baseline(textwrap.dedent(text).encode(), "b.yaml"), g, source="t")
