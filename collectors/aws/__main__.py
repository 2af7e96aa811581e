"""`python -m collectors.aws --settings drift.yaml --out snapshot.json`: collect the AWS
target of a settings file once and write its snapshot (docs/aws-snapshot-v1.schema.json),
without the monitor. Exit status: 0 every scope read, 3 some scope forbidden or failed (the
snapshot is written all the same and says which), 2 bad settings or usage."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from drift.collect import ScopeStatus
from drift.errors import InputError
from drift.settings import Target, load_settings

from .collector import AwsCollector

INCOMPLETE, USAGE = 3, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m collectors.aws", description=__doc__)
    parser.add_argument("--settings", required=True, help="the drift settings file")
    parser.add_argument("--target", help="the target to read (default: the only aws one)")
    parser.add_argument("--out", required=True, help="where to write the snapshot (- : stdout)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        target = _target(load_settings(args.settings).targets, args.target)
    except InputError as error:
        print(error, file=sys.stderr)
        return USAGE
    assert target.aws is not None
    collection = AwsCollector(source=target.aws).collect()
    text = json.dumps(collection.snapshot, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    for outcome in collection.outcomes:
        if outcome.status is not ScopeStatus.OK:
            print(f"{outcome.scope}: {outcome.status}: {outcome.detail}", file=sys.stderr)
    return 0 if collection.complete else INCOMPLETE


def _target(targets: Sequence[Target], name: str | None) -> Target:
    aws = [t for t in targets if t.aws is not None]
    chosen = [t for t in aws if t.name == name] if name else aws
    if len(chosen) != 1:
        names = ", ".join(t.name for t in aws) or "none"
        wanted = f"no aws target named {name!r}" if name else "say which with --target"
        raise InputError([f"{wanted} (aws targets: {names})"])
    return chosen[0]


if __name__ == "__main__":
    sys.exit(main())
