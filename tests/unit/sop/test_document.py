"""The SOP document says what the model says, in words an inventory manager reads."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from decimal import Decimal

from trueup.domain.sop.evidence import EVIDENCE
from trueup.domain.sop.model import Sop, Thresholds
from trueup.domain.sop.versions import VersionInfo
from trueup.services.sop.document import html, markdown, mermaid, wording
from trueup.services.sop.reading import default_sop_text, read_sop

SOP = read_sop(default_sop_text())


def version(n: int, reason: str, author: str = "ana") -> VersionInfo:
    return VersionInfo("imbalance", n, author, datetime(2026, 3, n, tzinfo=UTC), reason, "0" * 64)


HISTORY = [
    version(1, "the default SOP shipped with trueup", "trueup"),
    version(2, "A items tighter"),
]


def test_triggers_read_as_sentences_with_their_real_thresholds() -> None:
    text = markdown(SOP, HISTORY)
    assert (
        "- A count variance, receiving discrepancy or exception reported by a person for an A "
        "item opens a case beyond 1 unit, 1 % or 50.00 in value." in text
    )
    assert "for a C item or an unclassified item opens a case beyond 5 units" in text
    assert "- A negative on-hand always opens a case." in text
    assert "opens a case when it stays open longer than 24 hours." in text
    assert "Suspected phantom stock opens a case when its likelihood is above 80 %." in text
    assert "A disagreement between source systems opens a case on any difference at all." in text


def test_a_changed_threshold_changes_the_document() -> None:
    first = SOP.triggers[0]
    tighter = dataclasses.replace(
        first, thresholds=Thresholds(units=Decimal(2), value=Decimal("75.5"))
    )
    sop = dataclasses.replace(SOP, triggers=(tighter, *SOP.triggers[1:]))
    text = markdown(sop, HISTORY)
    assert "for an A item opens a case beyond 2 units or 75.50 in value." in text
    assert "beyond 1 unit, 1 % or 50.00" not in text


def test_roles_are_the_lanes_with_what_each_owns_approves_and_hears() -> None:
    text = markdown(SOP, HISTORY)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    role_rows = [
        row for row in rows if row.split("|")[1].strip() in {wording.role(r) for r in SOP.lanes}
    ]
    assert [row.split("|")[1].strip() for row in role_rows][: len(SOP.lanes)] == [
        wording.role(r) for r in SOP.lanes
    ]
    finance = next(row for row in role_rows if row.startswith("| Finance |"))
    assert "Loss prevention review" in finance and "finance level" in finance
    assert "an approval is needed and a case is escalated" in finance


def test_every_decision_asks_its_question_with_the_evidence_and_its_parameters() -> None:
    text = markdown(SOP, HISTORY)
    for decision in SOP.root_cause.decisions:
        assert decision.question in text
        assert EVIDENCE[decision.evidence].asks in markdown_plain(text)
    assert "how close together the two events were: 120 seconds" in text
    assert "| Q1 | Is it a stockout or overstock rather than a wrong record? |" in text
    assert "| Go to Q2 | Go to Q4 |" in text
    assert "| The root cause is put-away misplacement | Go to Q12 |" in text
    assert "| The root cause is missing event | The root cause is theft or damage |" in text


def markdown_plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_every_root_cause_lists_the_actions_it_can_lead_to() -> None:
    text = markdown(SOP, HISTORY)
    assert (
        "| Theft or damage | Recount the location, Adjust the record to the counted quantity "
        "or Loss prevention review |" in text
    )


def test_the_approval_matrix_is_a_table_with_separation_of_duties_in_words() -> None:
    text = markdown(SOP, HISTORY)
    assert "| Rule | Actions | Items | Value | Approval |" in text
    assert (
        "| Large corrections of A items | Every action but process fixes and recounts | A items "
        "| 200.00 and above | Finance (finance level) |" in text
    )
    assert "| Recounts and process fixes | Process fixes and recounts |" in text
    assert "- Nobody approves their own request." in text
    assert "- Whoever counted a variance does not approve its correction." in text
    assert "more than 5,000.00 within 30 days need finance approval." in text
    assert "not used within 72 hours (3 days)." in text
    lenient = dataclasses.replace(SOP.approval, requester_may_approve=True)
    assert "Nobody approves their own request." not in markdown(
        dataclasses.replace(SOP, approval=lenient), HISTORY
    )


def test_kpis_follow_up_recurrence_and_escalation_are_stated_with_their_numbers() -> None:
    text = markdown(SOP, HISTORY)
    assert "| Inventory record accuracy | at least 97 % |" in text
    assert "| Time to resolve | at most 72 hours |" in text
    assert "warehouse staff wait 7 days and count the item at the location again" in text
    assert "the follow-up count matches the record exactly" in text
    assert "3 times within 30 days for the same site, item and counter" in text
    assert "escalated to finance" in text
    assert "more than 48 hours (2 days) is escalated to the inventory manager." in text


def test_the_history_lists_every_version_newest_first_with_its_reason() -> None:
    text = markdown(SOP, HISTORY)
    assert "Version 2" in text.splitlines()[2]
    newer = text.index("| 2 | 2 March 2026 | ana | A items tighter |")
    older = text.index("| 1 | 1 March 2026 | trueup | the default SOP shipped with trueup |")
    assert newer < older
    assert "Not yet applied." in markdown(SOP, [])


def test_the_markdown_carries_the_flowchart_as_a_mermaid_block() -> None:
    text = markdown(SOP, HISTORY)
    assert "```mermaid\n" + mermaid(SOP) + "```\n" in text


def test_text_from_the_file_is_escaped_in_both_renderings() -> None:
    sop: Sop = dataclasses.replace(SOP, purpose="Stop <script>alert(1)</script> *now* | `trueup x`")
    page = html(sop, HISTORY)
    assert "<script>" not in page
    assert "Stop &lt;script&gt;alert(1)&lt;/script&gt; *now* | <code>trueup x</code>" in page
    assert r"Stop \<script\>alert(1)\</script\> \*now\* \| `trueup x`" in markdown(sop, HISTORY)


def test_the_html_page_is_self_contained_and_embeds_the_diagram_when_given() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>'
    )
    page = html(SOP, HISTORY, diagram_svg=svg)
    assert page.startswith("<!doctype html>")
    assert '<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>' in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "@media print" in page and "@media (max-width: 40rem)" in page
    assert "The procedure at a glance" not in html(SOP, HISTORY)


def test_html_and_markdown_say_the_same_sentences() -> None:
    page = html(SOP, HISTORY)
    text = markdown_plain(markdown(SOP, HISTORY))
    for sentence in (
        "A negative on-hand always opens a case.",
        "Nobody approves their own request.",
        "the default SOP shipped with trueup",
        "Did an order arrive late by the supplier&#39;s own history?",
    ):
        assert sentence in page
        assert sentence.replace("&#39;", "'") in text
