"""`drift report` as a person runs it: where it writes, and its exit codes (0, 2, 3)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from drift.cli import main

pytestmark = pytest.mark.usefixtures("declared_plugins")


def report(*args: str) -> Result:
    return CliRunner().invoke(main, ["report", *args])


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_out_writes_the_html_file(database: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = report("--database", database, "--since", "8w", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out}: ")
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "Drifted from the approved design" in html
    assert not list(tmp_path.glob(".*.partial"))


def test_out_dir_names_the_file_by_date(database: str, tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "weekly"
    result = report("--database", database, "--target", "staging", "--out-dir", str(folder))
    assert result.exit_code == 0, result.output
    today = datetime.now(UTC).date().isoformat()  # the settings' zone: UTC by default
    assert [p.name for p in folder.iterdir()] == [f"drift-report-{today}.html"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--since", "7x"], "error: --since: '7x' is not a period such as 36h, 7d or 2w"),
        ([], "error: give one of --out FILE, --out-dir DIR or --mail"),
        (["--mail"], "error: --mail: the settings have no report.smtp (see docs/report.md)"),
        (["--target", "nope"], "error: --target: no target named 'nope' (known: example, prod,"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_option(
    database: str, tmp_path: Path, args: list[str], error: str
) -> None:
    out = [] if "--mail" in args or not args else ["--out", str(tmp_path / "r.html")]
    result = report("--database", database, *args, *out)
    assert result.exit_code == 2, result.output
    assert one_error_line(result).startswith(error)
    assert not (tmp_path / "r.html").exists()


def test_a_bad_settings_file_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "drift.yaml"
    config.write_text(
        "targets: [{name: a, baseline: b.yaml, manifests: [m]}]\n"
        "report: {outDir: /tmp/x, since: 7x}\n"
    )
    result = report("--config", str(config), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2
    assert "report.since: '7x' is not a period" in one_error_line(result)


def test_a_store_that_cannot_be_read_exits_3(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'drift.db'}"
    result = report("--database", missing, "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 3, result.output
    assert one_error_line(result).startswith("error: ")
