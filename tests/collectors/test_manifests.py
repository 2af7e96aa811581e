"""The manifest collector: files, directories and stdin → KubeObjects, or one ManifestError."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.kubernetes.manifests import ManifestCollector, load_manifests
from drift.collect import Collection, KubernetesCollector, ReadOptions, ScopeStatus
from drift.errors import ManifestError

CORPUS = Path(__file__).parents[2].parent / "shared/corpus/k8s"


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(*paths: Path | str, **options: Any) -> Collection:
    return load_manifests([str(p) for p in paths], ReadOptions(**options))


def problems(*paths: Path | str, **options: Any) -> tuple[str, ...]:
    with pytest.raises(ManifestError) as caught:
        load(*paths, **options)
    return caught.value.problems


def netpol(name: str, namespace: str | None = None, port: int = 80) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}{ns}
spec:
  podSelector: {{}}
  ingress:
    - ports:
        - port: {port}
"""


def names(collection: Collection) -> list[str]:
    return [obj.name for obj in collection.objects]


# --- paths ---------------------------------------------------------------------------------


def test_directory_is_walked_recursively_in_path_component_order(tmp_path: Path) -> None:
    # "a-b.yaml" sorts before "a/c.yaml" as text but after it by path components.
    for relative in ("b.yml", "a-b.yaml", "a/c.yaml", "sub/deep/d.json", "a/z.YAML"):
        write(tmp_path, relative, "apiVersion: v1\nkind: Pod\nmetadata: {}\n")
    write(tmp_path, "notes.txt", "not: a manifest")

    found = problems(tmp_path)

    files = [p.split(":")[0] for p in found]
    expected = ["a/c.yaml", "a/z.YAML", "a-b.yaml", "b.yml", "sub/deep/d.json"]
    assert files == [str(tmp_path / rel) for rel in expected]


def test_directory_objects_name_their_file_under_the_given_path(tmp_path: Path) -> None:
    write(tmp_path, "x/one.yaml", netpol("one"))
    write(tmp_path, "x/y/two.yml", netpol("two"))

    collection = load(tmp_path / "x")

    assert [o.source.file for o in collection.objects] == [
        str(tmp_path / "x/one.yaml"),
        str(tmp_path / "x/y/two.yml"),
    ]
    assert collection.source == str(tmp_path / "x")
    assert [(o.scope, o.status, o.detail) for o in collection.outcomes] == [
        (str(tmp_path / "x"), ScopeStatus.OK, "2 files read")
    ]


def test_missing_path_is_a_problem_naming_it(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == (
        f"{tmp_path / 'nope.yaml'}: no such file or directory",
    )


def test_collector_plugin_reads_its_paths(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", netpol("a"))
    collector: KubernetesCollector = ManifestCollector([str(path)])

    collection = collector.collect(ReadOptions())

    assert names(collection) == ["a"]
    assert collection.complete


def test_stdin_dash_reads_the_given_byte_stream(tmp_path: Path) -> None:
    file = write(tmp_path, "a.yaml", netpol("from-file"))
    stream = io.BytesIO(netpol("from-stdin").encode())

    collection = load_manifests([str(file), "-"], ReadOptions(), stdin=stream)

    sources = {o.name: o.source for o in collection.objects}
    assert sources["from-stdin"].file == "<stdin>"
    assert sources["from-stdin"].line == 1
    assert collection.source == f"{file}, -"
    assert [o.scope for o in collection.outcomes] == [str(file), "-"]


# --- documents -----------------------------------------------------------------------------


def test_multi_document_file_gives_each_object_its_document_and_line(tmp_path: Path) -> None:
    text = "# header\n---\n" + netpol("a") + "---\n# only a comment\n---\n" + netpol("b")
    path = write(tmp_path, "multi.yaml", text)

    collection = load(path)

    sources = {o.name: o.source for o in collection.objects}
    assert (sources["a"].document, sources["a"].line) == (0, 3)
    assert (sources["b"].document, sources["b"].line) == (2, 15)


def test_empty_documents_are_skipped_silently(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.yaml", "---\n---\n# nothing\n---\n~\n")

    collection = load(path)

    assert collection.objects == ()
    assert collection.skipped_kinds == {}


def test_json_file_is_read_with_field_lines(tmp_path: Path) -> None:
    text = (
        '{\n  "apiVersion": "v1",\n  "kind": "ServiceAccount",\n'
        '  "metadata": {\n    "name": "sa"\n  }\n}\n'
    )
    path = write(tmp_path, "sa.json", text)

    (obj,) = load(path).objects

    assert (obj.kind, obj.name, obj.namespace) == ("ServiceAccount", "sa", "default")
    assert obj.source.line == 2
    assert obj.field_lines[("metadata", "name")] == 5


def test_json_yaml_cannot_read_falls_back_to_document_level_source(tmp_path: Path) -> None:
    # A tab before the first token is not YAML, but is JSON whitespace.
    text = '\t{"apiVersion": "v1", "kind": "ServiceAccount",\n"metadata": {"name": "sa"}}'
    path = write(tmp_path, "sa.json", text)

    (obj,) = load(path).objects

    assert obj.name == "sa"
    assert (obj.source.document, obj.source.line, obj.field_lines) == (0, None, {})


def test_list_kind_items_become_objects_with_item_index(tmp_path: Path) -> None:
    text = """apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: first
  - apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: second
      namespace: other
"""
    path = write(tmp_path, "list.yaml", text)

    objects = {o.name: o for o in load(path).objects}

    assert (objects["first"].source.item, objects["first"].source.line) == (0, 4)
    assert (objects["second"].source.item, objects["second"].source.line) == (1, 8)
    assert objects["second"].field_lines[("metadata", "namespace")] == 12
    assert objects["second"].namespace == "other"


def test_typed_list_kind_such_as_role_list_is_unwrapped(tmp_path: Path) -> None:
    text = """apiVersion: rbac.authorization.k8s.io/v1
kind: RoleList
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata: {name: r}
"""
    collection = load(write(tmp_path, "roles.yaml", text))

    assert [(o.kind, o.name, o.source.item) for o in collection.objects] == [("Role", "r", 0)]


def test_field_lines_give_the_exact_line_of_a_nested_field(tmp_path: Path) -> None:
    path = write(tmp_path, "np.yaml", "---\n" + netpol("a"))

    (obj,) = load(path).objects

    assert obj.field_lines[("spec", "ingress", 0, "ports", 0, "port")] == 10
    assert obj.field_lines[("spec", "ingress")] == 8
    assert obj.field_lines[("spec", "ingress", 0)] == 9
    assert obj.line_of(("spec", "ingress", 0, "ports", 0, "port")) == 10


def test_integer_map_keys_load_and_stay_integers(tmp_path: Path) -> None:
    text = netpol("a") + "  extra:\n    8080:\n      mode: STRICT\n"
    (obj,) = load(write(tmp_path, "np.yaml", text)).objects

    assert obj.body["spec"]["extra"] == {8080: {"mode": "STRICT"}}
    assert obj.field_lines[("spec", "extra", "8080", "mode")] == 12


def test_merge_keys_are_honoured_with_written_keys_winning(tmp_path: Path) -> None:
    text = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
  labels: &base {app: x, tier: web}
  annotations:
    <<: *base
    tier: api
"""
    (obj,) = load(write(tmp_path, "sa.yaml", text)).objects

    assert obj.body["metadata"]["annotations"] == {"tier": "api", "app": "x"}


# --- identity, namespaces, kinds -----------------------------------------------------------


def test_default_namespace_applies_only_to_namespaced_kinds(tmp_path: Path) -> None:
    text = (
        netpol("defaulted")
        + "---\n"
        + netpol("explicit", namespace="prod")
        + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  namespace: ignored\n"
    )
    collection = load(write(tmp_path, "a.yaml", text), default_namespace="team")

    assert {o.name: o.namespace for o in collection.objects} == {
        "defaulted": "team",
        "explicit": "prod",
        "prod": None,
    }


def test_unmodelled_kinds_are_counted_and_secrets_never_kept(tmp_path: Path) -> None:
    text = """apiVersion: v1
kind: Secret
metadata: {name: s}
data: {password: aHVudGVyMg==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr}
---
""" + netpol("kept")
    collection = load(write(tmp_path, "a.yaml", text))

    assert [o.kind for o in collection.objects] == ["NetworkPolicy", "ClusterRole"]
    assert collection.skipped_kinds == {"ConfigMap": 1, "Secret": 1}


def test_a_service_account_token_secret_is_kept_as_a_stub_without_its_data(
    tmp_path: Path,
) -> None:
    text = """apiVersion: v1
kind: Secret
metadata:
  name: builder-token
  namespace: ci
  annotations:
    kubernetes.io/service-account.name: builder
    note: hunter2
  labels: {a: b}
type: kubernetes.io/service-account-token
data: {token: aHVudGVyMg==}
stringData: {extra: hunter2}
"""
    collection = load(write(tmp_path, "a.yaml", text))

    (secret,) = collection.objects
    assert secret.body == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "builder-token",
            "namespace": "ci",
            "annotations": {"kubernetes.io/service-account.name": "builder"},
        },
        "type": "kubernetes.io/service-account-token",
    }
    assert "hunter2" not in repr(secret) and "aHVudGVyMg" not in repr(secret)
    assert not any(path and path[0] in ("data", "stringData") for path in secret.field_lines)
    assert (
        secret.problem(("type",), "x")
        == f"{tmp_path / 'a.yaml'}:10: Secret ci/builder-token: type: x"
    )


def test_objects_are_sorted_by_key(tmp_path: Path) -> None:
    text = "---\n".join(
        [
            netpol("z", "b"),
            netpol("a", "b"),
            netpol("m", "a"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
        ]
    )
    collection = load(write(tmp_path, "a.yaml", text))

    keys = [o.key for o in collection.objects]
    assert keys == sorted(keys)
    assert keys[0] == ("apps", "Deployment", "default", "d")


# --- duplicates ----------------------------------------------------------------------------


def test_identical_duplicates_merge_keeping_the_source_that_sorts_first(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", netpol("x", namespace="default"))
    b = write(tmp_path, "b.yaml", "# comment\n" + netpol("x"))

    collection = load(b, a)

    (obj,) = collection.objects
    assert obj.source.file == str(a)


def test_different_duplicates_are_a_problem_naming_both_locations(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "\n\n" + netpol("x"))
    b = write(tmp_path, "b.yaml", netpol("x", port=443))

    assert problems(b, a) == (
        f"{a}:3: NetworkPolicy default/x is also defined differently at {b}:1",
    )


def test_duplicates_that_differ_only_in_value_type_are_different(tmp_path: Path) -> None:
    doc = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: %s}\n"
    a = write(tmp_path, "a.yaml", doc % "1")
    b = write(tmp_path, "b.yaml", doc % "true")

    (problem,) = problems(a, b)
    assert "Deployment default/d is also defined differently" in problem


def test_result_does_not_depend_on_document_order_or_file_split(tmp_path: Path) -> None:
    docs = [netpol(f"p{i}", namespace=f"ns{i % 3}") for i in range(8)]
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"
    docs += [netpol("p1", namespace="ns1"), config_map]
    docs += ["apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\n"] * 2
    outcomes = set()
    for seed in range(5):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        folder = tmp_path / str(seed)
        for part in range(3):
            write(folder, f"f{part}.yaml", "---\n".join(shuffled[part::3]))
        collection = load(folder)
        outcomes.add(
            (
                tuple((o.key, repr(o.body)) for o in collection.objects),
                tuple(collection.skipped_kinds.items()),
            )
        )

    assert len(outcomes) == 1
    (objects, skipped) = outcomes.pop()
    assert len(objects) == 9
    assert skipped == (("ConfigMap", 1),)


# --- bad input -----------------------------------------------------------------------------


def test_malformed_yaml_is_one_line_with_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  y\n")

    (problem,) = problems(path)

    assert problem == (
        f"{path}:6: document 0: bad YAML: could not find expected ':'"
        " (while scanning a simple key at line 5)"
    )
    assert "\n" not in problem


def test_document_that_is_not_a_mapping_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", netpol("ok") + "---\n- just\n- a list\n")

    assert problems(path) == (
        f"{path}:11: document 1: expected a mapping (a Kubernetes object), found a list",
    )


def test_missing_metadata_name_is_a_problem_at_the_metadata_line(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\n"
    path = write(tmp_path, "a.yaml", netpol("ok") + "---\n" + text)

    assert problems(path) == (f"{path}:13: document 1: metadata.name: required",)


def test_missing_kind_and_bad_api_version_are_both_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "apiVersion: 1\nmetadata: {name: x}\n")

    assert problems(path) == (
        f"{path}:1: document 0: apiVersion: must be a string, not a int",
        f"{path}:1: document 0: kind: required",
    )


def test_problems_in_every_file_are_reported_together(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "kind: Pod\nmetadata: {name: x}\n")
    b = write(tmp_path, "b.yaml", "apiVersion: v1\nkind: Pod\n")

    assert problems(tmp_path) == (
        f"{a}:1: document 0: apiVersion: required",
        f"{b}:1: document 0: metadata.name: required",
    )


def test_list_item_problems_name_the_item(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n"
    path = write(tmp_path, "a.yaml", text)

    assert problems(path) == (f"{path}:4: document 0 items[0]: metadata.name: required",)


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")

    (problem,) = problems(path)

    assert "alias bomb" in problem
    assert problem.startswith(f"{path}:")


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "loop.yaml", "apiVersion: v1\nkind: Pod\nmetadata: &m {name: x, m: *m}\n"
    )

    (problem,) = problems(path)

    assert problem == f"{path}:3: document 0: recursive alias (a node that contains itself)"


def test_very_deep_nesting_is_refused_before_the_parser_recurses(tmp_path: Path) -> None:
    depth = 100_000
    path = write(tmp_path, "deep.yaml", "a: " + "[" * depth + "]" * depth + "\n")

    assert problems(path) == (f"{path}:1: document 0: nesting deeper than 200 levels",)


def test_input_over_the_size_limit_is_refused_naming_the_file(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", netpol("a"))
    b = write(tmp_path, "b.yaml", netpol("b"))
    limit = a.stat().st_size + 10

    assert problems(a, b, max_input_bytes=limit) == (
        f"{b}: input exceeds the limit of {limit} bytes in total",
    )


def test_stdin_over_the_size_limit_is_refused_without_reading_it_all() -> None:
    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            buffer[:] = b"#" * len(buffer)
            return len(buffer)

    stream = io.BufferedReader(Endless())

    with pytest.raises(ManifestError) as caught:
        load_manifests(["-"], ReadOptions(max_input_bytes=1000), stdin=stream)

    assert caught.value.problems == ("<stdin>: input exceeds the limit of 1000 bytes in total",)


def test_non_utf8_bytes_are_a_problem_with_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: caf\xe9}\n")

    assert problems(path) == (f"{path}:3: not UTF-8 (byte 0xe9)",)


def test_byte_order_mark_is_allowed_and_does_not_shift_lines(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", b"\xef\xbb\xbf" + netpol("a").encode())
    bad = write(tmp_path, "bad.yaml", b"\xef\xbb\xbfapiVersion: v1\n\xff\n")

    assert load(good).objects[0].field_lines[("metadata", "name")] == 4
    assert problems(bad) == (f"{bad}:2: not UTF-8 (byte 0xff)",)


def test_control_characters_are_a_problem_at_their_line(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Pod\n# caf\u00e9 \u00e9t\u00e9\nmetadata: {name: x}\n\x07\n"
    path = write(tmp_path, "bell.yaml", text)

    assert problems(path) == (f"{path}:5: bad YAML: character '\\x07' is not allowed",)


def test_integers_too_long_to_read_are_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "long.yaml", f"apiVersion: v1\nkind: Pod\nspec: {{n: {'9' * 5000}}}\n")

    assert problems(path) == (f"{path}:3: document 0: !!int value too long to read",)


def test_non_standard_yaml_tags_are_refused_in_short(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: !!python/object/apply:os.system [id]\n"
    path = write(tmp_path, "tag.yaml", text)

    assert problems(path) == (
        f"{path}:4: document 0: unsupported YAML tag !!python/object/apply:os.system",
    )


def test_duplicate_keys_in_one_mapping_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "dup.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nkind: Pod\n"
    )

    assert problems(path) == (f"{path}:4: document 0: duplicate key 'kind' in one mapping",)


_YAMLISH = st.text(alphabet=list("ab:- \n\t[]{},&*!<>|'\"#%?~01\u00e9\x00"), max_size=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=200), _YAMLISH.map(str.encode)))
def test_any_input_gives_objects_or_a_manifest_error_never_another_exception(data: bytes) -> None:
    try:
        load_manifests(["-"], ReadOptions(), stdin=io.BytesIO(data))
    except ManifestError as exc:
        assert all(p and "\n" not in p for p in exc.problems)


# --- the third-party corpus ----------------------------------------------------------------


def _need_corpus() -> None:
    if CORPUS.is_dir():
        return
    message = f"the third-party corpus is not at {CORPUS}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (required under CI=true)")
    pytest.skip(message)


def _leaf_folders() -> list[Path]:
    """Every folder without subfolders (so each online-boutique variant on its own), except
    network-policy-recipes, whose files are separate scenarios, and istio-security-examples,
    Istio's validation examples, which write one object once per API version."""
    if not CORPUS.is_dir():
        return []
    separate = {"network-policy-recipes", "istio-security-examples"}
    folders = [p for p in CORPUS.rglob("*") if p.is_dir() and p.name not in separate]
    return sorted(p for p in folders if not any(c.is_dir() for c in p.iterdir()))


def _corpus_params(paths: list[Path]) -> list[Any]:
    if not paths:
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in paths]


# Folders whose files are also loaded one by one: network-policy-recipes' files are separate
# scenarios; sock-shop's files are also a set on their own each; istio-security-examples'
# files are separate examples.
PER_FILE = {"network-policy-recipes", "sock-shop", "istio-security-examples"}
# Two documents that define one object differently, kept in the corpus on purpose.
CONFLICTS = {
    "network-policy-recipes/11-deny-egress-traffic-from-an-application.yaml": (
        "NetworkPolicy default/foo-deny-egress",
        ("11-deny-egress-traffic-from-an-application.yaml:6",),
        ("11-deny-egress-traffic-from-an-application.yaml:18",),
    ),
}


def _check_loaded(collection: Collection, folder: Path) -> None:
    assert collection.objects or collection.skipped_kinds
    for obj in collection.objects:
        assert obj.source.file.startswith(str(folder))
        assert obj.source.line is not None
        assert obj.kind != "Secret"


def _check_conflict(path: Path) -> None:
    what, (first,), (second,) = CONFLICTS[str(path.relative_to(CORPUS))]
    (problem,) = problems(path)
    assert f"{first}: {what} is also defined differently at " in problem
    assert problem.endswith(second)


@pytest.mark.corpus
@pytest.mark.parametrize("folder", _corpus_params(_leaf_folders()))
def test_corpus_folder_loads_as_one_set(folder: Path | None) -> None:
    _need_corpus()
    assert folder is not None
    relative = str(folder.relative_to(CORPUS))
    if relative in CONFLICTS:
        _check_conflict(folder)
    else:
        _check_loaded(load(folder), folder)


@pytest.mark.corpus
@pytest.mark.parametrize(
    "path",
    _corpus_params(sorted(f for d in PER_FILE for f in (CORPUS / d).glob("*.yaml"))),
)
def test_corpus_scenario_file_loads_on_its_own(path: Path | None) -> None:
    _need_corpus()
    assert path is not None
    if str(path.relative_to(CORPUS)) in CONFLICTS:
        _check_conflict(path)
    else:
        _check_loaded(load(path), path)


@pytest.mark.corpus
def test_corpus_list_kinds_and_integer_keys_load() -> None:
    _need_corpus()
    prometheus = load(CORPUS / "kube-prometheus")
    istio = load(CORPUS / "istio-security-examples" / "security-v1-PeerAuthentication.yaml")

    roles = [o for o in prometheus.objects if o.kind == "Role"]
    assert len(roles) == 4 and any(o.source.item is not None for o in roles)  # RoleList
    (peer,) = istio.objects
    assert peer.body["spec"]["portLevelMtls"] == {8080: {"mode": "STRICT"}}


@pytest.mark.corpus
def test_sock_shop_namespace_copies_differing_by_annotations_merge_with_a_warning() -> None:
    _need_corpus()
    collection = load(CORPUS / "sock-shop")
    (namespace,) = [o for o in collection.objects if o.key == ("", "Namespace", "", "sock-shop")]
    assert "net.beta.kubernetes.io/network-policy" in namespace.body["metadata"]["annotations"]
    (warning,) = collection.warnings
    assert "complete-demo.yaml:5: Namespace sock-shop is also defined at " in warning
    assert "network-policies.yaml:94 with other annotations; merged them" in warning


def test_copies_whose_annotations_contradict_are_an_error(tmp_path: Path) -> None:
    doc = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  annotations: {a: '%s'}\n"
    (tmp_path / "one.yaml").write_text(doc % "1")
    (tmp_path / "two.yaml").write_text(doc % "2")
    (problem,) = problems(tmp_path)
    assert "one.yaml:1: Namespace ns is also defined differently at " in problem
    assert problem.endswith("two.yaml:1")


def test_copies_differing_beyond_annotations_are_an_error(tmp_path: Path) -> None:
    doc = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  labels: {a: '%s'}\n"
    (tmp_path / "one.yaml").write_text(doc % "1")
    (tmp_path / "two.yaml").write_text(doc % "2")
    (problem,) = problems(tmp_path)
    assert "is also defined differently at" in problem
