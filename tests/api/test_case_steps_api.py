"""A case's steps over the API: request, a refused self-approval (403 with the reason),
approval by another manager that posts the correction once, a second approval 409,
rejection, execution by the owner, closing; roles without the action get 403; the list
pages in the database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import SETUP, Api
from tests.builders import movement, table
from tests.unit.cases.flow import action, adjust, case_in
from tests.unit.evidence.world import OTHER_BIN, U
from trueup.domain.access import Role
from trueup.domain.cases import Transfer
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user
from trueup.services.ledger.posting import post_table
from trueup.services.sop import versions


def stocked(api: Api) -> None:
    versions.install_default(api.system.uow, caller=SETUP)
    post_table(
        api.system.uow,
        table(movement(quantity=10, occurred_at="2026-03-08T10:00:00+00:00")),
        caller=SETUP,
    )
    add_user(api.system.uow, "olaf", Role.INVENTORY_MANAGER, [], None, caller=SETUP)
    api.tokens["olaf"] = create_token(api.system.uow, "olaf", caller=SETUP)[1]


def step(api: Api, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return api.client.post(f"/api/v1/cases/{path}", json=body, headers=api.headers(who))


def test_request_approve_once_and_the_posting(api: Api) -> None:
    stocked(api)
    case_id = case_in(api.system.uow, adjust())
    requested = step(api, "inventory_manager", f"{case_id}/request", {"reason": "sound"})
    assert requested.status_code == 200, requested.text
    body = requested.json()
    assert body["case"]["status"] == "awaiting_approval" and body["posted"] == []
    (pending,) = body["case"]["actions"]
    assert pending["status"] == "pending" and pending["levels"] == ["manager"]
    assert pending["requested_by"] == "inventory_manager" and pending["expires_at"]

    own = step(api, "inventory_manager", f"{case_id}/actions/adjust_record/approve")
    assert own.status_code == 403
    assert "inventory_manager requested adjust_record and may not approve it" in own.text
    finance = step(api, "finance", f"{case_id}/actions/adjust_record/approve")
    assert finance.status_code == 403 and "approve at level manager" in finance.text

    approved = step(api, "olaf", f"{case_id}/actions/adjust_record/approve", {"reason": "ok"})
    assert approved.status_code == 200, approved.text
    done = approved.json()
    assert len(done["posted"]) == 1 and done["executed"] == ["adjust_record"]
    assert done["case"]["status"] == "validated" and done["case"]["follow_up_due"]
    (executed,) = done["case"]["actions"]
    assert executed["executed_as"] == f"movement {done['posted'][0]}"
    assert executed["approvals"][0]["approver"] == "olaf"
    assert executed["parameters"]["quantity"] == "6"

    again = step(api, "olaf", f"{case_id}/actions/adjust_record/approve")
    assert again.status_code == 409, again.text
    read = api.client.get(f"/api/v1/cases/{case_id}", headers=api.headers("auditor"))
    assert read.json()["actions"][0]["status"] == "executed"


def test_reject_then_close_without_action(api: Api) -> None:
    stocked(api)
    case_id = case_in(api.system.uow, adjust())
    step(api, "inventory_manager", f"{case_id}/request")
    unsaid = step(api, "olaf", f"{case_id}/actions/adjust_record/reject", {"reason": " "})
    assert unsaid.status_code == 422 and "reason" in unsaid.text
    rejected = step(api, "olaf", f"{case_id}/actions/adjust_record/reject", {"reason": "no"})
    assert rejected.status_code == 200 and rejected.json()["case"]["status"] == "diagnosed"
    early = step(api, "inventory_manager", f"{case_id}/close", {"lessons": "x"})
    assert early.status_code == 409 and "cannot be closed" in early.text
    closed = step(
        api, "inventory_manager", f"{case_id}/close", {"no_action": True, "reason": "miscount"}
    )
    assert closed.status_code == 200 and closed.json()["case"]["status"] == "closed"
    assert closed.json()["case"]["lessons"] == "miscount"


def test_the_owner_executes_a_transfer(api: Api) -> None:
    stocked(api)
    transfer = action("transfer_stock", Transfer("", OTHER_BIN, 3 * U))
    case_id = case_in(api.system.uow, transfer, location=OTHER_BIN)
    step(api, "inventory_manager", f"{case_id}/request")
    step(api, "olaf", f"{case_id}/actions/transfer_stock/approve")
    manager = step(api, "inventory_manager", f"{case_id}/actions/transfer_stock/execute")
    assert manager.status_code == 403 and "that is for warehouse_staff" in manager.text
    done = step(api, "warehouse_staff", f"{case_id}/actions/transfer_stock/execute")
    assert done.status_code == 200, done.text
    assert len(done.json()["posted"]) == 2 and done.json()["case"]["status"] == "validated"
    assert done.json()["case"]["actions"][0]["parameters"]["from_location"] == "DC1-A-01"
    unknown = step(api, "warehouse_staff", f"{case_id}/actions/nonsense/execute")
    assert unknown.status_code == 409


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("warehouse_staff", "request"),
        ("finance", "request"),
        ("auditor", "actions/adjust_record/approve"),
        ("warehouse_staff", "actions/adjust_record/approve"),
        ("auditor", "actions/adjust_record/execute"),
        ("finance", "close"),
    ],
)
def test_roles_without_the_action_get_403(api: Api, role: str, path: str) -> None:
    stocked(api)
    case_id = case_in(api.system.uow, adjust())
    body = {"reason": "x"} if path == "close" else None
    refused = step(api, role, f"{case_id}/{path}", body)
    assert refused.status_code == 403, refused.text


def test_the_list_pages_in_the_database(api: Api) -> None:
    stocked(api)
    ids = [case_in(api.system.uow, adjust(location=code), location=code)
           for code in ("DC1-A-01", "DC1-A-02", "ST1")]  # fmt: skip
    headers = api.headers("auditor")
    first = api.client.get("/api/v1/cases", params={"limit": 2}, headers=headers).json()
    assert [c["id"] for c in first["data"]] == ids[:2] and first["next_cursor"] == str(ids[1])
    rest = api.client.get(
        "/api/v1/cases", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert [c["id"] for c in rest["data"]] == ids[2:] and rest["next_cursor"] is None
