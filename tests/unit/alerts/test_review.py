"""The SOP's review date on the fakes: once it has passed, the people its review_due route
names hear of it, once per version; a reviewed version with a later date ends it."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.alerts.shop import CONFIG, OPERATOR, at, people
from tests.unit.alerts.test_notifying import inbox_of, staffed
from trueup.domain.access import Role
from trueup.domain.alerts.notifications import Channel
from trueup.services.alerts.monitor import Monitor
from trueup.services.alerts.review import check_review
from trueup.services.identity.users import add_user
from trueup.services.sop import versions
from trueup.services.sop.reading import default_sop_text

#: The default SOP is next reviewed on 2027-12-01.
BEFORE = datetime(2027, 12, 1, 23, 0, tzinfo=UTC)
AFTER = datetime(2027, 12, 2, 6, 0, tzinfo=UTC)
DUE = "The SOP 'Inventory imbalance correction' is due for review"


def installed() -> FakeUnitOfWorkFactory:
    uows = staffed()
    add_user(uows, "root", Role.ADMIN, (), None, caller=OPERATOR, clock=at(BEFORE))
    versions.install_default(uows, caller=OPERATOR, clock=at(BEFORE))
    return uows


def test_nothing_is_raised_before_the_review_date_or_without_an_sop() -> None:
    assert not check_review(staffed(), clock=at(AFTER)).due
    uows = installed()
    found = check_review(uows, clock=at(BEFORE))
    assert (found.due, found.notified, str(found.next_review)) == (False, 0, "2027-12-01")
    assert inbox_of(uows, "boss") == []


def test_once_the_date_has_passed_the_roles_of_the_route_are_told_once() -> None:
    uows = installed()
    found = check_review(uows, clock=at(AFTER))
    assert found.due and found.version == 1
    # admin and inventory_manager; the disabled manager and other roles are not told
    for name in ("boss", "st1-boss", "root"):
        assert inbox_of(uows, name) == [DUE]
    for name in ("dc1-staff", "st1-staff", "auditor", "gone"):
        assert inbox_of(uows, name) == []
    stored = uows.store.alerts.notifications.values()
    emailed = {n.row.user_id for n in stored if n.row.channel is Channel.EMAIL}
    assert emailed == {u.id for u in people(uows) if u.username in ("boss", "st1-boss")}
    again = check_review(uows, clock=at(AFTER))
    assert again.due and again.notified == 0
    assert inbox_of(uows, "boss") == [DUE]


def test_a_reviewed_version_with_a_later_date_ends_it_until_that_date_passes() -> None:
    uows = installed()
    check_review(uows, clock=at(AFTER))
    reviewed = default_sop_text().replace("next_review: 2027-12-01", "next_review: 2028-12-01")
    versions.apply(
        uows, reviewed.encode(), reason="annual review", caller=OPERATOR, clock=at(AFTER)
    )
    assert not check_review(uows, clock=at(AFTER)).due
    later = check_review(uows, clock=at(datetime(2028, 12, 2, tzinfo=UTC)))
    assert later.due and later.version == 2 and later.notified == 3
    assert inbox_of(uows, "boss") == [DUE, DUE]


def test_the_monitor_cycle_checks_the_review_date() -> None:
    uows = installed()
    report = Monitor(uows, CONFIG, OPERATOR).cycle(clock=at(AFTER))
    assert report.review is not None and report.review.due and report.review.notified == 3
