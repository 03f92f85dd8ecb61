"""Proofs and training samples from a search hypergraph (paper, sections 4 and 5.2).

* :func:`minimal_proofs` runs Knuth's generalisation of Dijkstra's algorithm over the AND-OR hypergraph:
  the cost of a tactic is 1 plus the sizes of its children's proofs (``"size"``, the number of steps, a
  shared subgoal counted once per use as in :attr:`equations.Proof.size`) or 1 plus their largest depth
  (``"depth"``). Nodes are finalised in increasing cost, so the chosen tactics form an acyclic proof.
* :func:`extract_proof` turns the minimal proof of a node into an :class:`equations.Proof`.
* :func:`tactic_samples` / :func:`critic_samples` are the training samples of section 5.2.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import equations as eq

from .hypergraph import Edge, Hypergraph, Node
from .search import SearchParams, puct_scale, puct_score, q_value, rp_lambda, rp_policy

G = TypeVar("G", bound=Hashable)


def minimal_proofs(graph: Hypergraph[G], objective: str = "size") -> dict[int, tuple[int, Edge[G]]]:
    """For every solved node (by id): the cost of its minimal proof and the tactic that starts it."""
    if objective not in ("size", "depth"):
        raise ValueError(f"unknown objective {objective!r}: expected 'size' or 'depth'")
    by_size = objective == "size"
    best: dict[int, tuple[int, Edge[G]]] = {}
    remaining: dict[int, int] = {}  # id(edge) -> unfinalised children
    heap: list[tuple[int, int, int]] = []
    edges: list[Edge[G]] = []
    for n in graph:
        for e in n.edges:
            k = len(edges)
            edges.append(e)
            remaining[id(e)] = len(e.children)
            if not e.children:
                heapq.heappush(heap, (1, k, k))
    index = {id(e): k for k, e in enumerate(edges)}
    seq = len(edges)
    while heap:
        cost, _, k = heapq.heappop(heap)
        e = edges[k]
        node = e.node
        if node.id in best:
            continue
        best[node.id] = (cost, e)
        for pe in node.parents:
            r = remaining[id(pe)] - 1
            remaining[id(pe)] = r
            if r == 0 and pe.node.id not in best:
                if by_size:
                    c = 1 + sum(best[s.id][0] for s in pe.subgoals if s is not None)
                else:
                    c = 1 + max(best[s.id][0] for s in pe.children)
                heapq.heappush(heap, (c, seq, index[id(pe)]))
                seq += 1
    return best


def extract_proof(graph: Hypergraph[Any], node: Node[Any] | None = None, objective: str = "size",
                  table: dict[int, tuple[int, Edge[Any]]] | None = None) -> eq.Proof | None:
    """The minimal proof (by ``objective``) of ``node`` (default: the root) as an :class:`equations.Proof`;
    ``None`` when the node is not solved or closes automatically (the empty proof)."""
    node = graph.root if node is None else node
    if not node.solved:
        return None
    best = table if table is not None else minimal_proofs(graph, objective)
    if node.id not in best:
        return None  # closed automatically at the root: no step needed
    memo: dict[int, eq.Proof] = {}

    def build(n: Node[Any]) -> eq.Proof:
        # iterative post-order so that deep proofs do not hit the recursion limit
        stack: list[tuple[Node[Any], bool]] = [(n, False)]
        while stack:
            cur, done = stack.pop()
            if cur.id in memo:
                continue
            e = best[cur.id][1]
            if done:
                children = tuple(None if s is None else memo[s.id] for s in e.subgoals)
                memo[cur.id] = eq.Proof(e.tactic, children)
                continue
            stack.append((cur, True))
            for c in e.children:
                if c.id not in memo:
                    stack.append((c, False))
        return memo[n.id]

    return build(node)


def proof_steps(thm: eq.Theorem, proof: eq.Proof, rules: eq.RuleSet) -> list[tuple[eq.Theorem, eq.Tactic]]:
    """(goal, tactic) pairs of a proof in depth-first order (the policy's training pairs)."""
    return [(step.goal, step.tactic) for step in eq.replay(thm, proof, rules)]


def tactic_samples(graph: Hypergraph[G], all_solved: bool = False,
                   objective: str = "size") -> list[tuple[G, Any]]:
    """Section 5.2 tactic samples: the (goal, tactic) pairs of the minimal proof of the root, or with
    ``all_solved`` of every solved node (each goal once)."""
    best = minimal_proofs(graph, objective)
    roots = [n for n in graph if n.solved] if all_solved else [graph.root]
    out: dict[int, tuple[G, Any]] = {}
    for r in roots:
        if r.id not in best:
            continue
        stack = [r]
        while stack:
            n = stack.pop()
            if n.id in out:
                continue
            e = best[n.id][1]
            out[n.id] = (n.goal, e.tactic)
            stack.extend(reversed(e.children))
    return list(out.values())


@dataclass(frozen=True)
class CriticSample:
    goal: Any
    target: float
    kind: str  # "solved", "invalid" or "internal"


def critic_samples(graph: Hypergraph[G], params: SearchParams | None = None,
                   visit_threshold: int = 2) -> list[CriticSample]:
    """Section 5.2 critic samples: 1 for solved nodes, 0 for invalid nodes, and for other expanded nodes
    visited at least ``visit_threshold`` times the soft target ``W(g,t*)/N(g,t*)`` where ``t*`` maximises
    the search's own policy (``params.policy``) among the visited valid tactics: PUCT's score, or pi_RP
    (the mode, not a sample), without virtual counts. Ties go to the larger prior, then the earlier
    tactic."""
    from .search import SearchParams as _SP

    params = params if params is not None else _SP()
    out: list[CriticSample] = []
    for n in graph:
        if n.solved:
            out.append(CriticSample(n.goal, 1.0, "solved"))
        elif n.invalid:
            out.append(CriticSample(n.goal, 0.0, "invalid"))
        elif n.expanded and n.n_sum >= visit_threshold:
            live = [e for e in n.edges if e.n > 0 and not e.invalid]
            if not live:
                continue
            if params.policy == "rp":
                lam = rp_lambda(params.exploration, [e.n + e.vc for e in n.edges])
                pi = rp_policy([e.prior for e in live], [q_value(e, params.fpu) for e in live], lam)
                k = max(range(len(live)), key=lambda i: (pi[i], live[i].prior, -i))
                best = live[k]
            else:
                s = puct_scale(params.exploration, n.n_sum)
                best = max(live, key=lambda e: (puct_score(q_value(e, params.fpu), e.prior, e.n + e.vc, s), e.prior))
            out.append(CriticSample(n.goal, best.w / best.n, "internal"))
    return out
