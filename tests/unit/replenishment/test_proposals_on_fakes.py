"""Positions and reorder proposals on the fakes: what is proposed and how much, the
decisions that turn a proposal into an order or let it be proposed again, the site scope
of those decisions, and the export for an ERP."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.replenishment.shop import (
    NOW,
    OPERATOR,
    ST1_MANAGER,
    U,
    now,
    offer,
    policy,
    shop,
    stock,
    suppliers,
)
from trueup.domain.errors import Conflict, Forbidden, NotFound
from trueup.domain.replenishment.purchasing import OrderKind, ProposalStatus
from trueup.services.replenishment import export, purchasing
from trueup.services.replenishment import policies as reorder


@pytest.fixture
def uows() -> FakeUnitOfWorkFactory:
    return shop()


def propose(uows: FakeUnitOfWorkFactory) -> reorder.ProposalRun:
    return reorder.generate_proposals(uows, caller=OPERATOR, clock=now)


def test_a_position_is_on_hand_plus_on_order_less_committed_over_the_whole_site(
    uows: FakeUnitOfWorkFactory,
) -> None:
    stock(uows, "A", 7, at="DC1-A-01")
    stock(uows, "A", 5, at="DC1-A-02")
    policy(uows, "A", "DC1", kind="fixed", min="1", max="30")
    policy(uows, "A", "ST1", kind="fixed", min="3", max="10", source_location="DC1")
    [made] = propose(uows).proposals
    reorder.approve(uows, made.id, caller=OPERATOR, clock=now)

    by_site = {
        p.policy.location: p.position for p in reorder.positions(uows, caller=OPERATOR, skus=["A"])
    }

    assert (by_site["DC1"].on_hand, by_site["DC1"].committed) == (12 * U, 10 * U)
    assert by_site["DC1"].position == 2 * U
    assert (by_site["ST1"].on_hand, by_site["ST1"].on_order) == (0, 10 * U)
    assert [p.policy.location for p in reorder.positions(uows, caller=ST1_MANAGER)] == ["ST1"]


def test_proposals_come_in_whole_packs_and_at_least_the_moq_grouped_by_supplier(
    uows: FakeUnitOfWorkFactory,
) -> None:
    suppliers(uows, offer("A", lead="5", pack="12", moq="48"), offer("B", lead="3", moq="50"))
    stock(uows, "A", 10)
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")
    policy(uows, "B", "DC1", kind="fixed", min="5", max="10")
    policy(uows, "KG", "DC1", kind="fixed", min="5", max="10")  # nobody supplies KG

    run = propose(uows)

    assert run.skipped == [("KG", "DC1", "no supplier for this item")]
    [made] = run.proposals
    assert (made.kind, made.supplier, made.location) == (OrderKind.PURCHASE, "SUP", "DC1")
    assert (made.status, made.created_by, made.created_at) == (ProposalStatus.PROPOSED, "mgr", NOW)
    lines = {ln.sku: ln for ln in made.lines}
    assert lines["A"].quantity == 96 * U  # 90 short of 100: 8 cases of 12
    assert (lines["A"].position, lines["A"].lead_days, lines["A"].moq) == (10 * U, 5, 48 * U)
    assert lines["B"].quantity == 50 * U  # 10 short, but the MOQ is 50


def test_an_item_above_its_reorder_point_is_not_proposed(uows: FakeUnitOfWorkFactory) -> None:
    suppliers(uows, offer("A"))
    stock(uows, "A", 21)
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")

    assert propose(uows).proposals == []


def test_an_item_awaiting_a_decision_is_not_proposed_again(uows: FakeUnitOfWorkFactory) -> None:
    suppliers(uows, offer("A"))
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")
    [first] = propose(uows).proposals

    assert propose(uows).proposals == []
    assert [p.id for p in reorder.proposals(uows, caller=OPERATOR, status="proposed")] == [first.id]


def test_an_approved_proposal_becomes_a_purchase_order_that_counts_as_on_order(
    uows: FakeUnitOfWorkFactory,
) -> None:
    suppliers(uows, offer("A", lead="5", pack="12"))
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")
    [made] = propose(uows).proposals

    approved = reorder.approve(uows, made.id, caller=OPERATOR, note="weekly", clock=now)

    assert (approved.status, approved.decided_by, approved.decided_at) == (
        ProposalStatus.APPROVED,
        "mgr",
        NOW,
    )
    assert approved.note == "weekly" and approved.order_number == f"PO-TU-{made.id:07d}"
    [line] = purchasing.order_lines(uows, caller=OPERATOR, number=approved.order_number)
    assert (line.sku, line.quantity, line.location, line.supplier) == ("A", 108 * U, "DC1", "SUP")
    assert (line.ordered_on, line.expected_on) == (NOW.date(), (NOW + timedelta(days=5)).date())
    [where] = reorder.positions(uows, caller=OPERATOR)
    assert where.position.on_order == 108 * U
    assert propose(uows).proposals == []


def test_a_proposal_is_decided_once(uows: FakeUnitOfWorkFactory) -> None:
    suppliers(uows, offer("A"))
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")
    [made] = propose(uows).proposals
    reorder.reject(uows, made.id, caller=OPERATOR, clock=now)

    with pytest.raises(Conflict, match="is rejected: it cannot be approved"):
        reorder.approve(uows, made.id, caller=OPERATOR)
    with pytest.raises(Conflict, match="is rejected: it cannot be rejected"):
        reorder.reject(uows, made.id, caller=OPERATOR)
    assert purchasing.order_lines(uows, caller=OPERATOR) == []


def test_a_rejected_proposal_leaves_its_items_free_to_be_proposed_again(
    uows: FakeUnitOfWorkFactory,
) -> None:
    suppliers(uows, offer("A", pack="12"))
    policy(uows, "A", "DC1", kind="fixed", min="0", max="24")
    [first] = propose(uows).proposals

    rejected = reorder.reject(uows, first.id, caller=OPERATOR, note="enough on the way")

    assert (rejected.status, rejected.note) == (ProposalStatus.REJECTED, "enough on the way")
    [second] = propose(uows).proposals
    assert second.id != first.id and second.lines[0].quantity == 24 * U


def test_a_store_is_proposed_a_transfer_from_its_dc(uows: FakeUnitOfWorkFactory) -> None:
    policy(uows, "B", "ST1", kind="fixed", min="3", max="12", source_location="DC1")

    [made] = propose(uows).proposals

    assert (made.kind, made.source_location, made.location) == (OrderKind.TRANSFER, "DC1", "ST1")
    assert (made.lines[0].quantity, made.lines[0].lead_days) == (12 * U, 2)
    approved = reorder.approve(uows, made.id, caller=OPERATOR)
    assert approved.order_number == f"TO-TU-{made.id:07d}"


def test_a_decision_and_a_read_outside_the_callers_sites_are_forbidden(
    uows: FakeUnitOfWorkFactory,
) -> None:
    suppliers(uows, offer("A"))
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")
    [made] = propose(uows).proposals

    with pytest.raises(Forbidden):
        reorder.approve(uows, made.id, caller=ST1_MANAGER)
    with pytest.raises(Forbidden):
        reorder.reject(uows, made.id, caller=ST1_MANAGER)
    with pytest.raises(Forbidden):
        reorder.proposal(uows, made.id, caller=ST1_MANAGER)
    assert reorder.proposals(uows, caller=ST1_MANAGER) == []
    assert reorder.proposal(uows, made.id, caller=OPERATOR).status is ProposalStatus.PROPOSED
    with pytest.raises(NotFound):
        reorder.proposal(uows, made.id + 1000, caller=OPERATOR)


def test_proposals_for_a_scoped_manager_cover_only_their_sites(
    uows: FakeUnitOfWorkFactory,
) -> None:
    suppliers(uows, offer("A"))
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")
    policy(uows, "A", "ST1", kind="fixed", min="1", max="5")

    run = reorder.generate_proposals(uows, caller=ST1_MANAGER, clock=now)

    assert [p.location for p in run.proposals] == ["ST1"]
    with pytest.raises(Forbidden):
        reorder.generate_proposals(uows, caller=ST1_MANAGER, sites=["DC1"])


def test_the_export_has_a_row_per_proposal_line_safe_for_a_spreadsheet(
    uows: FakeUnitOfWorkFactory,
) -> None:
    suppliers(uows, offer("A", pack="12", code="=SUP"))
    policy(uows, "A", "DC1", kind="fixed", min="0", max="24")
    [made] = propose(uows).proposals

    rows = export.export_rows(reorder.proposals(uows, caller=OPERATOR))
    text = export.export_csv(reorder.proposals(uows, caller=OPERATOR))

    assert rows == [
        {
            "proposal": str(made.id), "status": "proposed", "kind": "purchase",
            "supplier": "=SUP", "source_location": "", "site": "DC1", "location": "DC1",
            "sku": "A", "quantity": "24", "pack_size": "12", "moq": "0", "on_hand": "0",
            "on_order": "0", "committed": "0", "position": "0", "reorder_point": "0",
            "order_up_to": "24", "lead_days": "4", "order_number": "",
        }
    ]  # fmt: skip
    [header, line] = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == export.EXPORT_COLUMNS
    assert line[3] == "'=SUP"
