"""A loopback fake Kubernetes API server for tests and benchmarks (see server.py)."""

from .cluster import FakeCluster
from .resources import Resource
from .server import FakeApiServer, Reply, Request

__all__ = ["FakeApiServer", "FakeCluster", "Reply", "Request", "Resource"]
