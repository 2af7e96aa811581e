"""`drift baseline propose` and `drift check` on third-party manifests.

A draft proposed from a system finds nothing on that system (every leaf folder of the corpus);
Online Boutique proposed with its NetworkPolicies and checked without them reports the new
flows and the missing default-deny, grouped per service pair.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_corpus import CORPUS, corpus_path, load_graph

from drift.baseline.load import parse_baseline
from drift.baseline.propose import propose
from drift.diff.check import check
from drift.findings import CheckResult, FindingKind
from drift.ports import Protocol


def proposed_check(design_from: Path, checked: Path) -> CheckResult:
    draft = propose(load_graph(design_from), source=str(design_from))
    loaded = parse_baseline(draft.encode(), "proposed.yaml")
    return check(loaded, load_graph(checked), source=str(checked))


def leaf_folders() -> list[str]:
    root = CORPUS / "k8s"
    if not root.exists():
        return ["missing"]
    folders = sorted(
        p for p in root.rglob("*") if p.is_dir() and not any(c.is_dir() for c in p.iterdir())
    )
    # The recipes are separate scenarios, one per file (two of file 11 conflict on purpose);
    # Istio's validation examples write one object once per API version.
    separate = {"network-policy-recipes", "istio-security-examples"}
    return [str(p.relative_to(root)) for p in folders if p.name not in separate]


@pytest.mark.parametrize("folder", leaf_folders())
def test_a_proposed_baseline_finds_nothing_on_the_system_it_describes(folder: str) -> None:
    path = corpus_path("k8s", folder)
    result = proposed_check(path, path)
    assert result.findings == ()


def test_online_boutique_without_its_policies_reports_new_flows_and_no_default_deny() -> None:
    base = corpus_path("k8s", "online-boutique")
    result = proposed_check(base / "with-network-policies", base / "release")
    kinds = {f.kind for f in result.findings}
    assert kinds == {FindingKind.FLOW, FindingKind.NO_DEFAULT_DENY}
    (deny,) = [f for f in result.findings if f.kind is FindingKind.NO_DEFAULT_DENY]
    assert deny.subjects == ("zone:default",) and "12 workload(s)" in deny.title
    flows = [f for f in result.findings if f.kind is FindingKind.FLOW]
    # One finding per pair, never per port, protocol or pod.
    pairs = {f.subjects for f in flows}
    assert len(pairs) == len(flows)
    assert ("service:cartservice", "service:paymentservice") in pairs  # never designed
    widened = next(
        f for f in flows if f.subjects == ("service:checkoutservice", "service:cartservice")
    )
    assert widened.detail.endswith("the design allows TCP 7070")  # designed, now all ports
    assert widened.ports is not None
    assert widened.ports.intervals(Protocol.TCP) == ((1, 7069), (7071, 65535))
    assert ("service:frontend", "service:frontend") not in pairs  # open in both, as designed
