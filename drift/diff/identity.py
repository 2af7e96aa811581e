"""`implicit-trust.shared-identity`: one identity per service, and no token it does not need.

Fires when a designed service runs on the `default` ServiceAccount (every other pod of the
namespace shares it), runs as another account than its designed identity, shares a
ServiceAccount with another service, or mounts an API token the design says it needs none of.
Kubernetes workloads only: an AWS resource's role is judged by the trust and privilege rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from drift.baseline.load import LoadedBaseline
from drift.diff.design import DesignMap, is_aws_resource, service_subject
from drift.findings import Finding, FindingKind, Severity
from drift.ids import k8s_object_id
from drift.model import Evidence, WorkloadNode


def identity_findings(design: DesignMap, loaded: LoadedBaseline) -> list[Finding]:
    findings: list[Finding] = []
    for name, members in sorted(design.members.items()):
        for workload in members:
            if not is_aws_resource(workload):
                findings.extend(_account_findings(design, loaded, name, workload))
    findings.extend(_shared_accounts(design, loaded))
    return findings


def _account_id(design: DesignMap, workload: WorkloadNode) -> str:
    return k8s_object_id(
        design.graph.cluster, "ServiceAccount", workload.service_account, workload.namespace
    )


def _account_findings(
    design: DesignMap, loaded: LoadedBaseline, name: str, workload: WorkloadNode
) -> Iterator[Finding]:
    designed = design.baseline.services[name].identity
    actual = workload.service_account
    path = ("services", name, "identity")
    if actual == "default" and designed != "default":
        yield _finding(
            design,
            loaded,
            name,
            workload,
            Severity.MEDIUM,
            path,
            title=f"{name} runs on the default ServiceAccount of {workload.namespace}",
            detail="every pod of the namespace without its own account shares this identity",
        )
    elif designed is not None and actual != designed:
        yield _finding(
            design,
            loaded,
            name,
            workload,
            Severity.MEDIUM,
            path,
            title=f"{name} runs as ServiceAccount {actual}, not its designed identity {designed}",
        )
    if design.baseline.services[name].automount_token is False and workload.token_automounted:
        yield _finding(
            design,
            loaded,
            name,
            workload,
            Severity.LOW,
            ("services", name, "automountToken"),
            title=f"{name} mounts a Kubernetes API token the design says it does not need",
            detail="set automountServiceAccountToken: false on the pod or its ServiceAccount",
            suffix="token",
        )


def _finding(
    design: DesignMap,
    loaded: LoadedBaseline,
    name: str,
    workload: WorkloadNode,
    severity: Severity,
    path: tuple[str, ...],
    *,
    title: str,
    detail: str = "",
    suffix: str = "",
) -> Finding:
    subjects = (service_subject(name), workload.id) + ((suffix,) if suffix else ())
    return Finding(
        kind=FindingKind.SHARED_IDENTITY,
        severity=severity,
        cluster=design.graph.cluster,
        subjects=subjects,
        title=title,
        detail=detail,
        evidence=(
            Evidence(
                text=f"{workload.kind} {workload.namespace}/{workload.name} runs as "
                f"ServiceAccount {workload.service_account}",
                source=workload.source,
            ),
        ),
        clause=loaded.clause(path),
        baseline_version=loaded.version,
        location=workload.source,
    )


def _shared_accounts(design: DesignMap, loaded: LoadedBaseline) -> Iterator[Finding]:
    """A (non-default) ServiceAccount used by several services, unless the design gives them
    that one identity on purpose."""
    users: dict[str, dict[str, WorkloadNode]] = defaultdict(dict)
    for name, members in design.members.items():
        for workload in members:
            if workload.service_account != "default" and not is_aws_resource(workload):
                users[_account_id(design, workload)].setdefault(name, workload)
    for account, services in sorted(users.items()):
        if len(services) < 2 or _designed_shared(design, account, services):
            continue
        names = sorted(services)
        yield Finding(
            kind=FindingKind.SHARED_IDENTITY,
            severity=Severity.MEDIUM,
            cluster=design.graph.cluster,
            subjects=(account,),
            title=f"services {', '.join(names)} share one identity",
            detail=f"{account}: compromising one of them gives the identity of all",
            evidence=tuple(
                Evidence(
                    text=f"{w.kind} {w.namespace}/{w.name} runs as {w.service_account}",
                    source=w.source,
                )
                for w in (services[n] for n in names)
            ),
            clause=loaded.clause(("services", names[0], "identity")),
            baseline_version=loaded.version,
            location=services[names[0]].source,
        )


def _designed_shared(design: DesignMap, account: str, services: dict[str, WorkloadNode]) -> bool:
    account_name = account.rsplit("/", 1)[1]
    return all(design.baseline.services[n].identity == account_name for n in services)
