"""The posting rules on on-hand: refuse or accept shortages, serials in one place, conservation."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trueup.domain.errors import StockRefused
from trueup.domain.ledger.policy import ANY, MANUAL_SOURCE, OnShort, PolicyRule, StockPolicy
from trueup.domain.ledger.postings import BalanceBook, BalanceKey, NegativeStock, Posting
from trueup.domain.values import QUANTITY_SCALE

#: Pretend storage ids for locations; the book only needs the id and which side is physical.
VIRTUAL = {"supplier": 1, "customer": 2, "loss": 3}
PHYSICAL = {"bin_a": 11, "bin_b": 12, "store": 13}
PLACES = VIRTUAL | PHYSICAL
ITEM = 7
SCALE: int = QUANTITY_SCALE
_external_ids = itertools.count(1)


def posting(
    *,
    source: str = "erp",
    kind: str = "receipt",
    from_: str = "supplier",
    to: str = "bin_a",
    quantity: int = 1,
    serial: str = "",
    lot: str = "",
    line: int = 1,
) -> Posting:
    """A resolved posting of `quantity` base units of ITEM between two named places."""
    return Posting(
        source=source,
        external_id=f"E{next(_external_ids)}",
        kind=kind,
        item_id=ITEM,
        from_id=PLACES[from_],
        to_id=PLACES[to],
        lot=lot,
        serial=serial,
        quantity=quantity * QUANTITY_SCALE,
        occurred_at="2026-03-01T10:00:00.000000+00:00",
        recorded_at="2026-03-01T10:00:00.000000+00:00",
        reason="",
        reference="",
        actor="tester",
        entered_quantity="",
        entered_unit="",
        reverses_id=None,
        batch_id=1,
        line=line,
        serial_tracked=bool(serial),
        from_physical=from_ in PHYSICAL,
        to_physical=to in PHYSICAL,
    )


def key(place: str, *, serial: str = "", lot: str = "") -> BalanceKey:
    return (ITEM, PLACES[place], lot, serial)


def book(
    stock: dict[str, int] | None = None,
    *,
    serials: dict[tuple[str, str], int] | None = None,
    rules: list[PolicyRule] | None = None,
) -> BalanceBook:
    """A book with on-hand loaded as storage would: {place: units}, {(place, serial): units}."""
    built = BalanceBook(StockPolicy(rules) if rules is not None else StockPolicy())
    built.load((key(place), units * QUANTITY_SCALE) for place, units in (stock or {}).items())
    loaded = serials or {}
    built.load_serials(
        {(ITEM, serial) for _place, serial in loaded},
        (
            (key(place, serial=serial), units * QUANTITY_SCALE)
            for (place, serial), units in loaded.items()
        ),
    )
    return built


def on_hand(b: BalanceBook, place: str, *, serial: str = "") -> int:
    return b.on_hand(key(place, serial=serial)) // SCALE


def withdrawal(quantity: int, *, source: str, kind: str = "issue", from_: str = "bin_a") -> Posting:
    return posting(source=source, kind=kind, from_=from_, to="customer", quantity=quantity)


# -- shortages: requests refused, facts accepted ----------------------------------------
def test_withdrawal_within_stock_lowers_on_hand_without_a_shortage() -> None:
    b = book({"bin_a": 5})
    assert b.apply(withdrawal(3, source=MANUAL_SOURCE)) is None
    assert on_hand(b, "bin_a") == 2


def test_withdrawing_exactly_what_is_on_hand_is_not_a_shortage() -> None:
    b = book({"bin_a": 5})
    assert b.apply(withdrawal(5, source=MANUAL_SOURCE)) is None
    assert on_hand(b, "bin_a") == 0


def test_request_beyond_stock_is_refused_and_changes_nothing() -> None:
    b = book({"bin_a": 2})
    with pytest.raises(StockRefused, match=r"at most 2, the quantity on hand.*3 requested"):
        b.apply(
            posting(
                source=MANUAL_SOURCE, kind="issue", from_="bin_a", to="customer", quantity=3, line=4
            )
        )
    assert on_hand(b, "bin_a") == 2
    assert on_hand(b, "customer") == 0


def test_fact_beyond_stock_is_accepted_and_reports_negative_stock() -> None:
    b = book({"store": 2})
    sale = withdrawal(3, source="pos", kind="sale", from_="store")
    shortage = b.apply(sale)
    assert shortage == NegativeStock(sale, key("store"), 2 * QUANTITY_SCALE, -1 * QUANTITY_SCALE)
    assert on_hand(b, "store") == -1


def test_a_key_the_caller_did_not_find_in_storage_counts_as_nothing_on_hand() -> None:
    b = book()
    with pytest.raises(StockRefused, match="at most 0, the quantity on hand"):
        b.apply(withdrawal(1, source=MANUAL_SOURCE))


def test_an_already_negative_balance_is_reported_as_nothing_on_hand() -> None:
    b = book({"store": -4})
    with pytest.raises(StockRefused, match="at most 0, the quantity on hand"):
        b.apply(withdrawal(1, source=MANUAL_SOURCE, from_="store"))


def test_policy_decides_per_source_and_kind() -> None:
    rules = [PolicyRule(ANY, ANY, OnShort.REFUSE), PolicyRule("wms", "transfer", OnShort.ACCEPT)]
    b = book(rules=rules)
    pick = posting(source="wms", kind="transfer", from_="bin_a", to="bin_b", quantity=2)
    assert b.apply(pick) is not None
    with pytest.raises(StockRefused):
        b.apply(posting(source="erp", kind="transfer", from_="bin_a", to="bin_b"))


def test_later_postings_in_a_batch_see_the_earlier_ones() -> None:
    b = book()
    b.apply(posting(quantity=5))
    b.apply(withdrawal(5, source=MANUAL_SOURCE))
    with pytest.raises(StockRefused, match="at most 0, the quantity on hand"):
        b.apply(withdrawal(1, source=MANUAL_SOURCE))


def test_virtual_sides_are_never_checked_for_stock() -> None:
    b = book(rules=[PolicyRule(ANY, ANY, OnShort.REFUSE)])
    assert b.apply(posting(from_="supplier", to="bin_a", quantity=1_000)) is None
    assert b.apply(posting(kind="return", from_="customer", to="store", quantity=3)) is None
    assert on_hand(b, "supplier") == -1_000
    assert on_hand(b, "customer") == -3


def test_the_book_asks_storage_only_for_physical_withdrawal_keys_it_lacks() -> None:
    b = book({"bin_a": 1})
    keys, serials = b.keys_to_load(
        [
            posting(from_="supplier", to="bin_b"),  # virtual source: nothing to read
            withdrawal(1, source="pos", from_="bin_a"),  # already loaded
            withdrawal(1, source="pos", from_="store"),
            posting(kind="transfer", from_="bin_b", to="store", serial="S1"),
        ]
    )
    assert keys == {key("store")}
    assert serials == {(ITEM, "S1")}


def test_lots_are_separate_balances() -> None:
    b = book()
    b.load([(key("bin_a", lot="L1"), 5 * QUANTITY_SCALE)])
    with pytest.raises(StockRefused):
        b.apply(posting(source=MANUAL_SOURCE, kind="issue", from_="bin_a", to="customer", lot="L2"))
    b.apply(posting(source=MANUAL_SOURCE, kind="issue", from_="bin_a", to="customer", lot="L1"))
    assert b.on_hand(key("bin_a", lot="L1")) == 4 * QUANTITY_SCALE


# -- serials ----------------------------------------------------------------------------
def test_receiving_a_serial_already_on_hand_elsewhere_is_refused() -> None:
    b = book(serials={("bin_a", "S1"): 1})
    with pytest.raises(StockRefused, match="'S1' would be on hand in two places"):
        b.apply(posting(to="store", serial="S1"))


def test_receiving_a_serial_twice_into_the_same_place_is_refused() -> None:
    b = book()
    b.apply(posting(to="bin_a", serial="S1"))
    with pytest.raises(StockRefused, match="two places"):
        b.apply(posting(to="bin_a", serial="S1"))


def test_a_serial_moves_from_where_it_is_to_a_new_place() -> None:
    b = book(serials={("bin_a", "S1"): 1})
    b.apply(posting(kind="transfer", from_="bin_a", to="bin_b", serial="S1"))
    assert (on_hand(b, "bin_a", serial="S1"), on_hand(b, "bin_b", serial="S1")) == (0, 1)


def test_a_serial_received_and_moved_in_one_batch_is_in_one_place() -> None:
    b = book()
    b.apply(posting(to="bin_a", serial="S1"))
    b.apply(posting(kind="transfer", from_="bin_a", to="bin_b", serial="S1"))
    b.apply(posting(kind="transfer", from_="bin_b", to="store", serial="S1"))
    held = {place: on_hand(b, place, serial="S1") for place in PHYSICAL}
    assert held == {"bin_a": 0, "bin_b": 0, "store": 1}


def test_moving_a_serial_from_a_place_it_is_not_while_it_is_elsewhere_is_refused() -> None:
    b = book(serials={("bin_a", "S1"): 1}, rules=[PolicyRule(ANY, ANY, OnShort.ACCEPT)])
    with pytest.raises(StockRefused, match="two places"):
        b.apply(posting(kind="transfer", from_="bin_b", to="store", serial="S1"))


def test_other_serials_of_the_item_do_not_block_a_serial() -> None:
    b = book(serials={("bin_a", "S1"): 1})
    assert b.apply(posting(to="bin_a", serial="S2")) is None


def test_a_serial_sold_to_a_customer_is_checked_as_stock_not_as_a_place() -> None:
    b = book()
    shortage = b.apply(
        posting(source="pos", kind="sale", from_="store", to="customer", serial="S9")
    )
    assert shortage is not None
    assert on_hand(b, "store", serial="S9") == -1
    # a negative balance is not "on hand": the serial may now be received elsewhere
    assert b.apply(posting(to="bin_a", serial="S9")) is None


def test_a_refused_serial_leaves_on_hand_unchanged() -> None:
    b = book(serials={("bin_a", "S1"): 1})
    with pytest.raises(StockRefused):
        b.apply(posting(to="store", serial="S1"))
    assert {place: on_hand(b, place, serial="S1") for place in PLACES} == {
        "supplier": 0,
        "customer": 0,
        "loss": 0,
        "bin_a": 1,
        "bin_b": 0,
        "store": 0,
    }


# -- conservation -----------------------------------------------------------------------
moves = st.lists(
    st.tuples(
        st.sampled_from(sorted(PLACES)),
        st.sampled_from(sorted(PLACES)),
        st.integers(min_value=1, max_value=10**6),
    ).filter(lambda move: move[0] != move[1]),
    max_size=40,
)


@given(moves)
def test_deltas_conserve_quantity_after_every_posting(batch: list[tuple[str, str, int]]) -> None:
    b = book(rules=[PolicyRule(ANY, ANY, OnShort.ACCEPT)])
    for from_, to, quantity in batch:
        before = {k: b.on_hand(k) for k in map(key, PLACES)}
        b.apply(posting(kind="transfer", from_=from_, to=to, quantity=quantity))
        assert sum(b.deltas.values()) == 0
        assert b.on_hand(key(from_)) == before[key(from_)] - quantity * QUANTITY_SCALE
        assert b.on_hand(key(to)) == before[key(to)] + quantity * QUANTITY_SCALE
