"""`drift baseline propose`: checking the input the draft was proposed from finds nothing
(docs/baseline.md, "Drafting one")."""

from __future__ import annotations

from builders import cluster_role, cluster_role_binding, deployment, rule, sa

from tests.unit.identity_helpers import roundtrip


def quiet(*docs):
    _g, _draft, res = roundtrip(*docs)  # raises if the draft does not load
    assert res.findings == (), [(f.kind, f.title, f.detail) for f in res.findings]


def test_impersonating_a_user_whose_name_has_a_space():
    # Kubernetes user and group names are arbitrary strings (OIDC/LDAP: "Domain Admins").
    quiet(
        deployment("web", service_account="web"),
        cluster_role(
            "imp",
            rule(["impersonate"], ["users"], names=["John Doe"]),
            rule(["impersonate"], ["groups"], names=["Domain Admins"]),
        ),
        cluster_role_binding("imp", "imp", sa("web")),
    )
