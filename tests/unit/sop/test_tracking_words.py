"""The tracking SOP says every permission in words, and says intervals as people do."""

from __future__ import annotations

from trueup.domain.access import PERMISSIONS, Action, Role
from trueup.services.sop.document import abilities, wording


def test_every_action_of_the_permission_matrix_has_words() -> None:
    assert set(abilities.DOES) == set(Action)


def test_a_role_may_do_what_everyone_may_and_its_own_actions_exactly() -> None:
    for role in Role:
        said = set(abilities.everyone()) | set(abilities.may_do(role))
        assert said == {abilities.DOES[action] for action in PERMISSIONS[role]}


def test_intervals_read_in_their_largest_whole_unit() -> None:
    assert [wording.seconds(s) for s in (5, 60, 900, 3600, 7200, 86400)] == [
        "5 seconds",
        "minute",
        "15 minutes",
        "hour",
        "2 hours",
        "day",
    ]
    assert wording.duration(86400) == "1 day"
    assert wording.hours(72) == "72 hours (3 days)"
    assert wording.hours(36) == "36 hours"
