"""A store with a known eight-week history, written through the real store API (SQLite).

NOW is a Monday, 08:00 in Berlin. Days below are days before NOW. Target `prod` is judged
against the bundled example's design (online-shop version 3, approved):

| fp | severity | zone     | first seen | then                                         |
|----|----------|----------|------------|----------------------------------------------|
| A  | critical | payments | 2          | new (flow)                                   |
| B  | high     | shop     | 3          | new (exposure)                               |
| C  | medium   | shop     | 30         | still open                                   |
| D  | high     | payments | 40         | resolved 1 day ago                           |
| E  | low      | edge     | 20         | accepted 15 days ago until 10 days from now  |
| F  | medium   | shop     | 25         | accepted 5 days ago until 60 days from now   |
| G  | high     | payments | 10         | unverifiable (ClusterRoles forbidden)        |
| H  | critical | payments | 1          | new blast radius, with an attack path        |
| I  | medium   | shop     | 1          | new, with a hostile title and evidence       |
| J  | high     | shop     | 44         | resolved 20 days ago, re-opened an hour ago  |
| K  | low      | edge     | 44         | resolved 30 days ago                         |

Runs of prod: 45, 30 and 14 days ago (ok); in the period 6 days ago (ok), 3 days ago
(failed), an hour ago (incomplete). Target `staging` has one open finding (S) and one run.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drift.store.records import (
    AcceptedRisk,
    BaselineRecord,
    FindingState,
    FindingStatus,
    RunOutcome,
    RunRecord,
    Store,
)

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "examples" / "online-shop" / "baseline.yaml"
NOW = datetime(2025, 3, 24, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin (CET)
SHA = "5" * 64
HOSTILE_TITLE = "<script>alert('title')</script> can reach payment"
HOSTILE_EVIDENCE = '"><img src=x onerror=alert(1)> NetworkPolicy shop/open'
CLAUSE = "/etc/drift/baselines/baseline.yaml:59: flows (no flow allows this pair)"


def days(n: float) -> datetime:
    return NOW - timedelta(days=n)


def evidence(text: str, file: str, line: int) -> dict[str, Any]:
    return {"text": text, "source": {"file": file, "document": 0, "line": line}}


ATTACK_PATH = (
    {
        "source": "k8s:prod/shop/Pod/web-7d4f9",
        "relation": "runs_as",
        "target": "k8s:prod/shop/ServiceAccount/web",
        "evidence": [evidence("Pod shop/web-7d4f9 runs as ServiceAccount web", "/g/web.yaml", 12)],
    },
    {
        "source": "k8s:prod/shop/ServiceAccount/web",
        "relation": "assumes",
        "target": "k8s:prod/payments/ServiceAccount/settlement",
        "evidence": [
            evidence(
                "RoleBinding payments/impersonators lets web impersonate settlement",
                "/g/rbac.yaml",
                31,
            )
        ],
    },
    {
        "source": "k8s:prod/payments/ServiceAccount/settlement",
        "relation": "connects",
        "target": "service:payment",
        "evidence": [
            evidence(
                "NetworkPolicy payments/payment admits settlement on TCP 50051", "/g/np.yaml", 7
            )
        ],
    },
)


def finding(fp: str, severity: str, zone: str, first: float, **changes: Any) -> FindingState:
    base = FindingState(
        target="prod",
        fingerprint=fp * 32,
        kind="implicit-trust.flow",
        severity=severity,
        subjects=("service:web", "service:payment"),
        title=f"finding {fp}",
        status=FindingStatus.OPEN,
        first_seen=days(first),
        last_seen=days(0.04),
        detail=f"detail of {fp}",
        clause=CLAUSE,
        baseline_version="3",
        evidence=[evidence(f"NetworkPolicy {zone}/policy-{fp.lower()}", "/g/np.yaml", 40)],
        zone=zone,
    )
    return dataclasses.replace(base, **changes)


def findings() -> list[FindingState]:
    resolved = FindingStatus.RESOLVED
    return [
        finding("A", "critical", "payments", 2, status=FindingStatus.NEW,
                title="pods of unlisted namespaces can connect to payment beyond the design",
                subjects=("k8s:prod/unlisted", "service:payment")),
        finding("B", "high", "shop", 3, kind="exposure.widened", subjects=("service:catalog",),
                title="catalog is published public on TCP 9090"),
        finding("C", "medium", "shop", 30, kind="implicit-trust.shared-identity"),
        finding("D", "high", "payments", 40, status=resolved, resolved_at=days(1)),
        finding("E", "low", "edge", 20),
        finding("F", "medium", "shop", 25),
        finding("G", "high", "payments", 10, status=FindingStatus.UNVERIFIABLE),
        finding("H", "critical", "payments", 1, kind="blast-radius.widened",
                status=FindingStatus.NEW, path=ATTACK_PATH,
                title="web's pods can reach the crown jewel payment",
                subjects=("k8s:prod/shop/Pod/web-7d4f9", "service:payment")),
        finding("I", "medium", "shop", 1, title=HOSTILE_TITLE, detail="<b>bold</b> & more",
                evidence=[evidence(HOSTILE_EVIDENCE, "/g/<x>.yaml", 3)]),
        finding("J", "high", "shop", 44, status=FindingStatus.NEW, title="finding J re-opened"),
        finding("K", "low", "edge", 44, status=resolved, resolved_at=days(30)),
    ]  # fmt: skip


def run(
    run_id: str, at: datetime, outcome: RunOutcome = RunOutcome.OK, **changes: Any
) -> RunRecord:
    judged = outcome is not RunOutcome.FAILED
    base = RunRecord(
        id=run_id,
        target="prod",
        started_at=at,
        finished_at=at + timedelta(seconds=30),
        outcome=outcome,
        baseline_name="online-shop" if judged else "",
        baseline_version="3" if judged else "",
        baseline_sha256=SHA if judged else "",
        scopes=[{"scope": "*", "status": "failed", "detail": "cluster unreachable"}]
        if outcome is RunOutcome.FAILED
        else [],
    )
    return dataclasses.replace(base, **changes)


FORBIDDEN = {
    "scope": "rbac.authorization.k8s.io/ClusterRole",
    "status": "forbidden",
    "detail": "403: clusterroles is forbidden",
}


def prepare(store: Store) -> None:
    """Write the history above into a migrated, empty store."""
    store.record_baseline(
        BaselineRecord(
            name="online-shop",
            version="3",
            sha256=SHA,
            content=BASELINE.read_text(),
            recorded_at=days(60),
            approved_by="architecture-board@example.com",
            approved_at=days(50),
            note="Reviewed with the payments team.",
        )
    )
    for run_id, back in [("r45", 45), ("r30", 30), ("r14", 14), ("r6", 6)]:
        store.commit_run(run(run_id, days(back)), [])
    store.commit_run(run("r3", days(3), RunOutcome.FAILED), [])
    latest = run("r0", days(0.04), RunOutcome.INCOMPLETE, scopes=[FORBIDDEN])
    store.commit_run(latest, findings())
    store.commit_run(
        dataclasses.replace(run("s1", days(2)), target="staging"),
        [dataclasses.replace(finding("S", "high", "shop", 2), target="staging")],
    )
    store.accept(risk("E", accepted=15, until=-10, owner="ops-lead", reason="edge proxy swap"))
    store.accept(risk("F", accepted=5, until=-60, owner="shop-team", reason="legacy batch"))


def risk(fp: str, *, accepted: float, until: float, owner: str, reason: str) -> AcceptedRisk:
    return AcceptedRisk(
        fingerprint=fp * 32,
        reason=reason,
        owner=owner,
        until=days(until),
        accepted_at=days(accepted),
        target="prod",
    )
