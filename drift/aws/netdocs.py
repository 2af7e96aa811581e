"""Which part of an `--aws-file` document goes to which reader: IAM (`drift.aws.documents`)
or the network and public-access semantics (`drift.aws.network`, `drift.aws.public_access`,
`drift.aws.function_urls`).

A file is one of:

- a plain AWS document, or several side by side in one object (the corpus's
  `iam-authorization-details.json`, `resource-policies.json`, `ec2-network.json`): each
  top-level key goes to the readers that read it. `S3BucketPolicies` and
  `LambdaFunctionPolicies` go to both (IAM evaluates them; the public-access semantics judge
  them); the EC2, RDS and ELBv2 `Describe*` sections, the public-access blocks and function
  URL configurations go to the network side only. DescribeInstances' `Reservations` are
  flattened into `Instances` (each keeping its reservation's `OwnerId`). A key no reader
  knows is an error naming the file and the key. The plain files of one run are taken as one
  account and region: their network sections are joined into one EC2 snapshot and their
  resource policies into one document, as the IAM reader joins IAM files.
- a collector snapshot (`apiVersion: design-drift/aws-snapshot/v1`, docs/aws-collector.md):
  each account's IAM and S3 sections and each region's EC2 and Lambda sections, read where
  they are, with the account and region the snapshot names (ids take them). A key this
  version does not know is skipped with a note, as the snapshot's schema asks of readers
  within v1; a scope that was forbidden or failed is a note (its section is absent, so what
  it would hold is not known, never empty). Within a snapshot, a bucket entry without a
  public-access block has none (the collector leaves out what a bucket does not have), and a
  function with a URL but no entry in a collected `LambdaFunctionPolicies` has no policy.

Network sections are checked only for shape (a list of objects, an object): the semantics
read the fields themselves and answer what they cannot read as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.aws.jsonread import JsonPath, JsonReader
from drift.aws.resources import RESOURCE_SECTIONS
from drift.collect import AwsCollection, ScopeStatus
from drift.errors import InputError
from drift.k8s.objects import format_path
from drift.validation import did_you_mean

# What drift.aws.network reads (lists of objects), and the collector's other EC2-side lists.
EC2_SECTIONS = (
    "Vpcs",
    "Subnets",
    "SecurityGroups",
    "NetworkAcls",
    "RouteTables",
    "InternetGateways",
    "VpcPeeringConnections",
    "ManagedPrefixLists",
    "Instances",
    "NetworkInterfaces",
    "DBInstances",
    "LoadBalancers",
    "LambdaFunctions",
    "EksClusters",
    "EksPodIdentityAssociations",
)
SHARED_SECTIONS = ("S3BucketPolicies", "LambdaFunctionPolicies")  # read by IAM and public access
_URL_SECTIONS = ("LambdaFunctionUrlConfigs", "FunctionUrlConfigs")
_BLOCKS = ("AccountPublicAccessBlock", "S3AccountPublicAccessBlock")
# Network-only keys of a plain document: `Listeners` is a list or a mapping by load balancer.
NETWORK_KEYS = (*EC2_SECTIONS, "Reservations", "Listeners", "Region", *_URL_SECTIONS, *_BLOCKS)
_SNAPSHOT_KEYS = ("apiVersion", "collectedAt", "accounts", "scopes", "warnings")
_ACCOUNT_KEYS = ("accountId", "roleArn", "iamAuthorizationDetails", "resourcePolicies", "regions")
_REGION_KEYS = ("ec2Network", "resourcePolicies")


@dataclass(frozen=True, kw_only=True)
class NetworkDocument:
    """The network sections of one place: `ec2` in EC2 `Describe*` shapes for
    `drift.aws.network` (with `AccountId` and `Region` when the input names them), `public`
    the S3 and Lambda sections `drift.aws.public_access` and `drift.aws.function_urls` read.
    `name` says where they come from, for notes."""

    name: str
    ec2: Mapping[str, Any] | None = None
    public: Mapping[str, Any] | None = None


def is_snapshot(raw: Any) -> bool:
    """A collector snapshot (it names its apiVersion; AWS's own answers do not)."""
    return isinstance(raw, Mapping) and "apiVersion" in raw


@dataclass
class Split:
    """What the documents of one run hold: IAM parts (each with the reader its problems go
    to), network documents, and notes for a person."""

    iam: list[tuple[JsonReader, Any]] = field(default_factory=list)
    network: list[NetworkDocument] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _ec2: dict[str, Any] = field(default_factory=dict)
    _public: dict[str, Any] = field(default_factory=dict)
    _plain_names: list[str] = field(default_factory=list)

    def add(self, reader: JsonReader, raw: Any, iam_sections: Iterable[str]) -> None:
        """Split one parsed file; its problems go to `reader`."""
        iam_sections = tuple(iam_sections)
        if is_snapshot(raw):
            _Snapshot(reader, self, iam_sections).read(raw)
        elif isinstance(raw, Mapping):
            self._plain(reader, raw, iam_sections)
        else:
            self.iam.append((reader, raw))  # the IAM reader says it must be an object

    def documents(self) -> tuple[NetworkDocument, ...]:
        """The network documents: the plain files' joined ones first, then each place of
        each snapshot."""
        joined = []
        if self._ec2 or self._public:
            joined.append(
                NetworkDocument(
                    name=", ".join(self._plain_names),
                    ec2=self._ec2 or None,
                    public=self._public or None,
                )
            )
        return (*joined, *self.network)

    def _plain(
        self, reader: JsonReader, top: Mapping[str, Any], iam_sections: tuple[str, ...]
    ) -> None:
        known = (*iam_sections, *NETWORK_KEYS)
        for key in top:
            if key not in known:
                reader.problem((key,), "unknown section" + did_you_mean(str(key), known))
        iam = {k: v for k, v in top.items() if k in iam_sections}
        network = {k: v for k, v in top.items() if k in NETWORK_KEYS or k in SHARED_SECTIONS}
        if iam or not any(k in NETWORK_KEYS for k in top):
            self.iam.append((reader, iam))
        if not network:
            return
        _check_shapes(reader, (), network)
        self._plain_names.append(reader.name)
        ec2 = _ec2_part(network)
        if ec2 and "AccountId" in top:
            ec2["AccountId"] = top["AccountId"]
        self._join(reader.name, self._ec2, ec2)
        self._join(reader.name, self._public, _public_part(network))

    def _join(self, name: str, into: dict[str, Any], part: Mapping[str, Any]) -> None:
        for key, value in part.items():
            if isinstance(value, list) and isinstance(into.get(key, []), list):
                into[key] = [*into.get(key, []), *value]
            elif key not in into:
                into[key] = value
            elif into[key] != value:
                self.notes.append(f"{name}: {key} given again with another value: the first kept")


def _ec2_part(network: Mapping[str, Any]) -> dict[str, Any]:
    part: dict[str, Any] = {k: v for k, v in network.items() if k in EC2_SECTIONS or k == "Region"}
    if "Reservations" in network:
        listed = part.get("Instances")
        listed = listed if isinstance(listed, list) else []
        part["Instances"] = [*listed, *_flattened(network["Reservations"])]
    listeners = network.get("Listeners")
    if isinstance(listeners, Mapping):  # by load balancer ARN: as listeners naming theirs
        listeners = [
            {**item, "LoadBalancerArn": arn}
            for arn, items in listeners.items()
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping)
        ]
    if listeners is not None:
        part["Listeners"] = listeners
    return part


def _flattened(reservations: Any) -> list[Any]:
    """DescribeInstances' instances out of their reservations, each with its owner."""
    found = []
    for reservation in reservations if isinstance(reservations, list) else []:
        if not isinstance(reservation, Mapping):
            continue
        owner, listed = reservation.get("OwnerId"), reservation.get("Instances")
        for instance in listed if isinstance(listed, list) else []:
            if isinstance(instance, Mapping) and owner and "OwnerId" not in instance:
                instance = {**instance, "OwnerId": owner}
            found.append(instance)
    return found


def _public_part(network: Mapping[str, Any]) -> dict[str, Any]:
    part = {k: v for k, v in network.items() if k in SHARED_SECTIONS or k in _URL_SECTIONS}
    for key in _BLOCKS:  # the collector's name for the account's block, and the semantics'
        if key in network:
            part["AccountPublicAccessBlock"] = network[key]
    return part


def _check_shapes(reader: JsonReader, path: JsonPath, sections: Mapping[str, Any]) -> None:
    """Network-only sections must be lists of objects (or objects, where AWS answers one):
    a section of the wrong type would read as "not collected" or "none", silently."""
    for key, raw in sections.items():
        where = (*path, key)
        if key in EC2_SECTIONS or key in _URL_SECTIONS:
            for index, item in enumerate(reader.items(where, raw)):
                reader.mapping((*where, index), item)
        elif key == "Reservations":
            for index, item in enumerate(reader.items(where, raw)):
                reservation = reader.mapping((*where, index), item)
                if reservation is not None:
                    _check_shapes(
                        reader, (*where, index), {"Instances": reservation.get("Instances")}
                    )
        elif key == "Listeners" and not isinstance(raw, Mapping):
            for index, item in enumerate(reader.items(where, raw)):
                reader.mapping((*where, index), item)
        elif key in _BLOCKS and raw is not None:
            reader.mapping(where, raw)
        elif key == "Region":
            reader.text(where, raw)


# --- collector snapshots --------------------------------------------------------------------


@dataclass(kw_only=True)
class _At(JsonReader):
    """A reader for one part of a file: its paths start at `prefix`. Problems go to the
    list of the file's reader (shared, not copied)."""

    prefix: JsonPath = ()

    def problem(self, path: JsonPath, message: str) -> None:
        super().problem((*self.prefix, *path), message)


class _Snapshot:
    def __init__(self, reader: JsonReader, split: Split, iam_sections: tuple[str, ...]) -> None:
        self.reader = reader
        self.split = split
        self.iam_sections = iam_sections

    def read(self, raw: Mapping[str, Any]) -> None:
        try:
            collection = AwsCollection.from_snapshot(raw, source=self.reader.name)
        except InputError as exc:
            self.reader.problems.extend(exc.problems)
            return
        self.split.notes.extend(
            f"{self.reader.name}: scope {o.scope} {o.status}: {o.detail} (what it reads is "
            "not in the snapshot)"
            for o in collection.outcomes
            if o.status in (ScopeStatus.FORBIDDEN, ScopeStatus.FAILED)
        )
        self._skip_unknown((), raw, _SNAPSHOT_KEYS)
        for index, item in enumerate(self.reader.items(("accounts",), raw.get("accounts"))):
            account = self.reader.mapping(("accounts", index), item)
            if account is not None:
                self._account(("accounts", index), account)

    def _account(self, path: JsonPath, account: Mapping[str, Any]) -> None:
        self._skip_unknown(path, account, _ACCOUNT_KEYS)
        account_id = account.get("accountId")
        account_id = account_id if isinstance(account_id, str) else None
        details = self._section(path, account, "iamAuthorizationDetails", self.iam_sections)
        if details is not None:
            self.split.iam.append((self._at((*path, "iamAuthorizationDetails")), details))
        policies = self._section(path, account, "resourcePolicies", (*RESOURCE_SECTIONS, *_BLOCKS))
        if policies is not None:
            self._policies((*path, "resourcePolicies"), policies, account_id, buckets=True)
        regions = account.get("regions")
        if regions is None or self.reader.mapping((*path, "regions"), regions) is None:
            return
        for name, item in sorted(regions.items()):
            where = (*path, "regions", name)
            region = self.reader.mapping(where, item)
            if region is not None:
                self._region(where, region, account_id, str(name))

    def _region(
        self, path: JsonPath, region: Mapping[str, Any], account_id: str | None, name: str
    ) -> None:
        self._skip_unknown(path, region, _REGION_KEYS)
        ec2 = self._section(path, region, "ec2Network", (*EC2_SECTIONS, "Listeners"))
        if ec2 is not None:
            _check_shapes(self.reader, (*path, "ec2Network"), ec2)
            place = f"{self.reader.name}: {account_id or 'an unknown account'} {name}"
            doc = {**_ec2_part(ec2), "Region": name}
            if account_id:
                doc["AccountId"] = account_id
            self.split.network.append(NetworkDocument(name=place, ec2=doc))
        policies = self._section(
            path, region, "resourcePolicies", (*RESOURCE_SECTIONS, *_URL_SECTIONS)
        )
        if policies is not None:
            self._policies((*path, "resourcePolicies"), policies, account_id, buckets=False)

    def _policies(
        self,
        path: JsonPath,
        policies: Mapping[str, Any],
        account_id: str | None,
        *,
        buckets: bool,
    ) -> None:
        iam = {k: v for k, v in policies.items() if k in RESOURCE_SECTIONS}
        if iam:
            self.split.iam.append(
                (self._at(path), {**iam, **({"AccountId": account_id} if account_id else {})})
            )
        _check_shapes(self.reader, path, {k: v for k, v in policies.items() if k not in iam})
        public = _public_part(policies)
        if buckets and isinstance(public.get("S3BucketPolicies"), list):
            public["S3BucketPolicies"] = [
                {"PublicAccessBlockConfiguration": None, **e} if isinstance(e, Mapping) else e
                for e in public["S3BucketPolicies"]
            ]
        if not buckets:
            public = _with_policyless_functions(public)
        if public:
            where = f"{self.reader.name}: {account_id or 'an unknown account'}"
            self.split.network.append(NetworkDocument(name=where, public=public))

    def _section(
        self, path: JsonPath, holder: Mapping[str, Any], key: str, known: Iterable[str]
    ) -> dict[str, Any] | None:
        raw = holder.get(key)
        if raw is None:
            return None
        section = self.reader.mapping((*path, key), raw)
        if section is None:
            return None
        known = tuple(known)
        self._skip_unknown((*path, key), section, known)
        return {k: v for k, v in section.items() if k in known}

    def _skip_unknown(self, path: JsonPath, raw: Mapping[str, Any], known: Iterable[str]) -> None:
        known = tuple(known)
        self.split.notes.extend(
            f"{self.reader.name}: {format_path((*path, key))}: not read (unknown to this "
            "version of drift)"
            for key in raw
            if key not in known
        )

    def _at(self, prefix: JsonPath) -> _At:
        return _At(name=self.reader.name, problems=self.reader.problems, prefix=prefix)


def _with_policyless_functions(public: dict[str, Any]) -> dict[str, Any]:
    """A function with a URL but no policy entry has no policy, where policies were
    collected (the collector lists only functions that have one)."""
    policies, urls = public.get("LambdaFunctionPolicies"), public.get("LambdaFunctionUrlConfigs")
    if not isinstance(policies, list) or not isinstance(urls, list):
        return public
    named = {
        n
        for p in policies
        if isinstance(p, Mapping) and isinstance(n := p.get("FunctionName"), str)
    }
    missing = {
        name
        for u in urls
        if isinstance(u, Mapping)
        and isinstance(u.get("FunctionArn"), str)
        and (name := u["FunctionArn"].rsplit(":function:", 1)[-1].split(":")[0]) not in named
    }
    extra = [{"FunctionName": name, "Policy": None} for name in sorted(missing)]
    return {**public, "LambdaFunctionPolicies": [*policies, *extra]} if extra else public
