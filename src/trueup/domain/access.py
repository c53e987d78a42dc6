"""Who may do what, and where: roles, the permission matrix, site scope, principals.

A request is allowed when the principal's role grants the action (`PERMISSIONS`) and,
for anything tied to a place, the place lies in the principal's site scope. The matrix
follows the roles of the tracking SOP (DESIGN.md, "Who uses it"); docs/permissions.md
shows it, rendered by `permission_table`, and a test keeps the two identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trueup.domain.errors import Forbidden, InputError
from trueup.domain.ledger.policy import MANUAL_SOURCE


class Role(StrEnum):
    WAREHOUSE_STAFF = "warehouse_staff"
    RETAIL_STAFF = "retail_staff"
    INVENTORY_MANAGER = "inventory_manager"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def needs_sites(self) -> bool:
        """Staff act on the floor of particular sites, so they always have a scope."""
        return self in STAFF_ROLES


STAFF_ROLES = frozenset({Role.WAREHOUSE_STAFF, Role.RETAIL_STAFF})


class Action(StrEnum):
    """The permission vocabulary. An endpoint or command requires one action."""

    ITEMS_READ = "items.read"
    ITEMS_WRITE = "items.write"
    LOCATIONS_READ = "locations.read"
    LOCATIONS_WRITE = "locations.write"
    MOVEMENTS_POST = "movements.post"
    DOCUMENTS_POST = "documents.post"
    MOVEMENTS_REVERSE = "movements.reverse"
    STOCK_READ = "stock.read"
    #: unit costs and stock value; without it cost fields are left out of responses
    STOCK_COST = "stock.cost"
    LEDGER_READ = "ledger.read"
    VERIFY_RUN = "verify.run"
    POLICY_READ = "policy.read"
    POLICY_WRITE = "policy.write"
    #: the real-time stream (SSE)
    EVENTS_READ = "events.read"
    WEBHOOKS_MANAGE = "webhooks.manage"
    #: list users, their roles and sites, and every user's tokens (never a secret)
    USERS_READ = "users.read"
    USERS_MANAGE = "users.manage"
    #: create, list and revoke any user's tokens
    TOKENS_MANAGE = "tokens.manage"
    #: create, list and revoke one's own tokens
    TOKENS_OWN = "tokens.own"
    AUDIT_READ = "audit.read"
    #: list counts and their lines, blind: never an expected quantity or a variance
    COUNTS_READ = "counts.read"
    #: plan counts, generate and cancel tasks, set tolerance bands
    COUNTS_PLAN = "counts.plan"
    #: enter, void and submit counts
    COUNTS_COUNT = "counts.count"
    #: expected quantities and variances of open counts; send back, approve
    COUNTS_REVIEW = "counts.review"
    #: expected quantities, variances and audit reports of closed counts
    COUNTS_RESULTS = "count_results.read"
    #: stock alerts within one's sites (low stock, stockout, negative, overstock)
    ALERTS_READ = "alerts.read"
    #: acknowledge an alert: someone is on it, so it does not escalate
    ALERTS_ACKNOWLEDGE = "alerts.acknowledge"
    #: one's own notification inbox
    NOTIFICATIONS_READ = "notifications.read"
    #: notification rules and users' e-mail addresses
    NOTIFICATIONS_MANAGE = "notifications.manage"
    #: reorder policies with their figures and inputs, positions, proposals, the calculator
    REORDER_READ = "reorder.read"
    #: set and recompute reorder policies, generate proposals
    REORDER_WRITE = "reorder.write"
    #: approve or reject reorder proposals (they become purchase or transfer orders)
    PROPOSALS_APPROVE = "proposals.approve"
    #: suppliers, their delivery record, orders, ship notices, receiving discrepancies
    PURCHASING_READ = "purchasing.read"
    #: import suppliers, purchase orders and ship notices
    PURCHASING_WRITE = "purchasing.write"
    #: receive against an order line at one's sites
    PURCHASING_RECEIVE = "purchasing.receive"
    #: the SOP's versions, their files, history and differences
    SOP_READ = "sop.read"
    #: apply a new version of the SOP
    SOP_APPLY = "sop.apply"
    #: report an exception seen at an item-location of one's sites
    CASES_REPORT = "cases.report"
    #: cases with their findings, hypotheses, actions and timeline, within one's sites
    CASES_READ = "cases.read"
    #: the KPIs per site and day (record accuracy, shrinkage, stockouts, cases), within one's sites
    KPIS_READ = "kpis.read"
    CASES_REQUEST = "cases.request"
    CASES_APPROVE = "cases.approve"
    CASES_EXECUTE = "cases.execute"
    CASES_CLOSE = "cases.close"


#: Every role reads master data, stock (within its scope) and the ledger, follows the stream
#: and keeps its own tokens.
_EVERYONE = frozenset(
    {
        Action.ITEMS_READ,
        Action.LOCATIONS_READ,
        Action.STOCK_READ,
        Action.LEDGER_READ,
        Action.EVENTS_READ,
        Action.TOKENS_OWN,
        Action.ALERTS_READ,
        Action.NOTIFICATIONS_READ,
        Action.SOP_READ,
    }
)
_STAFF = _EVERYONE | {
    Action.MOVEMENTS_POST,
    Action.DOCUMENTS_POST,
    Action.COUNTS_READ,
    Action.COUNTS_COUNT,
    Action.ALERTS_ACKNOWLEDGE,
    Action.PURCHASING_READ,
    Action.PURCHASING_RECEIVE,
    Action.CASES_REPORT,
    Action.CASES_EXECUTE,
}

#: The matrix. Reasons, row by row, are in docs/permissions.md.
PERMISSIONS: Mapping[Role, frozenset[Action]] = {
    # Staff post what happens on the floor of their sites and read stock there, not costs.
    Role.WAREHOUSE_STAFF: _STAFF,
    Role.RETAIL_STAFF: _STAFF,
    # The manager runs operations: master data, postings, reversals, policy, verify.
    Role.INVENTORY_MANAGER: _STAFF
    | {
        Action.ITEMS_WRITE,
        Action.LOCATIONS_WRITE,
        Action.MOVEMENTS_REVERSE,
        Action.STOCK_COST,
        Action.VERIFY_RUN,
        Action.POLICY_READ,
        Action.POLICY_WRITE,
        Action.COUNTS_PLAN,
        Action.COUNTS_REVIEW,
        Action.COUNTS_RESULTS,
        Action.NOTIFICATIONS_MANAGE,
        Action.REORDER_READ,
        Action.REORDER_WRITE,
        Action.PROPOSALS_APPROVE,
        Action.PURCHASING_WRITE,
        Action.SOP_APPLY,
        Action.CASES_READ,
        Action.KPIS_READ,
        Action.CASES_REQUEST,
        Action.CASES_APPROVE,
        Action.CASES_CLOSE,
    },
    # Finance reads stock with its value and the policy behind it; it posts nothing.
    # It reads count results once a count is closed (shrinkage is finance's business).
    Role.FINANCE: _EVERYONE
    | {
        Action.STOCK_COST,
        Action.POLICY_READ,
        Action.COUNTS_READ,
        Action.COUNTS_RESULTS,
        Action.REORDER_READ,
        Action.PURCHASING_READ,
        Action.CASES_READ,
        Action.KPIS_READ,
        Action.CASES_APPROVE,
        Action.CASES_EXECUTE,
    },
    # The auditor reads everything, costs and the audit trail included, and changes nothing.
    # Access reviews are audit work, so it sees who holds which role too.
    Role.AUDITOR: _EVERYONE
    | {
        Action.STOCK_COST,
        Action.POLICY_READ,
        Action.VERIFY_RUN,
        Action.USERS_READ,
        Action.AUDIT_READ,
        Action.COUNTS_READ,
        Action.COUNTS_RESULTS,
        Action.REORDER_READ,
        Action.PURCHASING_READ,
        Action.CASES_READ,
        Action.KPIS_READ,
    },
    # IT runs the system: people, tokens, integrations, configuration, master data; it reads
    # stock to support users but has no need for costs and posts no stock.
    Role.ADMIN: _EVERYONE
    | {
        Action.ITEMS_WRITE,
        Action.LOCATIONS_WRITE,
        Action.POLICY_READ,
        Action.POLICY_WRITE,
        Action.VERIFY_RUN,
        Action.WEBHOOKS_MANAGE,
        Action.USERS_READ,
        Action.USERS_MANAGE,
        Action.TOKENS_MANAGE,
        Action.AUDIT_READ,
        Action.NOTIFICATIONS_MANAGE,
        Action.SOP_APPLY,
        Action.CASES_REPORT,
        Action.CASES_READ,
        Action.KPIS_READ,
        Action.CASES_EXECUTE,
    },
}

#: What a machine token (bound to a source) may never do, whatever its user's role:
#: a leaked ERP token must not mint further tokens or accounts.
MACHINE_DENIED = frozenset(
    {
        Action.USERS_MANAGE,
        Action.TOKENS_MANAGE,
        Action.TOKENS_OWN,
        Action.WEBHOOKS_MANAGE,
        Action.NOTIFICATIONS_MANAGE,
    }
)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise InputError(
            "a role: " + ", ".join(role.value for role in Role), field="role", value=text
        ) from None


def check_scope(role: Role, sites: Iterable[str]) -> None:
    """Staff roles need at least one site; other roles may be unscoped (all sites)."""
    if role.needs_sites and not any(True for _ in sites):
        raise InputError(
            f"{role.value} acts only on its sites: give at least one --site",
            field="sites",
        )


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user, through a password login or one of their tokens.

    `sites` empty means every site. `source` is set for a machine token: it may post
    only events of that source system. A person posts as `manual`, and as the `sources`
    an administrator assigned to them (a till clerk who keys in the POS's sales by hand).
    """

    user_id: int
    username: str
    role: Role
    sites: frozenset[str] = frozenset()
    source: str | None = None
    token_id: int | None = None
    #: the source systems a person may post as besides `manual` (never set for a machine)
    sources: frozenset[str] = frozenset()
    #: the person at the command line, not a user signed in through the API
    local: bool = False
    #: reads on-hand stock at every site, though it acts only at `sites`
    #: (TRUEUP_STAFF_READ_SCOPE=all, docs/permissions.md)
    reads_all_stock: bool = False

    def __post_init__(self) -> None:
        check_scope(self.role, self.sites)

    @classmethod
    def operator(cls, name: str) -> Principal:
        """Whoever runs the command line on the database's host, by the name TRUEUP_ACTOR
        gives: they can reach the database anyway, so every action at every site is theirs."""
        return cls(user_id=0, username=name, role=Role.ADMIN, local=True)

    @property
    def is_machine(self) -> bool:
        return self.source is not None

    def can(self, action: Action) -> bool:
        if self.local:
            return True
        if self.is_machine and action in MACHINE_DENIED:
            return False
        return action in PERMISSIONS[self.role]

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise Forbidden(f"{self.username} ({self.role.value}) may not {action.value}")

    def may_act_at(self, site_code: str | None) -> bool:
        """Whether a location of this site is in scope. `None` is a virtual location
        (supplier, customer, in transit, loss, scrap): it belongs to no site and is in
        every scope, so a receipt needs only its physical side in scope."""
        return site_code is None or not self.sites or site_code in self.sites

    def stock_sites(self, requested: Iterable[str] = ()) -> tuple[str, ...]:
        """The sites a read of on-hand stock covers: like `scoped_sites`, but any site
        (and, when nothing is asked, every site) for a principal that reads all stock."""
        if self.reads_all_stock:
            return tuple(dict.fromkeys(requested))
        return self.scoped_sites(requested)

    def may_post_source(self, source: str) -> bool:
        """A machine token posts only as its own source system; a person as `manual` or a
        source assigned to them; the operator at the command line as any."""
        return self.local or source in self.posting_sources

    @property
    def posting_sources(self) -> tuple[str, ...]:
        """The sources this principal may post as, in the order an error lists them."""
        if self.source is not None:
            return (self.source,)
        return (MANUAL_SOURCE, *sorted(self.sources - {MANUAL_SOURCE}))

    def scoped_sites(self, requested: Iterable[str] = ()) -> tuple[str, ...]:
        """The sites a read should cover: what was asked, within scope; all of the scope
        when nothing was asked; () meaning every site only for an unscoped principal."""
        asked = tuple(dict.fromkeys(requested))
        outside = [site for site in asked if not self.may_act_at(site)]
        if outside:
            raise Forbidden(f"{self.username} may not act at site {outside[0]!r}")
        if asked or not self.sites:
            return asked
        return tuple(sorted(self.sites))


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: Role
    sites: frozenset[str]
    has_password: bool
    created_at: datetime
    disabled_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    #: source systems the user may post as besides `manual` (assigned by an admin)
    sources: frozenset[str] = frozenset()

    def status(self, now: datetime) -> str:
        if self.disabled_at is not None:
            return "disabled"
        if self.locked_until is not None and self.locked_until > now:
            return "locked"
        return "active"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as listed: never its secret, only the prefix that identifies it."""

    id: int
    user_id: int
    username: str
    label: str
    prefix: str
    source: str | None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def kind(self) -> str:
        return "personal" if self.source is None else "machine"

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the audit trail: who did what to which target, when and from where."""

    id: int
    at: datetime
    actor: str
    token_id: int | None
    origin: str
    action: str
    target: str
    detail: str  # JSON
