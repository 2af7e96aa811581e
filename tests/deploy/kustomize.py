"""Rendering deploy/kubernetes with the real kustomize (`kubectl kustomize`, kustomize v5 built
into kubectl), exactly what `kubectl apply -k` applies. Skips without kubectl, except under CI
(`CI=true`), whose machine image has it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("sqlite", "postgres")
COMPONENTS = ("aws", "smtp", "notifications")

Manifest = dict[str, Any]


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        why = "kubectl not found (it renders deploy/kubernetes with its built-in kustomize)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{why}: required under CI", pytrace=False)
        pytest.skip(why)
    return path


def render_text(folder: Path) -> str:
    """`kubectl kustomize FOLDER`: the manifests as one multi-document YAML text."""
    return _render(str(folder))


@cache
def _render(folder: str) -> str:
    done = subprocess.run(
        [kubectl(), "kustomize", folder],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def render(folder: Path) -> list[Manifest]:
    return [d for d in yaml.safe_load_all(render_text(folder)) if d]


def overlay(name: str) -> list[Manifest]:
    return render(KUBERNETES / "overlays" / name)


def one(manifests: Iterable[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def of_kind(manifests: Iterable[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def write_overlay(
    folder: Path, kustomization: Manifest, files: Mapping[str, str] | None = None
) -> Path:
    """A kustomization of the operator's own (in a temporary folder), with its patch files.
    Absolute paths in `resources` and `components` are made relative: kustomize wants them so."""
    folder.mkdir(parents=True, exist_ok=True)
    kustomization = {
        key: [os.path.relpath(v, folder) if os.path.isabs(v) else v for v in value]
        if key in ("resources", "components")
        else value
        for key, value in kustomization.items()
    }
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
