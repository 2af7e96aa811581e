"""The `drift` command: thin wrappers that validate options and call one library function.

Exit codes, every command: 0 done, 1 findings at or above --fail-on, 2 bad input or usage,
3 internal error or incomplete collection.
"""

from __future__ import annotations

import logging

import click

from drift import __version__
from drift.commands.baseline import baseline
from drift.commands.can import can
from drift.commands.check import check
from drift.commands.graph import graph
from drift.commands.monitor import (
    accept_command,
    findings_command,
    run_command,
    runs_command,
    serve_command,
)
from drift.commands.report import report_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drift")
def main() -> None:
    """design-drift: diff a live system against its approved secure-by-design baseline."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


main.add_command(graph)
main.add_command(check)
main.add_command(baseline)
main.add_command(run_command)
main.add_command(findings_command)
main.add_command(accept_command)
main.add_command(runs_command)
main.add_command(serve_command)
main.add_command(report_command)
main.add_command(can)


if __name__ == "__main__":  # pragma: no cover
    main()
