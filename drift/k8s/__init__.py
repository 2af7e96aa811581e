"""Kubernetes semantics as pure functions over plain objects (no client, no I/O)."""
