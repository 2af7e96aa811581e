"""`drift can` questions in and answers out: reading a batch of questions, checking every
question before answering any, and rendering answers as text or `design-drift/can/v1` JSON
(documented in docs/can.md, schema docs/can-v1.schema.json; fields are only ever added)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from drift.aws.arns import is_valid_resource
from drift.aws.iam import Answer, Evaluator, Question
from drift.aws.jsonread import JsonReader
from drift.aws.variables import KeyValue, Missing
from drift.errors import InputError
from drift.validation import did_you_mean

CAN_SCHEMA_ID = "design-drift/can/v1"
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9]+$")
_FIELDS = ("principal", "action", "resource", "context")


def read_questions(path: str | Path) -> list[Question]:
    """A JSON list of `{"principal", "action", "resource", "context"?}`; raises InputError
    with every problem, each naming the file and the entry."""
    name = str(path)
    try:
        raw = json.loads(Path(path).read_bytes())
    except ValueError as exc:
        raise InputError([f"{name}: not JSON: {exc}"]) from None
    reader = JsonReader(name=name)
    if not isinstance(raw, list):
        raise InputError([f"{name}: must be a JSON list of questions"])
    questions = [q for i, item in enumerate(raw) if (q := _question(reader, i, item))]
    if reader.problems:
        raise InputError(reader.problems)
    return questions


def _question(reader: JsonReader, index: int, raw: Any) -> Question | None:
    entry = reader.mapping((index,), raw)
    if entry is None:
        return None
    before = reader.count
    reader.unknown_fields((index,), entry, _FIELDS)
    texts = [reader.text((index, f), entry.get(f)) for f in _FIELDS[:3]]
    context = _context(reader, index, entry.get("context"))
    principal, action, resource = texts
    if reader.count > before or principal is None or action is None or resource is None:
        return None
    return Question(principal=principal, action=action, resource=resource, context=context)


def _context(reader: JsonReader, index: int, raw: Any) -> dict[str, KeyValue]:
    """Keys the question sets: a string, a list of strings (a multivalued key), or null (the
    request does not carry the key)."""
    found: dict[str, KeyValue] = {}
    for key, value in (reader.mapping((index, "context"), raw) or {} if raw else {}).items():
        if value is None:
            found[key] = Missing.ABSENT
        elif isinstance(value, str):
            found[key] = (value,)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            found[key] = tuple(value)
        else:
            reader.problem((index, "context", key), "must be a string, a list of them, or null")
    return found


def question_problems(evaluator: Evaluator, questions: Sequence[Question]) -> list[str]:
    """What makes questions unanswerable: principals not in the input, actions that are not
    one `service:Action`, resources that are neither `*` nor an ARN."""
    data = evaluator.data
    problems = []
    for index, question in enumerate(questions):
        where = f"question {index + 1}" if len(questions) > 1 else "question"
        if question.principal not in data.users and question.principal not in data.roles:
            known = [*data.users, *data.roles]
            problems.append(
                f"{where}: principal {question.principal!r} is not a user or role "
                "in the --aws-file inputs" + did_you_mean(question.principal, known)
            )
        if not _ACTION.match(question.action):
            problems.append(
                f"{where}: action {question.action!r} is not one service:Action (no wildcards)"
            )
        if not is_valid_resource(question.resource):
            problems.append(f"{where}: resource {question.resource!r} is neither * nor an ARN")
    return problems


def answer_questions(evaluator: Evaluator, questions: Sequence[Question]) -> list[Answer]:
    """Every answer, in the questions' order; raises InputError first if any question is
    unanswerable."""
    problems = question_problems(evaluator, questions)
    if problems:
        raise InputError(problems)
    return [evaluator.can(q.principal, q.action, q.resource, q.context) for q in questions]


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "principal": answer.principal,
        "action": answer.action,
        "resource": answer.resource,
        "decision": str(answer.decision),
        "denial": None if answer.denial is None else str(answer.denial),
        "statements": [str(s) for s in answer.statements],
        "conditions": [
            {
                "statement": str(n.statement),
                "operator": n.test.operator,
                "key": n.test.key,
                "values": list(n.test.values),
            }
            for n in answer.conditions
        ],
        "reasons": list(answer.reasons),
    }


def render_json(answers: Iterable[Answer]) -> str:
    document = {"schema": CAN_SCHEMA_ID, "decisions": [answer_json(a) for a in answers]}
    return json.dumps(document, indent=2) + "\n"


def render_text(answers: Iterable[Answer]) -> str:
    blocks = []
    for answer in answers:
        verdict = str(answer.decision)
        if answer.denial is not None:
            verdict += f" ({answer.denial})"
        lines = [f"{verdict}: {answer.principal} {answer.action} {answer.resource}"]
        lines.extend(f"  statement {s}" for s in answer.statements)
        lines.extend(f"  condition {n} (not decided by the question)" for n in answer.conditions)
        lines.extend(f"  reason    {r}" for r in answer.reasons)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def context_option_values(pairs: Iterable[str]) -> Mapping[str, KeyValue]:
    """`--context KEY=VALUE`, repeated for a multivalued key."""
    found: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError([f"--context {pair!r}: expected KEY=VALUE"])
        found.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in found.items()}
