"""Long-lived ServiceAccount tokens stored in Secrets (the legacy kind), and who can read them.

Before Kubernetes 1.24 the token controller made a Secret of type
`kubernetes.io/service-account-token` for every ServiceAccount and listed it in the
account's `.secrets`; since then such Secrets exist only where someone creates one (the
controller still fills in the token of a Secret of that type naming an account in its
`kubernetes.io/service-account.name` annotation). Reading one is acting as its account.

Two signals say where they are:

- a Secret of that type in the input. Only manifests can carry one: the live collector never
  lists Secrets, and the manifest collector keeps only a stub of a token Secret (name,
  namespace, type, the account annotation), never its data (`token_secret_stub`);
- a ServiceAccount whose `.secrets` names a Secret (auto-created before 1.24, and possibly
  removed since by the cleaner of unused legacy tokens). From a live cluster this is the
  only signal there is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.inventory import Inventory
from drift.k8s.kinds import SECRET, SERVICE_ACCOUNT
from drift.k8s.objects import KubeObject
from drift.k8s.subjects import Subject
from drift.model import Evidence

TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
ACCOUNT_ANNOTATION = "kubernetes.io/service-account.name"


def token_secret_stub(group: str, kind: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
    """What may be kept of a Secret: for a ServiceAccount token Secret, its identity, type
    and account annotation (no data, no other annotation); for any other object, None."""
    if (group, kind) != SECRET or body.get("type") != TOKEN_SECRET_TYPE:
        return None
    metadata = body.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    annotations = metadata.get("annotations")
    account = annotations.get(ACCOUNT_ANNOTATION) if isinstance(annotations, Mapping) else None
    kept: dict[str, Any] = {k: metadata[k] for k in ("name", "namespace") if k in metadata}
    if isinstance(account, str):
        kept["annotations"] = {ACCOUNT_ANNOTATION: account}
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": kind,
        "metadata": kept,
        "type": TOKEN_SECRET_TYPE,
    }


@dataclass(frozen=True, kw_only=True)
class StoredToken:
    """A Secret (namespace, name) that holds, or may hold, `account`'s token."""

    account: Subject
    namespace: str
    secret: str
    evidence: Evidence
    certain: bool


def stored_tokens(inventory: Inventory) -> tuple[StoredToken, ...]:
    """Every legacy token Secret the input shows, or that a ServiceAccount lists."""
    found = [t for obj in inventory.of_kind(SECRET) if (t := _typed(obj)) is not None]
    for account in inventory.of_kind(SERVICE_ACCOUNT):
        found.extend(_listed(account))
    return tuple(found)


def _typed(obj: KubeObject) -> StoredToken | None:
    account = obj.get(("metadata", "annotations", ACCOUNT_ANNOTATION))
    if obj.get(("type",)) != TOKEN_SECRET_TYPE or not isinstance(account, str) or not account:
        return None
    namespace = obj.namespace or ""
    return StoredToken(
        account=Subject.service_account(namespace, account),
        namespace=namespace,
        secret=obj.name,
        evidence=Evidence(text=f"{obj.display_name} ({TOKEN_SECRET_TYPE})", source=obj.source),
        certain=True,
    )


def _listed(account: KubeObject) -> list[StoredToken]:
    secrets = account.get(("secrets",))
    if not isinstance(secrets, list):
        return []
    namespace = account.namespace or ""
    return [
        StoredToken(
            account=Subject.service_account(namespace, account.name),
            namespace=namespace,
            secret=entry["name"],
            evidence=Evidence(
                text=f"{account.display_name}: secrets lists {entry['name']} "
                "(a legacy token, unless since removed)",
                source=account.source,
            ),
            certain=False,
        )
        for entry in secrets
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and entry["name"]
    ]
