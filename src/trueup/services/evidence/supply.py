"""Evidence from purchasing and replenishment: receipts that disagree with their ship
notice or order, receipts never posted, demand far from the policy's, and suppliers that
delivered late.

Orders, policies and demand are kept per site: these answers look at the finding's item
across its site, since a receipt lands at the site and is put away into its bins.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.replenishment.purchasing import Delivery, OrderKind, OrderLine, OrderStatus
from trueup.domain.replenishment.reorder import Policy
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.evidence import reads
from trueup.services.evidence.answers import Answer, Row, no, signed, units, window, yes
from trueup.services.evidence.port import EvidenceUnitOfWork
from trueup.services.replenishment.port import RecordedReceipt


def _ids(uow: EvidenceUnitOfWork, finding: Finding) -> tuple[int, int] | None:
    """The item's and the site's ids, None when either is unknown."""
    item = reads.item(uow, finding.sku)
    site = reads.location(uow, finding.site)
    if item is None or item.id is None or site is None or site.id is None:
        return None
    return item.id, site.id


def _lines(uow: EvidenceUnitOfWork, finding: Finding, kind: str | None = None) -> list[OrderLine]:
    found = _ids(uow, finding)
    if found is None:
        return []
    return reads.order_lines(uow, found[1], finding.sku, kind)


def _line_link(line: OrderLine) -> SourceRecord:
    return SourceRecord("order_line", f"{line.number}/{line.line}")


# -- receiving errors ----------------------------------------------------------------------
def _disagrees(line: OrderLine, r: RecordedReceipt) -> bool:
    """More than expected, or less than a ship notice said or than a line closed on."""
    short_close = line.status is OrderStatus.CLOSED and line.received < line.quantity
    return r.quantity > r.expected or (r.quantity < r.expected and (bool(r.asn) or short_close))


def receipt_disagrees(uow: EvidenceUnitOfWork, finding: Finding, *, lookback_days: int) -> Answer:
    """A receipt of the item at the site, in the window, whose quantity disagrees with its
    ship notice or its order line: confidence 0.9 when the difference is the variance's
    size, 0.6 when not. Or, for more on the floor than recorded, an order line or ship
    notice of exactly the variance that was due and never received: confidence 0.8. Or a
    receipt posted as expected into the finding's very location, the variance a miscount
    of it (at most a tenth of it, or one unit): the receipt was posted as the paperwork
    said, not as counted; confidence 0.6."""
    since, until = window(finding, lookback_days)
    lines = _lines(uow, finding)
    wrong = [
        (line, r)
        for line in lines
        for r in reads.receipts(uow, line.id)
        if since <= r.received_at <= until and _disagrees(line, r)
    ]
    if wrong:
        rows = [_receipt_row(line, r) for line, r in wrong]
        sized = [r for _, r in wrong if abs(r.quantity - r.expected) == abs(finding.variance)]
        if sized:
            return yes(
                "0.9",
                f"a receipt differs from what was expected by"
                f" {units(abs(finding.variance))}, the variance's size",
                rows,
            )
        return yes(
            "0.6",
            "a receipt disagrees with its ship notice or order, by another"
            " amount than the variance",
            rows,
        )
    if finding.variance > 0:
        unposted = _never_posted(uow, finding, lines)
        if unposted:
            return yes(
                "0.8", f"a receipt of {units(finding.variance)} was due and never posted", unposted
            )
    received = [
        (line, r)
        for line in lines
        for r in reads.receipts(uow, line.id)
        if since <= r.received_at <= until
    ]
    miscounted = [(line, r) for line, r in received if _miscount(r, finding)]
    if miscounted:
        return yes(
            "0.6",
            f"a receipt was posted into {finding.location} as expected, and"
            f" {units(abs(finding.variance))} is a miscount of it",
            [_receipt_row(line, r) for line, r in miscounted],
        )
    against = [
        Row(
            f"{line.number} line {line.line}: receipt of {units(r.quantity)} as expected",
            SourceRecord("receipt", str(r.id)),
        )
        for line, r in received
    ]
    return no(
        f"every receipt of {finding.sku} at {finding.site} in {lookback_days} days"
        " agreed with its notice and order",
        against[:10],
    )


def _miscount(r: RecordedReceipt, finding: Finding) -> bool:
    """Whether the variance, where the receipt was put, is a miscount of it: at most a
    tenth of it, or one unit."""
    size = abs(finding.variance)
    return r.location == finding.location and (
        size * 10 <= r.quantity or size <= int(QUANTITY_SCALE)
    )


def _receipt_row(line: OrderLine, r: RecordedReceipt) -> Row:
    against = f"ship notice {r.asn}" if r.asn else f"order {line.number} line {line.line}"
    return Row(
        f"receipt of {units(r.quantity)} {line.sku} at {r.location} on"
        f" {r.received_at:%Y-%m-%d} against {units(r.expected)} expected by {against}"
        f" ({signed(r.quantity - r.expected)})",
        SourceRecord("receipt", str(r.id)),
    )


def _never_posted(uow: EvidenceUnitOfWork, finding: Finding, lines: list[OrderLine]) -> list[Row]:
    """Open lines due by the finding whose ship notice, or whose open quantity, is the
    variance: the goods arrived and were put away, the receipt was never posted."""
    due = [
        line
        for line in lines
        if line.status is OrderStatus.OPEN and line.expected_on <= finding.observed_at.date()
    ]
    rows = []
    for line in due:
        notices = [a for a in uow.purchasing.asns(line.id) if a.quantity == finding.variance]
        rows += [
            Row(
                f"ship notice {a.number} of {units(a.quantity)} {line.sku}, due"
                f" {a.expected_on}, never received",
                SourceRecord("ship_notice", a.number),
            )
            for a in notices
        ]
        if not notices and line.open_quantity == finding.variance:
            rows.append(
                Row(
                    f"{line.number} line {line.line}: {units(line.open_quantity)} due"
                    f" {line.expected_on}, never received",
                    _line_link(line),
                )
            )
    return rows


# -- forecast errors -----------------------------------------------------------------------
def _expected_daily(policy: Policy) -> Decimal | None:
    """What the policy expected a day, in base units: a computed policy's demand mean; a
    fixed one's reorder point over its lead time, when it gives one."""
    mean = policy.inputs.get("demand_mean")
    if mean is not None:
        return Decimal(str(mean))
    if policy.lead_time_days:
        scaled = Decimal(policy.reorder_point) / Decimal(int(QUANTITY_SCALE))
        return scaled / policy.lead_time_days
    return None


def demand_off_forecast(
    uow: EvidenceUnitOfWork, finding: Finding, *, ratio: Decimal, lookback_days: int
) -> Answer:
    """Actual demand a day at the site over the window (sales, issues and transfers out,
    as reorder policies count it) against what the item's policy there expected: beyond
    `ratio` either way is a forecast error. Confidence 0.6 at the ratio, rising to 0.9 at
    twice it."""
    ids = _ids(uow, finding)
    policies = uow.replenishment.policies(site_ids=[ids[1]], item_ids=[ids[0]]) if ids else []
    expected = next((e for p in policies if (e := _expected_daily(p))), None)
    if ids is None or expected is None:
        return no(
            f"no reorder policy of {finding.sku} at {finding.site} says what demand to expect"
        )
    since, until = window(finding, lookback_days)
    demand = uow.replenishment.demand(since, until).get(ids, None)
    actual = Decimal(str(demand.total if demand else 0)) / lookback_days
    found = actual / expected
    off = max(found, 1 / found) if found else Decimal(math.inf)
    link = SourceRecord("reorder_policy", f"{finding.sku}@{finding.site}")
    row = Row(
        f"{finding.sku} at {finding.site}: {_day(actual)} a day over {lookback_days} days"
        f" against {_day(expected)} a day the policy expected",
        link,
    )
    if off < ratio:
        return no(f"demand was within {ratio} times what the policy expected", [row])
    score = Decimal("0.6") + Decimal("0.3") * min(Decimal(1), (off - ratio) / ratio)
    way = "above" if actual > expected else "below"
    return yes(score, f"demand was {_times(off)} times {way} what the policy expected", [row])


def _day(quantity: Decimal) -> str:
    return f"{quantity.quantize(Decimal('0.01')).normalize():f}"


def _times(off: Decimal) -> str:
    return "infinitely many" if off.is_infinite() else _day(off)


# -- supplier delay ------------------------------------------------------------------------
def _days_late(line: OrderLine, today: date) -> int:
    """How long after its promised date a line arrived, or has waited so far."""
    arrived = line.last_received_on if line.received else None
    return ((arrived or today) - line.expected_on).days


def supplier_late(
    uow: EvidenceUnitOfWork, finding: Finding, *, days_late: int, lookback_days: int
) -> Answer:
    """A purchase order line of the item for the site, promised in the window, that
    arrived (or is still awaited) at least `days_late` days after its promised date.
    Confidence 0.7, plus up to 0.2 by the share of the supplier's other lines that were
    as late: a supplier that is often late makes its delay the likelier cause."""
    since, until = window(finding, lookback_days)
    today = until.date()
    lines = [
        line
        for line in _lines(uow, finding, OrderKind.PURCHASE.value)
        if since.date() <= line.expected_on <= today
    ]
    late = [line for line in lines if _days_late(line, today) >= days_late]
    if not late:
        against = [
            Row(
                f"{line.number} line {line.line} from {line.supplier}: promised"
                f" {line.expected_on}, {_days_late(line, today)} day(s) late",
                _line_link(line),
            )
            for line in lines
        ]
        return no(
            f"no order of {finding.sku} for {finding.site} came {days_late} days late", against
        )
    worst = max(late, key=lambda line: _days_late(line, today))
    share = _late_share(uow.purchasing.deliveries(worst.supplier), days_late, today)
    rows = [
        Row(
            f"{line.number} line {line.line} from {line.supplier}: promised"
            f" {line.expected_on}, "
            + (f"arrived {line.last_received_on}" if line.received else "not yet arrived")
            + f", {_days_late(line, today)} days late",
            _line_link(line),
        )
        for line in late
    ]
    rows.append(
        Row(
            f"{worst.supplier} delivered {share * 100:.0f} % of its lines"
            f" {days_late} or more days late",
            SourceRecord("supplier", worst.supplier),
        )
    )
    return yes(
        Decimal("0.7") + Decimal("0.2") * share,
        f"{worst.number} came {_days_late(worst, today)} days after its promised date",
        rows,
    )


def _late_share(deliveries: list[tuple[str, Delivery]], days_late: int, today: date) -> Decimal:
    done = [d for _, d in deliveries if d.received_on is not None or d.promised_on < today]
    if not done:
        return Decimal(0)
    late = [d for d in done if ((d.received_on or today) - d.promised_on).days >= days_late]
    return Decimal(len(late)) / len(done)
