"""`drift run --once`, and the commands over the store: `findings`, `accept`, `runs`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime

import click

from drift.commands.common import EXIT_INTERNAL, EXIT_OK, handle_errors, without_gc_pauses
from drift.errors import InputError
from drift.monitor import Cycle, run_once
from drift.notify.loading import build_dispatcher
from drift.settings import Settings, load_settings
from drift.store.records import (
    OPEN_STATUSES,
    AcceptedRisk,
    FindingState,
    FindingStatus,
    RunOutcome,
    Store,
)

config_option = click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Settings file. Default: the bundled example with ./drift.db (SQLite).",
)


def now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def opened_store(settings: Settings) -> Iterator[Store]:
    from drift.store.sql import SqlStore  # SQLAlchemy is only loaded by commands that store

    store = SqlStore(settings.database)
    try:
        store.migrate()
        yield store
    finally:
        store.close()


@click.command("run")
@click.option("--once", is_flag=True, help="One full cycle of every target, then exit.")
@config_option
@handle_errors
@without_gc_pauses
def run_command(once: bool, config_path: str | None) -> None:
    """One monitoring cycle: collect, diff against the approved baseline, store, notify."""
    if not once:
        raise click.UsageError("drift run needs --once; drift serve runs continuously")
    settings = load_settings(config_path, notifying=True)
    dispatcher = build_dispatcher(settings)
    try:
        with opened_store(settings) as store:
            cycles = run_once(settings, store, now, dispatcher.submit)
    finally:
        dispatcher.close()  # waits for the notifications, up to their flush timeout
    for cycle in cycles:
        click.echo(cycle_line(cycle))
        for warning in cycle.warnings:
            click.echo(f"warning: {warning}", err=True)
    for line in notification_lines(dispatcher.summary()):
        click.echo(line, err=True)
    incomplete = any(c.run.outcome is not RunOutcome.OK for c in cycles)
    sys.exit(EXIT_INTERNAL if incomplete else EXIT_OK)


def notification_lines(summary: dict[str, dict[str, int]]) -> list[str]:
    """A warning per notifier that did not deliver everything (a failed delivery does not
    change the exit code: the run itself is stored)."""
    return [
        f"warning: notifier {name}: {counts['failed']} failed, {counts['dropped']} dropped, "
        f"{counts['sent']} sent"
        for name, counts in summary.items()
        if counts["failed"] or counts["dropped"]
    ]


def cycle_line(cycle: Cycle) -> str:
    run, counts = cycle.run, cycle.run.counts
    if run.outcome is RunOutcome.FAILED:
        return f"{run.target}: run {run.id[:8]} failed; findings left as they were"
    statuses = ", ".join(f"{counts.get(s, 0)} {s}" for s in FindingStatus)
    return (
        f"{run.target}: run {run.id[:8]} {run.outcome} against {run.baseline_name} "
        f"version {run.baseline_version}: {counts.get('findings', 0)} findings "
        f"({statuses}), {counts.get('unknowns', 0)} unknown"
    )


STATUS_CHOICES = [*(str(s) for s in FindingStatus), "accepted"]


@click.command("findings")
@click.option(
    "--status",
    type=click.Choice(STATUS_CHOICES),
    multiple=True,
    help="Repeatable. Default: every open one (new, open, unverifiable).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
@handle_errors
def findings_command(status: tuple[str, ...], fmt: str, config_path: str | None) -> None:
    """The findings the monitor remembers, with their lifecycle status."""
    settings = load_settings(config_path)
    wanted = set(status) or {str(s) for s in OPEN_STATUSES}
    with opened_store(settings) as store:
        accepted = store.accepted(now())
        rows = [
            (
                f,
                "accepted"
                if f.fingerprint in accepted and f.status in OPEN_STATUSES
                else str(f.status),
            )
            for f in store.findings()
        ]
    rows = [(f, shown) for f, shown in rows if shown in wanted]
    if fmt == "json":
        click.echo(json.dumps([_finding_json(f, shown) for f, shown in rows], indent=2))
        return
    for finding, shown in rows:
        click.echo(
            f"{shown:12} {finding.severity:8} {finding.fingerprint[:12]}  "
            f"{finding.kind:32} {finding.title}"
        )
    click.echo(f"{len(rows)} finding(s)")


def _finding_json(finding: FindingState, shown: str) -> dict[str, object]:
    out = asdict(finding)
    out.update(status=shown, subjects=list(finding.subjects))
    for key in ("first_seen", "last_seen", "resolved_at"):
        value = out[key]
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


@click.command("accept")
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why the risk is accepted.")
@click.option("--owner", required=True, help="Who answers for it.")
@click.option(
    "--until",
    "until_text",
    required=True,
    metavar="DATE",
    help="When the acceptance expires (ISO date or time, UTC when no zone).",
)
@config_option
@handle_errors
def accept_command(
    fingerprint: str, reason: str, owner: str, until_text: str, config_path: str | None
) -> None:
    """Accept a finding's risk until a date; at expiry it opens again."""
    until = _future(until_text)
    settings = load_settings(config_path)
    with opened_store(settings) as store:
        match = _one_finding(store, fingerprint)
        store.accept(
            AcceptedRisk(
                fingerprint=match.fingerprint,
                reason=reason,
                owner=owner,
                until=until,
                accepted_at=now(),
                target=match.target,
            )
        )
    click.echo(f"accepted {match.fingerprint[:12]} ({match.title}) until {until.isoformat()}")


def _future(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError([f"--until: {text!r} is not an ISO date or time"]) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= now():
        raise InputError([f"--until: {text} is not in the future"])
    return when


def _one_finding(store: Store, prefix: str) -> FindingState:
    matches = {f.fingerprint: f for f in store.findings() if f.fingerprint.startswith(prefix)}
    if len(matches) != 1:
        found = "no finding" if not matches else f"{len(matches)} findings"
        raise InputError([f"{prefix}: {found} with this fingerprint (prefix)"])
    return next(iter(matches.values()))


@click.command("runs")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@config_option
@handle_errors
def runs_command(limit: int, config_path: str | None) -> None:
    """The most recent monitoring runs."""
    settings = load_settings(config_path)
    with opened_store(settings) as store:
        runs = store.runs(limit=limit)
    for run in runs:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()))
        click.echo(
            f"{run.started_at.isoformat(timespec='seconds')}  {run.target:16} "
            f"{run.outcome:10} {run.baseline_name} v{run.baseline_version}  {counts}"
        )


@click.command("serve")
@config_option
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Overrides logFormat of the settings.",
)
@handle_errors
def serve_command(config_path: str | None, log_format: str | None) -> None:
    """The long-running monitor: scheduled runs, /metrics, /healthz, /readyz."""
    from drift.logs import configure_logging
    from drift.service import Service, serve
    from drift.store.sql import SqlStore

    settings = load_settings(config_path, notifying=True)
    configure_logging(log_format or settings.log_format)
    store = SqlStore(settings.database)
    try:
        store.migrate()
        service = Service(settings, store, now, dispatcher=build_dispatcher(settings))
        code = serve(service, settings.http.bind, settings.http.port)
    finally:
        store.close()
    sys.exit(code)
