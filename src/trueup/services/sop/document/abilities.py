"""What each permission lets a person do, in the words of the tracking SOP.

`domain/access.py` holds the matrix (`PERMISSIONS`); this module only says each action in
words, so that the roles table of the tracking SOP is the matrix itself. A test fails when
an action has no words here.
"""

from __future__ import annotations

from trueup.domain.access import PERMISSIONS, Action, Role

DOES: dict[Action, str] = {
    Action.ITEMS_READ: "read items",
    Action.ITEMS_WRITE: "create and change items",
    Action.LOCATIONS_READ: "read locations",
    Action.LOCATIONS_WRITE: "create and change locations",
    Action.MOVEMENTS_POST: "record receipts, sales, picks, transfers, returns and scrap",
    Action.DOCUMENTS_POST: "post documents of several movements at once",
    Action.MOVEMENTS_REVERSE: "reverse a movement",
    Action.STOCK_READ: "read on-hand stock at their sites",
    Action.STOCK_COST: "see unit costs and stock value",
    Action.LEDGER_READ: "read the ledger's movements",
    Action.VERIFY_RUN: "run the ledger's checks (`trueup verify`)",
    Action.POLICY_READ: "read the negative-stock policy",
    Action.POLICY_WRITE: "change the negative-stock policy",
    Action.EVENTS_READ: "follow the real-time stream",
    Action.WEBHOOKS_MANAGE: "manage webhooks to other systems",
    Action.USERS_READ: "list users, their roles and sites",
    Action.USERS_MANAGE: "create and change users",
    Action.TOKENS_MANAGE: "manage everyone's API tokens",
    Action.TOKENS_OWN: "keep their own API tokens",
    Action.AUDIT_READ: "read the audit trail",
    Action.COUNTS_READ: "see count tasks, blind",
    Action.COUNTS_PLAN: "plan counts and set tolerance bands",
    Action.COUNTS_COUNT: "execute counts (blind) and submit them",
    Action.COUNTS_REVIEW: "review counts, send them back and approve their corrections",
    Action.COUNTS_RESULTS: "read the results and audit reports of closed counts",
    Action.ALERTS_READ: "see stock alerts at their sites",
    Action.ALERTS_ACKNOWLEDGE: "acknowledge alerts",
    Action.NOTIFICATIONS_READ: "read their notifications",
    Action.NOTIFICATIONS_MANAGE: "route alerts to people (notification rules)",
    Action.REORDER_READ: "read reorder policies, positions and proposals",
    Action.REORDER_WRITE: "set reorder policies and generate proposals",
    Action.PROPOSALS_APPROVE: "approve reorder proposals into orders",
    Action.PURCHASING_READ: "read suppliers, orders, ship notices and receiving discrepancies",
    Action.PURCHASING_WRITE: "import suppliers, orders and ship notices",
    Action.PURCHASING_RECEIVE: "receive against order lines",
    Action.SOP_READ: "read the imbalance SOP, its versions and its renderings",
    Action.SOP_APPLY: "apply a new version of the imbalance SOP",
    Action.CASES_REPORT: "report an exception they saw at an item-location",
    Action.CASES_READ: "read cases with their findings, hypotheses and timeline",
    Action.KPIS_READ: "read the KPIs per site and day",
    Action.CASES_REQUEST: "request a case's proposed corrective actions",
    Action.CASES_APPROVE: "approve or reject a requested corrective action at their level",
    Action.CASES_EXECUTE: "execute an approved corrective action they own",
    Action.CASES_CLOSE: "close a case with lessons learned, or without action",
}

#: What every role may do: said once, above the table, not in every row.
EVERYONE: frozenset[Action] = frozenset.intersection(*PERMISSIONS.values())


def may_do(role: Role) -> list[str]:
    """What a role may do beyond what everyone may, in the matrix's order."""
    return [DOES[action] for action in Action if action in PERMISSIONS[role] - EVERYONE]


def everyone() -> list[str]:
    return [DOES[action] for action in Action if action in EVERYONE]
