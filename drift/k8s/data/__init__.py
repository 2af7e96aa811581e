"""Data files shipped with the Kubernetes semantics (read with importlib.resources)."""
