"""The stages composed, as in DESIGN.md's diagram: collect → semantics → graph → diff.

Only collecting touches I/O (through a collector plugin); everything after is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from drift.aws.documents import AwsInput, read_aws_files
from drift.aws.graph import add_aws
from drift.baseline.load import LoadedBaseline
from drift.build import build_graph
from drift.collect import Collection, KubernetesCollector, ReadOptions
from drift.diff.check import check
from drift.findings import CheckResult
from drift.gcpause import paused_gc
from drift.k8s.inventory import Inventory, build_inventory
from drift.lifecycle import withhold_unverifiable
from drift.model import SystemGraph
from drift.plugins import COLLECTORS_GROUP, load_plugin


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


def model_of(collection: Collection, *, cluster: str, aws: AwsInput | None = None) -> LiveModel:
    """The live model of a collection, with saved AWS documents joined to it when given."""
    with paused_gc():
        inventory = build_inventory(cluster, collection.objects)
        graph = build_graph(inventory)
        if aws is not None:
            add_aws(graph, aws, inventory)
    return LiveModel(collection=collection, inventory=inventory, graph=graph)


def read_aws(paths: Sequence[str]) -> AwsInput | None:
    return read_aws_files(paths) if paths else None


def check_model(baseline: LoadedBaseline, model: LiveModel) -> CheckResult:
    """The diff, without findings judged from scopes that could not be collected."""
    with paused_gc():
        result = check(baseline, model.graph, source=model.collection.source)
    return withhold_unverifiable(result, model.collection.outcomes)
