"""One monitoring cycle per target: collect → build → diff → lifecycle → store → notify.

`run_once` reads like DESIGN.md's diagram. Every step but collecting and storing is pure.
A target's sources (a cluster, AWS accounts, or both joined) are read through collector
plugins, and their scopes judged together.
A collection that failed stores a failed run and touches no finding; one that is incomplete
leaves what it could not see unverifiable (see `drift.lifecycle`). Once a cycle is committed
its batch of events goes to `notify` (a `Dispatcher.submit`, which only queues: see
`drift.notify`); a failed run still sends the open findings, so alerts do not lapse.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from drift.aws.documents import AwsInput
from drift.baseline.approval import judged_baseline
from drift.collect import Collection, KubernetesCollector, ReadOptions, ScopeStatus
from drift.errors import DriftError
from drift.findings import CheckResult
from drift.lifecycle import next_states
from drift.notify.events import Batch, batch_of
from drift.notify.history import read_history
from drift.pipeline import (
    aws_input,
    check_model,
    collect_aws,
    collect_manifests,
    joined,
    model_of,
)
from drift.plugins import COLLECTORS_GROUP, load_plugin
from drift.settings import Settings, Target
from drift.store.records import (
    FindingState,
    FindingStatus,
    RunOutcome,
    RunRecord,
    Store,
    new_count_key,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Notify = Callable[[Batch], None]


@dataclass(frozen=True, kw_only=True)
class Cycle:
    """What one target's cycle did."""

    run: RunRecord
    states: Sequence[FindingState] = ()
    result: CheckResult | None = None
    warnings: Sequence[str] = field(default_factory=list)


def run_once(
    settings: Settings, store: Store, clock: Clock, notify: Notify | None = None
) -> list[Cycle]:
    """One cycle of every target; a target another monitor holds is skipped."""
    cycles = []
    for target in settings.targets:
        with store.target_lock(target.name) as held:
            if not held:
                log.info("target %s is being run by another monitor; skipped", target.name)
                continue
            cycles.append(run_target(target, store, clock, notify))
    return cycles


def run_target(target: Target, store: Store, clock: Clock, notify: Notify | None = None) -> Cycle:
    started, run_id = clock(), str(uuid.uuid4())
    try:
        collection, aws = collect(target)
    except DriftError as exc:
        why = f"collection failed: {exc}"
        return _failed(store, target, run_id, started, clock, why, notify)
    if collection.outcomes and not any(o.status is ScopeStatus.OK for o in collection.outcomes):
        return _failed(store, target, run_id, started, clock, "no scope could be collected", notify)
    baseline, warnings = judged_baseline(store, target.baseline, started)
    eks_cluster = target.aws.eks_cluster if target.aws is not None else None
    model = model_of(collection, cluster=target.cluster, aws=aws, eks_cluster=eks_cluster)
    result = check_model(baseline, model)
    previous = store.open_findings(target.name)
    states = next_states(
        target=target.name,
        run_id=run_id,
        now=started,
        previous=previous,
        result=result,
        outcomes=collection.outcomes,
    )
    run = RunRecord(
        id=run_id,
        target=target.name,
        started_at=started,
        finished_at=clock(),
        outcome=RunOutcome.OK if collection.complete else RunOutcome.INCOMPLETE,
        source=collection.source,
        baseline_name=baseline.baseline.metadata.name,
        baseline_version=baseline.version,
        baseline_sha256=baseline.sha256,
        scopes=[
            {"scope": o.scope, "status": str(o.status), "detail": o.detail}
            for o in collection.outcomes
        ],
        counts=_counts(result, states),
    )
    _commit(store, target, run, states, previous, notify)
    for warning in warnings:
        log.warning("%s", warning)
    return Cycle(run=run, states=states, result=result, warnings=warnings)


def collect(target: Target) -> tuple[Collection, AwsInput | None]:
    """Read the target's sources through their collector plugins: its cluster (manifests or
    a live one), its AWS accounts, or both; the scopes of every source in one collection."""
    cluster = _collect_cluster(target)
    if target.aws is None:
        assert cluster is not None  # settings: a target reads a cluster, AWS, or both
        return cluster, None
    aws = collect_aws(target.aws)
    return joined(cluster, aws), aws_input(aws)


def _collect_cluster(target: Target) -> Collection | None:
    options = ReadOptions(default_namespace=target.namespace)
    if target.manifests is not None:
        return collect_manifests(target.manifests, options)
    source = target.kubernetes
    if source is None:
        return None
    collector: KubernetesCollector = load_plugin(COLLECTORS_GROUP, "kubernetes")(
        kubeconfig=source.kubeconfig,
        context=source.context,
        in_cluster=source.kubeconfig is None,
        page_size=source.page_size,
        request_timeout=source.request_timeout,
    )
    return collector.collect(options)


def _commit(
    store: Store,
    target: Target,
    run: RunRecord,
    states: Sequence[FindingState],
    previous: Mapping[str, FindingState],
    notify: Notify | None,
) -> None:
    """Store the run; then, if anyone listens, hand over its batch (read before the commit)."""
    if notify is None:
        store.commit_run(run, states)
        return
    history = read_history(store, target.name, previous, states)
    batch = batch_of(
        run_id=run.id,
        target=target.name,
        cluster=target.cluster,
        outcome=run.outcome,
        at=run.finished_at,
        interval_seconds=target.interval_seconds,
        history=history,
        states=states,
        accepted=store.accepted(run.started_at),
    )
    store.commit_run(run, states)
    try:
        notify(batch)
    except Exception:  # the run is stored; a notifier must never fail it
        log.exception("target %s: run %s: notifications not queued", target.name, run.id)


def _failed(
    store: Store,
    target: Target,
    run_id: str,
    started: datetime,
    clock: Clock,
    why: str,
    notify: Notify | None,
) -> Cycle:
    log.error("target %s: %s", target.name, why)
    run = RunRecord(
        id=run_id,
        target=target.name,
        started_at=started,
        finished_at=clock(),
        outcome=RunOutcome.FAILED,
        scopes=[{"scope": "*", "status": "failed", "detail": why}],
    )
    previous = store.open_findings(target.name) if notify is not None else {}
    _commit(store, target, run, [], previous, notify)
    return Cycle(run=run, warnings=[why])


def _counts(result: CheckResult, states: Sequence[FindingState]) -> dict[str, int]:
    """Findings and unknowns of the run, states per status, and the new ones per kind and
    severity (`new:<kind>:<severity>`, which `drift_findings_new_total` sums over runs)."""
    counts = Counter({"findings": len(result.findings), "unknowns": len(result.unknowns)})
    for state in states:
        counts[str(state.status)] += 1
        if state.status is FindingStatus.NEW:
            counts[new_count_key(state.kind, state.severity)] += 1
    return dict(counts)
