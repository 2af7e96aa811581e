"""IAM, once per account: `GetAccountAuthorizationDetails` with every filter, all pages
merged into one answer: the shape of the corpus's `iam-authorization-details.json`
(UserDetailList, GroupDetailList, RoleDetailList, Policies; botocore decodes the policy
documents into JSON objects)."""

from __future__ import annotations

from .credentials import Clients
from .paging import merged
from .plain import Document
from .scopes import Reader

GAAD = "iam:GetAccountAuthorizationDetails"
ACTIONS = (GAAD,)
FILTER = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def read_iam(reader: Reader, clients: Clients, region: str) -> Document | None:
    iam = clients.client("iam", region)
    return reader.read(
        GAAD,
        lambda: merged(iam, "get_account_authorization_details", LISTS, Filter=FILTER),
        empty={key: [] for key in LISTS},
    )
