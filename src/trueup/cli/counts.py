"""`trueup counts`: plan, generate, list, tolerance, and one count's operations (show,
enter, void, submit, cancel, review, send-back, approve, report: count_tasks.py).

Every command but `review`, `approve` and `report --reveal` is blind: none prints what a
count is expected to find (docs/counts.md).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from trueup.api.collector import gc_paused
from trueup.cli import count_tasks
from trueup.cli.common import console, opened, operator, when
from trueup.domain.errors import InputError
from trueup.domain.values import format_quantity
from trueup.services.counts import plans as count_plans
from trueup.services.counts import review as count_review
from trueup.services.counts import tasks as counts
from trueup.services.ledger.codes import require_known

app = typer.Typer(
    help="Physical counts: full, ABC cycle and targeted; blind entry, recounts, review.",
    no_args_is_help=True,
)


def _cycle(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        klass, _, days = part.partition("=")
        if not days.strip().isdigit():
            raise InputError("cycle days like A=30,B=90,C=365", field="--cycle-days", value=text)
        out[klass.strip().upper()] = int(days)
    return out


@app.command()
def plan(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the plan.")],
    kind: Annotated[str, typer.Option(help="full, cycle or targeted.")] = "full",
    scope: Annotated[str, typer.Option(help="The site or zone it covers.")] = "",
    every_days: Annotated[
        int | None, typer.Option(help="Full counts: days between two (30: monthly).")
    ] = None,
    cycle_days: Annotated[
        str, typer.Option(help="Cycle counts: days per ABC class, e.g. A=30,B=90,C=365.")
    ] = "",
    combine: Annotated[str, typer.Option(help="sum (split areas) or agree.")] = "sum",
    role: Annotated[str, typer.Option(help="The role the tasks are assigned to.")] = (
        "warehouse_staff"
    ),
    user: Annotated[str, typer.Option(help="Or one user.")] = "",
    due_days: Annotated[int, typer.Option(help="Days from generation to the due date.")] = 7,
    sku: Annotated[list[str] | None, typer.Option(help="Targeted: an item (repeatable).")] = None,
    location: Annotated[
        list[str] | None, typer.Option(help="Targeted: a location (repeatable).")
    ] = None,
) -> None:
    """Plan a full, cycle or targeted count.

    Example: trueup counts plan "DC1 monthly" --kind full --scope DC1
    """
    if not scope:
        raise typer.BadParameter("the site or zone to count", param_hint="--scope")
    with opened(ctx) as system:
        require_known(system.uow, skus=sku or (), locations=location or ())
        made = count_plans.create_plan(
            system.uow,
            name=name,
            kind=kind,
            scope=scope,
            caller=operator(system),
            every_days=every_days,
            cycle_days=_cycle(cycle_days),
            combine_as=combine,
            assign_role=role,
            assign_user=user,
            due_days=due_days,
            skus=sku or (),
            locations=location or (),
        )
        next_at = when(made.next_at, system.settings.timezone)
    console.print(f"plan {made.id} ({made.kind.value} count of {made.scope}) next {next_at}")


@app.command()
def generate(
    ctx: typer.Context,
    plan_id: Annotated[
        int | None, typer.Option("--plan", help="This plan now, due or not.")
    ] = None,
) -> None:
    """Make the count tasks of every due plan (run it daily), or of one plan now.

    Example: trueup counts generate
    """
    with opened(ctx) as system, gc_paused():
        made = count_plans.generate(system.uow, caller=operator(system), plan_id=plan_id)
        zone = system.settings.timezone
    for t in made:
        due = when(t.due_at, zone)
        console.print(f"count {t.id}: {t.kind.value} at {t.scope}, {t.lines} lines, due {due}")
    if not made:
        console.print("no plan is due")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option(help="Only this status.")] = None,
    plans: Annotated[bool, typer.Option("--plans", help="List the plans instead.")] = False,
) -> None:
    """Count tasks (or plans), newest first.

    Example: trueup counts list --status open
    """
    with opened(ctx) as system:
        zone = system.settings.timezone
        if plans:
            table = Table("plan", "name", "kind", "scope", "every", "combine", "next")
            for p in count_plans.plans(system.uow):
                table.add_row(
                    str(p.id),
                    p.name,
                    p.kind.value,
                    p.scope,
                    f"{p.every_days} d",
                    p.combine.value,
                    when(p.next_at, zone),
                )
            console.print(table)
            return
        found = counts.tasks(system.uow, status or (), caller=operator(system))
    table = Table("count", "kind", "scope", "status", "round", "lines", "assigned", "due")
    for t in found:
        table.add_row(
            str(t.id),
            t.kind.value,
            t.scope,
            t.status.value,
            str(t.round),
            str(t.lines),
            t.assign_user or t.assign_role,
            when(t.due_at, zone),
        )
    console.print(table)


# One count's operations (count_tasks.py), listed after the planning commands.
app.registered_commands += count_tasks.app.registered_commands


@app.command()
def tolerance(
    ctx: typer.Context,
    abc_class: Annotated[str, typer.Argument(help="A, B or C.")],
    site: Annotated[str, typer.Option(help="The site, or * for any.")] = "*",
    units: Annotated[str, typer.Option(help="Absolute band in base units.")] = "0",
    percent: Annotated[str, typer.Option(help="Band in % of the expected quantity.")] = "0",
) -> None:
    """Set a tolerance band: within when |variance| <= max(units, percent of expected).

    Example: trueup counts tolerance B --site DC1 --units 1 --percent 2
    """
    with opened(ctx) as system:
        require_known(system.uow, sites=[site] if site != "*" else [])
        band = count_review.set_tolerance(system.uow, site, abc_class, units, percent)
    console.print(
        f"{site}/{abc_class.upper()}: {format_quantity(band.units)} units, {band.percent} %"
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="counts")
