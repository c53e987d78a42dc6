"""Which item-locations have held stock: what makes an item *carried* at a site, so
that selling out there raises a stockout even without a reorder policy.

An item has held stock at a site when the ledger has a movement of it into a location of
the site (a receipt, a transfer in, a return, a count gain). Balances at zero are
deleted, so they cannot say it; the ledger can, but reading all of it at every sweep
would cost more the longer it grows. So the alerts wing keeps the answer in a table of
its own, one row per item-location, never removed (storage: `held_stock`), and folds the
movements in as they post, from the event outbox after its own cursor (`held_stock`):

- the first time (no cursor yet): every item-location the whole ledger moved stock
  into, in one grouped statement, and the cursor set to the outbox head read before it;
- a `movement.posted` event: its item and the site of its `to_location`;
- a `batch.posted` event (a transaction of more than 10,000 movements): the movements
  of that batch, in one statement.

The outbox rather than the movement ids because outbox rows are numbered in commit
order: a reader that has seen row n never later finds a smaller one, while a movement id
can commit after a larger one. The fold runs in the transaction of each evaluation
(services/alerts/evaluation.py), before its reads, so a sweep costs one more small read
(the rows since the last fold) and the held item-locations as one more frame.
"""

from __future__ import annotations

import json

from trueup.services.alerts.port import AlertsUnitOfWork
from trueup.services.events.outbox import BATCH_POSTED, MOVEMENT_POSTED

CURSOR = "held_stock"
#: Outbox rows read at a time.
FOLD_ROWS = 1000


def fold(uow: AlertsUnitOfWork) -> None:
    """Record the item-locations that movements posted since the last fold moved stock
    into, inside the caller's transaction."""
    seen = uow.alerts.cursor(CURSOR)
    if seen is None:
        head = uow.outbox.last_id()
        uow.alerts.hold_from_ledger()
        uow.alerts.set_cursor(CURSOR, None, head)
        return
    last = seen
    while True:
        rows = uow.outbox.rows_after(last, FOLD_ROWS)
        pairs: set[tuple[str, str]] = set()
        for row_id, _at, payload in rows:
            row = json.loads(payload)
            for event in row["events"]:
                if event["type"] == MOVEMENT_POSTED:
                    pairs.add((event["data"]["sku"], event["data"]["to_location"]))
                elif event["type"] == BATCH_POSTED:
                    # the batch it names; a row that names none: the whole ledger
                    batch = event["data"].get("batch", row.get("batch"))
                    uow.alerts.hold_from_ledger(None if batch is None else int(batch))
            last = row_id
        if pairs:
            uow.alerts.hold(uow.alerts.keys_of(pairs))
        if len(rows) < FOLD_ROWS:
            break
    if last != seen:
        uow.alerts.set_cursor(CURSOR, seen, last)
