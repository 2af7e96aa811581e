"""A check result as SARIF 2.1.0, for code-scanning tools (GitHub, GitLab, IDE viewers).

One run; one rule per finding kind that appears; one result per finding, in the order of
the JSON output. Unknowns are not results (docs/check.md says why): they travel in the run's
property bag with the notes and the baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from drift import __version__
from drift.findings import CheckResult, Finding, FindingKind, Severity
from drift.k8s.objects import SourceRef
from drift.output.json_format import (
    dumps_readable,
    evidence_to_json,
    ordered_findings,
    ordered_unknowns,
    unknown_to_json,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "designDrift/v1"
SRCROOT = "%SRCROOT%"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True, kw_only=True)
class KindText:
    """What a finding kind means for a person: a line, a paragraph, and how to fix it."""

    short: str
    full: str
    fix: str
    default: Severity


KIND_TEXT: dict[FindingKind, KindText] = {
    FindingKind.FLOW: KindText(
        short="A live flow the approved design does not allow",
        full="A workload can open connections to another one (or to or from addresses "
        "outside the cluster) on ports the approved design does not list for that pair of "
        "services. Nobody reviewed this trust: whoever compromises the source reaches the "
        "destination on those ports.",
        fix="Narrow the NetworkPolicies named in the evidence (the destination's ingress or "
        "the source's egress) to the ports the design allows. If the flow is intended, add "
        "it to the baseline's flows and have the change approved.",
        default=Severity.HIGH,
    ),
    FindingKind.UNAUTHENTICATED: KindText(
        short="A flow without the mTLS or authorization the design requires",
        full="The design requires this flow to be mutually authenticated (mTLS strict) or "
        "authorized by principal, but the live mesh configuration accepts it in plain text "
        "or from any caller.",
        fix="Set the destination's PeerAuthentication (workload, namespace or mesh level) to "
        "STRICT and add an AuthorizationPolicy that admits only the principals the design "
        "names.",
        default=Severity.HIGH,
    ),
    FindingKind.NO_DEFAULT_DENY: KindText(
        short="A zone without the default-deny NetworkPolicy the design requires",
        full="Pods of a zone the design marks default-deny are not isolated: until a "
        "NetworkPolicy selects a pod, Kubernetes admits every connection to (or from) it.",
        fix="Add a NetworkPolicy with an empty podSelector and the required policyTypes to "
        "each namespace of the zone, then allow the design's flows explicitly.",
        default=Severity.MEDIUM,
    ),
    FindingKind.SHARED_IDENTITY: KindText(
        short="A workload runs as a default or shared identity",
        full="The design gives each service one identity of its own. A workload running as "
        "its namespace's default ServiceAccount, or as an identity another service also "
        "uses, shares every permission and mesh authorization granted to it, so one "
        "compromise becomes several.",
        fix="Create a ServiceAccount for the service, set serviceAccountName in its pod "
        "template, and set automountServiceAccountToken: false where it needs no API access.",
        default=Severity.MEDIUM,
    ),
    FindingKind.TRUST_RELATION: KindText(
        short="A new assume, impersonate or bind path between identities",
        full="An identity can now act as another one (IAM trust policy, IRSA or EKS Pod "
        "Identity, RBAC impersonate, bind or escalate, creating pods with any "
        "ServiceAccount) and the design does not list that relation. Everything the second "
        "identity can reach becomes reachable from the first.",
        fix="Remove the binding, trust-policy statement or RBAC rule named in the evidence, "
        "or add the relation to the baseline and have it approved.",
        default=Severity.HIGH,
    ),
    FindingKind.PRIVILEGE_WIDENED: KindText(
        short="An identity holds permissions beyond its approved set",
        full="Live RBAC or IAM policies grant an identity actions or resources the design "
        "does not list for it: new verbs or actions, wildcards, broader resources.",
        fix="Narrow the Role, ClusterRole or IAM statement named in the evidence to the "
        "approved permissions, or update the baseline's permissions and have it approved.",
        default=Severity.HIGH,
    ),
    FindingKind.EXPOSURE_WIDENED: KindText(
        short="Something is published further than the design allows",
        full="A workload or resource is published past the cluster or VPC (LoadBalancer "
        "Service, Ingress, Gateway route, NodePort, hostPort, public address with an open "
        "security group, public bucket) although the design does not mark it public, or "
        "with a wider scope than approved.",
        fix="Remove or restrict the publishing object named in the evidence (an internal "
        "load balancer, loadBalancerSourceRanges, a ClusterIP Service), or mark the service "
        "public in the baseline and have it approved.",
        default=Severity.HIGH,
    ),
    FindingKind.BLAST_RADIUS_WIDENED: KindText(
        short="A crown jewel is newly reachable",
        full="Following flows, identities, permissions and exposure, an attack path now "
        "reaches a crown jewel that the approved design keeps out of reach from this "
        "starting point. The finding names the path.",
        fix="Break the path at its cheapest step: usually the flow, binding or exposure that "
        "other findings on the same path already name.",
        default=Severity.CRITICAL,
    ),
    FindingKind.MISBOUND_IDENTITY: KindText(
        short="A ServiceAccount is bound to a role that refuses it",
        full="The cluster hands the ServiceAccount's pods an IAM role (an IRSA annotation or "
        "an EKS Pod Identity association) whose trust policy does not admit them. The pods "
        "cannot act as the designed role; their AWS SDK falls back down its credential chain, "
        "on EC2 nodes to the node's instance role, an identity nobody designed for them.",
        fix="Make the role's trust policy admit the ServiceAccount (the OIDC provider's :sub, "
        "or pods.eks.amazonaws.com for Pod Identity), or bind the ServiceAccount to the role "
        "meant for it.",
        default=Severity.MEDIUM,
    ),
    FindingKind.INVENTORY_UNKNOWN: KindText(
        short="A live component the design does not describe",
        full="A workload or identity exists in the live system but no service of the "
        "baseline selects it, so nothing about it was approved: its flows, identity and "
        "exposure are unreviewed.",
        fix="Add the component to the baseline as a service (selection, identity, flows) and "
        "have it approved, or remove it.",
        default=Severity.MEDIUM,
    ),
    FindingKind.INVENTORY_MISSING: KindText(
        short="A component of the design is absent from the live system",
        full="The baseline describes a service that nothing live matches: it is not "
        "deployed, was renamed, or its labels changed so the design no longer selects it. "
        "The other checks cannot judge it.",
        fix="Fix the service's selection in the baseline or deploy the component; if it was "
        "retired, remove it from the baseline.",
        default=Severity.LOW,
    ),
}


def sarif_level(severity: Severity) -> str:
    """critical and high → error, medium → warning, low and info → note."""
    return _LEVEL[severity]


def rule_name(kind: FindingKind) -> str:
    """`implicit-trust.flow` → `ImplicitTrustFlow`."""
    return "".join(word.capitalize() for word in re.split(r"[.-]", str(kind)))


def rule_to_sarif(kind: FindingKind) -> dict[str, Any]:
    text = KIND_TEXT[kind]
    return {
        "id": str(kind),
        "name": rule_name(kind),
        "shortDescription": {"text": text.short},
        "fullDescription": {"text": text.full},
        "help": {"text": f"{text.full}\n\nHow to fix: {text.fix}"},
        "defaultConfiguration": {"level": sarif_level(text.default)},
        "properties": {"tags": ["security", str(kind).partition(".")[0]]},
    }


def artifact_location(file: str) -> dict[str, Any] | None:
    """A repository file as SARIF sees it; None for `<stdin>` and API URLs, which code
    scanning cannot place in a repository."""
    if not file or file.startswith("<") or _URL.match(file):
        return None
    path = PurePosixPath(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(file), "uriBaseId": SRCROOT}


def physical_location(source: SourceRef) -> dict[str, Any] | None:
    artifact = artifact_location(source.file)
    if artifact is None:
        return None
    out: dict[str, Any] = {"artifactLocation": artifact}
    if source.line is not None:
        out["region"] = {"startLine": source.line}
    return out


def primary_location(finding: Finding, baseline_path: str) -> dict[str, Any] | None:
    """Where a fix would go (`Finding.location`), else the first evidence in a file, else
    the baseline file itself: code scanning refuses results without a location."""
    candidates = [finding.location, *(e.source for e in finding.evidence)]
    for source in candidates:
        found = None if source is None else physical_location(source)
        if found is not None:
            return found
    return physical_location(SourceRef(file=baseline_path))


def related_locations(finding: Finding) -> list[dict[str, Any]]:
    """Each piece of evidence that sits in a file, with its text."""
    related: list[dict[str, Any]] = []
    for evidence in finding.evidence:
        found = None if evidence.source is None else physical_location(evidence.source)
        if found is not None:
            related.append(
                {"id": len(related), "physicalLocation": found, "message": {"text": evidence.text}}
            )
    return related


def message_text(finding: Finding) -> str:
    return f"{finding.title}: {finding.detail}" if finding.detail else finding.title


def result_properties(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "severity": str(finding.severity),
        "subjects": list(finding.subjects),
        "clause": finding.clause,
        "baselineVersion": finding.baseline_version,
    }
    if finding.protocol is not None:
        out["protocol"] = str(finding.protocol)
    if finding.ports is not None:
        out["ports"] = finding.ports.to_json()
    out["evidence"] = [evidence_to_json(e) for e in finding.evidence]
    return out


def result_to_sarif(finding: Finding, rule_index: int, baseline_path: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": str(finding.kind),
        "ruleIndex": rule_index,
        "level": sarif_level(finding.severity),
        "message": {"text": message_text(finding)},
    }
    location = primary_location(finding, baseline_path)
    if location is not None:
        out["locations"] = [{"physicalLocation": location}]
    related = related_locations(finding)
    if related:
        out["relatedLocations"] = related
    out["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    out["properties"] = result_properties(finding)
    return out


def run_properties(result: CheckResult) -> dict[str, Any]:
    return {
        "baseline": {
            "name": result.baseline_name,
            "version": result.baseline_version,
            "path": result.baseline_path,
        },
        "cluster": result.cluster,
        "source": result.source,
        "unknowns": [unknown_to_json(u) for u in ordered_unknowns(result.unknowns)],
        "notes": list(result.notes),
    }


def check_to_sarif(result: CheckResult) -> dict[str, Any]:
    """The SARIF log as plain data. Rules are sorted by kind id; results follow the JSON
    output's order (severity, kind, subjects, protocol)."""
    kinds = sorted({f.kind for f in result.findings}, key=str)
    index = {kind: i for i, kind in enumerate(kinds)}
    driver = {
        "name": "design-drift",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [rule_to_sarif(k) for k in kinds],
    }
    results = [
        result_to_sarif(f, index[f.kind], result.baseline_path)
        for f in ordered_findings(result.findings)
    ]
    run = {"tool": {"driver": driver}, "results": results, "properties": run_properties(result)}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(result: CheckResult) -> str:
    """The SARIF 2.1.0 log, indented, ending in a newline."""
    return dumps_readable(check_to_sarif(result)) + "\n"
