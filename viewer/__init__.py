"""``equations.viewer``: self-contained HTML pages for proofs, saved searches and datasets, and a loopback
server for browsing a run directory live.

* :mod:`.load`: what a file or folder holds (a proof record, a (theorem, proof) pair, a saved search, a
  JSONL of proof records, a dataset folder), decided from its content;
* :mod:`.tree`: a proof replayed into the tree the page draws (each goal with its LaTeX, the tactic on
  each edge, subtree size and depth, why a leaf closed, where a proof breaks);
* :mod:`.page`: the page itself (our own JavaScript and CSS in ``static/``, the data inlined as JSON;
  no network access at view time);
* :mod:`.server`: ``equations show DIR --serve`` (standard library ``http.server``, 127.0.0.1 only);
* :mod:`.cli`: the ``show`` command.

The viewer reads files; it never imports the search or the generators (a saved search is plain JSON in the
schema of :mod:`equations.agents.search_json`).
"""

from __future__ import annotations

from .load import Loaded, ViewerError, detect, load
from .page import framework_size, page_for, proof_page, render, search_page, write_page
from .tree import proof_tree

__all__ = [
    "Loaded",
    "ViewerError",
    "detect",
    "framework_size",
    "load",
    "page_for",
    "proof_page",
    "proof_tree",
    "render",
    "search_page",
    "write_page",
]
