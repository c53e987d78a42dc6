"""Operations at the distribution centres: receiving, put-away, picks, write-offs, reorders."""

from __future__ import annotations

from datetime import timedelta
from math import ceil

from trueup.analytics.simulation.books import UNTRACKED, Tag, agreed
from trueup.analytics.simulation.business import PICK_CHANCE, Business
from trueup.analytics.simulation.feed import Event, PurchaseLine, timestamp
from trueup.analytics.simulation.world import Dc, Sku

WRITE_OFF_CHANCE = 0.002  # per DC-item-day: damage found and scrapped on record


def deliver_to_stores(b: Business) -> None:
    for store, code, tag, quantity, order in b.shipments.pop(b.day, []):
        sku = b.sku(code)
        b.move(sku, "in_transit", store, tag, quantity)
        b.in_transit_to[(store, code)] -= quantity
        at = timestamp(b.today(), 7 * 60 + b.rng.randrange(60))
        b.feed.report(
            b.day,
            b.event(
                at,
                "transfer_in",
                sku,
                quantity,
                "in_transit",
                store,
                tag,
                "wms",
                reference=order,
            ),
        )


def receive(b: Business) -> None:
    for line in b.arrivals.pop(b.day, []):
        sku = b.sku(line.sku)
        dc = b.dc(line.dc)
        b.on_order[(dc.code, sku.code)] -= line.quantity
        at = timestamp(b.today(), 8 * 60 + b.rng.randrange(90))
        b.put_away[dc.code][sku.code] = sku
        if sku.tracking == "serial":
            for tag, q in b.tags(sku, line.quantity, ""):
                b.move(sku, "supplier", dc.receiving, tag, q, "receipt")
                b.feed.send(
                    b.event(
                        at,
                        "receipt",
                        sku,
                        q,
                        "supplier",
                        dc.receiving,
                        tag,
                        "erp",
                        reference=line.po_number,
                    )
                )
            continue
        tag = (line.lot, "")
        event = b.event(
            at,
            "receipt",
            sku,
            line.quantity,
            "supplier",
            dc.receiving,
            tag,
            "erp",
            reference=line.po_number,
        )
        if sku.pack > 1:
            event = event._replace(unit="case", entered=line.quantity // sku.pack)
        _receive_line(b, sku, dc.receiving, tag, event)


def _receive_line(b: Business, sku: Sku, receiving: str, tag: Tag, event: Event) -> None:
    """One receipt line, per its ASN: at most one receiving or unit-of-measure fault."""
    shipped = event.quantity
    if b.log.strikes("receipt_not_recorded"):
        b.move(sku, "supplier", receiving, tag, shipped, "receipt")
        b.log.record(
            "receipt_not_recorded",
            b.day,
            event.occurred_at,
            [(sku.code, receiving, shipped)],
            quantity=shipped,
            external_id=event.external_id,
        )
        return
    if b.log.strikes("receiving_count_error"):
        error = b.rng.randint(1, max(1, shipped // 10)) * b.rng.choice((-1, 1))
        b.move(sku, "supplier", receiving, tag, shipped + error, "receipt")
        b.log.record(
            "receiving_count_error",
            b.day,
            event.occurred_at,
            [(sku.code, receiving, error)],
            quantity=abs(error),
            external_id=event.external_id,
            detail=f"ASN {shipped}, arrived {shipped + error}",
        )
        b.feed.send(event)
        return
    b.move(sku, "supplier", receiving, tag, shipped, "receipt")
    if event.unit and b.log.strikes("uom_mismatch"):
        wrong = event._replace(unit="", quantity=event.entered)
        b.log.record(
            "uom_mismatch",
            b.day,
            event.occurred_at,
            [(sku.code, receiving, shipped - wrong.quantity)],
            quantity=shipped - wrong.quantity,
            external_id=event.external_id,
            detail=f"{event.entered} {event.unit} posted as each",
        )
        b.feed.send_instead(event, wrong)
        return
    b.feed.report(b.day, event)


def put_away(b: Business, dc: Dc) -> None:
    pending = b.put_away[dc.code]
    for code, sku in list(pending.items()):
        target = dc.bin_of(sku)
        at = timestamp(b.today(), 10 * 60 + b.rng.randrange(120))
        for tag, q in agreed(b.truth, b.record, code, dc.receiving, 10**9):
            b.move(sku, dc.receiving, target, tag, q)
            b.feed.send(
                b.event(at, "transfer", sku, q, dc.receiving, target, tag, "wms", "put-away")
            )
        if b.truth.total(code, dc.receiving) <= 0:
            del pending[code]


def picks_and_write_offs(b: Business, dc: Dc) -> None:
    skus = b.world.skus
    for sku in skus:
        where = dc.bin_of(sku)
        if b.rng.random() < PICK_CHANCE:
            _pick(b, dc, sku, b.rng.randint(1, 2 * sku.pack))
        on_hand = b.truth.total(sku.code, where)
        if on_hand > 0 and b.log.strikes("damage"):
            b.shrink(
                "damage",
                sku,
                where,
                b.rng.randint(1, min(2, on_hand)),
                "damaged in the bin, not recorded",
            )
        if b.rng.random() < WRITE_OFF_CHANCE:
            at = timestamp(b.today(), 18 * 60)
            for tag, q in agreed(b.truth, b.record, sku.code, where, b.rng.randint(1, 2)):
                b.move(sku, where, "scrap", tag, q, "scrap")
                b.feed.send(
                    b.event(at, "scrap", sku, q, where, "scrap", tag, "wms", "damaged in handling")
                )


def _pick(b: Business, dc: Dc, sku: Sku, ordered: int) -> None:
    """A pick for a trade customer; a mis-pick takes the next SKU from its bin instead."""
    at = timestamp(b.today(), 11 * 60 + b.rng.randrange(240))
    order = f"SO-{dc.code}-{b.day:03d}-{sku.index:05d}"
    where = dc.bin_of(sku)
    partner = b.world.skus[(sku.index + 1) % len(b.world.skus)]
    swap_from = dc.bin_of(partner)
    if (
        sku.tracking == partner.tracking == "none"
        and partner is not sku
        and b.truth.total(partner.code, swap_from) > 0
        and b.log.strikes("mispick")
    ):
        q = min(ordered, b.truth.total(partner.code, swap_from))
        b.move(partner, swap_from, "customer", UNTRACKED, q, "issue")
        event = b.event(at, "issue", sku, q, where, "customer", UNTRACKED, "wms", reference=order)
        b.feed.send(event)
        touched = [(sku.code, where, q), (partner.code, swap_from, -q)]
        b.log.record(
            "mispick",
            b.day,
            at,
            touched,
            quantity=q,
            external_id=event.external_id,
            detail=f"picked {partner.code} for {sku.code}",
        )
        return
    for tag, q in b.truth.take_fifo(sku.code, where, ordered):
        b.move(sku, where, "customer", tag, q, "issue")
        b.feed.report(
            b.day,
            b.event(at, "issue", sku, q, where, "customer", tag, "wms", reference=order),
        )


def reorder(b: Business, dc: Dc) -> None:
    for sku in b.world.skus:
        rate = b.dc_rate[(dc.code, sku.code)]
        lead = sku.supplier.promised_lead_days
        reorder_point = ceil(rate * (lead + 2)) + ceil(rate * 2)
        on_record = b.record.total(sku.code, dc.bin_of(sku)) + b.record.total(
            sku.code, dc.receiving
        )
        position = max(0, on_record) + b.on_order[(dc.code, sku.code)]
        if position > reorder_point:
            continue
        cases = ceil((reorder_point + ceil(rate * 14) - position) / sku.pack)
        _order(b, dc, sku, max(1, cases) * sku.pack, lead)


def _order(b: Business, dc: Dc, sku: Sku, quantity: int, lead: int) -> None:
    b.po_numbers += 1
    po = f"PO-{b.po_numbers:07d}"
    ordered = b.today()
    delay = 0
    if b.log.strikes("supplier_delay"):
        delay = b.rng.randint(1, 7)
        b.log.record(
            "supplier_delay",
            b.day,
            timestamp(ordered, 16 * 60),
            [(sku.code, dc.receiving, 0)],
            quantity=quantity,
            external_id=po,
            detail=f"{delay} day(s) late",
        )
    arrives = b.day + lead + delay
    line = PurchaseLine(
        po,
        1,
        sku.supplier.code,
        dc.code,
        sku.code,
        quantity,
        ordered,
        ordered + timedelta(days=lead),
        ordered + timedelta(days=lead + delay - 1),
        ordered + timedelta(days=lead + delay),
        f"L{po[3:]}" if sku.tracking == "lot" else "",
    )
    b.sink.purchase_order(line)
    b.on_order[(dc.code, sku.code)] += quantity
    b.arrivals[arrives].append(line)
