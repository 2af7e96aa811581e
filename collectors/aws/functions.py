"""Lambda in one region: the functions (`ListFunctions`, as `LambdaFunctions` beside the EC2
sections: role, VPC config; environment variables are never kept, as they hold secrets),
their resource policies (`LambdaFunctionPolicies`, as in the corpus's
`resource-policies.json`: FunctionName, Policy as a JSON object, plus FunctionArn) and their
function URLs (`LambdaFunctionUrlConfigs`: the `ListFunctionUrlConfigs` items, with AuthType).

A function without a resource policy has no entry in LambdaFunctionPolicies (GetPolicy
answers ResourceNotFoundException). An endpoint that does not serve ListFunctionUrlConfigs
(an HTTP 404 that is no AWS error, as moto answers) is asked GetFunctionUrlConfig for the
function and each alias instead, which covers the same URLs; the scope's detail says so.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .credentials import Clients
from .failures import error_code, not_served
from .paging import listed
from .plain import Document, to_plain, without
from .scopes import Read, Reader

LIST_FUNCTIONS = "lambda:ListFunctions"
GET_POLICY = "lambda:GetPolicy"
LIST_URLS = "lambda:ListFunctionUrlConfigs"
ACTIONS = (LIST_FUNCTIONS, GET_POLICY, LIST_URLS)
NETWORK_SECTIONS = ("LambdaFunctions",)
POLICY_SECTIONS = ("LambdaFunctionPolicies", "LambdaFunctionUrlConfigs")
NOT_KEPT = ("Environment",)
NONE = "ResourceNotFoundException"


def read_lambda(reader: Reader, clients: Clients) -> tuple[Document, Document]:
    """(the ec2-network sections, the resource-policies sections) that could be read."""
    client = clients.client("lambda", reader.region)
    functions: list[Any] | None = reader.read(LIST_FUNCTIONS, lambda: _functions(client), empty=[])
    if functions is None:
        reader.skip(GET_POLICY, LIST_FUNCTIONS)
        reader.skip(LIST_URLS, LIST_FUNCTIONS)
        return {}, {}
    policies: Document = {}
    found = reader.read_each(GET_POLICY, functions, lambda f: _policy(client, f), _name)
    if found is not None:
        policies["LambdaFunctionPolicies"] = [
            {"FunctionName": f["FunctionName"], "FunctionArn": f["FunctionArn"], "Policy": p}
            for f, p in found
            if p is not None
        ]
    urls: list[Any] | None = reader.read(LIST_URLS, lambda: _urls(client, functions), empty=[])
    if urls is not None:
        policies["LambdaFunctionUrlConfigs"] = urls
    return {"LambdaFunctions": functions}, policies


def _name(function: Document) -> str:
    return str(function.get("FunctionName"))


def _functions(client: Any) -> Read[list[Any]]:
    answer = listed(client, "list_functions", "Functions")
    return Read([without(f, *NOT_KEPT) for f in answer.value], answer.detail)


def _policy(client: Any, function: Document) -> Any:
    """The function's resource policy as a JSON object; None when it has none."""
    try:
        answer = client.get_policy(FunctionName=function["FunctionArn"])
    except ClientError as error:
        if error_code(error) == NONE:
            return None
        raise
    return json.loads(answer["Policy"])


def _urls(client: Any, functions: list[Document]) -> Read[list[Any]]:
    urls: list[Any] = []
    fallback = False
    for function in functions:
        # By name, not ARN: the client is the function's own account and region, and a name
        # needs no escaping in the request path (an escaped ARN is a path some servers miss).
        name = function["FunctionName"]
        try:
            urls.extend(
                listed(
                    client, "list_function_url_configs", "FunctionUrlConfigs", FunctionName=name
                ).value
            )
        except ClientError as error:
            if not not_served(error):
                raise
            fallback = True
            urls.extend(_urls_one_by_one(client, name))
    how = " (ListFunctionUrlConfigs not served: GetFunctionUrlConfig per function and alias)"
    return Read(urls, f"{len(urls)} function URLs" + (how if fallback else ""))


def _urls_one_by_one(client: Any, name: str) -> list[Any]:
    aliases = listed(client, "list_aliases", "Aliases", FunctionName=name).value
    qualifiers = [None, *(alias["Name"] for alias in aliases)]
    found = []
    for qualifier in qualifiers:
        params = {"FunctionName": name} | ({"Qualifier": qualifier} if qualifier else {})
        try:
            found.append(to_plain(client.get_function_url_config(**params)))
        except ClientError as error:
            if error_code(error) != NONE:
                raise
    return found
