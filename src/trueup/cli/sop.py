"""`trueup sop`: the imbalance SOP as a file, and its applied, immutable versions.

`validate` reads a file and says what is wrong, `apply` stores it as the next version,
`show`, `history`, `diff` and `export` read the versions back (`export` gives exactly the
bytes that were applied).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.table import Table

from trueup.cli.common import console, errors, exit_code, fail, opened, operator
from trueup.domain.errors import SopInvalid
from trueup.domain.sop.model import Sop
from trueup.domain.sop.schema import json_schema
from trueup.domain.sop.versions import IMBALANCE
from trueup.domain.values import show_time, utc_now
from trueup.services.reports.tracking import render_tracking
from trueup.services.sop import rendering, versions

#: The SOP `render --sop` takes for the tracking-and-monitoring document.
TRACKING = "tracking"

sop_app = typer.Typer(
    help="The imbalance-correction SOP: validate a file, apply it as a new version, read\n"
    "back any version, its history and what changed, and render it as a document or diagram.",
    no_args_is_help=True,
)

SopOption = Annotated[
    str, typer.Option("--sop", metavar="NAME", help="The SOP, by the name its file gives.")
]
VersionOption = Annotated[
    int | None,
    typer.Option("--version", "-v", metavar="N", min=1, help="This version; default the latest."),
]


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        _unusable(file, error, "a readable SOP file")


def _unusable(file: Path, error: OSError, expected: str) -> NoReturn:
    fail(f"{file}: cannot use the file ({error.strerror}); expected {expected}")
    raise AssertionError("fail() exits")


def summary(model: Sop) -> str:
    tree = model.root_cause
    counts = [
        (len(model.steps), "steps"),
        (len(model.triggers), "triggers"),
        (len(tree.decisions), "decisions"),
        (len(tree.leaves), "leaves"),
        (len(model.actions), "actions"),
    ]
    return ", ".join(f"{n} {what}" for n, what in counts)


@sop_app.command()
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The SOP file (YAML, UTF-8).")],
    sop: SopOption = IMBALANCE,
) -> None:
    """Read FILE as the SOP and say whether it is valid; every problem is listed with
    its line and column, and nothing is stored. The sites it names must exist.

    Example: trueup sop validate imbalance.yaml
    """
    content = _read(file)
    with opened(ctx) as system:
        try:
            model = versions.validate_here(system.uow, content, source=str(file), sop=sop)
        except SopInvalid as error:  # said as a check, not as a refused change
            errors.print(f"[red]invalid:[/red] {error.total_problems} problem(s) in {file}")
            for problem in error.problems:
                errors.print(f"  {problem}", markup=False, highlight=False)
            raise typer.Exit(exit_code(error)) from None
    console.print(
        f"valid: {model.name} ({model.title}): {summary(model)}", markup=False, highlight=False
    )


@sop_app.command()
def apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The SOP file (YAML, UTF-8).")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the SOP changes (required).")
    ],
    sop: SopOption = IMBALANCE,
) -> None:
    """Store FILE as the SOP's next version, exactly as it is, with who applied it, when
    and why; a file with any problem applies nothing.

    Applying the latest version's file again stores nothing. Versions already applied
    never change.

    Example: trueup sop apply imbalance.yaml --reason "A items: open a case beyond 1 unit"
    """
    content = _read(file)
    with opened(ctx) as system:
        done = versions.apply(
            system.uow, content, reason=reason, caller=operator(system), source=str(file), sop=sop
        )
    info = done.info
    if not done.created:
        console.print(
            f"unchanged: {file} is version {info.version} of {info.sop} already; nothing applied",
            markup=False,
            highlight=False,
        )
        return
    console.print(
        f"applied {info.sop} version {info.version} ({summary(done.sop)})",
        markup=False,
        highlight=False,
    )
    if done.diff:
        console.print(done.diff, markup=False, highlight=False)


@sop_app.command()
def show(ctx: typer.Context, version: VersionOption = None, sop: SopOption = IMBALANCE) -> None:
    """What a version of the SOP says, in short: its steps and owners, triggers,
    root-cause tree, actions, approval levels and follow-up.

    Example: trueup sop show --version 2
    """
    with opened(ctx) as system:
        shown = versions.show(system.uow, caller=operator(system), sop=sop, version=version)
        zone = system.settings.timezone
    model, info = shown.sop, shown.info
    lines = [
        f"{model.title} ({model.name}), version {info.version}",
        f"applied {show_time(info.applied_at, zone)} by {info.author}: {info.reason}",
        f"owner {model.owner}; next review {model.next_review.isoformat()}"
        + (" (passed: due for review)" if model.next_review < utc_now().date() else ""),
        f"sha256 {info.sha256}",
        "",
        f"contents: {summary(model)}",
        "steps:",
        *(f"  {i}. {s.name} [{s.owner.value}]" for i, s in enumerate(model.steps, 1)),
        "triggers:",
        *(f"  - {t.name}" for t in model.triggers),
        f"root cause: starts at {model.root_cause.start}; causes "
        + ", ".join(sorted({leaf.cause.value for leaf in model.root_cause.leaves})),
        "corrective actions:",
        *(f"  - {a.id}: {a.name} [{a.owner.value}]" for a in model.actions),
        "approval levels: "
        + "; ".join(
            f"{level.name} ({', '.join(r.value for r in level.approvers)})"
            for level in model.approval.levels
        ),
        f"follow-up: a count after {model.follow_up.count_after_days} days "
        f"[{model.follow_up.owner.value}]",
    ]
    console.print("\n".join(lines), markup=False, highlight=False)


@sop_app.command()
def history(ctx: typer.Context, sop: SopOption = IMBALANCE) -> None:
    """Every applied version, newest first: when, by whom and why.

    Example: trueup sop history
    """
    with opened(ctx) as system:
        found = versions.history(
            system.uow, caller=operator(system), sop=sop, limit=versions.MAX_HISTORY_PAGE
        )
        zone = system.settings.timezone
    if not found:
        errors.print(f"{sop} has no version yet: trueup init installs the default", markup=False)
        return
    table = Table("version", "applied_at", "author", "reason")
    for info in found:
        table.add_row(str(info.version), show_time(info.applied_at, zone), info.author, info.reason)
    console.print(table)


@sop_app.command()
def diff(
    ctx: typer.Context,
    first: Annotated[int, typer.Argument(metavar="A", min=1, help="The version to compare from.")],
    second: Annotated[int, typer.Argument(metavar="B", min=1, help="The version to compare to.")],
    sop: SopOption = IMBALANCE,
) -> None:
    """What changed from version A to version B, as a unified diff of their files.

    Example: trueup sop diff 1 2
    """
    with opened(ctx) as system:
        text = versions.diff(system.uow, first, second, caller=operator(system), sop=sop)
    if not text:
        console.print(f"versions {first} and {second} are the same file", markup=False)
        return
    console.print(text, markup=False, highlight=False)


@sop_app.command()
def export(
    ctx: typer.Context,
    version: VersionOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write to FILE instead of the screen."),
    ] = None,
    sop: SopOption = IMBALANCE,
) -> None:
    """Write a version's file, exactly the bytes that were applied.

    Example: trueup sop export --version 1 --out imbalance-v1.yaml
    """
    with opened(ctx) as system:
        info, content = versions.export(
            system.uow, caller=operator(system), sop=sop, version=version
        )
    if out is not None:
        try:
            out.write_bytes(content)
        except OSError as error:
            _unusable(out, error, "a writable path")
        errors.print(f"wrote {info.sop} version {info.version} to {out}", markup=False)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()


def _write(text: str, out: Path | None) -> None:
    """Text to the file (UTF-8, newlines as written) or to standard output."""
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8", newline="\n")
    except OSError as error:
        _unusable(out, error, "a writable path")
    errors.print(f"wrote {out}", markup=False)


@sop_app.command()
def render(
    ctx: typer.Context,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="md, html, svg, bpmn or mermaid; default: from the --out file's suffix, else md.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write to FILE instead of the screen."),
    ] = None,
    version: VersionOption = None,
    view: Annotated[
        str,
        typer.Option("--view", help="svg: full (every decision) or overview (the short form)."),
    ] = "full",
    sop: Annotated[
        str,
        typer.Option(
            "--sop",
            metavar="NAME",
            help="imbalance (the file trueup runs), or tracking: the tracking-and-monitoring "
            "SOP as trueup is configured now (md or html).",
        ),
    ] = IMBALANCE,
) -> None:
    """Draw the SOP from the model the engine runs: the document (md, html), the diagram
    (svg), BPMN 2.0 for bpmn.io or Camunda Modeler, or a Mermaid flowchart.

    Example: trueup sop render --format html --out imbalance.html
    """
    chosen = rendering.format_for(format, out)
    with opened(ctx) as system:
        if sop == TRACKING:
            if version is not None:
                fail(
                    "the tracking SOP is written from the configuration as it is now: no --version"
                )
            settings = system.settings
            text = render_tracking(
                system.uow,
                caller=operator(system),
                format=chosen,
                config=settings.alerts,
                every=settings.monitor_every,
                zone=settings.timezone,
            )
        else:
            text = rendering.render(
                system.uow,
                caller=operator(system),
                format=chosen,
                sop=sop,
                version=version,
                view=view,
            ).text
    _write(text, out)


@sop_app.command()
def schema(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write to FILE instead of the screen."),
    ] = None,
) -> None:
    """The JSON Schema of an SOP file, for completion and checks in an editor (put
    `# yaml-language-server: $schema=sop.schema.json` on the file's first line).

    Example: trueup sop schema --out sop.schema.json
    """
    _write(json.dumps(json_schema(), indent=2) + "\n", out)


def register(app: typer.Typer) -> None:
    app.add_typer(sop_app, name="sop")
