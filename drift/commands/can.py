"""`drift can`: may this IAM principal do this action on this resource?

Exit codes: 0 whatever the decisions (a deny is an answer, not a failure), 2 for bad input
(an unreadable or invalid --aws-file, a principal not in it, a malformed question), 3 for an
internal error.
"""

from __future__ import annotations

import click

from drift.aws.documents import read_aws_files
from drift.aws.iam import Evaluator, Question
from drift.aws.questions import (
    answer_questions,
    context_option_values,
    read_questions,
    render_json,
    render_text,
)
from drift.commands.common import handle_errors, output_option, write_output


@click.command("can")
@click.option(
    "--aws-file",
    "aws_files",
    multiple=True,
    required=True,
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="IAM authorization details, resource policies, SCPs or the AWS managed policy set "
    "(JSON; repeatable).",
)
@click.option(
    "--queries",
    metavar="FILE",
    help='A JSON list of {"principal", "action", "resource"} questions, answered in order.',
)
@click.option(
    "--context",
    "context",
    multiple=True,
    metavar="KEY=VALUE",
    help="A condition key the request carries (repeat a key for several values).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@output_option
@click.argument("question", nargs=-1, metavar="[PRINCIPAL_ARN ACTION RESOURCE_ARN]")
@handle_errors
def can(
    aws_files: tuple[str, ...],
    queries: str | None,
    context: tuple[str, ...],
    fmt: str,
    output: str | None,
    question: tuple[str, ...],
) -> None:
    """Decide allow, deny (explicit or implicit) or conditional for a request, with the
    statements that decide it. Exit 0 whatever the decision."""
    if bool(queries) == bool(question):
        raise click.UsageError("give PRINCIPAL_ARN ACTION RESOURCE_ARN, or --queries FILE")
    if question and len(question) != 3:
        raise click.UsageError("expected exactly PRINCIPAL_ARN ACTION RESOURCE_ARN")
    if queries:
        questions = read_questions(queries)
    else:
        principal, action, resource = question
        questions = [
            Question(
                principal=principal,
                action=action,
                resource=resource,
                context=context_option_values(context),
            )
        ]
    answers = answer_questions(Evaluator(read_aws_files(aws_files)), questions)
    write_output(render_json(answers) if fmt == "json" else render_text(answers), output)
