"""Counts in SQL, the parts around the counting: the review trail, tolerance bands, the
discrepancy register (a mixin of storage/counts.SqlCounts)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from trueup.domain.counts.approval import Discrepancy, NewDiscrepancy
from trueup.domain.counts.tasks import NewReview, Review
from trueup.domain.counts.tolerance import Band
from trueup.storage.counts.tables import (
    count_review,
    count_tolerance,
    discrepancy,
    discrepancy_event,
)
from trueup.storage.ledger.tables import item, location

_SITE = location.alias("register_site")


class CountRegister:
    connection: Connection
    postgres: bool

    def add_reviews(self, rows: Sequence[NewReview]) -> None:
        if rows:
            self.connection.execute(insert(count_review), [r._asdict() for r in rows])

    def reviews(self, task_id: int) -> list[Review]:
        rows = self.connection.execute(
            select(count_review)
            .where(count_review.c.task_id == task_id)
            .order_by(count_review.c.id)
        )
        return [Review(r.id, r.task_id, r.line_id, r.action, r.actor, r.at, r.detail) for r in rows]

    # -- tolerances and the register ------------------------------------------------
    def tolerances(self) -> dict[tuple[str, str], Band]:
        rows = self.connection.execute(select(count_tolerance))
        return {(r.site, r.abc_class): Band(r.units, Decimal(r.percent)) for r in rows}

    def set_tolerance(self, site: str, abc_class: str, band: Band) -> None:
        self.connection.execute(
            count_tolerance.delete().where(
                count_tolerance.c.site == site, count_tolerance.c.abc_class == abc_class
            )
        )
        self.connection.execute(
            insert(count_tolerance).values(
                site=site, abc_class=abc_class, units=band.units, percent=band.percent
            )
        )

    def add_discrepancies(self, rows: Sequence[NewDiscrepancy], actor: str) -> None:
        """Open these discrepancies (one per line at most) with their first history row."""
        if not rows:
            return
        self.connection.execute(
            insert(discrepancy), [{**r._asdict(), "status": "open"} for r in rows]
        )
        ids = self.connection.execute(
            select(discrepancy.c.id, discrepancy.c.task_id).where(
                discrepancy.c.line_id.in_([r.line_id for r in rows])
            )
        ).all()
        at = rows[0].opened_at
        self.connection.execute(
            insert(discrepancy_event),
            [
                {
                    "discrepancy_id": i,
                    "at": at,
                    "actor": actor,
                    "status": "open",
                    "note": f"count {task}",
                }
                for i, task in ids
            ],
        )

    def discrepancies(self, task_id: int | None = None) -> list[Discrepancy]:
        query = (
            select(
                discrepancy,
                item.c.sku,
                location.c.code.label("location"),
                _SITE.c.code.label("site"),
            )
            .join(item, item.c.id == discrepancy.c.item_id)
            .join(location, location.c.id == discrepancy.c.location_id)
            .outerjoin(_SITE, _SITE.c.id == location.c.site_id)
        )
        if task_id is not None:
            query = query.where(discrepancy.c.task_id == task_id)
        return [
            Discrepancy(
                id=r.id,
                kind=r.kind,
                sku=r.sku,
                location=r.location,
                site=r.site,
                lot=r.lot,
                serial=r.serial,
                task_id=r.task_id,
                line_id=r.line_id,
                expected=r.expected,
                counted=r.counted,
                variance=r.variance,
                value=r.value,
                status=r.status,
                opened_at=r.opened_at,
            )
            for r in self.connection.execute(query.order_by(discrepancy.c.id))
        ]
