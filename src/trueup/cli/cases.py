"""`trueup cases`: detect (sweep the sources for findings), report (what a person saw),
list, show; the steps from request to closing are in cli/case_steps.py."""

from __future__ import annotations

import dataclasses
from datetime import datetime, tzinfo
from typing import Annotated

import typer

from trueup.cli.case_steps import register_steps
from trueup.cli.common import Format, console, opened, operator, show_rows, when
from trueup.domain.cases.actions import Parameters, ProposedAction
from trueup.domain.cases.case import Case, Hypothesis
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.values import format_quantity
from trueup.services.cases import queries
from trueup.services.cases.detection import detect as detect_cases
from trueup.services.cases.reports import Reported, report_exception

app = typer.Typer(
    help="Cases of the imbalance SOP: detect them, list and show them, request, approve, reject\n"
    "and execute their actions, close them.",
    no_args_is_help=True,
)
#: The columns of `cases list` (docs/formats.md#cases).
CASE_COLUMNS = (
    "case_id",
    "opened_at",
    "sku",
    "location",
    "site",
    "classification",
    "root_cause",
    "confidence",
    "variance_quantity",
    "variance_value",
    "status",
    "sop_version",
    "findings",
)


def case_row(case: Case, zone: tzinfo | None) -> list[str]:
    """One case: the root cause is its top hypothesis; the variance is the finding's that
    opened it."""
    top = case.hypotheses[0] if case.hypotheses else None
    first = case.findings[0]
    return [
        str(case.id),
        when(case.opened_at, zone),
        case.sku,
        case.location,
        case.site,
        case.classification.value,
        top.cause.value if top is not None else "",
        str(top.confidence) if top is not None else "",
        format_quantity(first.variance),
        "" if first.value is None else str(first.value),
        case.status.value,
        str(case.sop_version),
        str(len(case.findings)),
    ]


@app.command()
def detect(ctx: typer.Context) -> None:
    """Sweep the findings (count variances, receiving discrepancies, negative on-hand,
    alerts left open) under the SOP in force: open and diagnose cases, attach findings.

    Running it again opens nothing new and attaches nothing twice.

    Example: trueup cases detect
    """
    with opened(ctx) as system:
        done = detect_cases(system.uow, caller=operator(system))
    say = console.print
    say(
        f"cases: {len(done.opened)} opened, {len(done.attached)} finding(s) attached "
        f"(SOP version {done.sop_version})",
        markup=False,
        highlight=False,
    )
    for case in done.opened:
        cause = case.root_cause.value if case.root_cause is not None else "unknown"
        say(
            f"opened case {case.id}: {case.classification.value} of {case.sku} at "
            f"{case.location}, root cause {cause}",
            markup=False,
            highlight=False,
        )
    for case, finding in done.attached:
        say(f"attached to case {case.id}: {_finding(finding)}", markup=False, highlight=False)


@app.command()
def report(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The item.")],
    location: Annotated[str, typer.Argument(help="Where it was seen.")],
    says: Annotated[str, typer.Option("--says", help="What you saw, in words.")],
    seen: Annotated[
        str | None,
        typer.Option("--seen", help="The quantity you counted there, in base units (0: none)."),
    ] = None,
) -> None:
    """Report an exception seen at an item-location: beyond the SOP's thresholds it opens a
    diagnosed case; otherwise it joins the open case of the item-location, or is not kept
    and the answer says why. Without --seen it opens no case by itself.

    Example: trueup cases report A DC1-A-01 --seen 2 --says "carton torn, 8 missing"
    """
    with opened(ctx) as system:
        done = report_exception(
            system.uow, sku=sku, location=location, seen=seen, says=says, caller=operator(system)
        )
    console.print(reported(done), markup=False, highlight=False)


def reported(done: Reported) -> str:
    """What a report did, in one line."""
    f = done.finding
    said = (
        f"report {f.source.id}: {f.kind.value} {format_quantity(f.variance)} "
        f"of {f.sku} at {f.location}"
    )
    if done.case is not None and done.outcome == "opened":
        cause = done.case.root_cause.value if done.case.root_cause is not None else "unknown"
        return (
            f"{said}: opened case {done.case.id} ({done.case.classification.value}, "
            f"root cause {cause})"
        )
    if done.case is not None:
        return f"{said}: attached to case {done.case.id}"
    return f"{said}: not kept: {done.why}"


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(help="open, diagnosed, awaiting_approval, ... closed [default: all]."),
    ] = None,
    site: Annotated[str | None, typer.Option(help="One site.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """Cases, oldest first, one row each with its root cause.

    Example: trueup cases list --status diagnosed --site DC1 --format csv
    """
    with opened(ctx) as system:
        found = queries.list_cases(system.uow, status=status, site=site, caller=operator(system))
        zone = system.settings.timezone
    show_rows(CASE_COLUMNS, [case_row(c, zone) for c in found], output)


@app.command()
def show(ctx: typer.Context, case_id: Annotated[int, typer.Argument(help="The case.")]) -> None:
    """One case whole: findings, the path through the tree, hypotheses with their
    evidence, proposed actions and the timeline.

    Example: trueup cases show 3
    """
    with opened(ctx) as system:
        case = queries.get_case(system.uow, case_id, caller=operator(system))
        zone = system.settings.timezone
    for line in _lines(case, zone):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _lines(case: Case, zone: tzinfo | None) -> list[str]:
    lot = f" lot {case.lot}" if case.lot else ""
    lines = [
        f"case {case.id}: {case.classification.value} of {case.sku} at {case.location}{lot} "
        f"(site {case.site or '-'}, class {case.abc or '-'})",
        f"status {case.status.value}, SOP version {case.sop_version}, "
        f"opened {when(case.opened_at, zone)}",
        "",
        "findings:",
        *(f"  {when(f.observed_at, zone)}  {_finding(f)}" for f in case.findings),
    ]
    if case.hypotheses:
        lines += ["", "path through the tree:"]
        lines += [
            f"  {s.node}: {s.question} ({s.evidence}) -> {'yes' if s.answer else 'no'}"
            for s in case.hypotheses[0].path
        ]
        lines += ["", "hypotheses:"]
        for rank, h in enumerate(case.hypotheses, start=1):
            lines += _hypothesis(rank, h)
    if case.actions:
        lines += ["", "proposed actions:"]
        for a in case.actions:
            lines += _action(a, zone)
    if case.follow_up_due is not None:
        lines += ["", f"follow-up count due {when(case.follow_up_due, zone)}"]
    if case.lessons:
        lines += ["", f"lessons: {case.lessons}"]
    lines += ["", "timeline:"]
    lines += [
        f"  {when(e.at, zone)}  {e.from_status.value} -> {e.to_status.value}  "
        f"{e.actor}{f' ({e.role.value})' if e.role else ''}  SOP v{e.sop_version}: {e.reason}"
        for e in case.timeline
    ]
    return lines


def _action(a: ProposedAction, zone: tzinfo | None) -> list[str]:
    """An action, who requested it until when, each level's decision, what it posted."""
    lines = [
        f"  {a.action_id} ({a.kind.value}), owner {a.owner.value}, {a.status.value}, "
        f"round {a.round}: {_parameters(a.parameters, zone)}"
    ]
    if a.requested_by:
        levels = " then ".join(a.levels) or "no approval needed"
        lapses = f", lapses {when(a.expires_at, zone)}" if a.expires_at else ""
        lines.append(
            f"     requested by {a.requested_by} {when(a.requested_at, zone)} ({levels}){lapses}"
        )
    for p in a.approvals:
        said = f": {p.reason}" if p.reason else ""
        lines.append(
            f"     {p.decision.value} at level {p.level} by {p.approver} ({p.role.value}) "
            f"{when(p.at, zone)}{said}"
        )
    if a.executed_at is not None:
        lines.append(f"     executed {when(a.executed_at, zone)} as {a.executed_as or '-'}")
    return lines


def _hypothesis(rank: int, h: Hypothesis) -> list[str]:
    lines = [f"  {rank}. {h.cause.value} (confidence {h.confidence}, leaf {h.leaf})"]
    for side, rows in (("for", h.evidence_for), ("against", h.evidence_against)):
        for row in rows:
            links = ", ".join(f"{r.kind} {r.id}" for r in row.records)
            lines.append(
                f"     {side}: [{row.evidence}] {row.says}" + (f" <{links}>" if links else "")
            )
    return lines


def _finding(f: Finding) -> str:
    said = f"{f.kind.value} {format_quantity(f.variance)} ({f.source.kind} {f.source.id})"
    extra = [f.says] if f.says else []
    if f.counter:
        extra.append(f"counted by {f.counter}")
    return said + (": " + "; ".join(extra) if extra else "")


def _parameters(parameters: Parameters, zone: tzinfo | None) -> str:
    """The parameters as a person reads them: quantities as the ledger formats them,
    times in the installation's zone."""
    cells = []
    for field in dataclasses.fields(parameters):
        value = getattr(parameters, field.name)
        if field.name == "quantity" and isinstance(value, int):
            value = format_quantity(value)
        elif isinstance(value, datetime):
            value = when(value, zone)
        elif isinstance(value, SourceRecord):
            value = f"{value.kind} {value.id}"
        elif isinstance(value, tuple):
            value = "; ".join(str(v) for v in value)
        cells.append(f"{field.name} {value}")
    return ", ".join(cells)


register_steps(app)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="cases")
