"""What Lambda function URLs publish to the internet.

Input: one mapping shaped like the corpus's `resource-policies.json`, boto3 shapes inside:
`LambdaFunctionPolicies` (`FunctionName`, optional `FunctionArn`, `Policy` as GetPolicy
returns it) and `LambdaFunctionUrlConfigs` (or `FunctionUrlConfigs`: ListFunctionUrlConfigs'
entries: `FunctionArn`, `FunctionUrl`, `AuthType`, `CreationTime`, and `FunctionName` when
the collector adds it; absent: not collected).

As the AWS Lambda docs define access to function URLs: `AuthType NONE` lets anyone call, but
only when the function's policy allows the public `lambda:InvokeFunctionUrl` (whether a
statement is public: `drift.aws.publicness`); URLs created from October 2025 also need the
public `lambda:InvokeFunction`, so without that grant a URL whose creation time does not
settle it is unknown. `AWS_IAM` URLs take signed requests only: a public grant then admits any
AWS principal whose own identity policy allows the call, which is public as S3 counts
AuthenticatedUsers. A grant limited by conditions is `internal`, with its conditions. A
public grant of the URL action where URL configurations were not collected is unknown.

Ids: `aws:<FunctionArn>`, else the function ARN its policy names, else
`aws:lambda:function/<name>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.aws.netread import mappings_of, text_of
from drift.aws.netresults import Exposure
from drift.aws.publicness import Grant, Judged, judge, statements
from drift.model import Evidence, ExposureScope
from drift.ports import PortSet

_OCTOBER_2025 = ("2025-10-01", "2025-11-01")  # when new URLs began to need InvokeFunction too


def function_url_exposures(doc: Mapping[str, Any]) -> tuple[Exposure, ...]:
    """Every function URL the public may call, or may be able to."""
    urls = doc.get("LambdaFunctionUrlConfigs", doc.get("FunctionUrlConfigs"))
    policies = {
        name: p
        for p in mappings_of(doc.get("LambdaFunctionPolicies"))
        if (name := text_of(p.get("FunctionName")))
    }
    found = []
    if urls is None:  # not collected: a public grant of the URL action may mean a public URL
        for name, policy in sorted(policies.items()):
            exposure = _unlisted_url(name, policy)
            if exposure is not None:
                found.append(exposure)
        return tuple(found)
    for url in mappings_of(urls):
        name = _function_name(url)
        exposure = _url(url, name, policies.get(name))
        if exposure is not None:
            found.append(exposure)
    return tuple(sorted(found, key=lambda e: e.target_id))


def _function_name(url: Mapping[str, Any]) -> str:
    name = text_of(url.get("FunctionName"))
    if name:
        return name.rsplit(":function:", 1)[-1].split(":")[0]
    arn = text_of(url.get("FunctionArn")) or ""
    return arn.rsplit(":function:", 1)[-1].split(":")[0]


@dataclass(frozen=True)
class _Invoke:
    """What a function's policy grants the public."""

    url: list[Judged]  # public statements allowing lambda:InvokeFunctionUrl
    invoke: list[Judged]  # public statements allowing lambda:InvokeFunction
    limited: list[Judged]  # conditional or unknown statements allowing either


def _grants(policy: Mapping[str, Any]) -> _Invoke:
    url, invoke, limited = [], [], []
    for i, statement in enumerate(statements(policy.get("Policy"))):
        judged = judge(statement, i)
        if judged is None or judged.grant is Grant.FIXED:
            continue
        covers_url = _covers(judged.actions, "lambda:InvokeFunctionUrl")
        covers_invoke = _covers(judged.actions, "lambda:InvokeFunction")
        if judged.grant is not Grant.PUBLIC:
            if covers_url or covers_invoke:
                limited.append(judged)
            continue
        if covers_url:
            url.append(judged)
        if covers_invoke:
            invoke.append(judged)
    return _Invoke(url, invoke, limited)


def _covers(actions: Iterable[str], action: str) -> bool:
    for pattern in actions:
        if pattern.startswith("NotAction "):
            if not _matches(pattern.removeprefix("NotAction "), action):
                return True
            continue
        if _matches(pattern, action):
            return True
    return False


def _matches(pattern: str, action: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, flags=re.IGNORECASE) is not None


def _url(url: Mapping[str, Any], name: str, policy: Mapping[str, Any] | None) -> Exposure | None:
    arn = text_of(url.get("FunctionArn"))
    auth = text_of(url.get("AuthType"))
    where = f"function URL of {name} ({url.get('FunctionUrl') or arn}) AuthType {auth}"
    if policy is None:
        why = f"the resource policy of function {name} is not in the input"
        return _function(name, arn, ExposureScope.UNKNOWN, (Evidence(text=where),), reasons=(why,))
    grants = _grants(policy)
    if auth not in ("NONE", "AWS_IAM"):
        why = f"{where}: the auth type cannot be read"
        return _function(name, arn, ExposureScope.UNKNOWN, (Evidence(text=where),), reasons=(why,))
    if grants.url:
        return _granted(name, arn, url, where, grants, auth == "NONE")
    if grants.limited:
        return _limited(name, arn, where, grants.limited)
    return None


def _granted(
    name: str, arn: str | None, url: Mapping[str, Any], where: str, grants: _Invoke, anonymous: bool
) -> Exposure | None:
    evidence = [Evidence(text=where), *(_grant_evidence(name, j) for j in grants.url)]
    if not anonymous:
        evidence.append(Evidence(text=f"{where}: any signed-in AWS principal may call it"))
    evidence += [_grant_evidence(name, j) for j in grants.invoke]
    created = text_of(url.get("CreationTime")) or ""
    if not grants.invoke and created and created < _OCTOBER_2025[0]:
        evidence.append(Evidence(text=f"{where} created {created}, before October 2025"))
    elif not grants.invoke and created >= _OCTOBER_2025[1]:
        return None  # it also needs the public lambda:InvokeFunction, which nothing grants
    elif not grants.invoke:
        why = (
            f"function {name}'s policy grants the public lambda:InvokeFunctionUrl but not "
            "lambda:InvokeFunction: URLs created from October 2025 need both, and when this "
            f"one was created ({created or 'not in the input'}) does not settle it"
        )
        return _function(
            name, arn, ExposureScope.UNKNOWN, tuple(evidence), actions=_URL, reasons=(why,)
        )
    return _function(name, arn, ExposureScope.PUBLIC, tuple(evidence), actions=_URL)


_URL = ("lambda:InvokeFunctionUrl",)


def _limited(name: str, arn: str | None, where: str, limited: list[Judged]) -> Exposure:
    evidence = (Evidence(text=where), *(_grant_evidence(name, j) for j in limited))
    reasons = tuple(j.reason for j in limited if j.grant is Grant.UNKNOWN)
    scope = ExposureScope.UNKNOWN if reasons else ExposureScope.INTERNAL
    conditions = tuple(c for j in limited for c in j.conditions)
    return _function(name, arn, scope, evidence, conditions=conditions, reasons=reasons)


def _grant_evidence(name: str, judged: Judged) -> Evidence:
    conditions = f" if {'; '.join(judged.conditions)}" if judged.conditions else ""
    text = (
        f"policy of function {name} {judged.label} allows {', '.join(judged.actions)} to the public"
    )
    return Evidence(text=text + conditions)


def _unlisted_url(name: str, policy: Mapping[str, Any]) -> Exposure | None:
    grants = _grants(policy)
    if not grants.url:
        return None
    why = (
        f"function {name}'s policy grants the public lambda:InvokeFunctionUrl, and whether it "
        "has a URL (and its AuthType) is not in the input"
    )
    evidence = tuple(_grant_evidence(name, j) for j in grants.url)
    return _function(
        name, _arn_in_policy(name, policy), ExposureScope.UNKNOWN, evidence, reasons=(why,)
    )


def _arn_in_policy(name: str, policy: Mapping[str, Any]) -> str | None:
    for statement in statements(policy.get("Policy")):
        raw = statement.get("Resource")
        for resource in raw if isinstance(raw, list) else [raw]:
            if isinstance(resource, str) and resource.endswith(f":function:{name}"):
                return resource
    return text_of(policy.get("FunctionArn"))


def _function(
    name: str,
    arn: str | None,
    scope: ExposureScope,
    evidence: tuple[Evidence, ...],
    *,
    actions: tuple[str, ...] = (),
    conditions: tuple[str, ...] = (),
    reasons: tuple[str, ...] = (),
) -> Exposure:
    return Exposure(
        target_id=f"aws:{arn}" if arn else f"aws:lambda:function/{name}",
        kind="lambda-function-url",
        name=f"function URL of {name}",
        scope=scope,
        ports=PortSet.empty(),
        unknown=PortSet.empty(),
        actions=actions,
        conditions=conditions,
        evidence=tuple(sorted(set(evidence))),
        reasons=reasons,
    )
