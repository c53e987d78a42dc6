"""docs/api.md opens with one table of every operation: each exactly once, with the
roles that may call it, so a reader can scan it and trust it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from tests.api.conftest import Api
from trueup.api.app import PREFIX, operations
from trueup.domain.access import PERMISSIONS, STAFF_ROLES, Action, Role

API_MD = Path(__file__).parents[3] / "docs" / "api.md"
_ROW = re.compile(r"^\| `([A-Z]+)` \| `([^`]+)` \| ([^|]+) \|")


def who_may(action: Action | None, path: str) -> str:
    """The roles column: `any`, `any but admin`, `staff` for both staff roles."""
    if action is None:
        return "anyone, no token" if path.endswith("/auth/login") else "any token"
    roles = [role for role in Role if action in PERMISSIONS[role]]
    if len(roles) == len(Role):
        return "any"
    if set(roles) == set(Role) - {Role.ADMIN}:
        return "any but admin"
    names = [role.value for role in roles if role not in STAFF_ROLES]
    if set(roles) >= STAFF_ROLES:
        names.insert(0, "staff")
    return ", ".join(names)


def table_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in API_MD.read_text(encoding="utf-8").splitlines():
        found = _ROW.match(line)
        if found:
            rows.append((found[1], found[2], found[3].strip()))
    return rows


def expected_rows(app: FastAPI) -> list[tuple[str, str, str]]:
    return [
        (method, path.removeprefix(PREFIX), who_may(action, path))
        for method, path, action in operations(app)
        if method != "HEAD"
    ]


def test_each_operation_appears_once_in_the_reference_table() -> None:
    listed = [(method, path) for method, path, _ in table_rows()]
    assert len(listed) == len(set(listed)), sorted(p for p in listed if listed.count(p) > 1)


def test_the_reference_table_lists_every_operation_with_who_may_call_it(api: Api) -> None:
    assert sorted(table_rows()) == sorted(expected_rows(api.app))
