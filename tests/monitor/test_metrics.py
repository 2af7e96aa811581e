"""/metrics as Prometheus parses it, for a store prepared through the real store API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from drift.findings import FindingKind, Severity
from drift.metrics import StoreCollector
from drift.settings import Target
from drift.store.records import AcceptedRisk, FindingStatus, RunOutcome, new_count_key
from drift.store.sql import SqlStore
from tests.store.helpers import T0, finding, run

NOW = T0 + timedelta(hours=1)
DAY = timedelta(days=1)
FLOW, EXPOSURE = "implicit-trust.flow", "exposure.widened"

Labels = frozenset[tuple[str, str]]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")
    store.migrate()
    yield store
    store.close()


def target(name: str, interval: int = 300) -> Target:
    return Target(name=name, baseline="b.yaml", manifests=["m"], interval_seconds=interval)


def scrape(store: SqlStore, targets: list[Target] | None = None) -> str:
    registry = CollectorRegistry()
    registry.register(StoreCollector(store, lambda: NOW, targets or []))
    return generate_latest(registry).decode()


def samples(text: str, name: str) -> dict[Labels, float]:
    """Every sample called `name` (e.g. `drift_findings_new_total`), by its label set."""
    return {
        frozenset(sample.labels.items()): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def labels(**pairs: str) -> Labels:
    return frozenset(pairs.items())


def accept(store: SqlStore, fingerprint: str, days: float, target: str | None = None) -> None:
    store.accept(
        AcceptedRisk(
            fingerprint=fingerprint,
            reason="pen test",
            owner="sre",
            accepted_at=T0,
            until=NOW + days * DAY,
            target=target,
        )
    )


def test_open_findings_count_by_kind_severity_and_zone_without_accepted_or_resolved(
    store: SqlStore,
) -> None:
    store.commit_run(
        run("r1"),
        [
            finding("a", zone="payments"),
            finding("b", FindingStatus.OPEN, zone="payments"),
            finding("c", FindingStatus.UNVERIFIABLE, severity="critical"),
            finding("d", FindingStatus.RESOLVED, zone="payments"),
            finding("e", kind=EXPOSURE, severity="medium", zone="edge"),
            finding("f", kind=EXPOSURE, severity="medium", zone="edge"),  # accepted
        ],
    )
    accept(store, "f", days=30)
    assert samples(scrape(store), "drift_findings_open") == {
        labels(kind=FLOW, severity="high", zone="payments"): 2,
        labels(kind=FLOW, severity="critical", zone="none"): 1,
        labels(kind=EXPOSURE, severity="medium", zone="edge"): 1,
    }


def test_an_acceptance_for_one_target_leaves_the_same_fingerprint_elsewhere_counted(
    store: SqlStore,
) -> None:
    store.commit_run(run("p"), [finding("same")])
    store.commit_run(run("s", target="staging"), [finding("same", target="staging")])
    accept(store, "same", days=30, target="staging")
    text = scrape(store)
    assert samples(text, "drift_findings_open") == {
        labels(kind=FLOW, severity="high", zone="none"): 1
    }
    assert samples(text, "drift_accepted_risks") == {labels(kind=FLOW): 1}


def test_an_expired_acceptance_counts_again(store: SqlStore) -> None:
    store.commit_run(run("r1"), [finding("a")])
    accept(store, "a", days=-1)
    assert samples(scrape(store), "drift_findings_open") == {
        labels(kind=FLOW, severity="high", zone="none"): 1
    }
    assert samples(scrape(store), "drift_accepted_risks") == {}


def test_unverifiable_findings_by_kind(store: SqlStore) -> None:
    store.commit_run(
        run("r1"),
        [
            finding("a", FindingStatus.UNVERIFIABLE),
            finding("b", FindingStatus.UNVERIFIABLE, severity="low"),
            finding("c", FindingStatus.UNVERIFIABLE, kind=EXPOSURE),  # accepted
            finding("d"),
        ],
    )
    accept(store, "c", days=3)
    assert samples(scrape(store), "drift_findings_unverifiable") == {labels(kind=FLOW): 2}


def test_accepted_risks_in_force_and_expiring_within_seven_days(store: SqlStore) -> None:
    store.commit_run(
        run("r1"),
        [
            finding("soon"),
            finding("later"),
            finding("edge", kind=EXPOSURE),
            finding("gone", FindingStatus.RESOLVED),  # no open finding: nothing at risk
        ],
    )
    accept(store, "soon", days=2)
    accept(store, "later", days=60)
    accept(store, "edge", days=7)  # exactly seven days: expiring
    accept(store, "gone", days=1)
    accept(store, "never-seen", days=1)
    text = scrape(store)
    assert samples(text, "drift_accepted_risks") == {labels(kind=FLOW): 2, labels(kind=EXPOSURE): 1}
    assert samples(text, "drift_accepted_risks_expiring") == {
        labels(kind=FLOW): 1,
        labels(kind=EXPOSURE): 1,
    }


def test_new_findings_total_starts_at_zero_for_every_kind_and_sums_every_run(
    store: SqlStore, tmp_path: Path
) -> None:
    before = samples(scrape(store), "drift_findings_new_total")
    assert len(before) == len(FindingKind) * len(Severity) and set(before.values()) == {0}
    store.commit_run(run("r1", counts={"new": 2, new_count_key(FLOW, "high"): 2}), [])
    store.commit_run(run("r2", at=T0 + DAY, counts={"new": 1, new_count_key(FLOW, "high"): 1}), [])
    custom = {"new": 1, new_count_key("custom.kind", "low"): 1}
    store.commit_run(run("r3", target="dev", counts=custom), [])
    after = samples(scrape(store), "drift_findings_new_total")
    assert after[labels(kind=FLOW, severity="high")] == 3
    assert after[labels(kind="custom.kind", severity="low")] == 1  # a kind this code lacks
    assert sum(after.values()) == 4
    # A restarted monitor (a new store and collector on the same database) counts the same.
    with SqlStore(f"sqlite:///{tmp_path / 'drift.db'}") as reopened:
        assert samples(scrape(reopened), "drift_findings_new_total") == after


def test_run_metrics_per_target_from_its_latest_runs(store: SqlStore) -> None:
    scopes = (
        {"scope": "Pod", "status": "ok", "detail": ""},
        {"scope": "networking.k8s.io/NetworkPolicy", "status": "forbidden", "detail": "403"},
        {"scope": "security.istio.io/AuthorizationPolicy", "status": "not installed"},
    )
    judged = {"baseline_name": "shop", "baseline_version": "3"}
    store.commit_run(run("old-ok", **judged), [])
    store.commit_run(
        run("incomplete", at=T0 + DAY, outcome=RunOutcome.INCOMPLETE, scopes=scopes, **judged),
        [],
    )
    store.commit_run(run("dev", target="dev", at=T0, baseline_name="dev", baseline_version="1"), [])
    failed = run(
        "failed",
        target="dev",
        at=T0 + DAY,
        outcome=RunOutcome.FAILED,
        finished_at=T0 + DAY + timedelta(seconds=5),
        scopes=({"scope": "*", "status": "failed", "detail": "no scope could be collected"},),
    )
    store.commit_run(failed, [])
    text = scrape(store, [target("prod", 300), target("dev", 60), target("never-run", 30)])
    minute = 60.0
    assert samples(text, "drift_last_successful_run_timestamp_seconds") == {
        labels(target="prod"): (T0 + timedelta(minutes=1)).timestamp(),
        labels(target="dev"): (T0 + timedelta(minutes=1)).timestamp(),
    }
    assert samples(text, "drift_last_run_duration_seconds") == {
        labels(target="prod"): minute,
        labels(target="dev"): 5.0,
    }
    assert samples(text, "drift_collection_scope_status") == {
        labels(target="prod", scope="Pod", status="ok"): 1,
        labels(target="prod", scope="networking.k8s.io/NetworkPolicy", status="forbidden"): 1,
        labels(
            target="prod", scope="security.istio.io/AuthorizationPolicy", status="not-installed"
        ): 1,
        labels(target="dev", scope="*", status="failed"): 1,
    }
    # The failed run judged nothing: the baseline is the one the latest judging run used.
    assert samples(text, "drift_baseline_info") == {
        labels(target="prod", name="shop", version="3"): 1,
        labels(target="dev", name="dev", version="1"): 1,
    }
    assert samples(text, "drift_target_interval_seconds") == {
        labels(target="prod"): 300,
        labels(target="dev"): 60,
        labels(target="never-run"): 30,
    }


def test_an_empty_store_exports_no_finding_or_run_samples(store: SqlStore) -> None:
    text = scrape(store)
    for name in (
        "drift_findings_open",
        "drift_findings_unverifiable",
        "drift_accepted_risks",
        "drift_last_successful_run_timestamp_seconds",
        "drift_collection_scope_status",
        "drift_baseline_info",
    ):
        assert samples(text, name) == {}, name


def test_metric_types_follow_prometheus_naming(store: SqlStore) -> None:
    types = {f.name: f.type for f in text_string_to_metric_families(scrape(store))}
    assert types["drift_findings_new"] == "counter"  # exposed as drift_findings_new_total
    assert "# TYPE drift_findings_new_total counter" in scrape(store)
    assert {name for name, kind in types.items() if kind == "counter"} == {"drift_findings_new"}


def test_a_scrape_reads_each_table_once_however_many_targets(store: SqlStore) -> None:
    for i in range(5):
        name = f"t{i}"
        store.commit_run(run(f"{name}-ok", target=name), [finding(f"f{i}", target=name)])
        store.commit_run(run(f"{name}-x", target=name, at=T0 + DAY, outcome=RunOutcome.FAILED), [])
    statements: list[str] = []
    engine = store._engine  # the store's own engine: count what a scrape sends the database

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        scrape(store, [target(f"t{i}") for i in range(5)])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 4, selects


def test_the_clock_decides_what_is_in_force(store: SqlStore) -> None:
    store.commit_run(run("r1"), [finding("a")])
    accept(store, "a", days=1)
    later = NOW + 2 * DAY
    registry = CollectorRegistry()
    registry.register(StoreCollector(store, lambda: later))
    assert samples(generate_latest(registry).decode(), "drift_findings_open") == {
        labels(kind=FLOW, severity="high", zone="none"): 1
    }
