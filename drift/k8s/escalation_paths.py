"""The escalation paths, one function each: `(rbac, subject, universe) -> escalations`.

- Pods: `create` pods, or `create`/`update`/`patch` a pod-owning workload (its pod template
  names the ServiceAccount) → every ServiceAccount in scope. `update`/`patch` limited by
  `resourceNames` is certain only where a named workload of that kind is in the input.
  `update`/`patch` of pods (the image can change, the ServiceAccount cannot) → the accounts
  the workloads in scope run as; limited by names, certain only for a named bare Pod.
- Tokens: `create serviceaccounts/token` → each account it names (all in scope without
  names). `get`/`list`/`watch` secrets → the accounts whose legacy token Secrets it can
  read (`drift.k8s.tokens`; certain only for a typed token Secret in the input).
- Impersonation (`impersonate`): serviceaccounts → those accounts; users → those users
  (`*`: every user, unbounded); groups → those groups (`*` or `system:masters`: unbounded),
  certain only when the source can also impersonate some user or ServiceAccount, as the
  API server refuses group impersonation alone.
- `bind` roles/clusterroles (with `create` on bindings) or `escalate` (with writes on roles):
  any permission in scope, unbounded; limited by names, or without the second permission,
  not certain.
- Exec: `create` pods/exec or pods/attach, `patch`/`update` pods/ephemeralcontainers → each
  workload in scope (names: certain only for a named bare Pod). `get` alone on pods/exec or
  pods/attach is not certain: until Kubernetes 1.35 a WebSocket upgrade (a GET) was
  authorized as `get`; later API servers also require `create`.
- `get`/`create` nodes/proxy (the kubelet API, which runs commands in any pod on the node)
  → node credentials (one per named node).
- CSRs: `update certificatesigningrequests/approval` and `approve` on the signer
  `kubernetes.io/kube-apiserver-client` → client certificates for any user and group
  (unbounded); on `kubernetes.io/kube-apiserver-client-kubelet` → node credentials. Certain
  only when the source can also create CSRs.
- Admission webhooks: `create`/`update`/`patch` mutating or validating webhook
  configurations → sees and rewrites what is admitted cluster-wide: unbounded.
- Workloads (not RBAC): a privileged container → the workload's account holds node
  credentials; a hostPath volume may (not certain: it depends on the path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from drift.k8s.escalation_base import (
    ANY_GROUP,
    ANY_USER,
    NODE_CREDENTIALS,
    Escalation,
    Grant,
    Target,
    Universe,
    WorkloadRef,
    grants,
    holds,
    reaches_pods_of,
    where,
)
from drift.k8s.inventory import Inventory
from drift.k8s.rbac import Rbac
from drift.k8s.subjects import MASTERS, Subject, SubjectKind, service_account_of_username
from drift.model import Evidence

RBAC = "rbac.authorization.k8s.io"
CERTIFICATES = "certificates.k8s.io"
ADMISSION = "admissionregistration.k8s.io"
POD_OWNERS = (
    ("apps", "deployments", "Deployment"),
    ("apps", "replicasets", "ReplicaSet"),
    ("apps", "statefulsets", "StatefulSet"),
    ("apps", "daemonsets", "DaemonSet"),
    ("batch", "jobs", "Job"),
    ("batch", "cronjobs", "CronJob"),
    ("", "replicationcontrollers", "ReplicationController"),
)
WRITE = ("create", "update", "patch")
READ = ("get", "list", "watch")
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
KUBELET_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet"

Path = Callable[[Rbac, Subject, Universe], Iterable[Escalation]]


def _to(
    subject: Subject,
    targets: Iterable[Target],
    grant: Grant,
    via: str,
    *,
    certain: bool = True,
    unbounded: bool = False,
    evidence: tuple[Evidence, ...] = (),
) -> Iterator[Escalation]:
    for target in targets:
        yield Escalation(
            source=subject,
            target=target,
            via=via,
            evidence=(*grant.evidence, *evidence),
            certain=grant.certain and certain,
            unbounded=unbounded,
        )


def pod_creation(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for grant in grants(rbac, subject, ["create"], "", "pods"):
        via = f"create pods {where(grant.namespace)}"
        yield from _to(subject, known.accounts_in(grant.namespace), grant, via)
    for group, resource, kind in POD_OWNERS:
        for grant in grants(rbac, subject, WRITE, group, resource):
            named = grant.names is None or any(
                w.kind == kind and w.name in grant.names
                for w in known.workloads_in(grant.namespace)
            )
            via = f"create or update {resource}{grant.names_text()} {where(grant.namespace)}"
            yield from _to(subject, known.accounts_in(grant.namespace), grant, via, certain=named)


def pod_update(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for grant in grants(rbac, subject, ("update", "patch"), "", "pods"):
        via = f"update pods{grant.names_text()} (their image) {where(grant.namespace)}"
        for workload, account in _runs_as(known, grant.namespace):
            covered = reaches_pods_of(grant, workload)
            if covered is not False:
                yield from _to(subject, [account], grant, via, certain=covered is True)


def _runs_as(known: Universe, namespace: str | None) -> list[tuple[WorkloadRef, Subject]]:
    return [(w, known.runs_as[w]) for w in known.workloads_in(namespace) if w in known.runs_as]


def token_request(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for grant in grants(rbac, subject, ["create"], "", "serviceaccounts", "token"):
        via = f"create serviceaccounts/token{grant.names_text()} {where(grant.namespace)}"
        yield from _to(subject, _accounts(known, grant), grant, via)


def _accounts(known: Universe, grant: Grant) -> list[Subject]:
    """The ServiceAccounts a grant on serviceaccounts covers: those in scope it names (in
    one namespace, a name identifies an account even if the input does not declare it)."""
    accounts = known.accounts_in(grant.namespace)
    if grant.names is None:
        return accounts
    named = {a for a in accounts if a.name in grant.names}
    if grant.namespace is not None:
        named |= {Subject.service_account(grant.namespace, n) for n in grant.names}
    return sorted(named)


def secret_reading(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for grant in grants(rbac, subject, READ, "", "secrets"):
        for token in known.tokens:
            in_scope = grant.namespace in (None, token.namespace)
            if in_scope and (grant.names is None or token.secret in grant.names):
                via = f"read secret {token.namespace}/{token.secret} (a ServiceAccount token)"
                yield from _to(
                    subject,
                    [token.account],
                    grant,
                    via,
                    certain=token.certain,
                    evidence=(token.evidence,),
                )


def impersonation(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for grant in grants(rbac, subject, ["impersonate"], "", "serviceaccounts"):
        accounts = _accounts(known, grant)
        via = f"impersonate serviceaccounts{grant.names_text()} {where(grant.namespace)}"
        yield from _to(subject, accounts, grant, via)
    for grant in grants(rbac, subject, ["impersonate"], "", "users"):
        users = [*known.users, ANY_USER] if grant.names is None else _users(grant.names)
        via = f"impersonate users{grant.names_text() or ' (any)'}"
        yield from _to(subject, users, grant, via, unbounded=grant.names is None)
    as_someone = any(
        g.certain
        for r in ("users", "serviceaccounts")
        for g in grants(rbac, subject, ["impersonate"], "", r)
    )
    for grant in grants(rbac, subject, ["impersonate"], "", "groups"):
        names = grant.names
        groups = (
            [*known.groups, ANY_GROUP]
            if names is None
            else [Subject.group(n) for n in sorted(names)]
        )
        unbounded = names is None or MASTERS in names
        via = f"impersonate groups{grant.names_text() or ' (any)'}"
        yield from _to(subject, groups, grant, via, certain=as_someone, unbounded=unbounded)


def _users(names: frozenset[str]) -> list[Subject]:
    """Users a names list allows; a ServiceAccount's username is checked as the account
    (serviceaccounts), so naming one under users grants nothing."""
    return [
        Subject(kind=SubjectKind.USER, name=n)
        for n in sorted(names)
        if service_account_of_username(n) is None
    ]


def role_binding(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for verb, writes in (("bind", "bindings"), ("escalate", "roles")):
        for resource in ("roles", "clusterroles"):
            for grant in grants(rbac, subject, [verb], RBAC, resource):
                second = _can_write(rbac, subject, writes, grant.namespace)
                via = f"{verb} {resource}{grant.names_text()} {where(grant.namespace)}"
                if not second:
                    via += f" (without seen write access to {writes})"
                unbounded = grant.names is None
                yield from _to(
                    subject,
                    known.accounts_in(grant.namespace),
                    grant,
                    via,
                    certain=second and unbounded,
                    unbounded=unbounded,
                )


def _can_write(rbac: Rbac, subject: Subject, what: str, namespace: str | None) -> bool:
    resources = ["rolebindings"] if what == "bindings" else ["roles"]
    if namespace is None:
        resources.append("cluster" + resources[0])
    return any(holds(rbac, subject, WRITE, RBAC, r, namespace) for r in resources)


def pod_entry(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    entries = (
        (("create",), "exec", True),
        (("create",), "attach", True),
        (("patch", "update"), "ephemeralcontainers", True),
        (("get",), "exec", False),
        (("get",), "attach", False),
    )
    reached: set[WorkloadRef] = set()  # `get` adds only workloads `create` does not reach
    for verbs, subresource, sure in entries:
        for grant in grants(rbac, subject, verbs, "", "pods", subresource):
            via = f"{'/'.join(verbs)} pods/{subresource}{grant.names_text()}"
            via += f" {where(grant.namespace)}"
            if not sure:
                via += " (a WebSocket exec, authorized as get before Kubernetes 1.35)"
            for workload in known.workloads_in(grant.namespace):
                covered = reaches_pods_of(grant, workload)
                if covered is False or (not sure and workload in reached):
                    continue
                if sure:
                    reached.add(workload)
                yield from _to(subject, [workload], grant, via, certain=sure and covered is True)


def node_proxy(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for grant in grants(rbac, subject, ("get", "create"), "", "nodes", "proxy"):
        nodes = (
            [NODE_CREDENTIALS]
            if grant.names is None
            else [Subject(kind=SubjectKind.NODE, name=n) for n in sorted(grant.names)]
        )
        yield from _to(
            subject, nodes, grant, f"get or create nodes/proxy{grant.names_text()} (kubelet API)"
        )


def csr_approval(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    approvals = grants(
        rbac, subject, ["update"], CERTIFICATES, "certificatesigningrequests", "approval"
    )
    if not approvals:
        return
    creates = holds(rbac, subject, ["create"], CERTIFICATES, "certificatesigningrequests", None)
    for signer in grants(rbac, subject, ["approve"], CERTIFICATES, "signers"):
        for approval in approvals:
            grant = Grant(
                namespace=None,
                names=signer.names,
                evidence=(*approval.evidence, *signer.evidence),
                certain=approval.certain and signer.certain,
            )
            if _signs(signer.names, CLIENT_SIGNER):
                via = f"approve CSRs for {CLIENT_SIGNER} (client certificates)"
                yield from _to(
                    subject, [ANY_USER, ANY_GROUP], grant, via, certain=creates, unbounded=True
                )
            if _signs(signer.names, KUBELET_SIGNER):
                via = f"approve CSRs for {KUBELET_SIGNER} (node client certificates)"
                yield from _to(subject, [NODE_CREDENTIALS], grant, via, certain=creates)


def _signs(names: frozenset[str] | None, signer: str) -> bool:
    """Approval is checked against the signer's name and `<domain>/*`."""
    return names is None or signer in names or f"{signer.partition('/')[0]}/*" in names


def admission_webhooks(rbac: Rbac, subject: Subject, known: Universe) -> Iterator[Escalation]:
    for resource in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
        for grant in grants(rbac, subject, WRITE, ADMISSION, resource):
            via = f"write {resource}{grant.names_text()} (sees and rewrites admitted objects)"
            yield from _to(
                subject,
                known.accounts_in(None),
                grant,
                via,
                certain=grant.names is None,
                unbounded=True,
            )


PATHS: tuple[Path, ...] = (
    pod_creation,
    pod_update,
    token_request,
    secret_reading,
    impersonation,
    role_binding,
    pod_entry,
    node_proxy,
    csr_approval,
    admission_webhooks,
)


def node_access(inventory: Inventory) -> Iterator[Escalation]:
    """Workloads that run privileged or mount a hostPath: their account → node credentials."""
    for w in inventory.workloads:
        account = Subject.service_account(w.namespace, w.service_account)
        evidence = (Evidence(text=f"{w.kind} {w.namespace}/{w.name}", source=w.source),)
        if w.privileged:
            via = f"runs {w.kind} {w.namespace}/{w.name}, which has a privileged container"
            yield Escalation(
                source=account, target=NODE_CREDENTIALS, via=via, evidence=evidence, certain=True
            )
        if w.host_path:
            via = f"runs {w.kind} {w.namespace}/{w.name}, which mounts a hostPath volume"
            yield Escalation(
                source=account, target=NODE_CREDENTIALS, via=via, evidence=evidence, certain=False
            )
