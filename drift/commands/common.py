"""What every command shares: options, the bundled example, error handling, exit codes."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from drift.collect import DEFAULT_MAX_INPUT_BYTES, Collection, ReadOptions
from drift.errors import DriftError, InputError
from drift.gcpause import paused_gc
from drift.ids import cluster_name_problem
from drift.k8s.inventory import Inventory

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "online-shop"
EXAMPLE_MANIFESTS = EXAMPLE / "manifests"  # the approved state of the bundled example
EXAMPLE_DRIFTED = EXAMPLE / "drifted"  # the same shop after three changes nobody approved
EXAMPLE_BASELINE = EXAMPLE / "baseline.yaml"


def handle_errors(func: F) -> F:
    """Turn library errors into one-line messages and exit codes; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise  # usage errors: click prints them and exits 2
        except InputError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except DriftError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)
        except OSError as exc:  # a file we were told to read or write: bad input or usage
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except Exception as exc:  # never exit 1 ("findings") for a crash
            log.debug("internal error", exc_info=True)
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def without_gc_pauses(func: F) -> F:
    """Run a one-shot command with the cyclic GC paused (see drift.gcpause): it builds
    millions of acyclic objects and exits."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with paused_gc():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _check_cluster(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    problem = cluster_name_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


def aws_file_option(func: F) -> F:
    """--aws-file: saved AWS documents joined to the model (IAM, trust, buckets, IRSA,
    compute and what the internet reaches)."""
    return click.option(
        "--aws-file",
        "aws_files",
        multiple=True,
        metavar="FILE",
        type=click.Path(exists=True, dir_okay=False),
        help="IAM authorization details, resource policies, the AWS managed policy set, "
        "EC2/RDS/ELBv2 Describe output or a collector snapshot (JSON; repeatable): IAM "
        "principals, role trust, buckets, the ServiceAccounts' roles, AWS compute and what "
        "the internet reaches join the model.",
    )(func)


def manifest_options(func: F) -> F:
    """--manifests, --cluster, --namespace, --max-input-bytes and --quiet."""
    decorators = [
        click.option(
            "--manifests",
            "paths",
            multiple=True,
            metavar="PATH",
            help="Manifest file or directory (repeatable); '-' reads stdin.",
        ),
        click.option(
            "--cluster",
            default="default",
            show_default=True,
            callback=_check_cluster,
            help="Cluster name used in node ids.",
        ),
        click.option(
            "--namespace",
            default="default",
            show_default=True,
            help="Namespace for namespaced objects that set none (as kubectl -n).",
        ),
        click.option(
            "--max-input-bytes",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_INPUT_BYTES,
            show_default=True,
            help="Refuse inputs larger than this in total.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="Do not print the summary on stderr."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write here instead of stdout.",
)


def read_options(namespace: str, max_input_bytes: int) -> ReadOptions:
    return ReadOptions(default_namespace=namespace, max_input_bytes=max_input_bytes)


def write_output(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


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


def print_summary(collection: Collection, inventory: Inventory, quiet: bool) -> None:
    if not quiet:
        for line in summary_lines(collection, inventory):
            click.echo(line, err=True)
