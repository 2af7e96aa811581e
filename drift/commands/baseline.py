"""`drift baseline validate` and `drift baseline propose`."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import click

from drift.baseline.load import load_baseline
from drift.baseline.model import Baseline, baseline_schema
from drift.baseline.propose import propose
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
from drift.errors import BaselineError
from drift.pipeline import collect_inputs, model_of, read_aws


@click.group()
def baseline() -> None:
    """Approved designs: validate them, draft one from a live system."""


@baseline.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@handle_errors
def validate(files: Sequence[str]) -> None:
    """Check baseline files; report every problem of every file at once."""
    problems: list[str] = []
    for path in files:
        try:
            loaded = load_baseline(path)
        except BaselineError as exc:
            problems.extend(exc.problems)
            continue
        meta = loaded.baseline.metadata
        click.echo(f"{path}: valid ({meta.name}, version {meta.version})")
    if problems:
        raise BaselineError(problems)


@baseline.command("schema")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write here instead of stdout (the repository keeps baselines/schema.json).",
)
def schema_command(output: str | None) -> None:
    """Print the JSON Schema of baseline documents, for editors that validate as you type."""
    write_output(json.dumps(baseline_schema(), indent=2, sort_keys=True) + "\n", output)


@baseline.command("propose")
@manifest_options
@aws_file_option
@click.option("--name", default="proposed", show_default=True, help="metadata.name of the draft.")
@output_option
@handle_errors
@without_gc_pauses
def propose_command(
    paths: Sequence[str],
    cluster: str,
    namespace: str,
    max_input_bytes: int,
    quiet: bool,
    aws_files: Sequence[str],
    name: str,
    output: str | None,
) -> None:
    """Draft a baseline describing today's system exactly, with TIGHTEN notes to review."""
    collection = collect_inputs(
        paths,
        aws_files,
        str(EXAMPLE_MANIFESTS),
        read_options(namespace, max_input_bytes),
        sys.stdin.buffer,
    )
    model = model_of(collection, cluster=cluster, aws=read_aws(aws_files))
    write_output(propose(model.graph, source=collection.source, name=name), output)
    print_summary(model.collection, model.inventory, quiet)


@baseline.command("approve")
@click.argument("path", metavar="FILE")
@click.option("--by", "by", required=True, help="Who approves (a person or a board).")
@click.option("--note", default="", help="Why, or where it was reviewed.")
@click.option("--config", "config_path", metavar="FILE", help="Settings (for the database).")
@handle_errors
def approve_command(path: str, by: str, note: str, config_path: str | None) -> None:
    """Record FILE as the approved version of its baseline; runs judge against it."""
    from drift.baseline.approval import approve
    from drift.commands.monitor import now, opened_store
    from drift.settings import load_settings

    with opened_store(load_settings(config_path)) as store:
        record = approve(store, path, by=by, note=note, now=now())
    click.echo(
        f"approved {record.name} version {record.version} ({record.sha256[:12]}) "
        f"by {record.approved_by}"
    )


@baseline.command("history")
@click.argument("name")
@click.option("--config", "config_path", metavar="FILE", help="Settings (for the database).")
@handle_errors
def history_command(name: str, config_path: str | None) -> None:
    """Every recorded version of baseline NAME, oldest first, with its approval."""
    from drift.commands.monitor import opened_store
    from drift.settings import load_settings

    with opened_store(load_settings(config_path)) as store:
        records = store.baselines(name)
    for record in records:
        approval = (
            f"approved by {record.approved_by} at {record.approved_at:%Y-%m-%d}"
            if record.approved_by and record.approved_at
            else "not approved"
        )
        click.echo(
            f"version {record.version:8} {record.sha256[:12]}  "
            f"recorded {record.recorded_at:%Y-%m-%d %H:%M}  {approval}"
            + (f"  ({record.note})" if record.note else "")
        )


@baseline.command("diff")
@click.argument("older", metavar="OLDER")
@click.argument("newer", metavar="NEWER")
@click.option("--config", "config_path", metavar="FILE", help="Settings (for NAME@VERSION).")
@handle_errors
def diff_command(older: str, newer: str, config_path: str | None) -> None:
    """What NEWER allows that OLDER did not. Each is a file, or NAME@VERSION in the store."""
    from drift.baseline.compare import widenings

    lines = widenings(_resolve(older, config_path), _resolve(newer, config_path))
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} widening(s)" if lines else "nothing newly allowed")


def _resolve(reference: str, config_path: str | None) -> Baseline:
    """A baseline file, or a version recorded in the store (`online-shop@3`)."""
    from pathlib import Path

    from drift.baseline.load import parse_baseline

    if Path(reference).exists() or "@" not in reference:
        return load_baseline(reference).baseline
    from drift.commands.monitor import opened_store
    from drift.settings import load_settings

    name, _, version = reference.rpartition("@")
    with opened_store(load_settings(config_path)) as store:
        found = [b for b in store.baselines(name) if b.version == version]
    if not found:
        raise BaselineError([f"{reference}: no recorded version {version} of {name}"])
    return parse_baseline(found[-1].content.encode(), reference).baseline
