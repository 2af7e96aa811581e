"""`drift check`: a system against its approved baseline, once; the CI gate."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from drift.baseline.load import load_baseline
from drift.commands.common import (
    EXAMPLE_BASELINE,
    EXAMPLE_DRIFTED,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    aws_file_option,
    handle_errors,
    manifest_options,
    output_option,
    print_summary,
    read_options,
    without_gc_pauses,
    write_output,
)
from drift.findings import CheckResult, Severity
from drift.output.json_format import render_json
from drift.output.sarif import render_sarif
from drift.output.text import render_text
from drift.pipeline import check_model, collect_inputs, model_of, read_aws

FAIL_ON = ["none", *(str(s) for s in Severity)]


@click.command()
@click.option(
    "--baseline",
    "baseline_path",
    metavar="FILE",
    help="The approved baseline. Default, with no --manifests either: the bundled "
    "example's baseline against its drifted manifests.",
)
@manifest_options
@aws_file_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@output_option
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="low",
    show_default=True,
    help="Exit 1 when a finding is at least this severe (none: never).",
)
@click.option(
    "--fail-on-unknown", is_flag=True, help="Count answers the input does not decide as findings."
)
@handle_errors
@without_gc_pauses
def check(
    baseline_path: str | None,
    paths: Sequence[str],
    cluster: str,
    namespace: str,
    max_input_bytes: int,
    quiet: bool,
    aws_files: Sequence[str],
    fmt: str,
    output: str | None,
    fail_on: str,
    fail_on_unknown: bool,
) -> None:
    """Diff manifests against an approved baseline and report what drifted.

    Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 bad input or
    usage, 3 internal error or incomplete collection.
    """
    if (baseline_path is None) != (not paths and not aws_files):
        raise click.UsageError(
            "give --baseline with --manifests or --aws-file, or none of them (the example)"
        )
    baseline = load_baseline(baseline_path or str(EXAMPLE_BASELINE))
    collection = collect_inputs(
        paths,
        aws_files,
        str(EXAMPLE_DRIFTED),
        read_options(namespace, max_input_bytes),
        sys.stdin.buffer,
    )
    model = model_of(collection, cluster=cluster, aws=read_aws(aws_files))
    result = check_model(baseline, model)
    write_output(_render(result, fmt, output), output)
    print_summary(model.collection, model.inventory, quiet)
    if not collection.complete:
        sys.exit(EXIT_INTERNAL)
    sys.exit(exit_code(result, fail_on, fail_on_unknown))


def exit_code(result: CheckResult, fail_on: str, fail_on_unknown: bool) -> int:
    failing = fail_on != "none" and bool(result.at_or_above(Severity(fail_on)))
    return EXIT_FINDINGS if failing or (fail_on_unknown and result.unknowns) else EXIT_OK


def _render(result: CheckResult, fmt: str, output: str | None) -> str:
    if fmt == "json":
        return render_json(result)
    if fmt == "sarif":
        return render_sarif(result)
    # NO_COLOR (no-color.org) counts only when set to something non-empty.
    colour = output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return render_text(result, colour=colour)
