"""`trueup users`, `trueup tokens` and `trueup init --admin`, as an administrator runs them.

Calls run in this process through `trueup.cli.main`, like tests/e2e/ledger/test_cli.py, with
standard input replaced for the commands that read a password; one test runs the
installed script with a real pipe.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from tests.e2e.harness import NOT_INITIALISED, SCRIPT, Cli, business, in_process, settle
from trueup.bootstrap import Settings, connect
from trueup.services.identity.tokens import authenticate_token
from trueup.storage.identity import tables

PASSWORD = "correct horse battery"


class Admin(Cli):
    """The CLI with something to type on standard input."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(in_process, url)
        self.monkeypatch = monkeypatch

    def typing(self, stdin: str) -> Cli:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return self


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Admin:
    settle(monkeypatch, tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return Admin(f"sqlite:///{tmp_path}/trueup.db", monkeypatch)


@pytest.fixture
def shop(admin: Admin, tmp_path: Path) -> Admin:
    """Initialised with a first admin, and the test business's locations."""
    assert "added admin root with a password" in (
        admin.typing(PASSWORD + "\n").ok("init", "--admin", "root", "--password-stdin").said
    )
    admin.ok("import", "locations", str(business(tmp_path)["locations"]))
    return admin


def users(cli: Cli) -> dict[str, dict[str, object]]:
    listed = json.loads(cli.ok("users", "list", "--format", "json").out)
    return {user["username"]: user for user in listed}


def tokens(cli: Cli, *argv: str) -> list[dict[str, str]]:
    listed: list[dict[str, str]] = json.loads(
        cli.ok("tokens", "list", *argv, "--format", "json").out
    )
    return listed


# -- the first admin ---------------------------------------------------------------------------
def test_init_creates_the_first_admin_with_the_password_from_standard_input(shop: Admin) -> None:
    assert users(shop)["root"] == {
        "username": "root",
        "role": "admin",
        "sites": [],
        "password": "yes",
        "status": "active",
        "created_at": users(shop)["root"]["created_at"],
        "sources": ["manual"],
    }
    again = shop.typing(PASSWORD + "\n")("init", "--admin", "root", "--password-stdin")
    assert again.code == 4 and "already exists" in again.said


@pytest.mark.parametrize(
    ("argv", "stdin", "complaint"),
    [
        (["--admin", "root", "--password-stdin"], "too short\n", "at least 12 characters"),
        (["--admin", "root", "--password-stdin"], "", "at least 12 characters"),
        (["--password-stdin"], PASSWORD + "\n", "give both"),
        (["--admin", "no spaces"], "", "username"),
    ],
    ids=["short-password", "no-password", "password-without-admin", "bad-username"],
)
def test_init_refuses_a_bad_first_admin_before_writing_anything(
    admin: Admin, tmp_path: Path, argv: list[str], stdin: str, complaint: str
) -> None:
    result = admin.typing(stdin)("init", *argv)
    assert result.code == 2 and complaint in result.said
    assert not (tmp_path / "trueup.db").exists()


def test_the_installed_script_reads_the_admin_password_from_a_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "init", "--admin", "root", "--password-stdin"],
        input=PASSWORD + "\n",
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TRUEUP_ACTOR": "installer", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "added admin root with a password" in done.stdout
    system = connect(Settings(f"sqlite:///{tmp_path}/trueup.db", "tester"))
    try:
        with system.engine.connect() as connection:
            stored = connection.execute(select(tables.app_user.c.password_hash)).scalar_one()
    finally:
        system.close()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


# -- users -------------------------------------------------------------------------------------
def test_users_are_added_listed_and_disabled(shop: Admin) -> None:
    added = shop.typing(PASSWORD + "\n").ok(
        "users", "add", "ann", "--role", "warehouse_staff", "--site", "DC1", "--site", "ST1",
        "--password-stdin",
    )  # fmt: skip
    assert "added ann (warehouse_staff) at DC1, ST1; password set" in added.said
    machine = shop.ok("users", "add", "erp-link", "--role", "inventory_manager")
    assert "at every site; no password: sign in with a token" in machine.said
    listed = users(shop)
    assert (listed["ann"]["sites"], listed["ann"]["password"]) == (["DC1", "ST1"], "yes")
    assert (listed["erp-link"]["sites"], listed["erp-link"]["password"]) == ([], "no")
    assert shop.ok("users", "list", "--format", "csv").csv()[0] == (
        "username,role,sites,password,status,created_at,sources"
    )
    assert "disabled ann" in shop.ok("users", "disable", "ann").said
    assert users(shop)["ann"]["status"] == "disabled"


def test_a_disabled_user_is_enabled_and_edited_not_added_again(shop: Admin) -> None:
    shop.ok("users", "add", "Ann", "--role", "warehouse_staff", "--site", "DC1")
    shop.ok("users", "disable", "ann")
    again = shop("users", "add", "ANN", "--role", "auditor")
    assert again.code == 4 and "Ann exists and is disabled" in again.said
    assert "trueup users enable Ann" in again.said
    assert "enabled Ann (warehouse_staff) at DC1" in shop.ok("users", "enable", "ann").said
    assert users(shop)["Ann"]["status"] == "active"
    changed = shop.ok(
        "users", "edit", "ann", "--role", "retail_staff", "--site", "ST1", "--source", "pos"
    )
    assert "changed Ann (retail_staff) at ST1; posts as manual, pos" in changed.said
    assert users(shop)["Ann"]["sources"] == ["manual", "pos"]
    shop.ok("users", "edit", "ann", "--role", "inventory_manager", "--all-sites", "--manual-only")
    assert (users(shop)["Ann"]["sites"], users(shop)["Ann"]["sources"]) == ([], ["manual"])
    staff = shop("users", "edit", "ann", "--role", "warehouse_staff")
    assert staff.code == 2 and "at least one --site" in staff.said
    assert shop("users", "edit", "nobody", "--role", "auditor").code == 3


@pytest.mark.parametrize(
    ("argv", "stdin", "complaint"),
    [
        (["ann", "--role", "boss"], "", "Invalid value for '--role'"),
        (["ann", "--role", "retail_staff", "--site", "NOWHERE"], "", "unknown site 'NOWHERE'"),
        (["ann", "--role", "retail_staff", "--site", "DC1-A"], "", "'DC1-A' is a zone"),
        (["ann", "--role", "retail_staff"], "", "at least one --site"),
        (["ann", "--role", "finance", "--password-stdin"], "eleven char\n", "at least 12"),
        (["ann bee", "--role", "finance"], "", "username"),
    ],
    ids=["unknown-role", "unknown-site", "zone-as-site", "staff-unscoped", "short", "bad-name"],
)
def test_users_add_mistakes_exit_2_and_write_nothing(
    shop: Admin, argv: list[str], stdin: str, complaint: str
) -> None:
    result = shop.typing(stdin)("users", "add", *argv)
    assert result.code == 2, result.said
    assert complaint in result.said
    assert list(users(shop)) == ["root"]


def test_a_taken_username_in_any_case_is_a_conflict(shop: Admin) -> None:
    result = shop("users", "add", "ROOT", "--role", "auditor")
    assert result.code == 4 and "already exists" in result.said


def test_the_last_admin_cannot_be_disabled_and_unknown_users_are_not_found(shop: Admin) -> None:
    last = shop("users", "disable", "root")
    assert last.code == 4 and "last active admin" in last.said
    assert shop("users", "disable", "nobody").code == 3


def test_users_password_sets_a_new_password(shop: Admin) -> None:
    assert "password set for root" in (
        shop.typing("another long passphrase\n").ok("users", "password", "root").said
    )
    short = shop.typing("short\n")("users", "password", "root")
    assert short.code == 2 and "at least 12 characters" in short.said


# -- tokens ------------------------------------------------------------------------------------
def test_a_token_is_printed_once_stored_hashed_and_works(shop: Admin, tmp_path: Path) -> None:
    shop.ok("users", "add", "erp-link", "--role", "inventory_manager")
    created = shop.ok("tokens", "create", "erp-link", "--source", "erp", "--label", "ERP posting")
    plaintext = created.out.strip()
    assert created.out == plaintext + "\n" and plaintext.startswith("tu_")
    assert "cannot be shown again" in created.err
    assert "a machine token for source erp" in created.err
    (listed,) = tokens(shop, "erp-link")
    assert {k: listed[k] for k in ("id", "kind", "source", "label", "prefix", "status")} == {
        "id": "1",
        "kind": "machine",
        "source": "erp",
        "label": "ERP posting",
        "prefix": plaintext[:10],
        "status": "active",
    }
    assert plaintext not in shop.ok("tokens", "list").said
    engine = create_engine(f"sqlite:///{tmp_path}/trueup.db")
    with engine.connect() as connection:
        stored = connection.execute(select(tables.api_token.c.token_hash)).scalar_one()
    engine.dispose()
    assert stored == hashlib.sha256(plaintext.encode()).hexdigest()
    system = connect(Settings(f"sqlite:///{tmp_path}/trueup.db", "tester"))
    try:
        who = authenticate_token(system.uow, plaintext)
    finally:
        system.close()
    assert (who.username, who.source) == ("erp-link", "erp")


def test_tokens_are_revoked_by_id_or_prefix_and_listed_per_user(shop: Admin) -> None:
    shop.ok("users", "add", "ann", "--role", "auditor")
    shop.ok("tokens", "create", "ann", "--expires-at", "2999-01-01T00:00:00Z")
    root_token = shop.ok("tokens", "create", "root", "--label", "laptop").out.strip()
    assert [t["username"] for t in tokens(shop)] == ["ann", "root"]
    assert [t["expires_at"] for t in tokens(shop, "ann")] == ["2999-01-01T00:00:00+00:00"]
    assert "token 1 (" in shop.ok("tokens", "revoke", "1").said
    assert "revoked at" in shop.ok("tokens", "revoke", root_token[:10]).said
    assert [t["status"] for t in tokens(shop)] == ["revoked", "revoked"]
    assert shop.ok("tokens", "revoke", "1").code == 0  # again: nothing changes


@pytest.mark.parametrize(
    ("argv", "code", "complaint"),
    [
        (["tokens", "create", "nobody"], 3, "no user named 'nobody'"),
        (["tokens", "create", "root", "--expires-at", "2001-01-01T00:00:00Z"], 2, "future"),
        (["tokens", "create", "root", "--expires-at", "tomorrow"], 2, "ISO 8601"),
        (["tokens", "revoke", "42"], 3, "no token '42'"),
        (["tokens", "list", "nobody"], 3, "no user named 'nobody'"),
    ],
    ids=["unknown-user", "expired", "bad-time", "unknown-token", "list-unknown-user"],
)
def test_token_mistakes_are_explained(
    shop: Admin, argv: list[str], code: int, complaint: str
) -> None:
    result = shop(*argv)
    assert result.code == code, result.said
    assert complaint in result.said


@pytest.mark.parametrize(
    "argv",
    [
        ["users", "list"],
        ["users", "add", "ann", "--role", "auditor"],
        ["users", "disable", "ann"],
        ["tokens", "list"],
        ["tokens", "create", "ann"],
        ["tokens", "revoke", "1"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_identity_commands_on_an_uninitialised_database_say_to_run_init(
    admin: Admin, argv: list[str]
) -> None:
    result = Cli(in_process, "sqlite:///fresh.db")(*argv)
    assert result.code == 2
    assert NOT_INITIALISED in result.said
