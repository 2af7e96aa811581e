"""Diff, propose, lifecycle and CLI cases from an adversarial review, each pinned to the
documented rule it checks (docs/baseline.md, docs/monitor.md, DESIGN's exit codes)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from builders import deployment, graph, namespace, netpol
from click.testing import CliRunner

from drift.baseline.load import parse_baseline
from drift.baseline.propose import propose
from drift.cli import main
from drift.collect import ScopeOutcome, ScopeStatus
from drift.diff.check import check
from drift.findings import CheckResult, Finding, FindingKind, Severity
from drift.lifecycle import next_states, withhold_unverifiable
from drift.store.records import FindingStatus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online-shop"
HEAD = (
    'apiVersion: design-drift/v1\nkind: Baseline\nmetadata: {name: t, version: "1"}\ncluster: c\n'
)


def run(docs: list[Any], baseline: str) -> CheckResult:
    loaded = parse_baseline(textwrap.dedent(baseline).encode(), "b.yaml")
    return check(loaded, graph(*docs), source="test")


def roundtrip(docs: list[Any]) -> CheckResult:
    """A baseline proposed from `docs`, checked against the same `docs`."""
    system = graph(*docs)
    loaded = parse_baseline(propose(system, source="test").encode(), "proposed.yaml")
    return check(loaded, system, source="test")


def deny(ns: str) -> Any:
    return netpol("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, namespace=ns)


def test_a_proposal_never_names_a_service_like_a_keyword() -> None:
    # A Deployment may legally be called `internet`; a service of that name may not.
    docs = [namespace("a"), deployment("internet", namespace="a", service_account="s")]
    assert roundtrip(docs).findings == ()


def test_proposed_service_names_stay_unique_however_workloads_are_named() -> None:
    docs = [namespace(n) for n in ("0", "a", "a-b", "q", "r")] + [
        deployment("a-deployment-b-c", namespace="0"),
        deployment("b-c", namespace="a"),
        deployment("c", namespace="a-b"),
        deployment("c", namespace="r"),
        deployment("b-c", namespace="q"),
    ]
    assert roundtrip(docs).findings == ()


def test_a_workload_two_services_select_makes_neither_missing() -> None:
    baseline = HEAD + textwrap.dedent("""\
        zones: {a: {namespaces: [a]}}
        services:
          api: {zone: a, select: {labels: {app: api}}, identity: api}
          api-canary: {zone: a, select: {workloads: [Deployment/api-canary]}, identity: api}
        """)
    docs = [
        namespace("a"),
        deny("a"),
        deployment("api", {"app": "api"}, namespace="a", service_account="api"),
        deployment(
            "api-canary", {"app": "api", "track": "canary"}, namespace="a", service_account="api"
        ),
    ]
    result = run(docs, baseline)
    assert result.findings == ()
    assert "judged as api-canary" in result.notes[0]  # named outright beats labels


def test_a_zone_chosen_by_labels_the_input_does_not_have_is_unknown() -> None:
    baseline = HEAD + textwrap.dedent("""\
        zones:
          b: {namespaceLabels: {team: b}, require: {defaultDeny: true}}
        services:
          api: {zone: b, select: {namespace: bb, labels: {app: api}}, identity: api}
        """)
    result = run([deployment("api", namespace="bb", service_account="api")], baseline)
    assert any(u.subjects == ("zone:b", "namespace:bb") for u in result.unknowns)


EXPOSED = Finding(
    kind=FindingKind.EXPOSURE_WIDENED,
    severity=Severity.HIGH,
    cluster="c",
    subjects=("service:web",),
    title="web is published",
)
GRPC_ROUTES_FORBIDDEN = [
    ScopeOutcome(
        scope="gateway.networking.k8s.io/GRPCRoute",
        kind=("gateway.networking.k8s.io", "GRPCRoute"),
        status=ScopeStatus.FORBIDDEN,
    )
]


def result(*findings: Finding) -> CheckResult:
    return CheckResult(
        baseline_name="b",
        baseline_version="1",
        baseline_path="b.yaml",
        cluster="c",
        source="s",
        findings=findings,
    )


def test_a_forbidden_route_kind_keeps_an_exposure_finding_unverifiable() -> None:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    first = {
        s.fingerprint: s
        for s in next_states(
            target="t", run_id="1", now=t0, previous={}, result=result(EXPOSED), outcomes=[]
        )
    }
    second = {
        s.fingerprint: s
        for s in next_states(
            target="t",
            run_id="2",
            now=t0 + timedelta(minutes=5),
            previous=first,
            result=result(),
            outcomes=GRPC_ROUTES_FORBIDDEN,
        )
    }
    assert second[EXPOSED.fingerprint].status is FindingStatus.UNVERIFIABLE
    assert withhold_unverifiable(result(EXPOSED), GRPC_ROUTES_FORBIDDEN).findings == ()


def test_a_crash_is_never_exit_1_which_means_findings() -> None:
    outcome = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--baseline",
            str(EXAMPLE / "baseline.yaml"),
            "--manifests",
            str(EXAMPLE / "manifests"),
            "-o",
            "/nonexistent/dir/out.txt",
        ],
    )
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error: /nonexistent/dir/out.txt:")
