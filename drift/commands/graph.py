"""`drift graph`: the computed live model as JSON or DOT."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from drift.commands.common import (
    EXAMPLE_MANIFESTS,
    aws_file_option,
    handle_errors,
    manifest_options,
    output_option,
    print_summary,
    read_options,
    without_gc_pauses,
    write_output,
)
from drift.export import dumps_dot, dumps_json
from drift.gcpause import paused_gc
from drift.pipeline import collect_inputs, model_of, read_aws


@click.command()
@manifest_options
@aws_file_option
@click.option(
    "--format", "fmt", type=click.Choice(["json", "dot"]), default="json", show_default=True
)
@output_option
@handle_errors
@without_gc_pauses
def graph(
    paths: Sequence[str],
    cluster: str,
    namespace: str,
    max_input_bytes: int,
    quiet: bool,
    aws_files: Sequence[str],
    fmt: str,
    output: str | None,
) -> None:
    """Print the computed live model (workloads, who may connect to whom) as JSON or DOT.

    Without --manifests or --aws-file it reads the bundled example.
    """
    options = read_options(namespace, max_input_bytes)
    with paused_gc():
        collection = collect_inputs(
            paths, aws_files, str(EXAMPLE_MANIFESTS), options, sys.stdin.buffer
        )
        model = model_of(collection, cluster=cluster, aws=read_aws(aws_files))
        text = dumps_json(model.graph) if fmt == "json" else dumps_dot(model.graph)
    write_output(text, output)
    print_summary(model.collection, model.inventory, quiet)
