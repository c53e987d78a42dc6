"""The composition root: settings -> engine -> unit of work. Nothing here runs at import."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from trueup.adapters.mail import SmtpMailer
from trueup.domain.alerts.conditions import DEFAULT_COVER_DAYS, AlertConfig, parse_escalate_after
from trueup.domain.errors import InputError, StorageUnavailable
from trueup.domain.ledger.times import FUTURE_TOLERANCE, parse_tolerance
from trueup.domain.values import parse_zone
from trueup.services.alerts.monitor import parse_every
from trueup.services.cases.monitor import JOBS as CASE_JOBS
from trueup.services.kpis.monitor import JOBS as KPI_JOBS
from trueup.storage.engine import make_engine, normalize_url, probe
from trueup.storage.schema import current_revision, head_revision, upgrade
from trueup.storage.uow import SqlUnitOfWorkFactory

DEFAULT_DATABASE = "sqlite:///trueup.db"
DATABASE_ENV = "TRUEUP_DATABASE_URL"
ACTOR_ENV = "TRUEUP_ACTOR"
READ_SCOPE_ENV = "TRUEUP_STAFF_READ_SCOPE"
MAX_ACTOR = 100
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    database_url: str
    actor: str
    #: e-mail notifications (docs/alerts.md): none are sent without a host
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "trueup@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    alerts: AlertConfig = field(default_factory=AlertConfig)
    #: intervals of the periodic jobs, seconds by job name (services/alerts/monitor.py JOBS)
    monitor_every: Mapping[str, int] = field(default_factory=dict)
    #: how far ahead of the clock a movement may be dated (TRUEUP_FUTURE_TOLERANCE)
    future_tolerance: timedelta = FUTURE_TOLERANCE
    #: the zone of times written without an offset, and of times shown (TRUEUP_TIMEZONE)
    timezone: tzinfo | None = None
    #: TRUEUP_STAFF_READ_SCOPE=all: users with sites read stock at every site over the
    #: API (they still act only at theirs); `own`, the default, keeps reads at their sites
    staff_reads_all_stock: bool = False

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        url = database_url or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE
        actor = (os.environ.get(ACTOR_ENV) or _login()).strip()
        if not actor or len(actor) > MAX_ACTOR:
            raise InputError(f"{ACTOR_ENV}: expected a name of 1 to {MAX_ACTOR} characters")
        tolerance = _named("TRUEUP_FUTURE_TOLERANCE", parse_tolerance)
        return cls(
            database_url=normalize_url(url),
            actor=actor,
            future_tolerance=tolerance,
            timezone=_named("TRUEUP_TIMEZONE", parse_zone),
            staff_reads_all_stock=_staff_reads_all_stock(),
            **_monitor_env(),
        )

    def mailer(self) -> SmtpMailer | None:
        """The SMTP mailer, or None when no SMTP host is configured."""
        if not self.smtp_host:
            return None
        return SmtpMailer(
            self.smtp_host,
            self.smtp_port,
            self.smtp_from,
            self.smtp_user,
            self.smtp_password,
            self.smtp_starttls,
        )


def _monitor_env() -> dict[str, Any]:
    """SMTP, alert and monitor settings from TRUEUP_SMTP_*, TRUEUP_ALERT_* and
    TRUEUP_MONITOR_EVERY (docs/alerts.md)."""
    env = os.environ
    port = env.get("TRUEUP_SMTP_PORT", "25").strip()
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InputError("TRUEUP_SMTP_PORT: expected a port from 1 to 65535", value=port)
    cover = env.get("TRUEUP_ALERT_COVER_DAYS", str(DEFAULT_COVER_DAYS)).strip()
    if not cover.isdigit():
        raise InputError("TRUEUP_ALERT_COVER_DAYS: expected whole days", value=cover)
    waits = _named("TRUEUP_ALERT_ESCALATE_AFTER", parse_escalate_after)
    every = _named("TRUEUP_MONITOR_EVERY", lambda text: parse_every(text, CASE_JOBS | KPI_JOBS))
    return {
        "smtp_host": env.get("TRUEUP_SMTP_HOST", "").strip() or None,
        "smtp_port": int(port),
        "smtp_from": env.get("TRUEUP_SMTP_FROM", "").strip() or "trueup@localhost",
        "smtp_user": env.get("TRUEUP_SMTP_USER", "").strip() or None,
        "smtp_password": env.get("TRUEUP_SMTP_PASSWORD") or None,
        "smtp_starttls": env.get("TRUEUP_SMTP_STARTTLS", "").strip().lower() in ("1", "true"),
        "alerts": AlertConfig(cover_days=int(cover), escalate_after=waits),
        "monitor_every": every,
    }


def _staff_reads_all_stock() -> bool:
    text = os.environ.get(READ_SCOPE_ENV, "").strip().lower()
    if text not in ("", "own", "all"):
        raise InputError(f"{READ_SCOPE_ENV}: expected own or all", value=text)
    return text == "all"


def _named(variable: str, parse: Callable[[str], T]) -> T:
    """Parse an environment variable; a mistake names the variable."""
    try:
        return parse(os.environ.get(variable, ""))
    except InputError as error:
        raise InputError(f"{variable}: {error}", value=error.value) from None


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class System:
    settings: Settings
    engine: Engine
    uow: SqlUnitOfWorkFactory

    def close(self) -> None:
        self.engine.dispose()

    def health(self) -> list[HealthCheck]:
        return health(self.engine)


@dataclass(frozen=True)
class HealthCheck:
    """One check of `GET /healthz`: its name, whether it passed, in plain words why."""

    name: str
    ok: bool
    detail: str


def health(engine: Engine) -> list[HealthCheck]:
    """Whether the database answers and its schema is at the newest revision. The
    details name no address or credential: the health endpoint needs no token."""
    try:
        probe(engine)
        have = current_revision(engine)
    except (StorageUnavailable, SQLAlchemyError):
        return [
            HealthCheck("database", False, "the database cannot be reached"),
            HealthCheck("schema", False, "not checked: the database cannot be reached"),
        ]
    head = head_revision()
    if have == head:
        schema = HealthCheck("schema", True, f"at the newest revision {head}")
    elif have is None:
        schema = HealthCheck("schema", False, "not initialised: run `trueup init`")
    else:
        schema = HealthCheck(
            "schema", False, f"at revision {have}, not {head}: run `trueup init` to upgrade"
        )
    return [HealthCheck("database", True, "reachable"), schema]


def connect(settings: Settings, *, require_schema: bool = True) -> System:
    """Open the database; unless asked not to, insist that `trueup init` ran."""
    engine = make_engine(settings.database_url)
    try:
        probe(engine)
    except StorageUnavailable:
        engine.dispose()
        raise
    if require_schema:
        have = current_revision(engine)
        if have != head_revision():
            engine.dispose()
            state = "is not initialised" if have is None else f"is at revision {have}"
            raise InputError(
                f"the database {safe_url(settings.database_url)} {state}: run `trueup init`"
            )
    return System(settings, engine, SqlUnitOfWorkFactory(engine))


def initialise(settings: Settings) -> System:
    """Create or upgrade the schema (idempotent) and return the connected system."""
    system = connect(settings, require_schema=False)
    upgrade(system.engine)
    return system


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
