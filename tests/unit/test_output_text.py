"""The terminal report: layout, grouping of flows, ordering, colour and the summary line."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from drift.findings import CheckResult, Evidence, Finding, FindingKind, Severity, Unknown
from drift.k8s.objects import SourceRef
from drift.output.text import render_text, summary_line
from drift.ports import PortSet, Protocol

TCP, UDP = Protocol.TCP, Protocol.UDP
NOT_ISOLATED = Evidence(
    text="ingress: payments/payment not isolated",
    source=SourceRef(file="workloads.yaml", document=6, line=58),
)


def result(
    *findings: Finding, unknowns: tuple[Unknown, ...] = (), notes: tuple[str, ...] = ()
) -> CheckResult:
    return CheckResult(
        baseline_name="shop",
        baseline_version="3",
        baseline_path="baselines/shop.yaml",
        cluster="prod",
        source="manifests deploy/",
        findings=findings,
        unknowns=unknowns,
        notes=notes,
    )


def flow(
    source: str,
    target: str,
    ports: PortSet,
    *,
    severity: Severity = Severity.HIGH,
    evidence: tuple[Evidence, ...] = (NOT_ISOLATED,),
) -> Finding:
    return Finding(
        kind=FindingKind.FLOW,
        severity=severity,
        cluster="prod",
        subjects=(f"service:{source}", f"service:{target}"),
        ports=ports,
        title=f"{source} may connect to {target}",
        evidence=evidence,
        clause="baselines/shop.yaml:40: flows",
        baseline_version="3",
    )


def finding(
    kind: FindingKind,
    severity: Severity,
    subject: str,
    *,
    detail: str = "",
    evidence: tuple[Evidence, ...] = (),
) -> Finding:
    return Finding(
        kind=kind,
        severity=severity,
        cluster="prod",
        subjects=(subject,),
        title=f"{kind} on {subject}",
        detail=detail,
        evidence=evidence,
    )


def sample() -> CheckResult:
    cart_egress = Evidence(
        text="egress: NetworkPolicy shop/cart", source=SourceRef(file="policies.yaml", line=3)
    )
    return result(
        flow(
            "web",
            "payment",
            PortSet.of(TCP, 8080, 8081) | PortSet.of(TCP, 9090) | PortSet.every([UDP]),
        ),
        flow("cart", "payment", PortSet.of(TCP, 443), evidence=(NOT_ISOLATED, cart_egress)),
        flow("web", "db", PortSet.of(TCP, 5432), severity=Severity.LOW),
        Finding(
            kind=FindingKind.SHARED_IDENTITY,
            severity=Severity.MEDIUM,
            cluster="prod",
            subjects=("k8s:prod/shop/ServiceAccount/default",),
            title="web runs as the default ServiceAccount",
            detail="Deployment shop/web sets no serviceAccountName",
            evidence=(Evidence(text="Deployment shop/web"),),
            clause="baselines/shop.yaml:12: services.web.identity",
            location=SourceRef(file="workloads.yaml", document=2),
        ),
        finding(FindingKind.BLAST_RADIUS_WIDENED, Severity.CRITICAL, "service:db"),
        unknowns=(
            Unknown(
                subjects=("k8s:prod/shop/Deployment/web", "net:prod/10.0.0.0/8"),
                detail="named port metrics in egress to an address range",
                reasons=("named port in egress to an ipBlock",),
                location=SourceRef(file="policies.yaml", line=9),
            ),
        ),
        notes=("Calico policies in namespace shop are not modelled",),
    )


SAMPLE_TEXT = """\
design-drift check
  checked:  manifests deploy/ (cluster prod)
  baseline: shop version 3 (baselines/shop.yaml)

blast-radius.widened (1) - A crown jewel is newly reachable
  CRITICAL  blast-radius.widened on service:db
            subjects: service:db

implicit-trust.flow (3) - A live flow the approved design does not allow
  to service:payment
    root cause: ingress: payments/payment not isolated (workloads.yaml:58)
    HIGH      service:cart -> service:payment  TCP 443
              cart may connect to payment
              evidence: egress: NetworkPolicy shop/cart (policies.yaml:3)
              baseline: baselines/shop.yaml:40: flows
    HIGH      service:web -> service:payment  TCP 8080-8081, 9090; UDP all ports
              web may connect to payment
              baseline: baselines/shop.yaml:40: flows
  to service:db
    LOW       service:web -> service:db  TCP 5432
              web may connect to db
              evidence: ingress: payments/payment not isolated (workloads.yaml:58)
              baseline: baselines/shop.yaml:40: flows

implicit-trust.shared-identity (1) - A workload runs as a default or shared identity
  MEDIUM    web runs as the default ServiceAccount
            subjects: k8s:prod/shop/ServiceAccount/default
            Deployment shop/web sets no serviceAccountName
            evidence: Deployment shop/web
            baseline: baselines/shop.yaml:12: services.web.identity
            fix at: workloads.yaml#document 2

Unknown (not findings)
  k8s:prod/shop/Deployment/web, net:prod/10.0.0.0/8
    named port metrics in egress to an address range
    because: named port in egress to an ipBlock
    at: policies.yaml:9

Notes
  - Calico policies in namespace shop are not modelled

5 findings: 1 critical, 2 high, 1 medium, 1 low; 1 unknown
"""

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_the_report_reads_header_findings_by_kind_unknowns_notes_summary() -> None:
    assert render_text(sample(), colour=False) == SAMPLE_TEXT


def test_an_empty_result_says_there_is_no_drift() -> None:
    assert render_text(result(), colour=False) == (
        "design-drift check\n"
        "  checked:  manifests deploy/ (cluster prod)\n"
        "  baseline: shop version 3 (baselines/shop.yaml)\n"
        "\n"
        "no drift from the approved design\n"
    )


def test_no_escape_codes_without_colour() -> None:
    assert "\x1b" not in render_text(sample(), colour=False)


def test_colour_only_paints_and_never_moves_text() -> None:
    coloured = render_text(sample(), colour=True)
    assert "\x1b[1;31mHIGH\x1b[0m" in coloured
    assert "\x1b[1;97;41mCRITICAL\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == SAMPLE_TEXT


def test_output_does_not_depend_on_the_order_of_findings() -> None:
    original = sample()
    rng = random.Random(3)
    for _ in range(5):
        shuffled = list(original.findings)
        rng.shuffle(shuffled)
        assert render_text(replace(original, findings=tuple(shuffled)), colour=False) == (
            SAMPLE_TEXT
        )


def test_kinds_come_in_the_order_of_their_highest_severity() -> None:
    text = render_text(
        result(
            finding(FindingKind.INVENTORY_UNKNOWN, Severity.LOW, "a"),
            finding(FindingKind.PRIVILEGE_WIDENED, Severity.MEDIUM, "b"),
            finding(FindingKind.INVENTORY_UNKNOWN, Severity.HIGH, "c"),
        ),
        colour=False,
    )
    assert text.index("inventory.unknown (2)") < text.index("privilege.widened (1)")


def test_a_pair_line_names_every_protocol_s_extra_ports() -> None:
    ports = PortSet.of(TCP, 8080, 8081) | PortSet.every([UDP])
    text = render_text(result(flow("web", "api", ports)), colour=False)
    assert "  HIGH      service:web -> service:api  TCP 8080-8081; UDP all ports\n" in text


def test_a_root_cause_is_shown_only_when_every_source_shares_it() -> None:
    other = Evidence(text="ingress: NetworkPolicy shop/api")
    text = render_text(
        result(
            flow("web", "api", PortSet.of(TCP, 80)),
            flow("cart", "api", PortSet.of(TCP, 80), evidence=(other,)),
        ),
        colour=False,
    )
    assert "root cause" not in text
    assert "evidence: ingress: NetworkPolicy shop/api" in text


def test_flows_without_a_pair_of_subjects_are_still_shown() -> None:
    lone = replace(flow("web", "api", PortSet.of(TCP, 80)), subjects=("service:web",))
    text = render_text(result(lone), colour=False)
    assert "  HIGH      web may connect to api\n            subjects: service:web\n" in text


def test_findings_of_one_pair_share_its_block_marked_by_severity() -> None:
    text = render_text(
        result(
            flow("web", "api", PortSet.of(TCP, 80)),
            replace(flow("web", "api", PortSet.of(UDP, 53)), severity=Severity.LOW),
        ),
        colour=False,
    )
    assert "  HIGH      service:web -> service:api  TCP 80 (high); UDP 53 (low)\n" in text
    assert text.count("web may connect to api") == 1


@pytest.mark.parametrize(
    ("severities", "unknowns", "expected"),
    [
        ((), 0, "no drift from the approved design"),
        ((), 2, "no drift from the approved design; 2 unknown"),
        ((Severity.LOW,), 0, "1 finding: 1 low"),
        (
            (Severity.MEDIUM, Severity.HIGH, Severity.MEDIUM),
            2,
            "3 findings: 1 high, 2 medium; 2 unknown",
        ),
    ],
)
def test_the_summary_counts_findings_per_severity(
    severities: tuple[Severity, ...], unknowns: int, expected: str
) -> None:
    findings = [
        finding(FindingKind.PRIVILEGE_WIDENED, s, f"x{i}") for i, s in enumerate(severities)
    ]
    unknown = Unknown(subjects=("x",), detail="?")
    checked = result(*findings, unknowns=(unknown,) * unknowns)
    assert summary_line(checked) == expected
    assert render_text(checked, colour=False).endswith(f"\n{expected}\n")


def test_input_text_cannot_send_escape_codes_to_the_terminal() -> None:
    evil = finding(
        FindingKind.INVENTORY_UNKNOWN,
        Severity.LOW,
        "k8s:prod/shop/Pod/\x1b[2Jx",
        evidence=(Evidence(text="bad\u202ename", source=SourceRef(file="a\x07.yaml", line=1)),),
    )
    text = render_text(result(evil, notes=("note\x1b]0;title\x07",)), colour=True)
    assert "\x1b[2J" not in text and "\x07" not in text and "\u202e" not in text
    assert "k8s:prod/shop/Pod/\\x1b[2Jx" in text
    assert "evidence: bad\\u202ename (a\\x07.yaml:1)" in text


def test_multi_line_details_stay_indented_under_their_finding() -> None:
    text = render_text(
        result(finding(FindingKind.PRIVILEGE_WIDENED, Severity.HIGH, "x", detail="one\ntwo")),
        colour=False,
    )
    assert "            one\n            two\n" in text
