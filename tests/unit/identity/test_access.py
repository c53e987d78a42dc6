"""Who may do what, and where: the permission matrix, site scope and principals."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from trueup.domain.access import (
    MACHINE_DENIED,
    PERMISSIONS,
    Action,
    Principal,
    Role,
    parse_role,
)
from trueup.domain.access_table import permission_table
from trueup.domain.credentials import check_password, normalize_username, username_key
from trueup.domain.errors import Forbidden, InputError

PERMISSIONS_DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
READS = {action for action in Action if action.value.endswith(".read")}
WRITES = set(Action) - READS - {Action.STOCK_COST, Action.VERIFY_RUN}


def principal(role: Role, *sites: str, source: str | None = None) -> Principal:
    return Principal(1, "someone", role, frozenset(sites), source=source)


# -- the matrix ----------------------------------------------------------------------------
def test_every_role_has_a_row_of_the_matrix() -> None:
    assert set(PERMISSIONS) == set(Role)


def test_the_auditor_reads_everything_costs_included_and_changes_nothing() -> None:
    granted = PERMISSIONS[Role.AUDITOR]
    assert granted >= READS | {Action.STOCK_COST, Action.VERIFY_RUN}
    assert granted & WRITES == {Action.TOKENS_OWN}


def test_staff_post_at_their_sites_and_read_stock_without_cost() -> None:
    for role in (Role.WAREHOUSE_STAFF, Role.RETAIL_STAFF):
        granted = PERMISSIONS[role]
        assert {Action.MOVEMENTS_POST, Action.DOCUMENTS_POST, Action.STOCK_READ} <= granted
        assert Action.STOCK_COST not in granted
        assert Action.MOVEMENTS_REVERSE not in granted
        assert not granted & {Action.ITEMS_WRITE, Action.POLICY_WRITE, Action.USERS_MANAGE}


def test_finance_reads_stock_with_its_cost_and_posts_nothing() -> None:
    granted = PERMISSIONS[Role.FINANCE]
    assert {Action.STOCK_READ, Action.STOCK_COST, Action.LEDGER_READ} <= granted
    assert not granted & {Action.MOVEMENTS_POST, Action.DOCUMENTS_POST, Action.MOVEMENTS_REVERSE}


def test_the_inventory_manager_runs_operations_but_not_people_or_integrations() -> None:
    granted = PERMISSIONS[Role.INVENTORY_MANAGER]
    assert {
        Action.MOVEMENTS_POST,
        Action.MOVEMENTS_REVERSE,
        Action.POLICY_WRITE,
        Action.VERIFY_RUN,
        Action.ITEMS_WRITE,
        Action.STOCK_COST,
    } <= granted
    assert not granted & {Action.USERS_MANAGE, Action.TOKENS_MANAGE, Action.WEBHOOKS_MANAGE}


def test_only_the_admin_manages_users_tokens_and_webhooks_and_it_posts_no_stock() -> None:
    managing = {Action.USERS_MANAGE, Action.TOKENS_MANAGE, Action.WEBHOOKS_MANAGE}
    assert [role for role in Role if PERMISSIONS[role] & managing] == [Role.ADMIN]
    assert PERMISSIONS[Role.ADMIN] >= managing | {Action.POLICY_WRITE, Action.AUDIT_READ}
    assert not PERMISSIONS[Role.ADMIN] & {Action.MOVEMENTS_POST, Action.STOCK_COST}


def test_only_the_inventory_manager_reverses_a_movement() -> None:
    assert [r for r in Role if Action.MOVEMENTS_REVERSE in PERMISSIONS[r]] == [
        Role.INVENTORY_MANAGER
    ]


def test_everyone_keeps_their_own_tokens() -> None:
    assert all(Action.TOKENS_OWN in PERMISSIONS[role] for role in Role)


# -- principals ------------------------------------------------------------------------------
def test_a_principal_can_what_its_role_grants_and_nothing_else() -> None:
    for role in Role:
        who = principal(role, "DC1")
        assert {a for a in Action if who.can(a)} == set(PERMISSIONS[role])


def test_require_refuses_with_forbidden_naming_the_action() -> None:
    with pytest.raises(Forbidden, match=r"finance\) may not movements\.post"):
        principal(Role.FINANCE).require(Action.MOVEMENTS_POST)
    principal(Role.FINANCE).require(Action.STOCK_COST)


@pytest.mark.parametrize("role", [Role.WAREHOUSE_STAFF, Role.RETAIL_STAFF])
def test_staff_always_have_a_site(role: Role) -> None:
    with pytest.raises(InputError, match="at least one --site"):
        principal(role)


@pytest.mark.parametrize("role", [Role.INVENTORY_MANAGER, Role.FINANCE, Role.AUDITOR, Role.ADMIN])
def test_other_roles_may_act_at_every_site(role: Role) -> None:
    who = principal(role)
    assert who.may_act_at("DC1") and who.may_act_at("ST9")


def test_a_scoped_principal_acts_only_at_its_sites_and_virtual_locations() -> None:
    who = principal(Role.WAREHOUSE_STAFF, "DC1", "ST1")
    assert who.may_act_at("DC1") and who.may_act_at("ST1")
    assert not who.may_act_at("ST2")
    assert who.may_act_at(None)  # supplier, customer, in transit, loss, scrap


def test_scoped_reads_cover_the_sites_asked_for_within_scope_or_all_of_the_scope() -> None:
    staff = principal(Role.RETAIL_STAFF, "ST2", "ST1")
    assert staff.scoped_sites() == ("ST1", "ST2")
    assert staff.scoped_sites(["ST2", "ST2"]) == ("ST2",)
    with pytest.raises(Forbidden, match="ST3"):
        staff.scoped_sites(["ST1", "ST3"])
    assert principal(Role.AUDITOR).scoped_sites() == ()  # every site
    assert principal(Role.AUDITOR).scoped_sites(["DC1"]) == ("DC1",)


def test_a_machine_token_posts_only_as_its_source() -> None:
    erp = principal(Role.INVENTORY_MANAGER, source="erp")
    assert erp.is_machine and erp.may_post_source("erp")
    assert not erp.may_post_source("pos") and not erp.may_post_source("manual")


def test_a_person_posts_as_manual_and_only_the_sources_an_admin_assigned() -> None:
    clerk = principal(Role.INVENTORY_MANAGER)
    assert clerk.may_post_source("manual")
    assert not clerk.may_post_source("pos")
    keyer = Principal(user_id=9, username="kim", role=Role.RETAIL_STAFF, sites=frozenset({"ST1"}),
                      sources=frozenset({"pos"}))  # fmt: skip
    assert keyer.may_post_source("pos") and keyer.may_post_source("manual")
    assert not keyer.may_post_source("erp")
    assert keyer.posting_sources == ("manual", "pos")
    assert Principal.operator("root").may_post_source("erp")  # the command line posts any


def test_a_machine_token_never_manages_users_tokens_or_webhooks_even_as_admin() -> None:
    machine = principal(Role.ADMIN, source="provisioning")
    assert not any(machine.can(action) for action in MACHINE_DENIED)
    assert machine.can(Action.POLICY_WRITE) and machine.can(Action.AUDIT_READ)


# -- names and passwords -----------------------------------------------------------------------
def test_usernames_are_one_regardless_of_case_and_unicode_normal_form() -> None:
    assert username_key("Ann") == username_key(" ann ")
    decomposed = unicodedata.normalize("NFD", "José")
    assert username_key(decomposed) == username_key("JOSÉ")
    assert normalize_username(decomposed) == "José"


@pytest.mark.parametrize("name", ["", "   ", "a b", "ann\x00", "x" * 101, "semi;colon"])
def test_a_username_is_letters_digits_and_a_few_marks(name: str) -> None:
    with pytest.raises(InputError, match="username"):
        normalize_username(name)


def test_an_email_address_is_a_username() -> None:
    assert normalize_username("ann.lee+ops@example.com") == "ann.lee+ops@example.com"


@pytest.mark.parametrize("password", ["", "short", "elevenchars", " " * 12, "x" * 1025])
def test_a_password_has_12_to_1024_characters_and_not_only_blanks(password: str) -> None:
    with pytest.raises(InputError, match="password"):
        check_password(password)


def test_a_twelve_character_password_is_enough() -> None:
    check_password("twelve chars")


def test_roles_are_read_in_any_case_and_unknown_ones_listed() -> None:
    assert parse_role(" Inventory_Manager ") is Role.INVENTORY_MANAGER
    with pytest.raises(InputError, match="warehouse_staff, retail_staff"):
        parse_role("boss")


# -- the documented matrix ------------------------------------------------------------------------
def documented_matrix() -> str:
    text = PERMISSIONS_DOC.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- permission-matrix:start -->\n(.*?)<!-- permission-matrix:end -->", text, re.S
    )
    assert found, "docs/permissions.md has no permission-matrix markers"
    return found.group(1)


def test_docs_permissions_md_shows_exactly_the_matrix_the_code_enforces() -> None:
    assert documented_matrix() == permission_table(), (
        "docs/permissions.md differs from PERMISSIONS: paste the output of "
        "trueup.domain.access.permission_table() between the markers"
    )


def test_the_rendered_table_has_a_row_per_action_and_a_column_per_role() -> None:
    lines = permission_table().splitlines()
    assert lines[0] == "| action | " + " | ".join(role.value for role in Role) + " |"
    assert len(lines) == 2 + len(Action)
    row = next(line for line in lines if line.startswith("| `movements.reverse` |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    assert cells == ["✓" if role is Role.INVENTORY_MANAGER else "" for role in Role]


def test_the_rendered_table_follows_any_matrix_it_is_given() -> None:
    nothing = {role: frozenset[Action]() for role in Role}
    assert "✓" not in permission_table(nothing)


def test_a_principal_who_reads_all_stock_still_acts_only_at_its_sites() -> None:
    clerk = Principal(user_id=1, username="c", role=Role.RETAIL_STAFF, sites=frozenset({"ST1"}))
    assert clerk.stock_sites() == ("ST1",)
    with pytest.raises(Forbidden):
        clerk.stock_sites(["ST2"])
    wide = replace(clerk, reads_all_stock=True)
    assert wide.stock_sites() == ()  # every site
    assert wide.stock_sites(["ST2"]) == ("ST2",)
    assert not wide.may_act_at("ST2")
    with pytest.raises(Forbidden):
        wide.scoped_sites(["ST2"])
