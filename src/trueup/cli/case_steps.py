"""`trueup cases request|approve|reject|execute|close`: a case's steps from its diagnosis
to its closing, each taken by the person TRUEUP_ACTOR names, in their user's role (the
SOP decides by role). Registered on the `cases` group by cli/cases.py."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated

import typer

from trueup.cli.common import console, opened, operator, when
from trueup.services.cases.handling import Outcome
from trueup.services.cases.workflow import (
    approve_action,
    close_case,
    execute_action,
    reject_action,
    request_actions,
)

CaseArg = Annotated[int, typer.Argument(help="The case.")]
ActionArg = Annotated[str, typer.Argument(help="The action, by its id (adjust_record...).")]


def request(
    ctx: typer.Context,
    case_id: CaseArg,
    reason: Annotated[str, typer.Option(help="Why, in words (kept on the timeline).")] = "",
) -> None:
    """Request a diagnosed case's proposed actions: each waits for the approval levels of
    the SOP's matrix, or is approved at once when its row needs none (a correction that
    needs no approval is posted at once).

    Who requests may not approve. A transfer's source and the order to change are chosen
    now when they can be.

    Example: trueup cases request 3 --reason "count confirmed by a second counter"
    """
    with opened(ctx) as system:
        done = request_actions(system.uow, case_id, caller=operator(system), reason=reason)
    _say(done, system.settings.timezone)


def approve(
    ctx: typer.Context,
    case_id: CaseArg,
    action_id: ActionArg,
    reason: Annotated[str, typer.Option(help="Why, in words (kept on the timeline).")] = "",
) -> None:
    """Approve a requested action at the level it waits for; the last level of a system
    correction posts it, once, and the case is validated by reading the record.

    Refused to its requester, to whoever counted the variance, and to a role the level
    does not name.

    Example: trueup cases approve 3 adjust_record --reason "matches the recount"
    """
    with opened(ctx) as system:
        done = approve_action(
            system.uow, case_id, action_id, caller=operator(system), reason=reason
        )
    _say(done, system.settings.timezone)


def reject(
    ctx: typer.Context,
    case_id: CaseArg,
    action_id: ActionArg,
    reason: Annotated[str, typer.Option(help="Why, in words (required).")],
) -> None:
    """Reject a requested action, saying why: it is void and nothing is posted; when
    every action is void the case is diagnosed again.

    Example: trueup cases reject 3 adjust_record --reason "recount the bin first"
    """
    with opened(ctx) as system:
        done = reject_action(system.uow, case_id, action_id, caller=operator(system), reason=reason)
    _say(done, system.settings.timezone)


def execute(ctx: typer.Context, case_id: CaseArg, action_id: ActionArg) -> None:
    """Execute an approved action your role owns: post a transfer from the location with
    the most stock, create a recount's count task, name the open order changed, or say a
    process fix is done. When every approved action is executed, the case is validated.

    Example: trueup cases execute 3 transfer_stock
    """
    with opened(ctx) as system:
        done = execute_action(system.uow, case_id, action_id, caller=operator(system))
    _say(done, system.settings.timezone)


def close(
    ctx: typer.Context,
    case_id: CaseArg,
    lessons: Annotated[str, typer.Option(help="The lessons learned, in words.")] = "",
    no_action: Annotated[
        bool, typer.Option("--no-action", help="Close an open or diagnosed case without action.")
    ] = False,
    reason: Annotated[str, typer.Option(help="With --no-action: why, in words.")] = "",
) -> None:
    """Close a resolved case with the lessons learned (--lessons), or an open or diagnosed
    case without action (--no-action --reason).

    Example: trueup cases close 3 --lessons "label the bins of look-alike items"
    """
    with opened(ctx) as system:
        done = close_case(
            system.uow,
            case_id,
            caller=operator(system),
            lessons=lessons,
            no_action=no_action,
            reason=reason,
        )
    _say(done, system.settings.timezone)


def _say(done: Outcome, zone: tzinfo | None) -> None:
    case = done.case
    lines = [f"case {case.id}: {case.status.value}"]
    for a in case.current_actions:
        waits = (
            f", waits for {a.next_level}" if a.next_level and a.status.value == "pending" else ""
        )
        did = f", as {a.executed_as}" if a.executed_as else ""
        lines.append(f"  {a.action_id}: {a.status.value}{waits}{did}")
    if done.posted:
        lines.append("posted movement(s) " + ", ".join(str(i) for i in done.posted))
    if case.follow_up_due is not None and case.status.value == "validated":
        lines.append(f"follow-up count due {when(case.follow_up_due, zone)}")
    lines.append(f"  {case.timeline[-1].reason}")
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def register_steps(app: typer.Typer) -> None:
    """The steps as commands of the `cases` group."""
    for command in (request, approve, reject, execute, close):
        app.command()(command)
