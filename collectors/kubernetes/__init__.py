"""Kubernetes objects from manifest files (and, later, the live API)."""
