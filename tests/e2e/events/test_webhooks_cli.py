"""`trueup webhooks` end to end: subscribe, dispatch to a live receiver, read the log,
replay, disable."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import movement, write_csv
from tests.e2e.harness import Cli, business, in_process, settle
from tests.webhook_receiver import Receiver, running_receiver


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    settle(monkeypatch, tmp_path)
    files = business(tmp_path)
    cli = Cli(in_process, f"sqlite:///{tmp_path}/trueup.db")
    cli.ok("init")
    cli.ok("import", "locations", str(files["locations"]))
    cli.ok("import", "items", str(files["items"]))
    return cli


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_webhook_is_added_dispatched_logged_replayed_and_disabled(
    cli: Cli, receiver: Receiver, tmp_path: Path
) -> None:
    added = cli.ok("webhooks", "add", receiver.url, "--event", "movement.posted", "--site", "ST1")
    secret = added.out.strip()
    assert secret.startswith("whsec_") and "\n" not in secret
    assert "cannot be shown again" in added.err
    (listed,) = rows(cli.ok("webhooks", "list", "--format", "csv").out)
    assert (listed["id"], listed["sites"], listed["status"]) == ("1", "ST1", "enabled")
    assert secret not in cli.ok("webhooks", "list").out

    moves = [movement(external_id="W-1", to_location="ST1"), movement(external_id="W-2")]
    cli.ok("import", "movements", str(write_csv(tmp_path / "w.csv", moves)))
    assert "queued 1, delivered 1" in cli.ok("webhooks", "dispatch", "--once").said
    (got,) = receiver.requests
    assert got.verifies_with(secret) and got.json["data"]["external_id"] == "W-1"

    (logged,) = rows(cli.ok("webhooks", "deliveries", "1", "--format", "csv").out)
    assert (logged["event_id"], logged["status"], logged["last_code"]) == (
        got.id,
        "delivered",
        "200",
    )
    assert (
        rows(cli.ok("webhooks", "deliveries", "1", "--status", "failed", "--format", "csv").out)
        == []
    )
    assert "queued 1 delivery" in cli.ok("webhooks", "replay", "1", "--event", got.id).said
    assert "delivered 1" in cli.ok("webhooks", "dispatch", "--once").said
    assert [r.id for r in receiver.requests] == [got.id, got.id]

    assert "disabled at" in cli.ok("webhooks", "disable", "1").said
    (listed,) = rows(cli.ok("webhooks", "list", "--format", "csv").out)
    assert (listed["status"], listed["delivered"]) == ("disabled", "1")


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (["add", "ftp://x.example", "--event", "movement.posted"], 2, "http:// or https://"),
        (["add", "https://x.example", "--event", "stock.moved"], 2, "one of movement.posted"),
        (["replay", "1"], 2, "either --event EVENT_ID or --since EVENT_ID"),
        (["replay", "9", "--since", "1-0"], 3, "no webhook 9"),
        (["deliveries", "9"], 3, "no webhook 9"),
        (["disable", "9"], 3, "no webhook 9"),
    ],
    ids=["bad-url", "bad-type", "replay-what", "replay-unknown", "log-unknown", "disable-unknown"],
)
def test_webhook_mistakes_are_explained_with_their_exit_code(
    cli: Cli, argv: list[str], code: int, said: str
) -> None:
    result = cli("webhooks", *argv)
    assert result.code == code and said in result.said, result.said
