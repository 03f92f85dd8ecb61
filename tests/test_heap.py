"""frozen_heap: the heap is frozen only inside the block, and an enclosing freeze is left alone."""

from __future__ import annotations

import gc
import warnings

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


def _live_search_nodes() -> int:
    from equations.agents.hypergraph import Edge, Node

    with warnings.catch_warnings():  # isinstance on every live object touches torch's deprecated aliases
        warnings.simplefilter("ignore", FutureWarning)
        return sum(1 for o in gc.get_objects() if isinstance(o, (Node, Edge)))


def test_finished_searches_leave_no_cyclic_garbage() -> None:
    """A search's hypergraph is freed by reference counting when ``prove`` returns (``Hypergraph.release``):
    left to the cycle collector, the next search's ``frozen_heap`` froze it for good (20 MB a search)."""
    from equations.agents import SearchParams, prove

    gc.collect()
    before = _live_search_nodes()
    enabled = gc.isenabled()
    gc.disable()  # only reference counting may free the graphs
    try:
        for seed in range(3):
            res = prove("2*ln(sqrt(x)) == ln(x) | x > 0", "paper", SearchParams(expansions=60, seed=seed))
            assert res.stats.expansions > 1
            del res
        assert _live_search_nodes() == before
        kept = prove("2*ln(sqrt(x)) == ln(x) | x > 0", "paper", SearchParams(expansions=60), keep_search=True)
        assert kept.search is not None and len(kept.search.graph) > 1  # keep_search keeps it whole
        assert _live_search_nodes() > before
        kept.search.graph.release()
        del kept
        assert _live_search_nodes() == before
    finally:
        if enabled:
            gc.enable()


def test_trim_native_heap_runs() -> None:
    import platform

    from equations.heap import trim_native_heap

    assert trim_native_heap() is (platform.libc_ver()[0] == "glibc")
    assert trim_native_heap() is (platform.libc_ver()[0] == "glibc")  # cached handle
