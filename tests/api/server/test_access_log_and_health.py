"""`trueup serve`'s access log names each request and who made it, never the token;
`/healthz` tells a load balancer whether the database answers at the newest schema."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.conftest import STAFF_SITE, Api, receipt
from trueup.api.app import create_app
from trueup.bootstrap import Settings, System, connect, health
from trueup.cli.serve import configure_access_log
from trueup.storage.engine import make_engine


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "trueup.access"]


def test_each_request_is_logged_with_status_time_and_user_never_the_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trueup.access")
    api.client.get(
        "/api/v1/stock", params={"site": STAFF_SITE}, headers=api.headers("warehouse_staff")
    )
    api.client.get("/api/v1/stock")
    [served, refused] = _lines(caplog)
    assert " GET /api/v1/stock 1.1 200 " in served
    assert served.endswith(" warehouse_staff token=1")  # its first token, by id
    assert " 401 " in refused and refused.endswith(" -")
    for token in api.tokens.values():
        assert all(token not in line for line in _lines(caplog))


def test_posts_through_the_express_lane_are_logged_too(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trueup.access")
    for n in range(3):
        answer = api.client.post(
            "/api/v1/movements", json=receipt(f"R{n}"), headers=api.headers("erp")
        )
        assert answer.status_code == 201
    lines = _lines(caplog)
    assert len(lines) == 3
    assert all(
        " POST /api/v1/movements 1.1 201 " in line and "erp-link token=" in line for line in lines
    )


def test_the_docs_files_are_logged_by_the_path_asked_for(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trueup.access")
    api.client.get("/api/v1/docs-assets/swagger-ui.css")
    [line] = _lines(caplog)
    assert " GET /api/v1/docs-assets/swagger-ui.css 1.1 200 " in line


def test_the_access_log_is_off_unless_the_server_turns_it_on(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="trueup.access")
    api.client.get("/api/v1/me", headers=api.headers("admin"))
    assert _lines(caplog) == []


def test_serve_writes_the_access_log_to_standard_error() -> None:
    logger = logging.getLogger("trueup.access")
    before = list(logger.handlers)
    try:
        configure_access_log()
        assert logger.isEnabledFor(logging.INFO)
        assert any(isinstance(h, logging.StreamHandler) for h in logger.handlers)
    finally:
        logger.handlers[:] = before
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def test_health_is_200_without_a_token_when_the_database_is_current(api: Api) -> None:
    answer = api.client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert {name: check["ok"] for name, check in answer.json()["checks"].items()} == {
        "database": True,
        "schema": True,
    }


def test_health_answers_head_with_the_same_status_and_no_body(api: Api) -> None:
    answer = api.client.head("/healthz")
    assert answer.status_code == 200
    assert answer.content == b""
    assert answer.headers["cache-control"] == "no-store"


def _health_of(system: System) -> TestClient:
    return TestClient(create_app(system.uow, checks=system.health))


def test_health_is_503_naming_the_schema_when_the_database_is_not_initialised(
    db_url: str,
) -> None:
    system = connect(Settings(database_url=db_url, actor="tester"), require_schema=False)
    try:
        answer = _health_of(system).get("/healthz")
    finally:
        system.close()
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["schema"] == {"ok": False, "detail": "not initialised: run `trueup init`"}


def test_health_is_503_naming_the_schema_when_it_is_behind(system: System) -> None:
    with system.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    client = _health_of(system)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert "at revision old" in answer.json()["checks"]["schema"]["detail"]
    head = client.head("/healthz")
    assert (head.status_code, head.content) == (503, b"")


def test_health_is_503_naming_the_database_when_it_cannot_be_reached(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/no/such/folder/x.db")
    try:
        checks = health(engine)
    finally:
        engine.dispose()
    assert [(c.name, c.ok) for c in checks] == [("database", False), ("schema", False)]
    assert "no/such" not in checks[0].detail
