"""The `drift` command: thin wrappers that validate options and call one library function.

Exit codes, every command: 0 done, 1 findings at or above --fail-on, 2 bad input or usage,
3 internal error or incomplete collection.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from drift import __version__
from drift.build import build_graph
from drift.collect import DEFAULT_MAX_INPUT_BYTES, Collection, KubernetesCollector, ReadOptions
from drift.errors import DriftError, InputError
from drift.export import dumps_dot, dumps_json
from drift.gcpause import paused_gc
from drift.ids import cluster_name_problem
from drift.k8s.inventory import Inventory, build_inventory
from drift.plugins import COLLECTORS_GROUP, load_plugin

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
BUNDLED_EXAMPLE = "online-shop"

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def bundled_example() -> str:
    """The manifests `drift graph` reads when given none (shipped inside the package)."""
    return str(Path(__file__).parent / "examples" / BUNDLED_EXAMPLE)


def _check_cluster(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    problem = cluster_name_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


def _handle_errors(func: F) -> F:
    """Turn library errors into one-line messages and exit codes; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except DriftError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drift")
def main() -> None:
    """design-drift: diff a live system against its approved secure-by-design baseline."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option(
    "--manifests",
    "paths",
    multiple=True,
    metavar="PATH",
    help="Manifest file or directory (repeatable); '-' reads stdin. Default: the bundled example.",
)
@click.option(
    "--cluster",
    default="default",
    show_default=True,
    callback=_check_cluster,
    help="Cluster name used in node ids.",
)
@click.option(
    "--namespace",
    default="default",
    show_default=True,
    help="Namespace for namespaced objects that set none (as kubectl -n).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "dot"]), default="json", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write here instead of stdout.",
)
@click.option(
    "--max-input-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_INPUT_BYTES,
    show_default=True,
    help="Refuse inputs larger than this in total.",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print the summary on stderr.")
@_handle_errors
def graph(
    paths: Sequence[str],
    cluster: str,
    namespace: str,
    fmt: str,
    output: str | None,
    max_input_bytes: int,
    quiet: bool,
) -> None:
    """Print the computed live model (workloads, who may connect to whom) as JSON or DOT."""
    options = ReadOptions(default_namespace=namespace, max_input_bytes=max_input_bytes)
    with paused_gc():
        collection = collect_manifests(list(paths) or [bundled_example()], options)
        inventory = build_inventory(cluster, collection.objects)
        system = build_graph(inventory)
        text = dumps_json(system) if fmt == "json" else dumps_dot(system)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
    if not quiet:
        for line in summary_lines(collection, inventory):
            click.echo(line, err=True)


def collect_manifests(paths: Sequence[str], options: ReadOptions) -> Collection:
    factory = load_plugin(COLLECTORS_GROUP, "manifests")
    collector: KubernetesCollector = factory(paths, stdin=sys.stdin.buffer)
    return collector.collect(options)


def summary_lines(collection: Collection, inventory: Inventory) -> list[str]:
    """What was read and what was left out, for a person reading stderr."""
    lines = [
        f"read {len(collection.objects)} objects from {collection.source}: "
        f"{len(inventory.workloads)} workloads, {len(inventory.network_policies)} NetworkPolicies"
    ]
    if collection.skipped_kinds:
        skipped = ", ".join(f"{k} ({n})" for k, n in sorted(collection.skipped_kinds.items()))
        total = sum(collection.skipped_kinds.values())
        lines.append(f"skipped {total} objects of kinds not modelled: {skipped}")
    lines.extend(f"warning: {w}" for w in collection.warnings)
    if inventory.unmodelled_policies:
        kinds = ", ".join(f"{k} ({n})" for k, n in inventory.unmodelled_policies.items())
        lines.append(f"not modelled, so the connections they touch are unknown: {kinds}")
    return lines


if __name__ == "__main__":  # pragma: no cover
    main()
