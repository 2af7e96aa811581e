"""Answers for what moto does not serve, given through botocore's own event hooks.

moto has no EKS Pod Identity API (its server answers a plain HTTP 404), so tests that need
associations answer those two calls in the AWS API's own JSON, at botocore's `before-send`
event: botocore parses them as it parses any answer. The same hook can make an operation
answer a plain 404 page, as an endpoint that does not serve it does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

Handler = Callable[[AWSPreparedRequest], AWSResponse | None]
NOT_FOUND_PAGE = b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def answer(status: int, body: bytes, content_type: str = "application/json") -> AWSResponse:
    headers = {"Content-Type": content_type, "x-amzn-RequestId": "hook"}
    return AWSResponse("http://hook.invalid", status, headers, _Raw(body))


def json_answer(document: dict[str, Any]) -> AWSResponse:
    return answer(200, json.dumps(document).encode())


def not_served(_request: AWSPreparedRequest) -> AWSResponse:
    return answer(404, NOT_FOUND_PAGE, "text/html")


def session_with(handlers: dict[str, Handler]) -> Callable[[], boto3.Session]:
    """A session factory whose sessions answer `handlers`' events (e.g.
    `before-send.eks.ListPodIdentityAssociations`) themselves."""

    def factory() -> boto3.Session:
        session = boto3.Session()
        for event, handler in handlers.items():
            session.events.register(event, _adapt(handler))
        return session

    return factory


def _adapt(handler: Handler) -> Callable[..., AWSResponse | None]:
    def hook(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        return handler(request)

    return hook


def pod_identity(associations: list[dict[str, Any]]) -> dict[str, Handler]:
    """Handlers answering ListPodIdentityAssociations and DescribePodIdentityAssociation for
    `associations` (each with clusterName, namespace, serviceAccount, roleArn, associationId)."""

    def listing(request: AWSPreparedRequest) -> AWSResponse:
        cluster = request.url.split("/clusters/")[1].split("/")[0]
        summaries = [
            {k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationId")}
            | {"associationArn": arn(a)}
            for a in associations
            if a["clusterName"] == cluster
        ]
        return json_answer({"associations": summaries})

    def describe(request: AWSPreparedRequest) -> AWSResponse:
        wanted = request.url.rstrip("/").split("/")[-1]
        (found,) = [a for a in associations if a["associationId"] == wanted]
        return json_answer(
            {"association": found | {"associationArn": arn(found), "createdAt": 1767225600.0}}
        )

    return {
        "before-send.eks.ListPodIdentityAssociations": listing,
        "before-send.eks.DescribePodIdentityAssociation": describe,
    }


def arn(association: dict[str, Any]) -> str:
    return (
        "arn:aws:eks:eu-west-1:123456789012:podidentityassociation/"
        f"{association['clusterName']}/{association['associationId']}"
    )
