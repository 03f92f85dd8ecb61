"""frozen_heap: the heap is frozen only inside the block, and an enclosing freeze is left alone."""

from __future__ import annotations

import gc

from equations.heap import frozen_heap


def test_frozen_heap_freezes_inside_and_restores() -> None:
    assert gc.get_freeze_count() == 0
    keep = [object() for _ in range(10)]
    with frozen_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    del keep


def test_frozen_heap_leaves_an_enclosing_freeze_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with frozen_heap():
            pass
        assert gc.get_freeze_count() == before  # not unfrozen under the caller
    finally:
        gc.unfreeze()


def test_a_search_leaves_the_heap_unfrozen() -> None:
    from equations.agents import SearchParams, prove

    res = prove("x + 0 == x", params=SearchParams(expansions=20))
    assert res.proved
    assert gc.get_freeze_count() == 0
