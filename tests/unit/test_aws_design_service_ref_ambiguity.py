"""`service:<name>` names an AWS service principal (a dotted name); a design writing
`service:reporter` for a designed service is refused with a one-line reason."""

import pytest

from drift.baseline.load import parse_baseline
from drift.errors import BaselineError

DESIGN = """
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: x, version: "1"}
cluster: c
zones:
  shop: {namespaces: [shop]}
services:
  reporter: {zone: shop, select: {workloads: [Deployment/reporter]}}
trust:
  - {from: "service:reporter", to: "shop/admin"}
"""


def test_a_service_ref_that_names_a_designed_service_is_refused_or_suggested() -> None:
    with pytest.raises(BaselineError, match="reporter"):
        parse_baseline(DESIGN.encode(), "d.yaml")
