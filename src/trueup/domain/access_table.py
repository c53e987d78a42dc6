"""The permission matrix as docs/permissions.md shows it: a Markdown table rendered from
`domain/access.PERMISSIONS`; a test keeps the page and the code identical."""

from __future__ import annotations

from collections.abc import Mapping

from trueup.domain.access import PERMISSIONS, Action, Role


def permission_table(permissions: Mapping[Role, frozenset[Action]] = PERMISSIONS) -> str:
    """The matrix as a Markdown table: a row per action, a column per role."""
    roles = list(Role)
    lines = [
        "| action | " + " | ".join(role.value for role in roles) + " |",
        "| --- |" + " :---: |" * len(roles),
    ]
    for action in Action:
        marks = ("✓" if action in permissions[role] else " " for role in roles)
        lines.append(f"| `{action.value}` | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"
