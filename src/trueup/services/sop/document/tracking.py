"""The tracking-and-monitoring SOP as trueup is configured to run it, from a snapshot.

The sections follow the seed's SOP: scope, responsibilities (the roles, who holds them
and what each may do), recording entries and withdrawals (by which sources, under which
negative-stock rule), real-time updates and manual logs, audits (monitoring.py), thresholds
and alerts (monitoring.py), discrepancies, reports, review. Where trueup keeps no
configuration for what the seed asks (a schedule for manual logs or reports), the document
says so and names the command that does the work instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from trueup.domain.access import Role
from trueup.domain.counts.manual_logs import DEFAULT_WINDOW
from trueup.domain.ledger.model import MovementKind
from trueup.domain.ledger.policy import ANY, MANUAL_SOURCE, SYSTEM_SOURCE, OnShort, StockPolicy
from trueup.services.sop.document import abilities, wording
from trueup.services.sop.document.blocks import Block, Document, Paragraph, Section, Table
from trueup.services.sop.document.imbalance import day
from trueup.services.sop.document.monitoring import audits, discrepancies, thresholds
from trueup.services.sop.tracking import TrackingSnapshot

TITLE = "Inventory tracking and stock level monitoring"
#: The kinds that take stock out of a physical location, which the policy decides on.
WITHDRAWALS = (
    MovementKind.SALE,
    MovementKind.ISSUE,
    MovementKind.TRANSFER,
    MovementKind.TRANSFER_OUT,
    MovementKind.SCRAP,
    MovementKind.ADJUSTMENT,
)


def tracking_document(snapshot: TrackingSnapshot) -> Document:
    byline = (
        "Standard operating procedure · as trueup is configured on "
        f"{snapshot.taken_at:%Y-%m-%d %H:%M %Z}".rstrip()
    )
    sections = (
        _scope(),
        _roles(snapshot),
        _recording(snapshot),
        _real_time(),
        audits(snapshot),
        thresholds(snapshot),
        discrepancies(snapshot),
        _reports(snapshot),
        _review(snapshot),
    )
    return Document(TITLE, byline, sections)


def _scope() -> Section:
    return Section(
        "Purpose and scope",
        (
            Paragraph(
                "How stock entries and withdrawals are recorded, how stock is counted and "
                "reconciled, when alerts are raised and who hears of them, and how "
                "discrepancies are registered, in every warehouse and store trueup keeps "
                "stock for."
            ),
            Paragraph(
                "This document is written from trueup's configuration at the time shown "
                "above; it changes when the configuration changes. Write it again with "
                "`trueup sop render --sop tracking`."
            ),
        ),
        anchor="scope",
    )


def _roles(snapshot: TrackingSnapshot) -> Section:
    rows = tuple(
        (wording.role(role), _holders(snapshot, role), "; ".join(abilities.may_do(role)) or "—")
        for role in Role
    )
    return Section(
        "Roles and responsibilities",
        (
            Paragraph(f"Every role may {wording.join(abilities.everyone())}."),
            Table(("Role", "Held by", "May also"), rows),
            Paragraph(
                "People act only at the sites they are given; staff always have sites. "
                "Source systems post with machine tokens of their own (see below)."
            ),
        ),
        anchor="roles",
    )


def _holders(snapshot: TrackingSnapshot, role: Role) -> str:
    users = snapshot.holders(role)
    if not users:
        return "nobody"
    if not snapshot.names_shown:
        return f"{len(users)} user" + ("" if len(users) == 1 else "s")
    return "; ".join(
        f"{u.username} ({', '.join(sorted(u.sites))})" if u.sites else f"{u.username} (all sites)"
        for u in users
    )


def _recording(snapshot: TrackingSnapshot) -> Section:
    policy = StockPolicy(snapshot.policy_rules)
    rows = tuple(
        (
            "any other source" if source == ANY else source,
            _posted_by(snapshot, source),
            _kinds(k for k in WITHDRAWALS if policy.on_short(source, k) is OnShort.ACCEPT),
            _kinds(k for k in WITHDRAWALS if policy.on_short(source, k) is OnShort.REFUSE),
        )
        for source in (*_sources(snapshot), ANY)
    )
    stored = tuple(
        (
            "any source" if r.source == ANY else r.source,
            "any kind" if r.kind == ANY else r.kind,
            "accepted" if r.on_short is OnShort.ACCEPT else "refused",
        )
        for r in snapshot.policy_rules
    )
    return Section(
        "Recording stock entries and withdrawals",
        (
            Paragraph(
                "Every entry and withdrawal is a movement in the ledger, posted the moment it "
                "arrives: receipts (by barcode, with lot or serial numbers where the item is "
                "tracked), sales, picks, issues, transfers, returns and scrap. Each comes "
                "from a source; posting the same event of a source twice records it once."
            ),
            Paragraph(
                "When a withdrawal finds too little stock, the source decides: a fact from "
                "the floor is accepted and the shortfall is raised as a negative-stock "
                "exception; a request is refused. By source, as configured:"
            ),
            Table(
                ("Source", "Posted by", "Accepted when stock is short", "Refused when short"), rows
            ),
            Paragraph("The rules as stored (`trueup policy list`), the most specific applying:"),
            Table(("Source", "Kind", "When stock is short"), stored),
        ),
        anchor="recording",
    )


def _sources(snapshot: TrackingSnapshot) -> list[str]:
    named = {MANUAL_SOURCE, SYSTEM_SOURCE}
    named |= {r.source for r in snapshot.policy_rules if r.source != ANY}
    named |= {t.source for t in snapshot.machine_tokens if t.source is not None}
    for user in snapshot.users:
        named |= set(user.sources)
    return sorted(named)


def _posted_by(snapshot: TrackingSnapshot, source: str) -> str:
    if source == MANUAL_SOURCE:
        return "people, by hand (command line, API, spreadsheets)"
    if source == SYSTEM_SOURCE:
        return "trueup itself (reversals)"
    if source == ANY:
        return "—"
    tokens = [t for t in snapshot.machine_tokens if t.source == source]
    people = [u for u in snapshot.users if source in u.sources and u.disabled_at is None]
    said = []
    if tokens:
        said.append(f"{len(tokens)} machine token" + ("" if len(tokens) == 1 else "s"))
    if people:
        many = f"{len(people)} " + ("person" if len(people) == 1 else "people")
        names = [u.username for u in people] if snapshot.names_shown else [many]
        said.append("by hand: " + wording.join(names))
    return "; ".join(said) or "no token or person yet"


def _kinds(kinds: Iterable[MovementKind]) -> str:
    return wording.join(wording.name(k.value) for k in kinds) or "—"


def _real_time() -> Section:
    hours = int(DEFAULT_WINDOW.total_seconds() // 3600)
    return Section(
        "Real-time updates and manual logs",
        (
            Paragraph(
                "On-hand changes in the same transaction as the movement, so it is current "
                "the moment a movement is recorded; the event stream and signed webhooks tell "
                "other systems at once."
            ),
            Paragraph(
                "trueup keeps no schedule for manual logs: the SOP asks for them to be "
                "reconciled daily, and a person does it with `trueup import manual-log FILE` "
                "(or `POST /api/v1/manual-logs/reconcile`). Each entry is matched with a "
                f"movement by reference, then by item, location, quantity and time, within "
                f"{hours} hours either side (`--window`); the report lists entries missing in "
                "the system and movements missing in the log."
            ),
        ),
        anchor="real-time",
    )


def _reports(snapshot: TrackingSnapshot) -> Section:
    rows: tuple[tuple[str, ...], ...] = (
        ("Stock movements", "`trueup ledger` (a CSV file with `--format csv`)"),
        ("Stock on hand, now or as of any time", "`trueup stock`"),
        ("Counts and audits", "`trueup counts report COUNT` (an HTML page to print and sign)"),
        ("Alerts and incidents", "`trueup alerts list`"),
        ("Reorder proposals", "`trueup reorder proposals export`"),
        ("Checks of the ledger", "`trueup verify`"),
    )
    digests = wording.seconds(snapshot.jobs.get("digests", 0))
    blocks: list[Block] = [
        Paragraph(
            "trueup keeps no schedule for reports: the weekly and monthly summaries the SOP "
            "asks for are produced by running these commands on those days."
        ),
        Table(("Report", "Produced by"), rows),
        Paragraph(
            f"Under `trueup serve`, alert digests are folded every {digests} for the "
            "notification rules that ask for digests."
        ),
    ]
    return Section("Documentation and reporting", tuple(blocks), anchor="reports")


def _review(snapshot: TrackingSnapshot) -> Section:
    imbalance = snapshot.imbalance
    told = "the people its `review_due` notifications name"
    dated = (
        f"The imbalance SOP in force is owned by {wording.who(imbalance.owner)} and is next "
        f"reviewed by {day(imbalance.next_review)}: once that date has passed, the monitor's "
        f"daily review job tells {told} (inbox and e-mail), until a reviewed version with a "
        "later date is applied (`trueup sop apply`)."
        if imbalance is not None
        else "No imbalance SOP is applied yet: `trueup init` installs the default."
    )
    return Section(
        "Review and continuous improvement",
        (
            Paragraph(
                "The SOP asks for a yearly review, or one after significant changes. This "
                "document shows the configuration under review, and changes with it."
            ),
            Paragraph(dated),
        ),
        anchor="review",
    )
