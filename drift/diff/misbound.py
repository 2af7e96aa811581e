"""`implicit-trust.misbound-identity`: the cluster hands a ServiceAccount an AWS role (an
`eks.amazonaws.com/role-arn` annotation, an EKS Pod Identity association) whose trust policy
does not admit it.

The design meant the pods to act as that role; they cannot. Their AWS SDK then goes down its
credential chain — on EC2 nodes to the node's instance role through the metadata service — so
the pods act as an identity nobody designed for them. One finding per ServiceAccount and
role, whatever the design says: a broken link is never intended.
"""

from __future__ import annotations

from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap
from drift.diff.identities import display_identity
from drift.diff.wording import first_source
from drift.findings import Finding, FindingKind, Severity


def misbound_findings(design: DesignMap, loaded: LoadedBaseline) -> list[Finding]:
    findings = []
    for link in sorted(design.graph.misbindings, key=lambda m: (m.source, m.target)):
        who = display_identity(design, link.source)
        findings.append(
            Finding(
                kind=FindingKind.MISBOUND_IDENTITY,
                severity=Severity.MEDIUM,
                cluster=design.graph.cluster,
                subjects=(link.source, link.target),
                title=f"{who} is given role {link.target}, whose trust policy does not admit it",
                detail=f"{link.via}: {link.reason}",
                evidence=link.evidence,
                clause=loaded.clause(("trust",)),
                baseline_version=loaded.version,
                location=first_source(link.evidence),
            )
        )
    return findings
