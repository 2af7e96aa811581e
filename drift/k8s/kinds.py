"""Which Kubernetes kinds the model reads, and which are cluster-scoped.

Kinds are keyed by (API group, kind): Calico's `NetworkPolicy` is not Kubernetes'.
Each semantic module adds the kinds it reads here, so collectors can drop everything else
(Secrets among it) before it is kept anywhere.
"""

from __future__ import annotations

GroupKind = tuple[str, str]

WORKLOAD_KINDS: frozenset[GroupKind] = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("", "ReplicationController"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("", "Pod"),
    }
)

NETWORK_POLICY: GroupKind = ("networking.k8s.io", "NetworkPolicy")
NAMESPACE: GroupKind = ("", "Namespace")
SERVICE_ACCOUNT: GroupKind = ("", "ServiceAccount")

# Policy engines whose objects change connectivity but whose semantics are not modelled:
# present in the input, they make every answer they could touch unknown.
UNMODELLED_POLICY_KINDS: frozenset[GroupKind] = frozenset(
    {
        ("cilium.io", "CiliumNetworkPolicy"),
        ("cilium.io", "CiliumClusterwideNetworkPolicy"),
        ("crd.projectcalico.org", "NetworkPolicy"),
        ("crd.projectcalico.org", "GlobalNetworkPolicy"),
        ("projectcalico.org", "NetworkPolicy"),
        ("projectcalico.org", "GlobalNetworkPolicy"),
        ("policy.networking.k8s.io", "AdminNetworkPolicy"),
        ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    }
)

# What publishes workloads past the cluster (drift.k8s.exposure): Services, Ingress, the
# Gateway API and Istio's ingress gateway.
EXPOSURE_KINDS: frozenset[GroupKind] = frozenset(
    {
        ("", "Service"),
        ("networking.k8s.io", "Ingress"),
        ("networking.k8s.io", "IngressClass"),
        ("gateway.networking.k8s.io", "GatewayClass"),
        ("gateway.networking.k8s.io", "Gateway"),
        ("gateway.networking.k8s.io", "HTTPRoute"),
        ("gateway.networking.k8s.io", "GRPCRoute"),
        ("gateway.networking.k8s.io", "TLSRoute"),
        ("gateway.networking.k8s.io", "TCPRoute"),
        ("gateway.networking.k8s.io", "UDPRoute"),
        ("gateway.networking.k8s.io", "ReferenceGrant"),
        ("networking.istio.io", "Gateway"),
        ("networking.istio.io", "VirtualService"),
    }
)

# Who may do what (drift.k8s.rbac).
RBAC_KINDS: frozenset[GroupKind] = frozenset(
    {
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    }
)

# Istio's security policies (drift.k8s.istio_security): mTLS and authorization in the mesh.
ISTIO_SECURITY_KINDS: frozenset[GroupKind] = frozenset(
    {
        ("security.istio.io", "PeerAuthentication"),
        ("security.istio.io", "AuthorizationPolicy"),
    }
)

MODELLED_KINDS: frozenset[GroupKind] = (
    WORKLOAD_KINDS
    | {NETWORK_POLICY, NAMESPACE, SERVICE_ACCOUNT}
    | UNMODELLED_POLICY_KINDS
    | EXPOSURE_KINDS
    | RBAC_KINDS
    | ISTIO_SECURITY_KINDS
)

# Secrets are never listed from a cluster nor kept whole. From manifests, a legacy
# ServiceAccount token Secret is kept as a stub without its data (drift.k8s.tokens).
SECRET: GroupKind = ("", "Secret")

# Old groups that served the same kinds before they moved.
_GROUP_ALIASES: dict[GroupKind, str] = {
    ("extensions", "Deployment"): "apps",
    ("extensions", "DaemonSet"): "apps",
    ("extensions", "ReplicaSet"): "apps",
    ("extensions", "NetworkPolicy"): "networking.k8s.io",
}

CLUSTER_SCOPED_KINDS: frozenset[GroupKind] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("networking.k8s.io", "IngressClass"),
        ("gateway.networking.k8s.io", "GatewayClass"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("policy", "PodSecurityPolicy"),
        ("cilium.io", "CiliumClusterwideNetworkPolicy"),
        ("crd.projectcalico.org", "GlobalNetworkPolicy"),
        ("projectcalico.org", "GlobalNetworkPolicy"),
        ("policy.networking.k8s.io", "AdminNetworkPolicy"),
        ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
        ("kyverno.io", "ClusterPolicy"),
        ("cert-manager.io", "ClusterIssuer"),
    }
)


def canonical_group(group: str, kind: str) -> str:
    """The group a kind lives in today (`extensions` Deployments are `apps` ones)."""
    return _GROUP_ALIASES.get((group, kind), group)


def is_cluster_scoped(group: str, kind: str) -> bool:
    return (canonical_group(group, kind), kind) in CLUSTER_SCOPED_KINDS


def is_modelled(group: str, kind: str) -> bool:
    return (canonical_group(group, kind), kind) in MODELLED_KINDS
