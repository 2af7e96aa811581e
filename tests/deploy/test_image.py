"""deploy/Dockerfile and .dockerignore, checked statically: no Docker engine runs here, so the
image is never built in tests (deploy/README.md says so). The Dockerfile is parsed simply:
continuation lines joined, comments dropped, one instruction a line, stages split at FROM."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field

import pytest
import yaml

from tests.deploy.kustomize import KUBERNETES, ROOT, one, overlay

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
UID = "10001"
# What builds native code or installs system packages: none of it in the final image.
BUILD_TOOLS = re.compile(
    r"\b(apt-get|apt|apk|dnf|yum|microdnf|gcc|g\+\+|cc|clang|make|build-essential|"
    r"python3?-dev|libpq-dev)\b"
)


@dataclass(kw_only=True)
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # blank, comment or parser directive, also inside a continuation
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        found.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation"
    return found


def stages(text: str) -> list[Stage]:
    out: list[Stage] = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            out.append(Stage(image=words[0], name=name))
        else:
            assert out, f"{keyword} before the first FROM"
            out[-1].instructions.append((keyword, args))
    return out


@pytest.fixture(scope="module")
def build_and_final() -> tuple[Stage, Stage]:
    found = stages(DOCKERFILE.read_text(encoding="utf-8"))
    assert len(found) == 2, "a build stage and the final stage"
    return found[0], found[1]


def test_the_final_image_is_python_3_11_slim_and_the_wheels_are_built_for_it(
    build_and_final: tuple[Stage, Stage],
) -> None:
    build, final = build_and_final
    assert final.image == "python:3.11-slim"
    assert build.image.startswith("python:3.11")  # the same Python: its wheels install
    assert build.name == "build"


def test_the_final_image_runs_as_a_numeric_uid_that_is_not_root(
    build_and_final: tuple[Stage, Stage],
) -> None:
    _, final = build_and_final
    users = final.all("USER")
    assert users, "no USER: the image would run as root"
    user, _, group = users[-1].partition(":")
    assert user == UID and group in ("", UID)
    assert user not in ("root", "0")
    last_user = max(i for i, (kw, _) in enumerate(final.instructions) if kw == "USER")
    assert all(kw != "RUN" for kw, _ in final.instructions[last_user:])


def test_no_build_tools_reach_the_final_image(build_and_final: tuple[Stage, Stage]) -> None:
    _, final = build_and_final
    for command in final.all("RUN"):
        assert not BUILD_TOOLS.search(command), command
    copies = final.all("COPY") + final.all("ADD")
    assert copies == [], "the final stage copies nothing: the wheels are mounted for one RUN"
    [install] = final.all("RUN")
    assert "pip uninstall --yes pip setuptools wheel" in install


def test_the_wheel_is_built_from_the_repository_and_installed_offline(
    build_and_final: tuple[Stage, Stage],
) -> None:
    build, final = build_and_final
    assert "COPY . ." in [f"COPY {args}" for args in build.all("COPY")]
    assert any(shlex.split(r)[-3:] == ["--wheel-dir", "/wheels", "."] for r in build.all("RUN"))
    [install] = final.all("RUN")
    assert "--mount=type=bind,from=build,source=/wheels,target=/wheels" in install
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert f"pip install --no-index --find-links=/wheels {project}" in install


def test_the_image_works_with_a_read_only_root_filesystem(
    build_and_final: tuple[Stage, Stage],
) -> None:
    _, final = build_and_final
    env = " ".join(final.all("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    volumes = set(json.loads(final.all("VOLUME")[-1]))
    assert volumes == {"/var/lib/design-drift", "/tmp"}
    # The same places the Kubernetes manifests mount writable volumes on.
    settings = yaml.safe_load((KUBERNETES / "base" / "settings.yaml").read_text())
    assert settings["database"].removeprefix("sqlite:///").startswith("/var/lib/design-drift/")
    pod = one(overlay("sqlite"), "Deployment")["spec"]["template"]
    mounts = {m["mountPath"] for m in pod["spec"]["containers"][0]["volumeMounts"]}
    assert volumes <= mounts


def test_entrypoint_and_command_serve_the_settings_the_manifests_mount(
    build_and_final: tuple[Stage, Stage],
) -> None:
    _, final = build_and_final
    assert json.loads(final.all("ENTRYPOINT")[-1]) == ["drift"]
    command = json.loads(final.all("CMD")[-1])
    assert command == ["serve", "--config", "/etc/design-drift/settings.yaml"]
    pod = one(overlay("sqlite"), "Deployment")["spec"]["template"]
    assert pod["spec"]["containers"][0]["args"] == command
    assert final.all("EXPOSE") == ["9477"]
    assert not final.all("HEALTHCHECK")  # Kubernetes probes /healthz and /readyz


# --- .dockerignore --------------------------------------------------------------------------


def ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "exceptions are not parsed here"
    return patterns


def _regex(pattern: str) -> re.Pattern[str]:
    """Docker's matching (Go filepath.Match per segment, `**` any number of directories)."""
    parts = []
    for segment in pattern.strip("/").split("/"):
        if segment == "**":
            parts.append("(?:[^/]+/)*")
            continue
        body = "".join(
            "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in segment
        )
        parts.append(body + "/")
    return re.compile("".join(parts).removesuffix("/"))


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether `path` (relative, /-separated) stays out of the context: it or a folder above
    it matches a pattern."""
    segments = path.split("/")
    prefixes = ["/".join(segments[: i + 1]) for i in range(len(segments))]
    return any(_regex(p).fullmatch(prefix) for p in patterns for prefix in prefixes)


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        "tests/deploy/test_image.py",
        "benchmarks/bench_graph.py",
        "drift.db",
        "examples/online-shop/drift.db",
        "drift.db-journal",
        "drift/__pycache__/cli.cpython-311.pyc",
        "deploy/Dockerfile",
        "design_drift.egg-info/PKG-INFO",
    ],
)
def test_the_context_leaves_out_history_tests_benchmarks_and_databases(path: str) -> None:
    assert ignored(path, ignore_patterns())


def test_the_context_keeps_everything_the_wheel_is_built_from() -> None:
    patterns = ignore_patterns()
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    needed = ["pyproject.toml", "README.md"]
    for package in setuptools["packages"]:
        folder = ROOT / package.replace(".", "/")
        needed += [str(p.relative_to(ROOT)) for p in folder.glob("*.py")]
    for package, globs in setuptools["package-data"].items():
        folder = ROOT / package.replace(".", "/")
        for glob in globs:
            files = sorted(folder.glob(glob))
            assert files, f"package data {package}: {glob} matches nothing"
            # Both the path in the package (drift/examples is a link) and the file behind it.
            needed += [str(f.relative_to(ROOT)) for f in files]
            needed += [str(f.resolve().relative_to(ROOT)) for f in files]
    assert [path for path in needed if ignored(path, patterns)] == []
    assert len(needed) > 100


def test_the_pattern_matcher_follows_dockers_rules() -> None:
    assert ignored("a/b/c.db", ["**/*.db"]) and ignored("c.db", ["**/*.db"])
    assert ignored("tests/x/y.py", ["tests"]) and not ignored("drift/tests.py", ["tests"])
    assert not ignored("drift/x.db/ok", ["*.db"]) and ignored("x.db/ok", ["*.db"])
    assert not ignored("drift/dbx", ["**/*.db"])
