"""Read-only collectors: the only place cloud and cluster SDKs are imported."""
