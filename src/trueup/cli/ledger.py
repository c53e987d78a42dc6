"""`trueup ledger` (history) and `trueup reverse`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, tzinfo
from typing import Annotated

import typer
from rich.table import Table

from trueup.cli.common import Format, SafeCsv, console, errors, opened, operator
from trueup.cli.stock import parse_time
from trueup.domain.ledger.model import Movement
from trueup.domain.values import format_quantity, show_time
from trueup.services.ledger.codes import require_known
from trueup.services.ledger.port import HistoryFilter
from trueup.services.ledger.posting import reverse as reverse_movement
from trueup.services.ledger.queries import history

#: `--format csv`: the movements file's columns first (docs/formats.md), so that the output
#: imports again (`trueup import movements`); the rest are the ledger's own, which an
#: import ignores.
COLUMNS = (
    "external_id",
    "occurred_at",
    "kind",
    "sku",
    "quantity",
    "from_location",
    "to_location",
    "lot",
    "serial",
    "reason",
    "reference",
    "source",
    "id",
    "recorded_at",
    "actor",
    "reverses",
)


def _row(m: Movement) -> list[str]:
    return [
        m.external_id,
        m.occurred_at.astimezone(UTC).isoformat(),
        m.kind.value,
        m.sku,
        format_quantity(m.quantity),
        m.from_location,
        m.to_location,
        m.lot,
        m.serial,
        m.reason,
        m.reference,
        m.source,
        str(m.id),
        m.recorded_at.astimezone(UTC).isoformat(),
        m.actor,
        "" if m.reverses is None else str(m.reverses),
    ]


def ledger(
    ctx: typer.Context,
    sku: Annotated[str | None, typer.Option(help="Movements of this SKU.")] = None,
    location: Annotated[
        str | None, typer.Option(help="Movements into or out of this location.")
    ] = None,
    site: Annotated[
        list[str] | None,
        typer.Option(help="Movements into or out of any location of this site (repeatable)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Occurred at or after: ISO 8601, or a date (from its start)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Occurred at or before: ISO 8601, or a date (to its end)."),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Show the latest N movements (oldest first).")
    ] = 1000,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """The movements of an item and/or a location, in the order they occurred.

    Dates and times without an offset are in TRUEUP_TIMEZONE (else UTC), and the table
    shows times in that zone. `--format csv` writes the movements file format, in the
    order the movements were recorded, so that it imports into another database.

    Example: trueup ledger --sku SKU-001 --since 2026-03-01 --until 2026-03-31
    """
    with opened(ctx) as system:
        zone = system.settings.timezone
        query = HistoryFilter(
            sku=sku,
            location=location,
            since=parse_time(since, "--since", zone),
            until=parse_time(until, "--until", zone, end_of_day=True),
            limit=limit,
            sites=tuple(site or ()),
        )
        require_known(
            system.uow,
            skus=[sku] if sku else [],
            locations=[location] if location else [],
            sites=query.sites,
        )
        rows = history(system.uow, query)
    if len(rows) >= limit and output is not Format.TABLE:
        errors.print(
            f"only the latest {limit} movements were written; --limit N for more",
            markup=False,
            highlight=False,
        )
    if output is Format.CSV:
        writer = SafeCsv(sys.stdout)
        writer.writerow(COLUMNS)
        writer.writerows(_row(m) for m in sorted(rows, key=_recorded_order))
        return
    if output is Format.JSON:
        sys.stdout.write(
            json.dumps(
                [dict(zip(COLUMNS, _row(m), strict=True)) for m in rows],
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )
        return
    console.print(_table(rows, zone))


def _recorded_order(m: Movement) -> int:
    return m.id


def _table(rows: list[Movement], zone: tzinfo | None) -> Table:
    table = Table(
        "id",
        "occurred_at",
        "kind",
        "sku",
        "from",
        "to",
        "quantity",
        "source",
        "external_id",
        title="ledger",
    )
    for m in rows:
        table.add_row(
            str(m.id),
            show_time(m.occurred_at, zone),
            m.kind.value,
            m.sku,
            m.from_location,
            m.to_location,
            format_quantity(m.quantity),
            m.source,
            m.external_id,
        )
    return table


def reverse(
    ctx: typer.Context,
    movement: Annotated[int, typer.Argument(help="The id of the movement to reverse.")],
    reason: Annotated[str, typer.Option(help="Why the movement was wrong (kept in the ledger).")],
) -> None:
    """Post the movement that undoes MOVEMENT; the ledger itself never changes.

    Example: trueup reverse 42 --reason "scanned the wrong SKU"
    """
    with opened(ctx) as system:
        posted, _report = reverse_movement(
            system.uow, movement, reason=reason, caller=operator(system)
        )
    console.print(
        f"movement {posted.id} reverses movement {movement}: "
        f"{format_quantity(posted.quantity)} {posted.sku} "
        f"{posted.from_location} -> {posted.to_location}"
    )


def register(app: typer.Typer) -> None:
    app.command()(ledger)
    app.command()(reverse)
