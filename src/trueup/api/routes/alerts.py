"""Alerts (list, show, acknowledge), one's notification inbox, notification rules and
users' e-mail addresses.

Alerts are listed within the caller's sites. Counts are blind: an alert of an item under
an open count at its site shows no quantities to a caller who may not review counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from trueup.api.schemas.ledger import ERRORS, Code, Page
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.alerts.conditions import Alert
from trueup.domain.alerts.notifications import Notification, Rule
from trueup.domain.values import format_quantity
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import notifications
from trueup.services.alerts import queries as alert_queries

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
AlertId = Annotated[int, PathParam(ge=1, le=2**62)]
RuleId = Annotated[int, PathParam(ge=1, le=2**62)]
Limit = Annotated[int, Query(ge=1, le=alert_queries.MAX_PAGE, description="Page size")]
Cursor = Annotated[
    str | None, Query(pattern="^[0-9]{1,18}$", description="next_cursor of the previous page")
]
Reader = Annotated[Principal, Depends(require(Action.ALERTS_READ))]
Inbox = Annotated[Principal, Depends(require(Action.NOTIFICATIONS_READ))]
Manager = Annotated[Principal, Depends(require(Action.NOTIFICATIONS_MANAGE))]
AlertKindName = Literal["negative", "stockout", "low_stock", "overstock", "in_transit"]
EventName = Literal["opened", "escalated", "resolved"]
RoleName = Literal[
    "warehouse_staff", "retail_staff", "inventory_manager", "finance", "auditor", "admin"
]


class AlertOut(BaseModel):
    id: int
    kind: str
    sku: str
    site: str
    status: str
    on_hand: str | None = Field(description="Null while the item is under a blind count")
    position: str | None = Field(description="On-hand + on order - committed")
    threshold: str | None
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str
    escalated_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, a: Alert, hidden: bool) -> AlertOut:
        def shown(value: int | None) -> str | None:
            return None if hidden or value is None else format_quantity(value)

        return cls(
            id=a.id,
            kind=a.kind.value,
            sku=a.sku,
            site=a.site,
            status=a.status.value,
            on_hand=shown(a.on_hand),
            position=shown(a.position),
            threshold=shown(a.threshold),
            opened_at=a.opened_at,
            updated_at=a.updated_at,
            acknowledged_at=a.acknowledged_at,
            acknowledged_by=a.acknowledged_by,
            escalated_at=a.escalated_at,
            resolved_at=a.resolved_at,
        )


class NotificationOut(BaseModel):
    id: int
    alert: int | None
    event: str = Field(description="opened, escalated, resolved or digest")
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(
            id=n.id,
            alert=n.alert_id,
            event=n.event,
            subject=n.subject,
            body=n.body,
            created_at=n.created_at,
            read_at=n.read_at,
        )


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[StrictInt, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=1000)


class ReadOut(BaseModel):
    marked: int = Field(description="How many of them were unread")


class RuleIn(BaseModel):
    """Route alert events to people (inbox or e-mail), or as digests to webhooks."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["inbox", "email", "webhook"]
    mode: Literal["immediate", "digest"] = "immediate"
    role: RoleName | None = Field(None, description="Only users of this role (all: null)")
    site: Code | None = Field(None, description="Only alerts at this site (all: null)")
    kinds: list[AlertKindName] = Field(default_factory=list, max_length=4)
    events: list[EventName] = Field(default_factory=list, max_length=3)


class RuleOut(BaseModel):
    id: int
    channel: str
    mode: str
    role: str | None
    site: str | None
    kinds: list[str]
    events: list[str]
    created_by: str
    created_at: datetime | None

    @classmethod
    def of(cls, r: Rule) -> RuleOut:
        return cls(
            id=r.id,
            channel=r.channel.value,
            mode=r.mode.value,
            role=r.role.value if r.role else None,
            site=r.site,
            kinds=sorted(k.value for k in r.kinds),
            events=sorted(e.value for e in r.events),
            created_by=r.created_by,
            created_at=r.created_at,
        )


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=254)] | None = Field(
        description="Where the user's e-mail notifications go; null: nowhere"
    )


# -- alerts --------------------------------------------------------------------------------------
@router.get("/alerts", tags=["alerts"], response_model=Page[AlertOut])
def list_alerts(
    request: Request,
    who: Reader,
    status: Annotated[
        Literal["active", "open", "acknowledged", "resolved"],
        Query(description="active: open or acknowledged"),
    ] = "active",
    kind: Annotated[AlertKindName | None, Query(description="Only this kind")] = None,
    site: Annotated[Code | None, Query(description="Only this site")] = None,
    sku: Annotated[Code | None, Query(description="Only this item")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AlertOut]:
    """Alerts within your sites, newest first."""
    page = alert_queries.list_alerts(
        uow_of(request),
        statuses=("open", "acknowledged") if status == "active" else (status,),
        kinds=(kind,) if kind else (),
        sites=(site,) if site else (),
        sku=sku,
        before_id=int(cursor) if cursor else None,
        limit=limit,
        caller=who,
    )
    return Page[AlertOut](
        data=[AlertOut.of(a, a.id in page.hidden) for a in page.alerts],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.get("/alerts/{alert_id}", tags=["alerts"], response_model=AlertOut)
def get_alert(request: Request, alert_id: AlertId, who: Reader) -> AlertOut:
    """One alert."""
    found, hidden = alert_queries.get_alert(uow_of(request), alert_id, caller=who)
    return AlertOut.of(found, hidden)


@router.post("/alerts/{alert_id}/acknowledgement", tags=["alerts"], response_model=AlertOut)
def acknowledge(
    request: Request,
    alert_id: AlertId,
    who: Annotated[Principal, Depends(require(Action.ALERTS_ACKNOWLEDGE))],
) -> AlertOut:
    """Someone is on it: the alert stays open until its condition clears, but it no
    longer escalates. Acknowledging twice changes nothing."""
    done = alerts.acknowledge(uow_of(request), alert_id, caller=who, origin=origin(request))
    _, hidden = alert_queries.get_alert(uow_of(request), alert_id, caller=who)
    return AlertOut.of(done, hidden)


# -- the inbox ----------------------------------------------------------------------------------
@router.get("/notifications", tags=["notifications"], response_model=Page[NotificationOut])
def inbox(
    request: Request,
    who: Inbox,
    unread: Annotated[bool, Query(description="Only unread notifications")] = False,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    """Your notification inbox, newest first."""
    found = notifications.inbox(
        uow_of(request),
        who.user_id,
        unread_only=unread,
        before_id=int(cursor) if cursor else None,
        limit=limit,
    )
    more = str(found[-1].id) if len(found) == limit else None
    return Page[NotificationOut](data=[NotificationOut.of(n) for n in found], next_cursor=more)


@router.post("/notifications/read", tags=["notifications"], response_model=ReadOut)
def mark_read(request: Request, body: ReadIn, who: Inbox) -> ReadOut:
    """Mark notifications of your inbox read (ids of others' change nothing)."""
    return ReadOut(marked=notifications.mark_read(uow_of(request), who.user_id, body.ids))


# -- rules and addresses -------------------------------------------------------------------------
@router.get("/notification-rules", tags=["notifications"], response_model=Page[RuleOut])
def list_rules(request: Request, who: Manager) -> Page[RuleOut]:
    """Who hears of which alerts, and how."""
    return Page[RuleOut].whole([RuleOut.of(r) for r in notifications.list_rules(uow_of(request))])


@router.post("/notification-rules", tags=["notifications"], response_model=RuleOut, status_code=201)
def add_rule(request: Request, body: RuleIn, who: Manager) -> RuleOut:
    """Route alert events at a site (or all) to a role (or all) through a channel."""
    made = notifications.add_rule(
        uow_of(request),
        channel=body.channel,
        mode=body.mode,
        role=body.role,
        site=body.site,
        kinds=body.kinds,
        events=body.events,
        caller=who,
        origin=origin(request),
    )
    return RuleOut.of(made)


@router.delete("/notification-rules/{rule_id}", tags=["notifications"], status_code=204)
def delete_rule(request: Request, rule_id: RuleId, who: Manager) -> Response:
    """Delete a rule; notifications it made stay."""
    notifications.delete_rule(uow_of(request), rule_id, caller=who, origin=origin(request))
    return Response(status_code=204)


@router.put("/users/{username}/email", tags=["notifications"], status_code=204)
def set_email(
    request: Request,
    username: Annotated[str, PathParam(max_length=100)],
    body: EmailIn,
    who: Manager,
) -> Response:
    """Set (or, with null, remove) where a user's e-mail notifications go."""
    notifications.set_email(
        uow_of(request), username, body.email, caller=who, origin=origin(request)
    )
    return Response(status_code=204)
