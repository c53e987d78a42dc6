"""Telling people of escalated cases, through the alerts wing's notifications: a message in
the inbox, and an e-mail when they have an address (sent by the monitor's e-mail job), as
the SOP review reminder does (services/alerts/review.py).

Who is told of a case escalated to a role: the active people of that role, and of the
roles the SOP's `escalated` route names, whose sites include the case's site (or who
have no site restriction), where the route's sites match it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from trueup.domain.access import User
from trueup.domain.alerts.notifications import Channel, Mode, Status
from trueup.domain.cases.case import Case
from trueup.domain.sop.model import Sop
from trueup.services.alerts.port import NewNotification
from trueup.services.cases.port import CasesUnitOfWork

#: The SOP route event that names who hears of an escalation.
ESCALATED = "escalated"


def told(case: Case, sop: Sop, users: Sequence[User], now: datetime) -> list[User]:
    """The active people told of the case's latest escalation."""
    if not case.escalations:
        return []
    to = case.escalations[-1].role
    routes = [
        r
        for r in sop.notifications
        if r.event == ESCALATED and (r.sites.is_any or r.sites.matches(case.site))
    ]
    roles = {to, *(role for r in routes for role in r.roles)}
    return [
        user
        for user in users
        if user.status(now) == "active"
        and user.role in roles
        and (not user.sites or not case.site or case.site in user.sites)
    ]


def tell(
    work: CasesUnitOfWork, cases: Iterable[Case], sops: Mapping[int, Sop], now: datetime
) -> int:
    """Notify the people concerned of each escalated case; how many people were told."""
    listed = list(cases)
    if not listed:
        return 0
    users = work.identity.users()
    contacts = work.notifications.contacts()
    rows: list[NewNotification] = []
    people: set[int] = set()
    for case in listed:
        escalation = case.escalations[-1]
        subject = f"[trueup] case {case.id} escalated to {escalation.role.value}"
        body = (
            f"Case {case.id} ({case.classification.value}: {case.sku} at {case.location}, "
            f"{case.status.value}) was escalated to {escalation.role.value}: "
            f"{escalation.reason}. See it with: trueup cases show {case.id}"
        )
        for user in told(case, sops[case.sop_version], users, now):
            people.add(user.id)
            inbox = (Channel.INBOX, Mode.IMMEDIATE, Status.SENT, subject, body, now, now)
            rows.append(NewNotification(user.id, None, ESCALATED, *inbox))
            if user.id in contacts:
                email = (Channel.EMAIL, Mode.IMMEDIATE, Status.PENDING, subject, body, now, None)
                rows.append(NewNotification(user.id, None, ESCALATED, *email))
    if rows:
        work.notifications.add(rows)
    return len(people)
