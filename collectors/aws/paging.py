"""Every page of a paginated AWS list, merged into one answer.

botocore's paginators follow each API's own token (NextToken, Marker with IsTruncated,
NextMarker, ContinuationToken) and stop with a PaginationError if an endpoint repeats a
token, so a misbehaving endpoint fails the scope instead of looping.
"""

from __future__ import annotations

from typing import Any

from .plain import Document, to_plain
from .scopes import Read


def merged(client: Any, operation: str, keys: tuple[str, ...], **params: Any) -> Read[Document]:
    """The lists `keys` of every page of `operation`, concatenated, as plain values."""
    lists: dict[str, list[Any]] = {key: [] for key in keys}
    pages = 0
    for page in client.get_paginator(operation).paginate(**params):
        pages += 1
        for key in keys:
            lists[key].extend(page.get(key) or [])
    counts = ", ".join(f"{len(v)} {k}" for k, v in lists.items())
    return Read(to_plain(lists), f"{counts} in {pages} page{'' if pages == 1 else 's'}")


def listed(client: Any, operation: str, key: str, **params: Any) -> Read[list[Any]]:
    """The list `key` of every page of `operation`."""
    answer = merged(client, operation, (key,), **params)
    return Read(answer.value[key], answer.detail)
