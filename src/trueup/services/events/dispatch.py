"""The webhook dispatcher: from the event outbox to signed HTTP deliveries, with retries.

Each pass (`run_once`) does two things, each in short transactions of its own, so posting
never waits for a receiver:

1. **Queue.** For each enabled webhook, read the outbox after its cursor, add a `pending`
   delivery for every event of its types and sites, and move the cursor, in one
   transaction. The cursor moves by compare-and-set, so two dispatchers never queue an
   event twice; ids grow in commit order, so none is missed.
2. **Send.** Claim the due deliveries (their next-attempt time moves LEASE ahead, so a
   dispatcher that dies mid-send leaves them due again later), hand them signed to the
   `Sender` (adapters/http.py) from a few threads, and record each attempt. A 2xx
   answer delivers; anything else waits for the next step of the backoff, until the
   attempts run out and the delivery is `failed`.

Delivery is at least once: a crash between a receiver's answer and its record sends it
again, with the same `webhook-id`, which receivers use to drop repeats.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from trueup.domain.values import Clock, utc_now
from trueup.domain.webhooks import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_ATTEMPTS,
    Attempt,
    Delivery,
    DeliveryStatus,
    NewDelivery,
    RetrySchedule,
    Webhook,
    sign,
)
from trueup.services.events.outbox import Cursor, Event, expand
from trueup.services.events.port import (
    ERROR_TEXT,
    EventsUnitOfWorkFactory,
    Sender,
    SendFailed,
    SignedRequest,
)
from trueup.services.retry import retry_transient

log = logging.getLogger(__name__)

#: Outbox rows and events one webhook takes per pass; a backlog drains over several.
OUTBOX_ROWS = 20
EVENTS_PER_PASS = 1000
#: How long a claimed delivery is left alone before another pass may take it again.
LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass did. `busy`: it stopped at a limit, so more work is waiting."""

    queued: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    busy: bool = False


class Dispatcher:
    """Queues and sends webhook deliveries, in a thread of its own (`start`, `stop`) or
    one pass at a time (`run_once`). Timing is injected: `clock`, the `backoff` waits in
    seconds and `poll_seconds`, so tests need not sleep through a schedule. The `sender`
    stays its creator's to close."""

    def __init__(
        self,
        uow_factory: EventsUnitOfWorkFactory,
        sender: Sender,
        *,
        poll_seconds: float = 0.5,
        backoff: tuple[float, ...] = DEFAULT_BACKOFF,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        clock: Clock = utc_now,
        batch: int = 100,
        workers: int = 4,
    ) -> None:
        self.uow = uow_factory
        self.sender = sender
        self.poll_seconds = poll_seconds
        self.schedule = RetrySchedule(tuple(backoff), max_attempts)
        self.clock = clock
        self.batch = batch
        self.workers = workers
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: webhook id -> a cursor known to stand at the end of its outbox row, so an idle
        #: pass need not re-read that row to find nothing after it.
        self._row_done: dict[int, str] = {}

    # -- running ---------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the pass under way (an attempt in flight ends within its timeout)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                report = self.run_once()
            except Exception:
                # The thread outlives any one failure (the database away for a moment, a
                # bug in one pass): log it, wait, try again.
                log.exception("webhook pass failed; next try in %s s", self.poll_seconds)
                report = PassReport()
            if report.queued or report.delivered or report.retrying or report.failed:
                log.info(
                    "webhooks: queued %d, delivered %d, retrying %d, failed %d",
                    report.queued,
                    report.delivered,
                    report.retrying,
                    report.failed,
                )
            if not report.busy:
                self._stopping.wait(self.poll_seconds)

    def run_once(self) -> PassReport:
        queued, more = self.queue_events()
        sent = self.send_due()
        return PassReport(
            queued=queued,
            delivered=sent.delivered,
            retrying=sent.retrying,
            failed=sent.failed,
            busy=more or sent.busy,
        )

    # -- 1. queue ----------------------------------------------------------------------
    def queue_events(self) -> tuple[int, bool]:
        """Queue deliveries of the events after each webhook's cursor: (how many, whether
        some webhook has more waiting)."""
        with self.uow(readonly=True) as uow:
            hooks = uow.webhooks.webhooks(enabled_only=True)
            last = uow.outbox.last_id()
        if last == 0:
            return 0, False
        queued, more = 0, False
        for hook in hooks:
            if self._row_done.get(hook.id) == hook.cursor and Cursor.parse(hook.cursor).row >= last:
                continue
            count, full = self._queue_for(hook)
            queued += count
            more = more or full
        return queued, more

    def _queue_for(self, hook: Webhook) -> tuple[int, bool]:
        after = Cursor.parse(hook.cursor)
        # A cursor inside a row reads that row again, for the events after it.
        first = after.row - 1 if after.index >= 0 else after.row
        with self.uow(readonly=True) as uow:
            rows = uow.outbox.rows_after(first, OUTBOX_ROWS)
        events: list[tuple[Event, datetime]] = []
        for row_id, recorded_at, payload in rows:
            events.extend((found, recorded_at) for found in expand([(row_id, payload)], after))
            if len(events) >= EVENTS_PER_PASS:
                break
        full = len(events) > EVENTS_PER_PASS or len(rows) == OUTBOX_ROWS
        events = events[:EVENTS_PER_PASS]
        if not events:
            self._row_done[hook.id] = hook.cursor
            return 0, False
        types, sites = frozenset(hook.event_types), frozenset(hook.sites)
        now = self.clock()
        new = [
            _delivery(hook.id, found, recorded_at, now)
            for found, recorded_at in events
            if found.matches(types, sites)
        ]
        cursor = events[-1][0].id
        if not _advance(self.uow, hook, cursor, new):
            return 0, False  # another dispatcher moved this cursor first
        if not full:
            self._row_done[hook.id] = cursor
        return len(new), full

    # -- 2. send -----------------------------------------------------------------------
    def send_due(self) -> PassReport:
        now = self.clock()
        with self.uow(readonly=True) as uow:
            due = uow.webhooks.due(now, self.batch)
            hooks = {hook.id: hook for hook in uow.webhooks.webhooks(enabled_only=True)}
        if not due:
            return PassReport()
        until = now + LEASE
        claimed = _claim(self.uow, due, until)
        counts = dict.fromkeys(DeliveryStatus, 0)
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="webhook") as pool:
            futures = {
                pool.submit(self._attempt, hooks[delivery.webhook_id], delivery): delivery
                for delivery in claimed
                if delivery.webhook_id in hooks
            }
            for done in as_completed(futures):
                attempt = done.result()
                status = self._record(attempt, until)
                counts[status] += 1
        return PassReport(
            delivered=counts[DeliveryStatus.DELIVERED],
            retrying=counts[DeliveryStatus.PENDING],
            failed=counts[DeliveryStatus.FAILED],
            busy=len(due) == self.batch,
        )

    def _attempt(self, hook: Webhook, delivery: Delivery) -> Attempt:
        """Send one delivery, signed for this attempt. No answer is this attempt's
        outcome, to log and retry, not the pass's failure."""
        at = self.clock()
        timestamp = int(at.timestamp())
        signature = sign(hook.secret, delivery.event_id, timestamp, delivery.payload)
        request = SignedRequest(hook.url, delivery.payload, delivery.event_id, timestamp, signature)
        started = time.monotonic()
        code: int | None = None
        try:
            answer = self.sender.send(request)
        except SendFailed as failure:
            error = str(failure)[:ERROR_TEXT]
        else:
            code = answer.status
            error = "" if answer.accepted else f"HTTP {code}: {answer.text[:ERROR_TEXT]}"
        duration_ms = round((time.monotonic() - started) * 1000)
        return Attempt(delivery.id, delivery.attempts + 1, at, code, error, duration_ms)

    def _record(self, attempt: Attempt, until: datetime) -> DeliveryStatus:
        if attempt.code is not None and 200 <= attempt.code < 300:
            status, next_at = DeliveryStatus.DELIVERED, None
        else:
            next_at = self.schedule.after_failure(attempt.number, attempt.at)
            status = DeliveryStatus.PENDING if next_at is not None else DeliveryStatus.FAILED
        _store_attempt(self.uow, attempt, status, next_at, until)
        return status


def _delivery(webhook_id: int, found: Event, recorded_at: datetime, now: datetime) -> NewDelivery:
    row, _, index = found.id.partition("-")
    body = {"type": found.type, "timestamp": recorded_at.isoformat(), "data": found.data}
    return NewDelivery(
        webhook_id=webhook_id,
        event_id=found.id,
        event_row=int(row),
        event_index=int(index),
        event_type=found.type,
        payload=json.dumps(body, separators=(",", ":")),
        created_at=now,
    )


@retry_transient
def _advance(
    uow_factory: EventsUnitOfWorkFactory, hook: Webhook, cursor: str, new: list[NewDelivery]
) -> bool:
    with uow_factory() as uow:
        if not uow.webhooks.advance(hook.id, hook.cursor, cursor):
            return False
        uow.webhooks.queue(new)
        uow.commit()
        return True


@retry_transient
def _claim(
    uow_factory: EventsUnitOfWorkFactory, due: list[Delivery], until: datetime
) -> list[Delivery]:
    with uow_factory() as uow:
        claimed = [
            delivery
            for delivery in due
            if delivery.next_attempt_at is not None
            and uow.webhooks.claim(delivery.id, delivery.next_attempt_at, until)
        ]
        uow.commit()
        return claimed


@retry_transient
def _store_attempt(
    uow_factory: EventsUnitOfWorkFactory,
    attempt: Attempt,
    status: DeliveryStatus,
    next_at: datetime | None,
    until: datetime,
) -> None:
    with uow_factory() as uow:
        uow.webhooks.record_attempt(attempt, status, next_at, until)
        uow.commit()
