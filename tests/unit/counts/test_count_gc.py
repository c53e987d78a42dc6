"""The collector pause of a count's bulk paths (api/collector.py)."""

from __future__ import annotations

import gc

from trueup.api.collector import gc_paused


def test_the_collector_pauses_for_a_bulk_path_and_comes_back_after_it() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner pause leaves the outer one in force
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_two_threads_end_in_any_order() -> None:
    """Two requests whose pauses overlap: the collector comes back when the last ends."""
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first to start ends first
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
