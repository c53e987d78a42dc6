"""`trueup cases request|approve|reject|execute|close` end to end: a counted loss's case is
requested by one manager, refused to her as approver, approved by another (the count
already posted its correction, so nothing more is posted), its recount and loss review
executed by their owners, validated, and shown with every decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cases.test_cases_cli import _count_a_loss
from tests.e2e.harness import Cli


@pytest.fixture
def people(stocked: Cli, monkeypatch: pytest.MonkeyPatch, script_env: dict[str, str]) -> Cli:
    for name, role in (("maria", "inventory_manager"), ("olaf", "inventory_manager"),
                       ("fiona", "finance")):  # fmt: skip
        stocked.ok("users", "add", name, "--role", role)
    return stocked


def _as(monkeypatch: pytest.MonkeyPatch, script_env: dict[str, str], name: str) -> None:
    """The next commands are run by `name` (TRUEUP_ACTOR)."""
    monkeypatch.setenv("TRUEUP_ACTOR", name)
    monkeypatch.setitem(script_env, "TRUEUP_ACTOR", name)


def test_a_case_from_request_to_validation(
    people: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script_env: dict[str, str]
) -> None:
    _count_a_loss(people, tmp_path)
    people.ok("cases", "detect")
    actions = [
        line.split()[0]
        for line in people.ok("cases", "show", "1")
        .out.split("proposed actions:")[1]
        .split("timeline:")[0]
        .splitlines()
        if line.startswith("  ") and not line.startswith("     ")
    ]
    _as(monkeypatch, script_env, "tester")
    refused = people("cases", "request", "1")
    assert refused.code == 9 and "tester is no active user" in refused.said

    _as(monkeypatch, script_env, "maria")
    requested = people.ok("cases", "request", "1", "--reason", "the count is sound").said
    assert "case 1: awaiting_approval" in requested
    correction = next(a for a in actions if a in ("adjust_record", "reverse_duplicate",
                                                  "post_missing_event"))  # fmt: skip
    own = people("cases", "approve", "1", correction)
    assert own.code == 9 and f"maria requested {correction} and may not approve it" in own.said

    _as(monkeypatch, script_env, "olaf")
    approved = people.ok("cases", "approve", "1", correction, "--reason", "agreed").said
    assert f"{correction}: executed" in approved
    again = people("cases", "approve", "1", correction)
    assert again.code == 4

    owners = {"recount": "ann", "loss_prevention": "fiona", "retrain_picking": "ann"}
    for action in actions:
        if action in owners:
            _as(monkeypatch, script_env, owners[action])
            people.ok("cases", "execute", "1", action)
    shown = people.ok("cases", "show", "1").said
    assert "status validated" in shown and "follow-up count due" in shown
    assert "approved at level manager by olaf (inventory_manager)" in shown
    assert "requested by maria" in shown and "executed " in shown

    _as(monkeypatch, script_env, "maria")
    early = people("cases", "close", "1", "--lessons", "label the bins")
    assert early.code == 4 and "cannot be closed" in early.said


def test_a_rejection_voids_the_correction(
    people: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script_env: dict[str, str]
) -> None:
    _count_a_loss(people, tmp_path)
    people.ok("cases", "detect")
    _as(monkeypatch, script_env, "maria")
    people.ok("cases", "request", "1")
    _as(monkeypatch, script_env, "olaf")
    unsaid = people("cases", "reject", "1", "adjust_record", "--reason", " ")
    assert unsaid.code == 2 and "reason" in unsaid.said
    rejected = people.ok("cases", "reject", "1", "adjust_record", "--reason", "recount first")
    assert "adjust_record: rejected" in rejected.said
    assert "case 1: approved" in rejected.said, "the recount and the review remain"
    shown = people.ok("cases", "show", "1").said
    assert "rejected at level manager by olaf (inventory_manager)" in shown


def test_a_case_closed_without_action(
    people: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script_env: dict[str, str]
) -> None:
    _count_a_loss(people, tmp_path)
    people.ok("cases", "detect")
    _as(monkeypatch, script_env, "ann")
    staff = people("cases", "close", "1", "--no-action", "--reason", "a miscount")
    assert staff.code == 9 and "that is for inventory_manager" in staff.said
    _as(monkeypatch, script_env, "maria")
    closed = people.ok("cases", "close", "1", "--no-action", "--reason", "a miscount").said
    assert "case 1: closed" in closed and "closed, no action: a miscount" in closed
