"""What the fake API server holds: objects, the resources they are served as, list snapshots.

Objects are read from a manifest folder with the manifest collector (so bodies are exactly as
written) and given what a real server adds: the namespace, `uid`, `resourceVersion` and
`creationTimestamp`. Tests can add objects of any kind (`put`, e.g. a Secret), replace the
folder (`load`) or delete objects between collections.

A list is answered from a snapshot taken at its first page; the continue token names the
snapshot and the offset, so later pages are consistent whatever changes in between. Only the
newest snapshots are kept: a token for an evicted one has expired (410), as after compaction.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.kubernetes.manifests import load_manifests
from drift.collect import ReadOptions
from drift.k8s.kinds import canonical_group, is_cluster_scoped

from .resources import BUILTIN, BUILTIN_KINDS, Resource, custom_resource
from .selectors import Match

GroupKind = tuple[str, str]
ObjectKey = tuple[str, str]  # namespace ("" when cluster-scoped), name
KEPT_SNAPSHOTS = 64
CREATED = "2026-01-01T00:00:00Z"


class ContinueExpired(Exception):
    """The token names a snapshot that is gone: the client must start the list again."""


class ContinueInvalid(ValueError):
    """The token is not one this server wrote."""


@dataclass(frozen=True, kw_only=True)
class Page:
    items: list[dict[str, Any]]
    continue_token: str | None
    remaining: int
    revision: int


class FakeCluster:
    """The served objects by (group, kind), then (namespace, name); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[GroupKind, dict[ObjectKey, dict[str, Any]]] = {}
        self._versions: dict[GroupKind, set[str]] = {}
        self._installed: list[Resource] = []
        self._revision = itertools.count(1)
        self.revision = next(self._revision)
        self._snapshots: OrderedDict[int, list[dict[str, Any]]] = OrderedDict()
        self._snapshot_ids = itertools.count(1)

    # --- changing what is served ---------------------------------------------------------------

    def load(self, folder: Path | str, *, default_namespace: str = "default") -> int:
        """Serve the modelled objects of a manifest folder instead of anything served before
        (objects put and custom resources installed included)."""
        options = ReadOptions(default_namespace=default_namespace)
        collection = load_manifests([str(folder)], options)
        with self._lock:
            self._objects.clear()
            self._versions.clear()
            self._installed.clear()
            self.revision = next(self._revision)
        for obj in collection.objects:
            self.put(obj.body, namespace=obj.namespace)
        return len(collection.objects)

    def put(self, body: Mapping[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
        """Create or replace one object (any kind); returns it as served."""
        group, version = _split_api_version(body["apiVersion"])
        group = canonical_group(group, body["kind"])
        gk = (group, body["kind"])
        with self._lock:
            builtin = BUILTIN_KINDS.get(gk)
            namespaced = builtin.namespaced if builtin else not is_cluster_scoped(*gk)
            served = self._served(body, namespace if namespaced else None, namespaced)
            key = (served["metadata"].get("namespace", ""), served["metadata"]["name"])
            self._objects.setdefault(gk, {})[key] = served
            self._versions.setdefault(gk, set()).add(version)
            return served

    def delete(self, group: str, kind: str, namespace: str | None, name: str) -> None:
        with self._lock:
            del self._objects[(group, kind)][(namespace or "", name)]
            self.revision = next(self._revision)

    def install(self, group: str, version: str, kind: str) -> Resource:
        """Serve a custom resource that has no objects yet (an installed, unused CRD)."""
        resource = custom_resource(group, version, kind)
        with self._lock:
            self._installed.append(resource)
        return resource

    def _served(
        self, body: Mapping[str, Any], namespace: str | None, namespaced: bool
    ) -> dict[str, Any]:
        served = copy.deepcopy(dict(body))
        metadata = served.setdefault("metadata", {})
        if namespaced:
            metadata["namespace"] = namespace or metadata.get("namespace") or "default"
        else:
            metadata.pop("namespace", None)
        self.revision = next(self._revision)
        kind, name = served["kind"], metadata["name"]
        identity = f"{served['apiVersion']}/{kind}/{metadata.get('namespace')}/{name}"
        metadata.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, identity)))
        metadata["resourceVersion"] = str(self.revision)
        metadata.setdefault("creationTimestamp", CREATED)
        return served

    # --- what is served ------------------------------------------------------------------------

    def resources(self) -> list[Resource]:
        """Built-in resources, plus every custom resource at every version its objects use."""
        with self._lock:
            custom = [
                custom_resource(group, version, kind)
                for (group, kind), versions in self._versions.items()
                if (group, kind) not in BUILTIN_KINDS
                for version in versions
            ]
            return [*BUILTIN, *dict.fromkeys([*custom, *self._installed])]

    def find(self, group: str, version: str, plural: str) -> Resource | None:
        return next(
            (
                r
                for r in self.resources()
                if (r.group, r.version, r.plural) == (group, version, plural)
            ),
            None,
        )

    def get(self, resource: Resource, namespace: str | None, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._objects.get((resource.group, resource.kind), {}).get(
                (namespace or "", name)
            )
        return None if found is None else {**found, "apiVersion": resource.group_version}

    def first_page(
        self, resource: Resource, namespace: str | None, match: Match, limit: int | None
    ) -> Page:
        """Take a snapshot of the matching objects, sorted as etcd keys sort, and page it."""
        with self._lock:
            objects = self._objects.get((resource.group, resource.kind), {})
            items = [
                _as_item(obj, resource)
                for key, obj in sorted(objects.items())
                if (namespace is None or key[0] == namespace) and match(obj)
            ]
            snapshot = next(self._snapshot_ids)
            self._snapshots[snapshot] = items
            while len(self._snapshots) > KEPT_SNAPSHOTS:
                self._snapshots.popitem(last=False)
        return self._page(snapshot, items, 0, limit)

    def next_page(self, token: str, limit: int | None) -> Page:
        snapshot, offset = _decode(token)
        with self._lock:
            items = self._snapshots.get(snapshot)
        if items is None:
            raise ContinueExpired(token)
        return self._page(snapshot, items, offset, limit)

    def _page(
        self, snapshot: int, items: list[dict[str, Any]], offset: int, limit: int | None
    ) -> Page:
        end = len(items) if not limit else min(len(items), offset + limit)
        token = _encode(snapshot, end) if end < len(items) else None
        return Page(
            items=items[offset:end],
            continue_token=token,
            remaining=len(items) - end,
            revision=self.revision,
        )


def _as_item(obj: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """A list item: built-in lists leave out each item's kind and apiVersion (the list says
    them once), custom resources keep them."""
    if resource.builtin:
        return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    return {**obj, "apiVersion": resource.group_version}


def _split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _encode(snapshot: int, offset: int) -> str:
    raw = json.dumps({"snapshot": snapshot, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(token: str) -> tuple[int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["snapshot"]), int(data["offset"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ContinueInvalid(f"continue key is not valid: {token!r}") from exc
