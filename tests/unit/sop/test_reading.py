"""Reading SOP files: the default reads; every bad file is refused at its line and column."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trueup.domain.access import Role
from trueup.domain.errors import RowProblem, SopInvalid
from trueup.domain.sop.model import RootCause, StepKind
from trueup.services.sop.reading import default_sop_text, read_sop

DEFAULT = default_sop_text()


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing `needle`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def _problems(text: str) -> list[RowProblem]:
    with pytest.raises(SopInvalid) as caught:
        read_sop(text, source="sop.yaml")
    return caught.value.problems


def _changed(old: str, new: str, count: int = 1) -> str:
    assert DEFAULT.count(old) >= count, old
    return DEFAULT.replace(old, new, count)


def test_the_default_sop_reads_with_its_seven_steps_and_real_numbers() -> None:
    sop = read_sop(DEFAULT)
    assert [step.kind for step in sop.steps] == list(StepKind)
    assert sop.triggers[0].thresholds.value == Decimal(50)
    assert {leaf.cause for leaf in sop.root_cause.leaves} == set(RootCause)
    assert sop.lanes[0] is Role.INVENTORY_MANAGER


def test_an_unknown_role_is_refused_at_its_line_and_column() -> None:
    text = _changed(
        "    owner: warehouse_staff\n    does: >-\n      Approved",
        "    owner: forklift\n    does: >-\n      Approved",
    )
    (problem,) = _problems(text)
    assert problem.line == _line_of(text, "owner: forklift")
    assert problem.column == 12
    assert problem.field == "steps[5].owner"
    assert "inventory_manager" in problem.expected
    assert str(problem).startswith(f"sop.yaml:line {problem.line}, column 12, steps[5].owner=")


def test_a_step_without_an_owner_is_refused() -> None:
    text = _changed(
        "    owner: inventory_manager\n    does: The classification", "    does: The classification"
    )
    (problem,) = _problems(text)
    assert problem.field == "steps[2].owner"
    assert problem.line == _line_of(text, "- step: classify")


def test_a_decision_asking_unknown_evidence_is_refused() -> None:
    text = _changed("evidence: late_event", "evidence: crystal_ball")
    (problem,) = _problems(text)
    assert problem.line == _line_of(text, "crystal_ball")
    assert problem.value == "crystal_ball"
    assert "duplicated_event" in problem.expected


def test_a_parameter_of_the_wrong_type_is_refused() -> None:
    text = _changed(
        "with: {within_seconds: 120, lookback_days: 90}",
        "with: {within_seconds: two minutes, lookback_days: 90}",
    )
    (problem,) = _problems(text)
    assert problem.field == "root_cause.decisions[4].with.within_seconds"
    assert problem.expected == "a whole number"
    assert problem.line == _line_of(text, "two minutes")


def test_a_missing_or_unknown_parameter_is_refused() -> None:
    text = _changed("with: {lookback_days: 7}", "with: {lookback_dayz: 7}")
    problems = _problems(text)
    assert {p.field for p in problems} == {
        "root_cause.decisions[7].with.lookback_days",
        "root_cause.decisions[7].with.lookback_dayz",
    }


def test_overlapping_table_rows_are_refused_naming_both() -> None:
    text = _changed("    abc: [B]\n", "    abc: [A, B]\n")
    (problem,) = _problems(text)
    assert problem.field == "triggers"
    assert problem.value == "count variance, B items"
    assert "'count variance, A items'" in problem.expected
    assert f"line {_line_of(text, '- name: count variance, A items')}" in problem.expected


def test_overlapping_value_ranges_in_the_approval_matrix_are_refused() -> None:
    text = _changed("value: {from: 500}", "value: {from: 400}")
    (problem,) = _problems(text)
    assert problem.field == "approval.matrix"
    assert problem.value == "large corrections"
    assert "'small corrections'" in problem.expected


def test_an_approval_level_without_an_approver_is_refused() -> None:
    text = _changed("approvers: [finance]", "approvers: []")
    (problem,) = _problems(text)
    assert problem.field == "approval.levels"
    assert problem.expected == "at least one approver role"
    assert problem.line == _line_of(text, "- name: finance")


def test_a_cycle_in_the_decision_tree_is_refused() -> None:
    text = _changed('"no": theft_or_damage', '"no": duplicate')
    problems = _problems(text)
    # said where the branch that goes back is written, with the loop it makes
    assert [p.field for p in problems] == ["root_cause.gain", "root_cause.theft_or_damage"]
    assert problems[0].line == _line_of(text, "- id: gain")
    assert (
        problems[0].value
        == "duplicate -> unit -> late -> missing -> source -> receiving -> mispick -> neighbour "
        "-> gain -> duplicate"
    )


def test_a_leaf_that_is_no_known_root_cause_is_refused() -> None:
    text = _changed("cause: theft_or_damage", "cause: gremlins")
    (problem,) = _problems(text)
    assert problem.field == "root_cause.leaves[12].cause"
    assert "picking_mistake" in problem.expected


def test_a_branch_to_nowhere_and_an_action_not_in_the_catalogue_are_refused() -> None:
    text = _changed('"yes": picking_mistake', '"yes": picking').replace(
        "[adjust_record, retrain_picking]", "[adjust_record, retrain_pickers]"
    )
    fields = {p.field for p in _problems(text)}
    assert {"root_cause.mispick.yes", "root_cause.picking_mistake.actions"} <= fields


def test_a_misspelt_field_is_refused_rather_than_ignored() -> None:
    text = _changed("  expires_after_hours: 72", "  expires_after_hour: 72")
    fields = {p.field for p in _problems(text)}
    assert fields == {"approval.expires_after_hours", "approval.expires_after_hour"}


def test_unquoted_yes_and_no_keys_are_read_as_written() -> None:
    text = DEFAULT.replace('"yes":', "yes:").replace('"no":', "no:")
    assert read_sop(text).root_cause.decisions[0].yes == "supplier"


def test_a_yaml_syntax_error_names_its_place() -> None:
    text = _changed("triggers:\n", "triggers:\n  - name: [unclosed\n")
    (problem,) = _problems(text)
    assert problem.field == "yaml"
    assert problem.line > _line_of(text, "[unclosed") - 1


def test_numbers_are_exact_and_a_byte_order_mark_is_ignored() -> None:
    sop = read_sop("\ufeff" + DEFAULT.replace("target: 1.5", "target: 1.35"))
    assert sop.kpis[1].target == Decimal("1.35")


def test_a_file_that_is_no_sop_at_all_is_one_problem() -> None:
    (problem,) = _problems("- just\n- a list\n")
    assert (problem.line, problem.field) == (1, "")
    assert problem.expected == "a mapping of fields (name: value)"


def test_a_missing_section_is_one_problem_where_it_is_missing() -> None:
    start = DEFAULT.index("follow_up:")
    text = DEFAULT[:start] + DEFAULT[DEFAULT.index("recurrence:") :]
    (problem,) = _problems(text)
    assert (problem.line, problem.field) == (_line_of(text, "sop: imbalance"), "follow_up")
    assert problem.expected == "a field `follow_up`"


def test_a_tab_and_a_date_that_does_not_exist_are_said_plainly() -> None:
    (tab,) = _problems(_changed("  - step: classify\n", "  - step: classify\n\tname: x\n"))
    assert (tab.value, tab.expected) == ("a tab", "indentation with spaces, not tabs")
    (day,) = _problems(_changed("next_review: 2027-12-01", "next_review: 2027-13-01"))
    assert day.expected == "a date that exists, as YYYY-MM-DD (e.g. 2027-12-01)"
