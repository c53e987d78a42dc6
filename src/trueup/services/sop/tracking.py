"""The tracking-and-monitoring SOP as trueup is configured to run it: a typed snapshot.

The seed's tracking SOP asks for roles, recording of entries and withdrawals, daily
reconciliation of manual logs, counts with their schedules and tolerances, thresholds with
alerts to the right people, a discrepancy register with escalation, and reports. trueup
keeps each of these as configuration in its wings (users and roles, the negative-stock
policy, count plans and tolerance bands, reorder policies, notification rules, the
monitor's job intervals); `services/reports/tracking.py` reads them into this snapshot, and
`document/tracking.py` writes the SOP from it. The snapshot holds what was read, nothing
more, so the document changes exactly when the configuration does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from trueup.domain.access import ApiToken, Role, User
from trueup.domain.alerts.conditions import AlertConfig
from trueup.domain.alerts.notifications import Rule
from trueup.domain.counts.plans import Plan
from trueup.domain.counts.tolerance import Band
from trueup.domain.ledger.policy import PolicyRule
from trueup.domain.replenishment.reorder import Policy
from trueup.domain.sop.model import Sop

#: Reorder policies listed one by one in the document; beyond them, totals per location.
LISTED_POLICIES = 100


@dataclass(frozen=True, slots=True)
class PolicyTotal:
    """How many reorder policies of one kind a location has."""

    location: str
    kind: str
    policies: int


@dataclass(frozen=True, slots=True)
class TrackingSnapshot:
    taken_at: datetime
    #: every user, active or not; `names_shown` False when the reader may not list users
    #: (without users.read), and the document then gives only how many hold each role
    users: tuple[User, ...]
    names_shown: bool
    #: active machine tokens: the source systems that post with their own credentials
    machine_tokens: tuple[ApiToken, ...]
    #: the negative-stock policy as stored
    policy_rules: tuple[PolicyRule, ...]
    plans: tuple[Plan, ...]
    #: tolerance bands set per (site or `*`, ABC class); the defaults apply elsewhere
    tolerances: Mapping[tuple[str, str], Band]
    #: the first LISTED_POLICIES reorder policies by location and SKU, and totals for all
    reorder_policies: tuple[Policy, ...]
    policy_totals: tuple[PolicyTotal, ...]
    alert_config: AlertConfig
    notification_rules: tuple[Rule, ...]
    #: seconds between two runs of each monitor job under `trueup serve`
    jobs: Mapping[str, int]
    #: the imbalance SOP in force, whose recurrence and escalation rules the register follows
    imbalance: Sop | None = None

    def holders(self, role: Role) -> tuple[User, ...]:
        return tuple(u for u in self.users if u.role is role and u.disabled_at is None)
