"""Service-linked roles are AWS's: neither their privilege nor who assumes them is judged."""

from aws_builders import details, doc, role, stmt
from aws_design_helpers import aws_graph, checked, header

from drift.findings import FindingKind


def test_service_linked_role_trust_is_not_a_finding() -> None:
    trust = doc(
        stmt(action="sts:AssumeRole", resource=None, Principal={"Service": "config.amazonaws.com"})
    )
    slr = role(
        "AWSServiceRoleForConfig", trust=trust, path="/aws-service-role/config.amazonaws.com/"
    )
    graph = aws_graph(details(roles=[slr]))
    result = checked(header("zones: {}\n"), graph)
    assert [f for f in result.findings if f.kind is FindingKind.TRUST_RELATION] == []
