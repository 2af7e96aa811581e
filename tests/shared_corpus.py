"""Reaching the third-party corpus in ../shared/corpus: skip without it, except under CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drift.build import build_graph
from drift.collect import ReadOptions
from drift.k8s.inventory import build_inventory
from drift.model import SystemGraph

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# Online Boutique's twelve workloads, in every variant of k8s/online-boutique.
ONLINE_BOUTIQUE_APPS = (
    "adservice",
    "cartservice",
    "checkoutservice",
    "currencyservice",
    "emailservice",
    "frontend",
    "loadgenerator",
    "paymentservice",
    "productcatalogservice",
    "recommendationservice",
    "redis-cart",
    "shippingservice",
)


def corpus_path(*parts: str) -> Path:
    """A path in the corpus; skips the test where the corpus is absent (never under CI)."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing under CI: ../shared/corpus must be beside the checkout")
        pytest.skip(f"third-party corpus not found at {path}")
    return path


def load_graph(*paths: Path, namespace: str = "default", cluster: str = "c") -> SystemGraph:
    """The live model of manifest files, as `drift graph --manifests` computes it."""
    from collectors.kubernetes.manifests import load_manifests

    collection = load_manifests([str(p) for p in paths], ReadOptions(default_namespace=namespace))
    return build_graph(build_inventory(cluster, collection.objects))
