"""A saved search: the explored HTPS hypergraph as JSON, the format ``equations show`` draws.

Written by ``equations prove ... --save-search FILE`` and ``equations evaluate --save-searches DIR`` (one
file per theorem). It lives apart from :mod:`.graph` and :mod:`.search` so that the hot search code stays
free of serialisation concerns; it only reads their public attributes.

Schema (version 1). One JSON object; nodes and edges are rows of arrays (a search of 10^5 nodes would
spend most of its bytes repeating key names as objects), whose column names the file itself lists::

    {
      "format": "equations-search",          # identifies the file (the viewer detects it by this key)
      "version": 1,
      "theorem": "2*ln(sqrt(x)) == ln(x) | x > 0",   # the root theorem (str(Theorem))
      "hypotheses": ["x > 0"], "domain": "real",      # shared by every node (tactics keep them)
      "rules": "default", "rules_version": "...",    # null when unknown
      "params": {...},                        # SearchParams.to_dict(), null when unknown
      "stats": {...},                         # SearchStats.to_dict()
      "objective": "size",                    # what the minimal proof minimises ("size" or "depth")
      "proved": true,                         # the root is solved
      "proof": {"goal", "tactic", "subproofs"} | null,   # the minimal proof, as Proof.to_dict(theorem, rules)
      "root": 0,                              # index of the root node
      "node_fields": ["goal", "status", "expanded", "visits", "value", "minimal"],
      "nodes": [["ln(x) == 2*ln(sqrt(x))", "solved", true, 12, 0.5, true], ...],
      "edge_fields": ["node", "tactic", "prior", "visits", "q", "killed", "subgoals", "minimal"],
      "edges": [[0, "eq_comm -> 0", 0.21, 7, 0.64, false, [1, null], true], ...]
    }

Node columns: ``goal`` the goal's infix text (hypotheses and domain are the file's; a goal whose
hypotheses differ from the root's is written in full, ``str(Theorem)``); ``status`` ``"solved"``,
``"invalid"`` or ``"open"``; ``expanded`` whether the search expanded it; ``visits`` the sum of its
tactics' visit counts N; ``value`` the critic's estimate (null before expansion); ``minimal`` on the
minimal proof of the root. A node's index is its position in ``nodes`` (its id in the hypergraph).

Edge columns: ``node`` the index of the goal the tactic applies to; ``tactic`` its canonical text;
``prior`` the policy's prior (renormalised over the node's kept tactics); ``visits`` N; ``q`` the mean
action value W/N (null when never visited); ``killed`` removed from selection for closing a cycle (A.3);
``subgoals`` one entry per subgoal in the environment's order, a node index or null when that subgoal
closed automatically; ``minimal`` used by the minimal proof of the root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import equations as eq
from equations.atomic import write_atomic

from .hypergraph import Edge, Hypergraph, Node
from .proofs import minimal_proofs
from .prover import ProofResult
from .search import HTPS

FORMAT = "equations-search"
VERSION = 1
NODE_FIELDS = ("goal", "status", "expanded", "visits", "value", "minimal")
EDGE_FIELDS = ("node", "tactic", "prior", "visits", "q", "killed", "subgoals", "minimal")


def _status(n: Node[Any]) -> str:
    return "solved" if n.solved else "invalid" if n.invalid else "open"


def _goal_text(goal: Any, root: Any) -> str:
    """The node's goal as short text: only the comparison when it shares the root's hypotheses (every
    node of a search does, tactics keep them), so the file does not repeat them 10^5 times."""
    if isinstance(goal, eq.Theorem) and isinstance(root, eq.Theorem):
        if goal.hyps == root.hyps and goal.domain == root.domain:
            return eq.to_infix(goal.goal)
    return str(goal)


def _minimal_edges(graph: Hypergraph[Any], objective: str) -> set[int]:
    """``id()`` of the edges of the root's minimal proof (empty when the root is not solved)."""
    if not graph.root.solved:
        return set()
    best = minimal_proofs(graph, objective)
    used: set[int] = set()
    seen: set[int] = set()
    stack = [graph.root]
    while stack:
        n = stack.pop()
        if n.id in seen or n.id not in best:
            continue
        seen.add(n.id)
        e: Edge[Any] = best[n.id][1]
        used.add(id(e))
        stack.extend(e.children)
    return used


def to_dict(search: HTPS[Any] | ProofResult, rules: eq.RuleSet | None = None, objective: str = "size",
            proof: eq.Proof | None = None) -> dict[str, Any]:
    """The saved-search object (see the module docstring) of a finished search, or of a
    :class:`~.prover.ProofResult` from ``prove(..., keep_search=True)`` (whose proof is used).

    ``rules`` is recorded by name and used to write each step's goal into the proof; ``proof`` defaults to
    the result's proof, else the minimal proof by ``objective`` is not written (the edges still say which
    tactics it uses)."""
    if isinstance(search, ProofResult):
        if search.search is None:
            raise ValueError("the result holds no search: call prove(..., keep_search=True)")
        proof = search.proof if proof is None else proof
        search = search.search
    graph = search.graph
    root_goal = graph.root.goal
    minimal = _minimal_edges(graph, objective)
    nodes = list(graph)  # insertion order: a node's position is its id
    edge_rows: list[list[Any]] = []
    on_proof: set[int] = set()
    for n in nodes:
        for e in n.edges:
            used = id(e) in minimal
            if used:
                on_proof.add(n.id)
                on_proof.update(c.id for c in e.children)
            edge_rows.append([
                n.id, str(e.tactic), round(e.prior, 6), e.n, None if e.n == 0 else round(e.w / e.n, 6), e.killed,
                [None if s is None else s.id for s in e.subgoals], used,
            ])
    node_rows = [
        [_goal_text(n.goal, root_goal), _status(n), n.expanded, n.n_sum,
         None if n.value is None else round(n.value, 6), n.id in on_proof or (n is graph.root and n.solved)]
        for n in nodes
    ]
    is_thm = isinstance(root_goal, eq.Theorem)
    proof_dict: dict[str, Any] | None = None
    if proof is not None:
        proof_dict = proof.to_dict(root_goal, rules) if is_thm and rules is not None else proof.to_dict()
    return {
        "format": FORMAT,
        "version": VERSION,
        "theorem": str(root_goal),
        "hypotheses": [eq.to_infix(h) for h in root_goal.hyps] if is_thm else [],
        "domain": root_goal.domain if is_thm else None,
        "rules": rules.name if rules is not None else None,
        "rules_version": rules.version if rules is not None else None,
        "params": search.params.to_dict(),
        "stats": search.stats.to_dict(),
        "objective": objective,
        "proved": graph.root.solved,
        "proof": proof_dict,
        "root": graph.root.id,
        "node_fields": list(NODE_FIELDS),
        "nodes": node_rows,
        "edge_fields": list(EDGE_FIELDS),
        "edges": edge_rows,
    }


def to_json(search: HTPS[Any] | ProofResult, rules: eq.RuleSet | None = None, objective: str = "size") -> str:
    """:func:`to_dict` as compact JSON text (one line; ``json.loads`` reads it back)."""
    return json.dumps(to_dict(search, rules, objective), separators=(",", ":"))


def save_search(path: str | Path, search: HTPS[Any] | ProofResult, rules: eq.RuleSet | None = None,
                objective: str = "size") -> Path:
    """Write :func:`to_json` to ``path`` atomically (a temporary file in the same folder, renamed into
    place), so a viewer polling a run directory never reads half a file. Returns the path."""
    return write_atomic(path, to_json(search, rules, objective))


def search_file_name(theorem_id: str) -> str:
    """A file name for a theorem id (``evaluate --save-searches``): characters outside ``[A-Za-z0-9._-]``
    become ``_`` so ids with slashes or spaces cannot escape the folder."""
    safe = "".join(c if (c.isalnum() and c.isascii()) or c in "._-" else "_" for c in theorem_id).lstrip(".")
    return (safe or "theorem") + ".search.json"
