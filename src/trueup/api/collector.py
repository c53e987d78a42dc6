"""The cyclic garbage collector, paused while a count's bulk path runs (the count
routes, api/routes/count_tasks.py, and the `trueup counts` commands)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pause_lock = threading.Lock()
_pauses = 0  # the pauses in force, in every thread
_resume = False  # whether the collector ran before the first of them


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a count's bulk path runs, then restore
    it. A 10,000-line count allocates a few hundred thousand tuples and lists, none in a
    reference cycle; every 700 allocations the collector would run, and several times per
    request it would traverse the whole heap, finding nothing (a third of the time such a
    request took). Reference counting still frees everything at once. The pause is
    process-wide: a concurrent request allocates without collections meanwhile, and the
    collector comes back when the last of overlapping pauses ends, in whatever order."""
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
