"""A missing event: a manual-log entry that the system lacks and that explains the
variance (the floor saw it happen; the record never heard of it)."""

from __future__ import annotations

from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.services.evidence.answers import Answer, Row, no, signed, window, yes
from trueup.services.evidence.port import EvidenceUnitOfWork, LogMiss


def _row(miss: LogMiss) -> Row:
    ref = f", reference {miss.reference}" if miss.reference else ""
    who = f" by {miss.recorded_by}" if miss.recorded_by else ""
    return Row(
        f"{miss.log} line {miss.line}: {signed(miss.quantity)} {miss.sku} at {miss.location}"
        f" on {miss.at:%Y-%m-%d %H:%M}{ref}, logged{who}, not in the system",
        SourceRecord("manual_log", str(miss.id)),
    )


def missing_event(uow: EvidenceUnitOfWork, finding: Finding, *, lookback_days: int) -> Answer:
    """Entries of the item at the location in the window that reconciling found missing in
    the system: confidence 0.9 when one entry is the variance, 0.75 when several together
    make it; entries of another size are shown against."""
    since, until = window(finding, lookback_days)
    misses = uow.manual_logs.misses(finding.sku, finding.location, since, until)
    matching = [m for m in misses if m.quantity == finding.variance]
    if matching:
        return yes(
            "0.9",
            f"a manual log shows {signed(finding.variance)} the system lacks",
            [_row(m) for m in matching],
        )
    if misses and sum(m.quantity for m in misses) == finding.variance:
        return yes(
            "0.75",
            f"{len(misses)} manual-log entries the system lacks make {signed(finding.variance)}",
            [_row(m) for m in misses],
        )
    return no(
        f"no manual-log entry the system lacks makes {signed(finding.variance)}",
        [_row(m) for m in misses[:10]],
    )
