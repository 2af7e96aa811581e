"""`drift baseline diff`: what a newer design allows that an older one did not."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from drift.baseline.compare import widenings
from drift.baseline.load import parse_baseline
from drift.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online-shop" / "baseline.yaml"


def example(edit: dict[str, str] | None = None) -> str:
    text = EXAMPLE.read_text()
    for old, new in (edit or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def parsed(text: str):  # type: ignore[no-untyped-def]
    return parse_baseline(text.encode(), "b.yaml").baseline


def test_the_same_design_allows_nothing_new() -> None:
    assert widenings(parsed(example()), parsed(example())) == []


WEB_TO_CATALOG = "- {from: web, to: catalog, ports: [{port: 9090}]}"
SHOP_ZONE = "  shop:\n    namespaces: [shop]\n    require: {defaultDeny: true}"


def test_widened_and_new_flows_publication_zones_and_identities_are_listed() -> None:
    newer = example(
        {
            WEB_TO_CATALOG: WEB_TO_CATALOG.replace("9090}", "9090, endPort: 9091}")
            + "\n  - {from: catalog, to: payment}",
            SHOP_ZONE: SHOP_ZONE.replace("true", "[Ingress]"),
            "    automountToken: false\n    crownJewel: true": "    automountToken: false",
            "    identity: web\n": "    identity: web\n    public: {scope: internal}\n",
        }
    )
    assert widenings(parsed(example()), parsed(newer)) == [
        "flow web -> catalog: now also TCP 9091 (was TCP 9090)",
        "flow catalog -> payment: new, SCTP all ports; TCP all ports; UDP all ports",
        "service web: may now be published (internal)",
        "service payment: no longer a crown jewel",
        "zone shop: no longer requires default-deny for Egress",
    ]


def test_narrowing_is_not_a_widening() -> None:
    narrower = example({"  - {from: web, to: cart-db, ports: [{port: 6379}]}\n": ""})
    assert widenings(parsed(example()), parsed(narrower)) == []


def test_the_command_compares_two_files(tmp_path: Path) -> None:
    newer = tmp_path / "newer.yaml"
    newer.write_text(
        example(
            {
                'version: "3"': 'version: "4"',
                "ports: [{port: 6379}]": "ports: [{port: 6379}, {port: 16379}]",
            }
        )
    )
    result = CliRunner().invoke(main, ["baseline", "diff", str(EXAMPLE), str(newer)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "flow web -> cart-db: now also TCP 16379 (was TCP 6379)\n1 widening(s)\n"
    )
