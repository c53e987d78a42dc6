"""The composition root: settings -> engine -> unit of work. Nothing here runs at import."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from trueup.domain.errors import InputError, StorageUnavailable
from trueup.storage.engine import make_engine, normalize_url, probe
from trueup.storage.schema import current_revision, head_revision, upgrade
from trueup.storage.uow import SqlUnitOfWorkFactory

DEFAULT_DATABASE = "sqlite:///trueup.db"
DATABASE_ENV = "TRUEUP_DATABASE_URL"
ACTOR_ENV = "TRUEUP_ACTOR"
MAX_ACTOR = 100


@dataclass(frozen=True)
class Settings:
    database_url: str
    actor: str

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        url = database_url or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE
        actor = (os.environ.get(ACTOR_ENV) or _login()).strip()
        if not actor or len(actor) > MAX_ACTOR:
            raise InputError(f"{ACTOR_ENV}: expected a name of 1 to {MAX_ACTOR} characters")
        return cls(database_url=normalize_url(url), actor=actor)


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
