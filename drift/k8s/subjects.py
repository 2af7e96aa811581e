"""Who RBAC grants to: ServiceAccounts, Users and Groups, and the groups each one is in.

What the cluster tells us about group membership is only what Kubernetes' authenticators
add themselves:

- a ServiceAccount `ns/sa` authenticates as the user `system:serviceaccount:ns:sa`, in the
  groups `system:serviceaccounts`, `system:serviceaccounts:ns` and `system:authenticated`;
- every authenticated user is in `system:authenticated`;
- an anonymous request (when the API server allows them) is the user `system:anonymous` in
  the group `system:unauthenticated`.

Any other group a User is in comes from the identity provider (client certificate
organisations, OIDC claims, a webhook) and cannot be known from the cluster's objects: a
User's permissions here are those bound to its name plus `system:authenticated`'s, and a
Group's are those bound to the group itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SubjectKind(enum.StrEnum):
    SERVICE_ACCOUNT = "ServiceAccount"
    USER = "User"
    GROUP = "Group"
    # Not an RBAC subject: the credentials of the cluster's nodes (kubelets), only ever the
    # target of an escalation (`drift.k8s.escalation`).
    NODE = "Node"


SERVICE_ACCOUNT_USER_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS_USER = "system:anonymous"
MASTERS = "system:masters"  # bypasses RBAC altogether (the API server's superusers)


@dataclass(frozen=True, kw_only=True, order=True)
class Subject:
    """A ServiceAccount (with its namespace), a User or a Group (namespace None)."""

    kind: SubjectKind
    name: str
    namespace: str | None = None

    @classmethod
    def service_account(cls, namespace: str, name: str) -> Subject:
        return cls(kind=SubjectKind.SERVICE_ACCOUNT, name=name, namespace=namespace)

    @classmethod
    def user(cls, name: str) -> Subject:
        """A user by name; a ServiceAccount's username is read as that ServiceAccount."""
        account = service_account_of_username(name)
        return account if account is not None else cls(kind=SubjectKind.USER, name=name)

    @classmethod
    def group(cls, name: str) -> Subject:
        return cls(kind=SubjectKind.GROUP, name=name)

    @property
    def username(self) -> str | None:
        """The name the API server authenticates this subject as (None for a Group)."""
        if self.kind is SubjectKind.SERVICE_ACCOUNT:
            return f"{SERVICE_ACCOUNT_USER_PREFIX}{self.namespace}:{self.name}"
        return self.name if self.kind is SubjectKind.USER else None

    def __str__(self) -> str:
        if self.kind is SubjectKind.SERVICE_ACCOUNT:
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind.value} {self.name}"


ANONYMOUS = Subject(kind=SubjectKind.USER, name=ANONYMOUS_USER)
UNAUTHENTICATED_GROUP = Subject(kind=SubjectKind.GROUP, name=UNAUTHENTICATED)
AUTHENTICATED_GROUP = Subject(kind=SubjectKind.GROUP, name=AUTHENTICATED)


def service_account_of_username(username: str) -> Subject | None:
    """`system:serviceaccount:ns:sa` → the ServiceAccount ns/sa; anything else → None."""
    if not username.startswith(SERVICE_ACCOUNT_USER_PREFIX):
        return None
    namespace, colon, name = username[len(SERVICE_ACCOUNT_USER_PREFIX) :].partition(":")
    if not colon or not namespace or not name or ":" in name:
        return None
    return Subject(kind=SubjectKind.SERVICE_ACCOUNT, name=name, namespace=namespace)


def memberships(subject: Subject) -> tuple[Subject, ...]:
    """`subject` itself and the groups the API server puts it in, as far as they are known."""
    if subject.kind is SubjectKind.SERVICE_ACCOUNT:
        return (
            subject,
            Subject.group(ALL_SERVICE_ACCOUNTS),
            Subject.group(f"{ALL_SERVICE_ACCOUNTS}:{subject.namespace}"),
            AUTHENTICATED_GROUP,
        )
    if subject.kind is SubjectKind.USER:
        return (subject, UNAUTHENTICATED_GROUP if subject == ANONYMOUS else AUTHENTICATED_GROUP)
    return (subject,)
