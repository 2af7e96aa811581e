"""The stages composed, as in DESIGN.md's diagram: collect → semantics → graph → diff.

Only collecting touches I/O (through a collector plugin); everything after is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import BinaryIO

from drift.aws.documents import AwsInput, read_aws_files
from drift.aws.graph import add_aws
from drift.aws.snapshot import read_snapshot
from drift.baseline.load import LoadedBaseline
from drift.build import build_graph
from drift.collect import AwsCollection, AwsCollector, Collection, KubernetesCollector, ReadOptions
from drift.diff.check import check
from drift.findings import CheckResult
from drift.gcpause import paused_gc
from drift.k8s.inventory import Inventory, build_inventory
from drift.lifecycle import withhold_unverifiable
from drift.model import SystemGraph
from drift.plugins import COLLECTORS_GROUP, load_plugin
from drift.settings import AwsSource


@dataclass(frozen=True, kw_only=True)
class LiveModel:
    """What one collection gave and the model built from it."""

    collection: Collection
    inventory: Inventory
    graph: SystemGraph


def collect_inputs(
    paths: Sequence[str],
    aws_files: Sequence[str],
    example: str,
    options: ReadOptions,
    stdin: BinaryIO | None = None,
) -> Collection:
    """The manifests given; none when only AWS documents are (an AWS-only model); the
    bundled `example` when neither is."""
    if not paths and aws_files:
        return Collection(source=", ".join(aws_files), objects=())
    return collect_manifests(list(paths) or [example], options, stdin)


def collect_manifests(
    paths: Sequence[str], options: ReadOptions, stdin: BinaryIO | None = None
) -> Collection:
    factory = load_plugin(COLLECTORS_GROUP, "manifests")
    collector: KubernetesCollector = factory(paths, stdin=stdin)
    return collector.collect(options)


def model_of(
    collection: Collection,
    *,
    cluster: str,
    aws: AwsInput | None = None,
    eks_cluster: str | None = None,
) -> LiveModel:
    """The live model of a collection, with AWS documents joined to it when given.
    `eks_cluster`: the EKS cluster `cluster` is, when it is not its name (a name or an ARN)."""
    with paused_gc():
        inventory = build_inventory(cluster, collection.objects)
        graph = build_graph(inventory)
        if aws is not None:
            add_aws(graph, aws, inventory, eks_cluster=eks_cluster)
    return LiveModel(collection=collection, inventory=inventory, graph=graph)


def read_aws(paths: Sequence[str]) -> AwsInput | None:
    return read_aws_files(paths) if paths else None


def collect_aws(source: AwsSource) -> AwsCollection:
    factory = load_plugin(COLLECTORS_GROUP, "aws")
    collector: AwsCollector = factory(source=source)
    return collector.collect()


def aws_input(collection: AwsCollection) -> AwsInput:
    """What the model reads of an AWS collection: the one place a snapshot becomes input."""
    return read_snapshot(collection.snapshot, source=collection.source)


def joined(cluster: Collection | None, aws: AwsCollection) -> Collection:
    """One collection of a target that reads AWS, alone or with a cluster: the cluster's
    objects (none without one), and the outcome of every scope of both, so a scope of either
    that could not be read keeps what depends on it unverifiable (`drift.lifecycle`)."""
    if cluster is None:
        return Collection(
            source=aws.source, objects=(), outcomes=aws.outcomes, warnings=aws.warnings
        )
    return replace(
        cluster,
        source=f"{cluster.source} + {aws.source}",
        outcomes=(*cluster.outcomes, *aws.outcomes),
        warnings=(*cluster.warnings, *aws.warnings),
    )


def check_model(baseline: LoadedBaseline, model: LiveModel) -> CheckResult:
    """The diff, without findings judged from scopes that could not be collected."""
    with paused_gc():
        result = check(baseline, model.graph, source=model.collection.source)
    return withhold_unverifiable(result, model.collection.outcomes)
