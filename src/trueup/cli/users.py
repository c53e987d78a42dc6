"""`trueup users`: people and machine accounts, their roles and sites."""

from __future__ import annotations

import sys
from datetime import datetime, tzinfo
from typing import Annotated

import typer

from trueup.cli.common import Format, console, opened, operator, show_rows, when
from trueup.domain.access import Role, User
from trueup.domain.values import utc_now
from trueup.services.identity.users import (
    UserChange,
    add_user,
    disable_user,
    edit_user,
    enable_user,
    list_users,
    set_password,
)

users = typer.Typer(
    help="Users: a role (what they may do), sites (where), the sources they post as, "
    "and a password or tokens.",
    no_args_is_help=True,
)
COLUMNS = ("username", "role", "sites", "password", "status", "created_at", "sources")
SOURCE_HELP = (
    "A source system the user may post as besides manual, such as pos (repeatable): "
    "for someone who keys in another system's events by hand."
)


def read_password() -> str:
    """One line from standard input; at a terminal, a hidden prompt typed twice."""
    if sys.stdin.isatty():
        entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return entered
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


def _row(user: User, now: datetime, zone: tzinfo | None) -> list[str]:
    return [
        user.username,
        user.role.value,
        " ".join(sorted(user.sites)) or "*",
        "yes" if user.has_password else "no",
        user.status(now),
        when(user.created_at, zone),
        " ".join(("manual", *sorted(user.sources))),
    ]


def _show(verb: str, user: User) -> None:
    where = ", ".join(sorted(user.sites)) or "every site"
    posts = ", ".join(("manual", *sorted(user.sources)))
    console.print(
        f"{verb} {user.username} ({user.role.value}) at {where}; posts as {posts}",
        markup=False,
        highlight=False,
    )


@users.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name: letters, digits, . _ @ + -.")],
    role: Annotated[Role, typer.Option(help="What the user may do (docs/permissions.md).")],
    site: Annotated[
        list[str] | None,
        typer.Option(help="A warehouse or store the user acts at (repeatable); none: all."),
    ] = None,
    source: Annotated[list[str] | None, typer.Option(help=SOURCE_HELP)] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password (12 characters or more) from standard input; "
            "without it the user signs in with tokens only.",
        ),
    ] = False,
) -> None:
    """Add a user. Staff roles need at least one --site. A name is never reused: a
    disabled user is enabled again with `trueup users enable`.

    Example: trueup users add ann --role warehouse_staff --site DC1 --password-stdin
    """
    password = read_password() if password_stdin else None
    with opened(ctx) as system:
        user = add_user(
            system.uow,
            username,
            role,
            site or (),
            password,
            sources=source or (),
            caller=operator(system),
        )
    where = ", ".join(sorted(user.sites)) or "every site"
    how = "password set" if user.has_password else "no password: sign in with a token"
    posts = f"; posts as {', '.join(('manual', *sorted(user.sources)))}" if user.sources else ""
    console.print(
        f"added {user.username} ({user.role.value}) at {where}; {how}{posts}",
        markup=False,
        highlight=False,
    )


@users.command("list")
def list_(
    ctx: typer.Context,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """List users with role, sites (* for all), whether they have a password, and state.

    Example: trueup users list --format csv
    """
    with opened(ctx) as system:
        found = list_users(system.uow)
        zone = system.settings.timezone
    now = utc_now()
    rows = [_row(user, now, zone) for user in found]
    records: list[dict[str, object]] = [
        {
            **dict(zip(COLUMNS, row, strict=True)),
            "sites": sorted(user.sites),
            "sources": ["manual", *sorted(user.sources)],
        }
        for row, user in zip(rows, found, strict=True)
    ]
    show_rows(COLUMNS, rows, output, records)


@users.command("disable")
def disable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user to disable.")],
) -> None:
    """Disable a user: no more logins, and none of their tokens work.

    Example: trueup users disable ann
    """
    with opened(ctx) as system:
        user = disable_user(system.uow, username, caller=operator(system))
    console.print(f"disabled {user.username}", markup=False, highlight=False)


@users.command("enable")
def enable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The disabled user to enable again.")],
) -> None:
    """Enable a disabled user again, with the role and sites they had: they log in
    again, and their tokens that are neither revoked nor expired work again.

    Example: trueup users enable ann
    """
    with opened(ctx) as system:
        user = enable_user(system.uow, username, caller=operator(system))
    _show("enabled", user)


@users.command("edit")
def edit(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user to change (any letter case).")],
    role: Annotated[Role | None, typer.Option(help="The new role.")] = None,
    site: Annotated[
        list[str] | None,
        typer.Option(help="The user's sites, replacing the ones they have (repeatable)."),
    ] = None,
    all_sites: Annotated[
        bool, typer.Option("--all-sites", help="Every site: no site scope (not for staff).")
    ] = False,
    source: Annotated[
        list[str] | None, typer.Option(help=SOURCE_HELP + " Replaces the ones they have.")
    ] = None,
    manual_only: Annotated[
        bool, typer.Option("--manual-only", help="Take every source but manual away.")
    ] = False,
) -> None:
    """Change a user's role, sites or sources. What is given replaces what the user has;
    what is not given stays.

    Example: trueup users edit ann --role inventory_manager --site DC1 --site ST1
    """
    if site and all_sites:
        raise typer.BadParameter("give --site or --all-sites, not both")
    if source and manual_only:
        raise typer.BadParameter("give --source or --manual-only, not both")
    change = UserChange(
        role=role,
        sites=() if all_sites else site or None,
        sources=() if manual_only else source or None,
    )
    with opened(ctx) as system:
        user = edit_user(system.uow, username, change, caller=operator(system))
    _show("changed", user)


@users.command("password")
def password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user whose password to set.")],
) -> None:
    """Set a user's password from standard input (a hidden prompt at a terminal); this
    also lifts a lock after failed logins.

    Example: trueup users password ann < ann-password.txt
    """
    new = read_password()
    with opened(ctx) as system:
        set_password(system.uow, username, new, caller=operator(system))
    console.print(f"password set for {username.strip()}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")
