"""The imbalance-correction SOP as a document for an inventory manager.

Purpose and scope; when the SOP applies (the trigger table with its real thresholds);
roles and responsibilities (from the lanes); the procedure step by step (procedure.py);
the approval matrix; escalation and notifications; KPIs and targets; the version history
with the reason for each change. Every sentence and row is derived from the `Sop` and
its history; nothing is written here that the file does not say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from trueup.domain.access import Role
from trueup.domain.counts.tolerance import ABC_CLASSES
from trueup.domain.sop.model import ApprovalRow, KpiDirection, Members, Sop, TriggerRow
from trueup.domain.sop.versions import VersionInfo
from trueup.services.sop.document import wording
from trueup.services.sop.document.blocks import Block, Document, Items, Paragraph, Section, Table
from trueup.services.sop.document.procedure import procedure

#: What a notification route's event means, completing "is told when ...".
EVENTS = {
    "case_opened": "a case opens",
    "approval_needed": "an approval is needed",
    "action_assigned": "a corrective action is assigned",
    "escalated": "a case is escalated",
    "review_due": "the SOP is due for review",
}


def document(sop: Sop, history: Sequence[VersionInfo], figures: tuple[Block, ...] = ()) -> Document:
    sections = [_purpose(sop), _applies(sop), _roles(sop)]
    if figures:
        sections.append(Section("The procedure at a glance", figures, anchor="diagram"))
    sections += [procedure(sop), _approval(sop), _escalation(sop), _kpis(sop), _history(history)]
    return Document(sop.title, _byline(sop, history), tuple(sections))


def _byline(sop: Sop, history: Sequence[VersionInfo]) -> str:
    version = f"Version {history[-1].version}" if history else "Not yet applied"
    return (
        f"Standard operating procedure · {version} · owner: {wording.role(sop.owner)} · "
        f"next review: {day(sop.next_review)}"
    )


def day(when: date) -> str:
    return f"{when.day} {when:%B %Y}"


def _purpose(sop: Sop) -> Section:
    return Section(
        "Purpose and scope",
        (
            Paragraph(_flat(sop.purpose)),
            Paragraph(f"Scope: {_flat(sop.scope)}"),
            Paragraph(
                f"This procedure is owned by {wording.who(sop.owner)} and is next reviewed "
                f"on {day(sop.next_review)}."
            ),
        ),
        anchor="purpose",
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


def _applies(sop: Sop) -> Section:
    return Section(
        "When this procedure applies",
        (
            Paragraph(
                "A case is opened when a finding goes beyond its limits. Each finding is "
                "judged by the one rule below that fits it:"
            ),
            Items(tuple(trigger_sentence(row) for row in sop.triggers)),
        ),
        anchor="triggers",
    )


def trigger_sentence(row: TriggerRow) -> str:
    """`A count variance ... for an A item opens a case beyond 1 unit, 1 % or 50.00 in value.`"""
    findings = wording.findings(row.findings.values)
    if row.findings.negated:
        findings = f"finding other than {findings}"
    elif row.findings.is_any:
        findings = "finding"
    subject = findings if findings.startswith(_UNCOUNTED) else f"{_article(findings)} {findings}"
    classes = "" if row.abc.is_any else f" for {_classes(row.abc)}"
    sites = "" if row.sites.is_any else f" at {wording.members(row.sites, 'site', 'any site')}"
    when = wording.thresholds(row.thresholds)
    verb = "always opens a case" if when == "always" else f"opens a case {when}"
    return f"{wording.capital(subject)}{classes}{sites} {verb}."


#: Findings spoken of without an article.
_UNCOUNTED = ("suspected",)


def _article(words: str) -> str:
    return "an" if words[:1].lower() in "aeiou" else "a"


def _classes(abc: Members) -> str:
    """`an A item`, `an A or B item`, `a C item or an unclassified item`."""
    if abc.negated:
        left = [c for c in ABC_CLASSES if c not in abc.values]
        named = f"{_article(left[0])} {wording.join(left, 'or')} item or " if left else ""
        return f"{named}an unclassified item"
    listed = sorted(abc.values)
    return f"{_article(listed[0])} {wording.join(listed, 'or')} item"


def _roles(sop: Sop) -> Section:
    rows = tuple(_role_row(sop, role) for role in sop.lanes)
    return Section(
        "Roles and responsibilities",
        (
            Table(
                (
                    "Role",
                    "Owns the steps",
                    "Owns the corrective actions",
                    "Approves",
                    "Is told when",
                ),
                rows,
            ),
        ),
        anchor="roles",
    )


def _role_row(sop: Sop, role: Role) -> tuple[str, ...]:
    steps = [f"{n}. {s.name}" for n, s in enumerate(sop.steps, 1) if s.owner is role]
    actions = [a.name for a in sop.actions if a.owner is role]
    levels = [f"{level.name} level" for level in sop.approval.levels if role in level.approvers]
    told = [
        EVENTS.get(r.event, wording.name(r.event)) for r in sop.notifications if role in r.roles
    ]
    return (
        wording.role(role),
        "; ".join(steps) or "—",
        "; ".join(actions) or "—",
        wording.join(levels) or "—",
        wording.join(told) or "—",
    )


def _approval(sop: Sop) -> Section:
    approval = sop.approval
    levels = tuple((level.name, wording.roles(level.approvers)) for level in approval.levels)
    shown = _used_columns(approval.rows)
    header = tuple(column for column in _COLUMNS if column in shown)
    rows = tuple(_approval_row(sop, row, shown) for row in approval.rows)
    rules = [
        f"Corrections at one site that add up to more than {wording.money(c.value)} within "
        f"{wording.days(c.period_days)} need {c.level} approval."
        for c in approval.cumulative
    ]
    if not approval.requester_may_approve:
        rules.append("Nobody approves their own request.")
    if not approval.counter_may_approve:
        rules.append("Whoever counted a variance does not approve its correction.")
    rules.append(
        f"An approval lapses when it is not used within "
        f"{wording.hours(approval.expires_after_hours)}."
    )
    return Section(
        "Approval",
        (
            Paragraph("Approval levels, and who approves at each:"),
            Table(("Level", "Approved by"), levels),
            Paragraph(
                "Which level a corrective action needs depends on its kind, its value and "
                "quantity, and the item's class. Values are at cost; a range includes its "
                "lower end and excludes its upper end."
            ),
            Table((*header, "Approval"), rows),
            Items(tuple(rules)),
        ),
        anchor="approval",
    )


_COLUMNS = ("Rule", "Actions", "Items", "Value", "Quantity", "Sites")


def _used_columns(rows: Sequence[ApprovalRow]) -> set[str]:
    """The matrix's columns that some row sets (a column open in every row says nothing)."""
    used = {"Rule", "Actions"}
    for row in rows:
        used |= {"Items"} if not row.abc.is_any else set()
        used |= {"Value"} if row.value.low is not None or row.value.high is not None else set()
        used |= (
            {"Quantity"} if row.quantity.low is not None or row.quantity.high is not None else set()
        )
        used |= {"Sites"} if not row.sites.is_any else set()
    return used


def _approval_row(sop: Sop, row: ApprovalRow, shown: set[str]) -> tuple[str, ...]:
    level = sop.approval.level(row.level) if row.level is not None else None
    if level is None:
        needs = "None needed"
    else:
        needs = f"{wording.roles(level.approvers)} ({level.name} level)"
    cells = {
        "Rule": wording.capital(row.name),
        "Actions": wording.capital(wording.kinds(row.kinds)),
        "Items": wording.capital(wording.item_classes(row.abc)),
        "Value": wording.capital(wording.span(row.value, "value")),
        "Quantity": wording.capital(wording.span(row.quantity, "quantity")),
        "Sites": wording.capital(wording.members(row.sites, "sites", "any")),
    }
    return (*(cells[column] for column in _COLUMNS if column in shown), needs)


def _escalation(sop: Sop) -> Section:
    waits = tuple(
        f"A case waiting in one step for more than {wording.hours(e.after_hours)} is "
        f"escalated to {wording.who(e.to)}."
        for e in sop.escalation
    )
    routes = tuple(
        (
            wording.capital(EVENTS.get(r.event, wording.name(r.event))),
            wording.roles(r.roles),
            "every site" if r.sites.is_any else wording.members(r.sites, "sites", "every site"),
        )
        for r in sop.notifications
    )
    return Section(
        "Escalation and notifications",
        (
            Items(waits),
            Paragraph("Who is told what, at the case's site:"),
            Table(("When", "Who is told", "Sites"), routes),
        ),
        anchor="escalation",
    )


def _kpis(sop: Sop) -> Section:
    rows = tuple(
        (
            wording.capital(wording.name(k.name)),
            f"{'at least' if k.direction is KpiDirection.AT_LEAST else 'at most'} "
            f"{_measure(k.target, k.unit)}",
        )
        for k in sop.kpis
    )
    return Section(
        "KPIs and targets",
        (
            Paragraph("How well the procedure works is judged by these figures:"),
            Table(("KPI", "Target"), rows),
        ),
        anchor="kpis",
    )


def _measure(target: Decimal, unit: str) -> str:
    amount = wording.number(target)
    if unit == "percent":
        return f"{amount} %"
    return f"{amount} {unit}"


def _history(history: Sequence[VersionInfo]) -> Section:
    rows = tuple(
        (str(v.version), day(v.applied_at.date()), v.author, v.reason) for v in reversed(history)
    )
    return Section(
        "Version history",
        (
            Paragraph("Every version is kept, and every case records the version it ran under."),
            Table(("Version", "Applied", "By", "Reason"), rows, empty="Not yet applied."),
        ),
        anchor="history",
    )
