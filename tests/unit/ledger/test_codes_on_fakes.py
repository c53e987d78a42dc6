"""Filters naming codes the catalog does not hold are refused with the nearest known code."""

from __future__ import annotations

import pytest

from tests.builders import movement
from tests.unit.ledger.on_fakes import movements, post, world
from trueup.domain.errors import NotFound
from trueup.domain.ledger.codes import nearest, unknown_code
from trueup.services.ledger.codes import require_known


def test_the_nearest_code_prefers_the_same_code_in_another_letter_case() -> None:
    assert nearest("stn", ["ST1", "STN", "STM"]) == "STN"
    assert nearest("sku-0001", ["SKU-00001", "SKU-00002"]) in {"SKU-00001", "SKU-00002"}
    assert nearest("dc2", ["DC1"]) == "DC1"
    assert nearest("XYZ", ["DC1", "ST1"]) is None


def test_an_unknown_code_is_not_found_and_names_what_is_unknown() -> None:
    error = unknown_code("site", "stn", ["STN", "DC1"])
    assert isinstance(error, NotFound)
    assert str(error) == "no site 'stn'; did you mean 'STN'?"
    assert str(unknown_code("location", "NOWHERE", ["DC1"])) == "no location 'NOWHERE'"


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"sites": ["dc1"]}, "no site 'dc1'; did you mean 'DC1'?"),
        ({"sites": ["DC1-A"]}, "no site 'DC1-A'; did you mean 'DC1'?"),
        ({"skus": ["A", "lot"]}, "no SKU 'lot'; did you mean 'LOT'?"),
        ({"locations": ["DC1-A-1"]}, "no location 'DC1-A-1'; did you mean 'DC1-A-01'?"),
    ],
)
def test_require_known_refuses_the_first_unknown_code(
    filters: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(NotFound) as caught:
        require_known(world(), **filters)
    assert str(caught.value) == message


def test_require_known_accepts_known_codes_of_every_kind() -> None:
    require_known(world(), skus=["A", "B"], locations=["DC1-A-01", "ST1"], sites=["DC1", "ST2"])
    require_known(world())


def test_history_by_site_keeps_the_movements_touching_any_of_its_locations() -> None:
    uows = world()
    post(
        uows,
        movement(external_id="TO-BIN", to_location="DC1-A-01"),
        movement(external_id="TO-STORE", to_location="ST1"),
        movement(external_id="TO-ST2", to_location="ST2"),
    )
    assert [m.external_id for m in movements(uows, sites=("DC1",))] == ["TO-BIN"]
    found = movements(uows, sites=("DC1", "ST2"))
    assert sorted(m.external_id for m in found) == ["TO-BIN", "TO-ST2"]
