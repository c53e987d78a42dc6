"""The SQL of an alerts sweep (storage/alerts/repository.py): one grouped query per input
frame, each with a `{scope}` where a pass over a few item-locations narrows it to their
items and sites, and the statements that record the item-locations that have held stock.
The reads take `?` parameters (the repository writes them as the driver wants)."""

STOCK = """
SELECT b.item_id, l.site_id, SUM(b.quantity), MIN(b.quantity)
FROM balance b JOIN location l ON l.id = b.location_id
WHERE l.site_id IS NOT NULL{scope}
GROUP BY b.item_id, l.site_id
"""
POLICIES = """
SELECT p.item_id, l.site_id, SUM(p.reorder_point), SUM(p.max_qty), SUM({demand})
FROM reorder_policy p JOIN location l ON l.id = p.location_id
WHERE l.site_id IS NOT NULL{scope}
GROUP BY p.item_id, l.site_id
"""
DEMAND = {
    "sqlite": "CAST(json_extract(p.inputs, '$.demand_mean') AS REAL)",
    "postgresql": "CAST(CAST(p.inputs AS json)->>'demand_mean' AS double precision)",
}
ON_ORDER = """
SELECT pl.item_id, l.site_id, SUM(pl.quantity - pl.received)
FROM po_line pl JOIN purchase_order o ON o.id = pl.order_id
JOIN location l ON l.id = o.location_id
WHERE pl.status = 'open' AND pl.quantity > pl.received AND l.site_id IS NOT NULL{scope}
GROUP BY pl.item_id, l.site_id
"""
#: What open transfer orders will take from a site: ordered less shipped (once shipped it
#: has left the site's on-hand), as storage/replenishment/policies.py counts it.
COMMITTED = """
SELECT pl.item_id, l.site_id, SUM(pl.quantity - pl.shipped)
FROM po_line pl JOIN purchase_order o ON o.id = pl.order_id
JOIN location l ON l.id = o.source_location_id
WHERE o.kind = 'transfer' AND pl.status = 'open' AND pl.quantity > pl.shipped
  AND l.site_id IS NOT NULL{scope}
GROUP BY pl.item_id, l.site_id
"""
HELD = """
SELECT h.item_id, h.site_id FROM held_stock h WHERE 1 = 1{scope}
"""
#: Every item-location the ledger moved stock into (of one batch: `{batch}`).
HOLD_FROM_LEDGER = """
INSERT INTO held_stock (item_id, site_id)
SELECT DISTINCT m.item_id, l.site_id
FROM movement m JOIN location l ON l.id = m.to_location_id
WHERE l.site_id IS NOT NULL{batch}
ON CONFLICT DO NOTHING
"""
HOLD = (
    "INSERT INTO held_stock (item_id, site_id) VALUES (:item_id, :site_id) ON CONFLICT DO NOTHING"
)
#: Units left in transit: what transfer lines to a site that closed (received as final)
#: shipped and never received, as far as the record still holds the item in transit (its
#: in-transit balance less what open transfer lines have on the way). Only the items of
#: such lines are read from the ledger, through its item index.
IN_TRANSIT = """
WITH short AS (
  SELECT pl.item_id AS item_id, l.site_id AS site_id, SUM(pl.shipped - pl.received) AS q
  FROM po_line pl JOIN purchase_order o ON o.id = pl.order_id
  JOIN location l ON l.id = o.location_id
  WHERE o.kind = 'transfer' AND pl.status = 'closed' AND pl.shipped > pl.received
    AND l.site_id IS NOT NULL{scope}
  GROUP BY pl.item_id, l.site_id
), flight AS (
  SELECT pl.item_id AS item_id, SUM(pl.shipped - pl.received) AS q
  FROM po_line pl JOIN purchase_order o ON o.id = pl.order_id
  WHERE o.kind = 'transfer' AND pl.status = 'open' AND pl.shipped > pl.received
    AND pl.item_id IN (SELECT item_id FROM short)
  GROUP BY pl.item_id
), transit AS (
  SELECT m.item_id AS item_id,
         SUM(CASE WHEN t.kind = 'in_transit' THEN m.quantity ELSE -m.quantity END) AS q
  FROM movement m
  JOIN location f ON f.id = m.from_location_id
  JOIN location t ON t.id = m.to_location_id
  WHERE (f.kind = 'in_transit' OR t.kind = 'in_transit')
    AND m.item_id IN (SELECT item_id FROM short)
  GROUP BY m.item_id
), excess AS (
  SELECT transit.item_id AS item_id, transit.q - COALESCE(flight.q, 0) AS q
  FROM transit LEFT JOIN flight ON flight.item_id = transit.item_id
)
SELECT short.item_id, short.site_id,
       CASE WHEN short.q < excess.q THEN short.q ELSE excess.q END
FROM short JOIN excess ON excess.item_id = short.item_id
WHERE excess.q > 0
"""
OPEN = """
SELECT a.id, a.item_id, a.site_id, a.kind, a.on_hand, a.position, a.threshold
FROM alert a WHERE a.resolved_at IS NULL{scope}
"""
