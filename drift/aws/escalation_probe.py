"""Asking the IAM evaluator whether a principal can take the steps of an escalation, as an
`Outcome` (`drift.aws.escalation_outcome`): allow, conditional or deny, with the statements
that decide it and what leaves it open.

Resources the principal would create do not exist yet, so their ARNs are chosen the way the
principal would choose them (`drift.aws.escalation_table.New`):

- Account: the principal's own. Partition: its ARN's.
- Region: the principal picks one. When no statement that judges the actions (its identity
  policies, permissions boundary, SCPs) names a region, in a Resource ARN or an
  `aws:RequestedRegion` / `ec2:Region` condition, every region answers alike and one is
  asked. Otherwise every region the partition enables by default is asked, plus each region
  the statements name, and the best answer wins: a statement limited to one region neither
  makes another region allowed nor the principal's region denied. An answer that holds only in
  an opt-in region is not certain (whether the account enabled it is not in the input). The
  actions a step takes in that region are asked with `aws:RequestedRegion` set to it
  (`iam:PassRole` too: it is checked within the calling service's request); other IAM
  requests name the partition's IAM region (us-east-1), as IAM's endpoint is there.
- Name (`{name}`): the principal picks it, so a neutral name is asked, and for each Resource
  pattern of an Allow statement that names such resources (`function:dev-*`), a name it
  matches (`dev-x`); the best answer wins. `{id}`s are assigned by AWS: a fixed stand-in.

Only identity-based policies grant the actions asked here but `sts:AssumeRole` (IAM has no
resource policies for its users, roles and policies; a resource not yet created has none),
so a principal whose identity policies allow an action nowhere is denied it without asking.

Tag it, then act on it: a request on a user or role of the input that an Allow statement
grants only when the resource carries some tags (`aws:ResourceTag/<key>` or
`iam:ResourceTag/<key>` equal to or like a value) is asked again as if the resource carried
them, and `iam:TagUser` / `iam:TagRole` on it with those tags (`aws:RequestTag/<key>`,
`aws:TagKeys`): both allowed, the request is, the tagging `prepared` first. The plain answer
wins unless this one is better (certain, or possible where the plain one is denied).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import replace

from drift.aws.arns import account_of, parse_arn
from drift.aws.escalation_outcome import (
    DENIED,
    Outcome,
    Prepared,
    best,
    both,
    doubted,
    of_answer,
)
from drift.aws.escalation_table import DEFAULT_REGIONS, IAM_REGION, New, Step
from drift.aws.escalation_tags import (
    TAGGING,
    Tags,
    merged_tags,
    reads_tags_in_values,
    retagged,
    tag_request,
    tags_asked,
)
from drift.aws.iam import Evaluator
from drift.aws.patterns import ARN_PARTS, glob_source, has_wildcard
from drift.aws.policy import Effect, Statement
from drift.aws.principals import Principal
from drift.aws.resources import policy_key
from drift.aws.statements import RESOURCE_TAG_PREFIXES
from drift.aws.variables import has_variables

_REGION_KEYS = frozenset({"aws:requestedregion", "ec2:region"})
_MAX_NAMES = 4  # names tried per resource, the neutral one first
_MAX_COMBINATIONS = 32
_MAX_TAGGINGS = 4  # sets of tags tried per (principal, action)
Context = tuple[tuple[str, str], ...]


class Prober:
    """Questions about escalation steps over one evaluator, answers cached."""

    def __init__(self, evaluator: Evaluator, *, uniform_trust: bool = False) -> None:
        """`uniform_trust`: every role's trust policy has the same statements but for where
        they are said to be written (`drift.aws.whatif.admitting`), so an `sts:` answer
        depends on the role only as other questions do on their resource."""
        self.evaluator = evaluator
        self.uniform_trust = uniform_trust
        # by (principal, action, resource or what answers depend on in it, context)
        self._answers: dict[tuple[str, str, Hashable, Context], Outcome] = {}
        self._regions_of: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._taken: dict[tuple[str, tuple[Step, ...], str], Outcome] = {}
        self._accounts: dict[str, str | None] = {}
        self._partitions: dict[str, str] = {}
        self._iam_regions: dict[str, Context] = {}
        self._combined: dict[tuple[int, ...], tuple[Outcome, tuple[Outcome, ...]]] = {}
        self._resource_patterns: dict[
            tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]] | None
        ] = {}
        self._may: dict[tuple[str, str], bool] = {}
        self._judging: dict[tuple[str, str], list[Statement]] = {}
        self._asking: dict[tuple[str, str], tuple[bool, tuple[Tags, ...]]] = {}
        self._tagged_first: dict[tuple[str, str, str, Context], Outcome] = {}

    def forget(self) -> None:
        """Drop the cached answers (the rest is small): call between principals."""
        self._answers.clear()
        self._taken.clear()
        self._combined.clear()
        self._tagged_first.clear()

    def both(self, *outcomes: Outcome) -> Outcome:
        """`both`, remembered: answers are shared by the resources the same statements
        cover, so the same few outcomes are combined for many roles."""
        key = tuple(map(id, outcomes))
        found = self._combined.get(key)
        if found is None:
            found = self._combined[key] = (both(*outcomes), outcomes)  # keeps the ids alive
        return found[0]

    def may(self, principal: str, action: str) -> bool:
        """Whether some identity policy of `principal` allows `action` on something (or a
        policy the input lacks might, or, for `sts:`, a trust policy): False means denied,
        whatever the resource."""
        key = (principal, action)
        found = self._may.get(key)
        if found is None:
            who = self.evaluator.principal(principal)
            lower = action.lower()
            found = self._may[key] = (
                lower.startswith("sts:")
                or bool(who.missing)
                or any(
                    s.effect is Effect.ALLOW and s.covers_action(lower)
                    for s in who.identity.for_action(lower)
                )
            )
        return found

    def ask(self, principal: str, action: str, resource: str, context: Context = ()) -> Outcome:
        """One request on an existing resource (a user, role, group or policy); an IAM one
        names IAM's region."""
        # One lookup on this hot path: whether it may, and the tags a statement asks for.
        asking = self._asking.get((principal, action))
        if asking is None:
            asking = self._asking[(principal, action)] = (
                self.may(principal, action),
                self._taggings_of(principal, action),
            )
        may, taggings = asking
        if not may:
            return DENIED
        if action.startswith("iam:"):
            context = (*context, *self._iam_region(principal))
        found = self._asked(principal, action, resource, context)
        if found.certain or not taggings:
            return found
        key = (principal, action, resource, context)
        tagged = self._tagged_first.get(key)
        if tagged is None:
            tagged = self._tagged_first[key] = self._tag_first(
                principal, action, resource, context, found, taggings
            )
        return tagged

    def _tag_first(
        self,
        principal: str,
        action: str,
        resource: str,
        context: Context,
        found: Outcome,
        taggings: tuple[Tags, ...],
    ) -> Outcome:
        """`found`, or better: the resource tagged as a statement asks, then the request."""
        tagger = self._tagger(resource)
        if tagger is None or action.lower() in TAGGING or not self.may(principal, tagger):
            return found
        current = self.evaluator.resource_tags(resource) or {}
        chosen = DENIED
        for tags in taggings:
            if all(current.get(k.lower()) == v for k, v in tags):
                continue  # already so: the plain answer says it
            acted = self._asked(principal, action, resource, (*context, *retagged(tags)))
            if not acted.possible:
                continue
            request = (*tag_request(tags), *self._iam_region(principal))
            outcome = both(self._asked(principal, tagger, resource, request), acted)
            if not outcome.possible:
                continue
            first = Prepared(action=tagger, resource=resource, tags=tags)
            outcome = replace(outcome, prepared=(first, *outcome.prepared))
            if outcome.certain:
                chosen = outcome
                break
            if not chosen.possible:
                chosen = outcome
        if chosen.certain or (chosen.possible and not found.possible):
            return chosen
        return found

    def _tagger(self, resource: str) -> str | None:
        """The action that tags `resource`: a user or role of the input (not one only AWS
        may change)."""
        data = self.evaluator.data
        if self.evaluator.resource_tags(resource) is None:
            return None
        if resource in data.users:
            return "iam:TagUser"
        role = data.roles.get(resource)
        return "iam:TagRole" if role is not None and not role.protected else None

    def _taggings_of(self, principal: str, action: str) -> tuple[Tags, ...]:
        """The sets of resource tags that Allow statements judging `action` ask for, each
        with values that satisfy them (one set per statement, and all of them together)."""
        who = self.evaluator.principal(principal)
        sets: list[Tags] = []
        for statement in self._judging_statements(who, action):
            if statement.effect is Effect.ALLOW:
                tags = tags_asked(statement)
                if tags:
                    sets.append(tags)
        merged = merged_tags(sets) if len(sets) > 1 else None
        if merged:
            sets.append(merged)
        return tuple(dict.fromkeys(sets))[:_MAX_TAGGINGS]

    def _iam_region(self, principal: str) -> Context:
        found = self._iam_regions.get(principal)
        if found is None:
            region = IAM_REGION.get(self._partition(principal))
            found = self._iam_regions[principal] = (
                (("aws:RequestedRegion", region),) if region else ()
            )
        return found

    def anywhere(self, principal: str, action: str, resource: str) -> Outcome:
        """One request on an existing resource that can be sent to any region's endpoint
        (`sts:AssumeRole`): the best region's answer."""
        if not self.may(principal, action):
            return DENIED
        partition = self._partition(principal)
        found = []
        for region in self._regions(principal, partition, (action,)):
            context = (("aws:RequestedRegion", region),)
            found.append(
                self._in(partition, region, self._asked(principal, action, resource, context))
            )
            if found[-1].certain:
                break
        return best(found)

    def steps(
        self,
        principal: str,
        steps: Sequence[Step],
        *,
        role: str | None = None,
        passed_to: str = "",
    ) -> Outcome:
        """Whether `principal` can take every step in one region, with names of its choosing;
        with `role`, also `iam:PassRole` on it to the service `passed_to`."""
        actions = tuple(s.action for s in steps) + (("iam:PassRole",) if role else ())
        if not all(self.may(principal, a) for a in actions):
            return DENIED
        partition = self._partition(principal)
        found = []
        for region in self._regions(principal, partition, actions):
            outcome = self._taken_in(principal, partition, region, tuple(steps))
            if outcome.possible and role is not None:
                context = (("iam:PassedToService", passed_to), ("aws:RequestedRegion", region))
                outcome = self.both(self._asked(principal, "iam:PassRole", role, context), outcome)
            outcome = self._in(partition, region, outcome)
            if outcome.certain:
                return outcome
            found.append(outcome)
        return best(found)

    def _in(self, partition: str, region: str, outcome: Outcome) -> Outcome:
        if outcome.possible and region not in DEFAULT_REGIONS.get(partition, ()):
            why = f"only in region {region}, which the account may not have enabled"
            return doubted(outcome, why)
        return outcome

    def _taken_in(
        self, principal: str, partition: str, region: str, steps: tuple[Step, ...]
    ) -> Outcome:
        """The steps in one region, with the best names (the first certain combination)."""
        key = (principal, steps, region)
        found = self._taken.get(key)
        if found is None:
            found = self._taken[key] = self._choose_names(principal, partition, region, steps)
        return found

    def _choose_names(
        self, principal: str, partition: str, region: str, steps: tuple[Step, ...]
    ) -> Outcome:
        who = self.evaluator.principal(principal)
        where = (("aws:RequestedRegion", region),)
        slots = list(dict.fromkeys(_slots(steps)))
        choices = [self._names(who, slot, steps) for slot in slots]
        found = []
        for names in itertools.islice(itertools.product(*choices), _MAX_COMBINATIONS):
            arns = {
                s: s.arn(partition, region, who.account, n)
                for s, n in zip(slots, names, strict=True)
            }
            answers = []
            for step in steps:
                resource = "*" if step.resource is None else arns[step.resource]
                asked: Context = (*((k, arns[v]) for k, v in step.context), *where)
                answers.append(self._asked(who.arn, step.action, resource, asked))
                if not answers[-1].possible:
                    break
            outcome = both(*answers)
            if outcome.certain:
                return outcome
            found.append(outcome)
        return best(found)

    def _asked(self, principal: str, action: str, resource: str, context: Context) -> Outcome:
        direct = (principal, action, resource, context)
        found = self._answers.get(direct)
        if found is not None:
            return found
        key = (principal, action, self._resource_key(principal, action, resource), context)
        found = self._answers.get(key)
        if found is not None:
            self._answers[direct] = found
        else:
            keys: dict[str, tuple[str, ...]] = {}
            for k, v in context:  # a key given twice is multivalued (aws:TagKeys)
                keys[k] = (*keys.get(k, ()), v)
            # A resource the principal creates is in its account; an AMI's ARN names none,
            # and IAM judges launching one by identity policies alone, as in one account.
            account = self.evaluator.principal(principal).account
            answer = self.evaluator.can(principal, action, resource, keys, resource_account=account)
            found = self._answers[key] = self._answers[direct] = of_answer(answer)
        return found

    def _resource_key(self, principal: str, action: str, resource: str) -> Hashable:
        """What the answer can depend on in `resource`: its account, which Resource patterns
        of the judging statements match it and the tags their conditions read, unless it has
        a policy of its own (a trust policy, a bucket policy) or a pattern holds a policy
        variable. Two roles the same statements cover get one answer (the statements named
        are the same too)."""
        judged = self._patterns(principal, action)
        if judged is None or self._has_policy(resource):
            return resource
        patterns, tag_keys = judged
        account = self._account_of(resource)
        found = (account, *(_arn_regex(p).fullmatch(resource) is not None for p in patterns))
        if tag_keys:
            tags = self.evaluator.resource_tags(resource)
            return (*found, None if tags is None else tuple(tags.get(k) for k in tag_keys))
        return found

    def _patterns(
        self, principal: str, action: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """The Resource patterns of the statements judging `action` that do not cover every
        resource, and the resource tags (keys in lower case) their conditions read; None
        when a pattern holds a policy variable, a condition reads a resource tag through
        one, or the resource's own trust policy judges too (`sts:` on a role)."""
        key = (principal, action)
        try:
            return self._resource_patterns[key]
        except KeyError:
            found = self._resource_patterns[key] = self._find_patterns(principal, action)
            return found

    def _find_patterns(
        self, principal: str, action: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        if not self.uniform_trust and action.lower().startswith("sts:"):
            return None
        who = self.evaluator.principal(principal)
        patterns: list[str] = []
        tag_keys: set[str] = set()
        for statement in self._judging_statements(who, action):
            if reads_tags_in_values(statement):
                return None
            for test in statement.conditions:
                name = test.key.lower()
                if name.startswith(RESOURCE_TAG_PREFIXES):
                    tag_keys.add(name.partition("/")[2])
            if statement.any_resource:
                continue
            for pattern in statement.resources or ():
                if statement.variables and has_variables(pattern):
                    return None
                patterns.append(pattern)
        return tuple(patterns), tuple(sorted(tag_keys))

    def _partition(self, principal: str) -> str:
        found = self._partitions.get(principal)
        if found is None:
            found = self._partitions[principal] = partition_of(principal)
        return found

    def _has_policy(self, resource: str) -> bool:
        policies = self.evaluator.data.resource_policies
        return bool(policies) and policy_key(resource) in policies

    def _account_of(self, resource: str) -> str | None:
        found = self._accounts.get(resource, "")
        if found == "":
            found = self._accounts[resource] = account_of(resource)
        return found

    def _judging_statements(self, who: Principal, action: str) -> list[Statement]:
        """The statements of every layer that judge `action` for `who` (identity, boundary,
        SCPs), whatever their effect and resource."""
        key = (who.arn, action.lower())
        found = self._judging.get(key)
        if found is None:
            lower = key[1]
            listed = list(who.identity.for_action(lower))
            if who.boundary is not None:
                listed.extend(who.boundary.for_action(lower))
            if not who.scp_exempt:
                for level in self.evaluator.data.scps.get(who.account, ()):
                    listed.extend(s for p in level.policies for s in p.document.statements)
            found = [s for s in listed if s.covers_action(lower)]
            self._judging[key] = found
        return found

    def _regions(self, principal: str, partition: str, actions: tuple[str, ...]) -> list[str]:
        key = (principal, actions)
        found = self._regions_of.get(key)
        if found is None:
            found = self._regions_of[key] = self._find_regions(principal, partition, actions)
        return found

    def _find_regions(self, principal: str, partition: str, actions: tuple[str, ...]) -> list[str]:
        iam_region = IAM_REGION.get(partition, "us-east-1")
        if all(a.startswith("iam:") and a != "iam:PassRole" for a in actions):
            return [iam_region]  # IAM alone: its one endpoint
        who = self.evaluator.principal(principal)
        defaults = DEFAULT_REGIONS.get(partition, ())
        named: set[str] = set()
        dependent = False
        for action in actions:
            for statement in self._judging_statements(who, action):
                found, regions = _region_facts(statement)
                dependent = dependent or found
                named.update(regions)
        if not dependent:
            return [iam_region]
        return list(dict.fromkeys([*defaults, *sorted(named)]))

    def _names(self, who: Principal, slot: New, steps: Sequence[Step]) -> list[str]:
        if "{name}" not in slot.path:
            return [slot.neutral]
        names = [slot.neutral]
        for step in steps:
            if step.resource != slot:
                continue
            for statement in self._judging_statements(who, step.action):
                if statement.effect is not Effect.ALLOW or statement.not_resource:
                    continue
                for pattern in statement.resources or ():
                    name = _name_in(slot, pattern)
                    if name:
                        names.append(name)
        return list(dict.fromkeys(names))[:_MAX_NAMES]


@functools.lru_cache(maxsize=16384)
def _arn_regex(pattern: str) -> re.Pattern[str]:
    """`drift.aws.patterns.arn_matches(pattern, arn)` as one regex over the whole ARN (many
    roles are matched against the same few patterns): wildcards stay inside the first five
    colon-separated segments, the last segment takes the rest of the ARN, colons and all."""
    if pattern == "*":
        return re.compile(".*", re.DOTALL)
    segments = pattern.split(":", ARN_PARTS - 1)
    inner = [_segment(s) for s in segments[:-1]]
    return re.compile(":".join([*inner, glob_source(segments[-1])]), re.DOTALL)


def _segment(glob: str) -> str:
    """One of the first five segments: `*` and `?` never cross a colon."""
    return "".join("[^:]*" if c == "*" else "[^:]" if c == "?" else re.escape(c) for c in glob)


def _slots(steps: Sequence[Step]) -> Iterable[New]:
    for step in steps:
        if step.resource is not None:
            yield step.resource
        yield from (slot for _, slot in step.context)


def partition_of(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.partition if parsed else "aws"


def _region_facts(statement: Statement) -> tuple[bool, set[str]]:
    """Whether the statement's answer may depend on the region, and the regions it names."""
    dependent = False
    named: set[str] = set()
    for pattern in statement.resources or ():
        parts = pattern.split(":", 5)
        if len(parts) == 6 and parts[3] not in ("", "*"):
            dependent = True
            if not has_wildcard(parts[3]) and "$" not in parts[3]:
                named.add(parts[3])
    for test in statement.conditions:
        if test.key.lower() in _REGION_KEYS:
            dependent = True
            named.update(v for v in test.values if not has_wildcard(v) and "$" not in v)
    return dependent, named


def _name_in(slot: New, pattern: str) -> str | None:
    """A name for `slot` that the Resource pattern covers (`function:dev-*` -> `dev-x`), or
    None when the pattern does not name such resources by name."""
    parts = pattern.split(":", 5)
    if len(parts) != 6 or parts[2] != slot.service:
        return None
    prefix, _, suffix = slot.path.partition("{name}")
    if not parts[5].startswith(prefix):
        return None
    rest = parts[5][len(prefix) :]
    if suffix[:1]:
        rest = rest.split(suffix[0], 1)[0]
    if not rest or "$" in rest:
        return None
    return rest.replace("*", "x").replace("?", "x")
