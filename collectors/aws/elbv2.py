"""Application, network and gateway load balancers (ELBv2) in one region: the
`DescribeLoadBalancers` and `DescribeListeners` answers, as `LoadBalancers` and `Listeners`
sections beside the EC2 ones (each listener names its LoadBalancerArn)."""

from __future__ import annotations

from typing import Any

from .credentials import Clients
from .paging import listed
from .plain import Document
from .scopes import Reader

LOAD_BALANCERS = "elasticloadbalancing:DescribeLoadBalancers"
LISTENERS = "elasticloadbalancing:DescribeListeners"
ACTIONS = (LOAD_BALANCERS, LISTENERS)
SECTIONS = ("LoadBalancers", "Listeners")


def read_elbv2(reader: Reader, clients: Clients) -> Document:
    elb = clients.client("elbv2", reader.region)
    balancers: list[Any] | None = reader.read(
        LOAD_BALANCERS, lambda: listed(elb, "describe_load_balancers", "LoadBalancers"), empty=[]
    )
    if balancers is None:
        reader.skip(LISTENERS, LOAD_BALANCERS)
        return {}
    read = reader.read_each(
        LISTENERS,
        balancers,
        lambda lb: _listeners(elb, lb),
        lambda lb: str(lb.get("LoadBalancerName")),
    )
    if read is None:
        return {"LoadBalancers": balancers}
    return {
        "LoadBalancers": balancers,
        "Listeners": [x for _, listeners in read for x in listeners],
    }


def _listeners(elb: Any, balancer: Document) -> list[Any]:
    arn = balancer["LoadBalancerArn"]
    return listed(elb, "describe_listeners", "Listeners", LoadBalancerArn=arn).value
