"""RDS DB instances in one region: the `DescribeDBInstances` answer as the corpus's
`DBInstances` section (with `PubliclyAccessible`, `VpcSecurityGroups`, `DBSubnetGroup`)."""

from __future__ import annotations

from typing import Any

from .credentials import Clients
from .paging import listed
from .plain import Document
from .scopes import Reader

DB_INSTANCES = "rds:DescribeDBInstances"
ACTIONS = (DB_INSTANCES,)
SECTIONS = ("DBInstances",)


def read_rds(reader: Reader, clients: Clients) -> Document:
    rds = clients.client("rds", reader.region)
    found: list[Any] | None = reader.read(
        DB_INSTANCES, lambda: listed(rds, "describe_db_instances", "DBInstances"), empty=[]
    )
    return {} if found is None else {"DBInstances": found}
