"""The SOP's review date: once it has passed, the monitor raises a review-due alert.

The tracking SOP asks for an annual review, and the SOP file names its owner and its next
review date. When the latest version's `next_review` is behind the monitor's clock, every
active person whose role the SOP's `review_due` route names is told: a notification in
their inbox, and an e-mail when they have an address. Once per version: a cursor keeps
the version whose review was raised, so the monitor's next cycles stay quiet until a new
version is applied; if its date passes too, the alert is raised again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from trueup.domain.access import User
from trueup.domain.alerts.notifications import Channel, Mode, Status
from trueup.domain.sop.model import Sop
from trueup.domain.sop.versions import IMBALANCE, VersionInfo, decode
from trueup.domain.values import Clock, utc_now
from trueup.services.alerts.port import AlertsUnitOfWork, AlertsUnitOfWorkFactory, NewNotification
from trueup.services.retry import retry_transient
from trueup.services.sop.reading import read_sop

#: The SOP route event that names who hears of a due review.
REVIEW_DUE = "review_due"


@dataclass(frozen=True, slots=True)
class ReviewCheck:
    """What the check found: the version in force, its review date, whether it has
    passed, and how many people were told now (0 once it was raised)."""

    sop: str
    version: int | None
    next_review: date | None
    due: bool
    notified: int


def cursor_name(sop: str) -> str:
    return f"sop-review:{sop}"


@retry_transient
def check_review(
    uow_factory: AlertsUnitOfWorkFactory, *, sop: str = IMBALANCE, clock: Clock = utc_now
) -> ReviewCheck:
    """Raise the review-due alert of the SOP in force when its date has passed."""
    now = clock()
    with uow_factory() as uow:
        latest = uow.sop.latest(sop)
        if latest is None:
            return ReviewCheck(sop, None, None, False, 0)
        info = latest.info
        model = read_sop(decode(latest.content), source=f"{sop} version {info.version}")
        if now.date() <= model.next_review:
            return ReviewCheck(sop, info.version, model.next_review, False, 0)
        seen = uow.alerts.cursor(cursor_name(sop))
        if seen == info.version or not uow.alerts.set_cursor(cursor_name(sop), seen, info.version):
            return ReviewCheck(sop, info.version, model.next_review, True, 0)
        rows = _notifications(uow, model, info, now)
        uow.notifications.add(rows)
        uow.commit()
    return ReviewCheck(sop, info.version, model.next_review, True, len({r.user_id for r in rows}))


def told(model: Sop, users: Sequence[User], now: datetime) -> list[User]:
    """The active people the SOP's review_due routes name, at the sites they name."""
    routes = [r for r in model.notifications if r.event == REVIEW_DUE]
    return [
        user
        for user in users
        if user.status(now) == "active"
        and any(
            user.role in route.roles
            and (route.sites.is_any or not user.sites or any(map(route.sites.matches, user.sites)))
            for route in routes
        )
    ]


def _notifications(
    uow: AlertsUnitOfWork, model: Sop, info: VersionInfo, now: datetime
) -> list[NewNotification]:
    subject = f"The SOP '{model.title}' is due for review"
    body = (
        f"Version {info.version} of the SOP {model.name!r} was to be reviewed by "
        f"{model.next_review.isoformat()}; its owner is {model.owner}. Review it, then apply "
        "the reviewed file with a later next_review: trueup sop export, edit, trueup sop "
        "apply FILE --reason TEXT."
    )
    contacts = uow.notifications.contacts()
    rows = []
    for user in told(model, uow.identity.users(), now):
        inbox = (Channel.INBOX, Mode.IMMEDIATE, Status.SENT, subject, body, now, now)
        rows.append(NewNotification(user.id, None, REVIEW_DUE, *inbox))
        if user.id in contacts:
            email = (Channel.EMAIL, Mode.IMMEDIATE, Status.PENDING, subject, body, now, None)
            rows.append(NewNotification(user.id, None, REVIEW_DUE, *email))
    return rows
