"""One monitoring cycle against a real SQLite store: findings live across runs."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from drift.cli import main
from drift.monitor import run_once
from drift.settings import Settings, Target
from drift.store.records import AcceptedRisk, FindingStatus, RunOutcome, new_count_key
from drift.store.sql import SqlStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "online-shop"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")
    store.migrate()
    yield store
    store.close()


# The drifted example: a flow, an exposure, an identity, and a debugging grant that gives
# privilege, trust and blast-radius findings (examples/online-shop/drifted, marked Drift:).
EXAMPLE_FINDINGS = 6


def settings(manifests: Path, baseline: Path = EXAMPLE / "baseline.yaml") -> Settings:
    target = Target(name="shop", baseline=str(baseline), manifests=[str(manifests)])
    return Settings(targets=[target])


def statuses(store: SqlStore) -> dict[str, str]:
    return {f.kind + " " + " ".join(f.subjects): str(f.status) for f in store.findings()}


def test_findings_are_new_then_open_then_resolved_when_the_drift_is_undone(
    store: SqlStore, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    shutil.copytree(EXAMPLE / "drifted", live)
    clock = Clock()
    (first,) = run_once(settings(live), store, clock)
    assert first.run.outcome is RunOutcome.OK
    assert sorted(statuses(store).values()) == ["new"] * EXAMPLE_FINDINGS
    run_once(settings(live), store, clock)
    assert sorted(statuses(store).values()) == ["open"] * EXAMPLE_FINDINGS
    shutil.rmtree(live)
    shutil.copytree(EXAMPLE / "manifests", live)
    run_once(settings(live), store, clock)
    assert sorted(statuses(store).values()) == ["resolved"] * EXAMPLE_FINDINGS
    resolved = [r.counts.get("resolved", 0) for r in store.runs(target="shop")]
    assert resolved == [EXAMPLE_FINDINGS, 0, 0]


def test_a_run_counts_its_new_findings_per_kind_and_severity(
    store: SqlStore, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    shutil.copytree(EXAMPLE / "drifted", live)
    clock = Clock()
    (first,) = run_once(settings(live), store, clock)
    new = Counter(new_count_key(f.kind, f.severity) for f in store.findings())
    assert {k: v for k, v in first.run.counts.items() if k.startswith("new:")} == new
    assert sum(new.values()) == first.run.counts["new"] == EXAMPLE_FINDINGS
    (second,) = run_once(settings(live), store, clock)  # the same findings, open now
    assert not [k for k in second.run.counts if k.startswith("new")]
    assert store.new_finding_totals() == {
        (f.kind, f.severity): new[new_count_key(f.kind, f.severity)] for f in store.findings()
    }


def test_a_failed_collection_stores_a_failed_run_and_touches_no_finding(
    store: SqlStore, tmp_path: Path
) -> None:
    clock = Clock()
    run_once(settings(EXAMPLE / "drifted"), store, clock)
    before = statuses(store)
    (failed,) = run_once(settings(tmp_path / "gone"), store, clock)
    assert failed.run.outcome is RunOutcome.FAILED
    assert statuses(store) == before


def test_runs_judge_against_the_approved_version_and_say_when_the_file_differs(
    store: SqlStore, tmp_path: Path
) -> None:
    # The example carries an approval block (GitOps): it is recorded as approved.
    clock = Clock()
    run_once(settings(EXAMPLE / "manifests"), store, clock)
    (approved,) = store.baselines("online-shop")
    assert approved.approved_by == "architecture-board@example.com"
    # An edited copy without approval is not used: the approved version still judges.
    edited = tmp_path / "baseline.yaml"
    approval = ("  approval:", "    by:", "    at:", "    note:")
    lines = [
        line.replace('version: "3"', 'version: "4"')
        for line in (EXAMPLE / "baseline.yaml").read_text().splitlines()
        if not line.startswith(approval) and "to: catalog" not in line
    ]
    edited.write_text("\n".join(lines) + "\n")
    (cycle,) = run_once(settings(EXAMPLE / "manifests", edited), store, clock)
    assert cycle.run.baseline_version == "3"
    assert cycle.result is not None and cycle.result.findings == ()
    assert "differs from the approved version 3" in cycle.warnings[0]


def test_an_accepted_risk_shows_as_accepted_until_it_expires(
    store: SqlStore, tmp_path: Path
) -> None:
    run_once(settings(EXAMPLE / "drifted"), store, Clock())
    finding = store.findings()[0]
    now = datetime.now(UTC)
    store.accept(
        AcceptedRisk(
            fingerprint=finding.fingerprint,
            reason="load test",
            owner="sre",
            until=now + timedelta(days=1),
            accepted_at=now,
        )
    )
    assert finding.fingerprint in store.accepted(now)
    assert finding.fingerprint not in store.accepted(now + timedelta(days=2))


def test_drift_run_once_on_the_example_uses_drift_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DRIFT_DATABASE_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(main, ["run", "--once"])
    assert result.exit_code == 0, result.output
    assert "example: run" in result.stdout and "6 findings (6 new" in result.stdout
    assert (tmp_path / "drift.db").exists()
    listed = runner.invoke(main, ["findings", "--format", "json"])
    assert listed.exit_code == 0
    fingerprint = listed.stdout.split('"fingerprint": "')[1][:12]
    accepted = runner.invoke(
        main,
        ["accept", fingerprint, "--reason", "load test", "--owner", "sre", "--until", "2999-01-01"],
    )
    assert accepted.exit_code == 0, accepted.output
    shown = runner.invoke(main, ["findings", "--status", "accepted"])
    assert "1 finding(s)" in shown.stdout
    assert runner.invoke(main, ["run"]).exit_code == 2  # --once is required
    assert FindingStatus.NEW.value in runner.invoke(main, ["findings"]).stdout


def test_a_forbidden_networkpolicy_list_leaves_flow_findings_unverifiable(
    store: SqlStore, tmp_path: Path
) -> None:
    from fakeapi import FakeApiServer

    from drift.settings import KubernetesSource

    with FakeApiServer(EXAMPLE / "drifted") as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        target = Target(
            name="live",
            baseline=str(EXAMPLE / "baseline.yaml"),
            kubernetes=KubernetesSource(kubeconfig=str(kubeconfig), context="fake"),
        )
        live = Settings(targets=[target])
        clock = Clock()
        run_once(live, store, clock)
        assert sorted(statuses(store).values()) == ["new"] * EXAMPLE_FINDINGS
        cluster.deny("networking.k8s.io", "networkpolicies")
        (cycle,) = run_once(live, store, clock)
        assert cycle.run.outcome is RunOutcome.INCOMPLETE
        by_kind = {f.kind: str(f.status) for f in store.findings()}
        # Without NetworkPolicies every pod looks open: no flow is judged from that half
        # picture (no false "new" flows), and the known one stays, unverifiable, not resolved.
        # Blast radius runs over connections too: it is withheld with them.
        assert by_kind == {
            "implicit-trust.flow": "unverifiable",
            "blast-radius.widened": "unverifiable",
            "exposure.widened": "open",
            "implicit-trust.shared-identity": "open",
            "implicit-trust.trust-relation": "open",
            "privilege.widened": "open",
        }
        assert cycle.result is not None
        assert any("withheld" in note for note in cycle.result.notes)


def test_a_service_leaves_a_target_another_monitor_holds_alone(
    store: SqlStore, tmp_path: Path
) -> None:
    from drift.service import Service

    other = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")  # a second monitor, same store
    live = settings(EXAMPLE / "drifted")
    service = Service(live, store, Clock())
    try:
        with other.target_lock("shop") as held:
            assert held
            service.cycle(live.targets[0])
            assert store.runs(target="shop") == []  # skipped: the other monitor runs it
        service.cycle(live.targets[0])
        assert len(store.runs(target="shop")) == 1
    finally:
        other.close()
