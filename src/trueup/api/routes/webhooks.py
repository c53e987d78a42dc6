"""Webhook subscriptions, their delivery log and replays (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from trueup.api.schemas.ledger import ERRORS, Page
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.webhooks import MAX_URL, Attempt, Delivery, DeliveryStatus, Webhook
from trueup.services.events import webhooks
from trueup.services.events.outbox import EVENT_TYPES

router = APIRouter(
    prefix="/webhooks", tags=["webhooks"], responses=ERRORS, dependencies=[Depends(known_query)]
)
Manager = Annotated[Principal, Depends(require(Action.WEBHOOKS_MANAGE))]
WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1)]
EventId = Annotated[
    str,
    StringConstraints(pattern=r"^\s*[0-9]{1,18}-[0-9]{1,9}\s*$"),
    Field(max_length=40, description="An event id such as 17-3"),
]
#: services.events.EVENT_TYPES, spelled out for the OpenAPI document (a test compares them).
EventTypeName = Literal[
    "movement.posted",
    "balance.changed",
    "exception.raised",
    "batch.posted",
    "count.submitted",
    "variance.found",
    "count.approved",
    "alert.opened",
    "alert.resolved",
    "alert.escalated",
    "alert.digest",
    "case.opened",
    "case.updated",
    "case.diagnosed",
    "case.awaiting_approval",
    "case.approved",
    "case.executed",
    "case.validated",
    "case.follow_up_due",
    "case.resolved",
    "case.reopened",
    "case.closed",
]
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
#: What services check, as far as a pattern can say it: http(s), a host, a valid port.
URL_PATTERN = rf"^https?://[A-Za-z0-9._~-]+(:{_PORT})?([/?#][^\s]*)?$"


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=MAX_URL, pattern=URL_PATTERN, description="An http:// or https:// URL"
    )
    event_types: list[EventTypeName] = Field(min_length=1, max_length=len(EVENT_TYPES))
    sites: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=1000,
        description="Only events at these warehouses or stores; none: every site",
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    sites: list[str] = Field(description="Empty: every site")
    created_by: str
    created_at: str
    disabled_at: str | None
    cursor: str = Field(description="The last event looked at for this webhook")
    deliveries: dict[str, int] = Field(description="How many deliveries are in each status")

    @classmethod
    def of(cls, hook: Webhook, counts: dict[str, int] | None = None) -> WebhookOut:
        return cls(
            id=hook.id,
            url=hook.url,
            event_types=list(hook.event_types),
            sites=list(hook.sites),
            created_by=hook.created_by,
            created_at=hook.created_at.isoformat(),
            disabled_at=hook.disabled_at.isoformat() if hook.disabled_at else None,
            cursor=hook.cursor,
            deliveries=dict(counts or {}),
        )


class NewWebhookOut(BaseModel):
    secret: str = Field(description="Signs every delivery. Shown once; store it now")
    details: WebhookOut


class AttemptOut(BaseModel):
    number: int
    at: str
    code: int | None = Field(description="The receiver's HTTP status; null when none came")
    error: str
    duration_ms: int

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            at=attempt.at.isoformat(),
            code=attempt.code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )


class DeliveryOut(BaseModel):
    id: int
    event_id: str = Field(description="Sent as the webhook-id header, the same every time")
    event_type: str
    status: DeliveryStatus
    attempts: int = Field(description="Attempts since it was queued or last replayed")
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    last_code: int | None
    last_error: str
    log: list[AttemptOut] = Field(description="Every attempt, oldest first")

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            created_at=delivery.created_at.isoformat(),
            next_attempt_at=_when(delivery),
            delivered_at=delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            last_code=delivery.last_code,
            last_error=delivery.last_error,
            log=[AttemptOut.of(attempt) for attempt in delivery.log],
        )


def _when(delivery: Delivery) -> str | None:
    moment = delivery.next_attempt_at
    return moment.isoformat() if moment is not None else None


_EXACTLY_ONE: dict[str, Any] = {"oneOf": [{"required": ["event_id"]}, {"required": ["since"]}]}


class ReplayIn(BaseModel):
    """Exactly one of the two."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_EXACTLY_ONE)

    event_id: EventId | SkipJsonSchema[None] = Field(None, description="Send this event again")
    since: EventId | SkipJsonSchema[None] = Field(
        None, description="Send every event from this one on, that one included"
    )


class ReplayOut(BaseModel):
    requeued: int


@router.post("", status_code=201, response_model=NewWebhookOut)
def add_webhook(request: Request, body: WebhookIn, who: Manager) -> NewWebhookOut:
    """Subscribe a URL to event types (and sites). The secret is in this answer only."""
    hook, secret = webhooks.subscribe(
        uow_of(request),
        body.url,
        body.event_types,
        body.sites,
        caller=who,
        origin=origin(request),
    )
    return NewWebhookOut(secret=secret, details=WebhookOut.of(hook))


@router.get("", response_model=Page[WebhookOut])
def list_webhooks(request: Request, who: Manager) -> Page[WebhookOut]:
    """Every webhook, oldest first, with its deliveries per status. Never a secret."""
    found = webhooks.list_webhooks(uow_of(request), caller=who)
    return Page[WebhookOut].whole([WebhookOut.of(s.webhook, dict(s.deliveries)) for s in found])


@router.delete("/{webhook_id}", response_model=WebhookOut)
def disable_webhook(request: Request, webhook_id: WebhookId, who: Manager) -> WebhookOut:
    """Disable a webhook: nothing more is queued or sent. Its delivery log stays."""
    hook = webhooks.disable(uow_of(request), webhook_id, caller=who, origin=origin(request))
    return WebhookOut.of(hook)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    request: Request,
    webhook_id: WebhookId,
    who: Manager,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status")] = None,
    limit: Annotated[int, Query(ge=1, le=webhooks.MAX_PAGE, description="Page size")] = 100,
    cursor: Annotated[
        str | None, Query(pattern="^[0-9]{1,10}$", description="next_cursor of the previous page")
    ] = None,
) -> Page[DeliveryOut]:
    """The delivery log, newest first, with every attempt's status code and error."""
    page = webhooks.deliveries(
        uow_of(request),
        webhook_id,
        status=status,
        limit=limit,
        cursor=int(cursor) if cursor else None,
        caller=who,
    )
    return Page[DeliveryOut](
        data=[DeliveryOut.of(d) for d in page.deliveries],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.post("/{webhook_id}/replay", response_model=ReplayOut)
def replay(request: Request, webhook_id: WebhookId, body: ReplayIn, who: Manager) -> ReplayOut:
    """Send an event again (`event_id`), or every event from one on (`since`), with the
    same webhook-id, so receivers can drop what they already have."""
    count = webhooks.replay(
        uow_of(request),
        webhook_id,
        event_id=body.event_id,
        since=body.since,
        caller=who,
        origin=origin(request),
    )
    return ReplayOut(requeued=count)
