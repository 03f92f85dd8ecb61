"""The proof hypergraph of HTPS (paper, appendix A.1).

Nodes are goals (any hashable value: :class:`equations.Theorem` for the real prover, integers in the
synthetic benchmark); a hyperedge is one tactic from a node to the tuple of its open subgoals. A goal
reached twice is one shared node, also when two subgoals of one tactic are the same goal.

Statuses are maintained incrementally when a node is expanded or a tactic is killed:

* **solved**: some tactic has all its (unique) open children solved (least fixpoint, so always backed
  by an acyclic proof; killed tactics still count, a proof through them is valid);
* **invalid**: expanded with no tactic, or every tactic has an invalid child;
* **expandable**: unexpanded and not invalid, or some tactic is expandable, where a tactic is expandable
  when it is alive (not killed, no invalid child), every child is solved or expandable, and at least one
  *unsolved* child is expandable. A solved child is a leaf of value 1 for the search (section 4.3): it is
  never descended into, so it does not make its parent tactic expandable (a solving tactic never is). A
  solved node keeps its own flag (the root still needs it when the search goes on after a proof). The
  flag is an over-approximation only around cycles, which selection detects and cuts by killing a tactic
  (A.3), which propagates here.

Priors are renormalised at expansion over the tactics kept (a dropped duplicate gives its prior to the
tactic that absorbed it; self-loops lose theirs), so the priors of every expanded node sum to 1.

Iteration order is insertion order everywhere (dicts and lists), so a search is deterministic.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any, Generic, TypeVar

G = TypeVar("G", bound=Hashable)


class Edge(Generic[G]):
    """A hyperedge (g, t, c): ``tactic`` applied at ``node``.

    ``subgoals`` has one entry per subgoal in the environment's order (``None`` = closed automatically);
    ``children`` the distinct open subgoal nodes in first-occurrence order. ``n``, ``w``, ``vc`` are the
    visit count, total action value and virtual count of A.2.
    """

    __slots__ = (
        "children", "expandable", "invalid", "killed", "n", "n_unsolved", "node", "prior", "subgoals", "tactic",
        "vc", "w",
    )

    def __init__(self, node: Node[G], tactic: Any, prior: float, subgoals: tuple[Node[G] | None, ...]):
        self.node = node
        self.tactic = tactic
        self.prior = prior
        self.subgoals = subgoals
        self.children: tuple[Node[G], ...] = tuple(dict.fromkeys(s for s in subgoals if s is not None))
        self.n = 0
        self.w = 0.0
        self.vc = 0
        self.killed = False
        self.invalid = any(c.invalid for c in self.children)
        self.n_unsolved = sum(1 for c in self.children if not c.solved)
        self.expandable = False

    @property
    def solving(self) -> bool:
        """All children solved (true for a tactic with no open subgoal)."""
        return self.n_unsolved == 0

    def compute_expandable(self) -> bool:
        if self.killed or self.invalid:
            return False
        any_exp = False
        for c in self.children:
            if c.solved:
                continue  # a leaf of value 1 for the search: nothing to expand below it
            if not c.expandable:
                return False
            any_exp = True
        return any_exp

    def __repr__(self) -> str:
        return f"Edge({self.node.goal!r} -[{self.tactic}]-> {[c.goal for c in self.children]})"


class Node(Generic[G]):
    """A goal of the hypergraph."""

    __slots__ = (
        "edges", "expandable", "expanded", "goal", "id", "invalid", "n_sum", "n_valid", "parents", "solved",
        "value", "vc_sum",
    )

    def __init__(self, goal: G, id: int):
        self.goal = goal
        self.id = id
        self.edges: list[Edge[G]] = []
        self.parents: list[Edge[G]] = []  # edges having this node among their (unique) children
        self.expanded = False
        self.solved = False
        self.invalid = False
        self.expandable = True
        self.n_valid = 0  # edges without an invalid child
        self.n_sum = 0  # sum of N(g, .)
        self.vc_sum = 0  # sum of VC(g, .)
        self.value: float | None = None  # critic estimate, set at expansion

    @property
    def is_leaf(self) -> bool:
        return not self.expanded

    def __repr__(self) -> str:
        status = "solved" if self.solved else "invalid" if self.invalid else "open"
        return f"Node({self.goal!r}, {status}, {'expanded' if self.expanded else 'leaf'})"


class Hypergraph(Generic[G]):
    """The search hypergraph rooted at ``root``."""

    def __init__(self, root: G):
        self.nodes: dict[G, Node[G]] = {}
        self.root = self.node(root)
        self.n_edges = 0
        self.n_killed = 0

    def __len__(self) -> int:
        return len(self.nodes)

    def release(self) -> None:
        """Break the graph's reference cycles (a node lists its edges, an edge its node and children) so
        that it is freed as soon as the caller drops it, by reference counting, without waiting for the
        cycle collector. Whoever is done with a search calls it; the graph is empty afterwards.

        Why: a search runs under :func:`equations.heap.frozen_heap`, and the next search freezes the heap
        again before any full collection has run, so the cyclic garbage of every finished search would be
        frozen with it and never collected: about 20 MB per 500-expansion search, which took an online
        run's provers to 10 GB each in 30 minutes (out of memory)."""
        for n in self.nodes.values():
            n.edges = []
            n.parents = []
        self.nodes = {}

    def __iter__(self) -> Iterator[Node[G]]:
        return iter(self.nodes.values())

    def node(self, goal: G) -> Node[G]:
        """The node of ``goal``, created (unexpanded) if new."""
        n = self.nodes.get(goal)
        if n is None:
            n = Node(goal, len(self.nodes))
            self.nodes[goal] = n
        return n

    def expand(self, node: Node[G], tactics: Sequence[tuple[Any, float, Sequence[G | None]]]) -> list[Edge[G]]:
        """Expand ``node`` with ``(tactic, prior, subgoals)`` triples (``None`` = closed subgoal).

        Tactics leading to the node itself are dropped (a trivial cycle), as are tactics leading to the same
        set of open children as an earlier one (A.3: keep one tactic per set of children; the kept tactic
        absorbs the prior of its duplicates). The priors of the kept tactics are then renormalised to sum
        to 1 (uniform when none is positive). Statuses are then propagated. Returns the edges added.
        """
        if node.expanded:
            raise ValueError(f"{node!r} is already expanded")
        node.expanded = True
        seen: dict[frozenset[int], Edge[G]] = {}
        added: list[Edge[G]] = []
        get = self.node
        for tactic, prior, subgoals in tactics:
            subs = tuple(None if s is None else get(s) for s in subgoals)
            if any(s is node for s in subs):
                continue
            key = frozenset(s.id for s in subs if s is not None)
            kept = seen.get(key)
            if kept is not None:
                kept.prior += max(0.0, float(prior))
                continue
            e = Edge(node, tactic, max(0.0, float(prior)), subs)
            seen[key] = e
            for c in e.children:
                c.parents.append(e)
            e.expandable = e.compute_expandable()
            node.edges.append(e)
            if not e.invalid:
                node.n_valid += 1
            added.append(e)
        total = sum(e.prior for e in added)
        if total > 0.0:
            for e in added:
                e.prior /= total
        elif added:
            u = 1.0 / len(added)
            for e in added:
                e.prior = u
        self.n_edges += len(added)
        if any(e.n_unsolved == 0 for e in added):
            self._mark_solved(node)
        if node.n_valid == 0 and not node.solved:
            self._mark_invalid(node)
        else:
            self._update_expandable(node)
        return added

    # --- status maintenance -------------------------------------------------------------------------

    def _mark_solved(self, node: Node[G]) -> None:
        """MaintainSolved: ``node`` is solved; propagate to parents whose tactic becomes solving."""
        stack = [node]
        while stack:
            n = stack.pop()
            if n.solved:
                continue
            n.solved = True
            for e in n.parents:
                e.n_unsolved -= 1
                if e.n_unsolved == 0 and not e.node.solved and e.node.expanded:
                    stack.append(e.node)
                if e.killed or e.invalid:
                    continue
                now = e.compute_expandable()
                if now and not e.expandable:
                    self._raise_expandable(e)  # a dead child got solved
                elif e.expandable and not now:
                    # the solved child was its only expandable one: the search stops there now
                    e.expandable = False
                    self._update_expandable(e.node)

    def _raise_expandable(self, edge: Edge[G]) -> None:
        """``edge`` became expandable (a dead child got solved): propagate the gain to its ancestors."""
        edge.expandable = True
        stack = [edge.node]
        while stack:
            n = stack.pop()
            if n.expandable or n.invalid:
                continue
            n.expandable = True
            for e in n.parents:
                if not e.expandable and not e.killed and not e.invalid and e.compute_expandable():
                    e.expandable = True
                    stack.append(e.node)

    def _mark_invalid(self, node: Node[G]) -> None:
        """MaintainInvalid: ``node`` is invalid; its parent tactics become invalid (removed from selection);
        a parent whose tactics are all invalid becomes invalid in turn."""
        stack = [node]
        touched: list[Node[G]] = []
        while stack:
            n = stack.pop()
            if n.invalid or n.solved:
                continue
            n.invalid = True
            n.expandable = False
            for e in n.parents:
                if e.invalid:
                    continue
                e.invalid = True
                e.expandable = False
                p = e.node
                p.n_valid -= 1
                if p.expanded and p.n_valid == 0 and not p.solved:
                    stack.append(p)
                else:
                    touched.append(p)
        for p in touched:
            if not p.invalid:
                self._update_expandable(p)

    def _update_expandable(self, node: Node[G]) -> None:
        """Recompute ``node.expandable`` (expanded nodes only) and propagate a loss to its ancestors."""
        stack = [node]
        while stack:
            n = stack.pop()
            if not n.expanded:
                continue
            new = False
            for e in n.edges:
                if e.expandable:
                    new = True
                    break
            if new or not n.expandable:
                n.expandable = new
                continue
            n.expandable = False
            for e in n.parents:
                if e.expandable and not e.compute_expandable():
                    e.expandable = False
                    stack.append(e.node)

    def kill(self, edge: Edge[G]) -> None:
        """Remove a tactic from selection (it closed a cycle in a simulation, A.3). Its statistics stay;
        it still counts for solved status (a proof through it is valid)."""
        if edge.killed:
            return
        edge.killed = True
        edge.expandable = False
        self.n_killed += 1
        self._update_expandable(edge.node)

    def recompute_expandable(self) -> None:
        """MaintainExpandable: recompute every flag from scratch (least fixpoint from unexpanded leaves)."""
        nodes = list(self.nodes.values())
        for n in nodes:
            n.expandable = not n.expanded and not n.invalid
            for e in n.edges:
                e.expandable = False
        changed = True
        while changed:
            changed = False
            for n in nodes:
                if not n.expanded or n.invalid:
                    continue
                for e in n.edges:
                    if not e.expandable and e.compute_expandable():
                        e.expandable = True
                        changed = True
                if not n.expandable and any(e.expandable for e in n.edges):
                    n.expandable = True
                    changed = True

    # --- queries ------------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        nodes = self.nodes.values()
        return {
            "nodes": len(self.nodes),
            "expanded": sum(1 for n in nodes if n.expanded),
            "solved": sum(1 for n in nodes if n.solved),
            "invalid": sum(1 for n in nodes if n.invalid),
            "edges": self.n_edges,
            "killed": self.n_killed,
        }

    def check_invariants(self) -> None:
        """Recompute solved / invalid from scratch and compare (for tests). Raises AssertionError."""
        nodes = list(self.nodes.values())
        solved = {n.id: False for n in nodes}
        changed = True
        while changed:
            changed = False
            for n in nodes:
                if not solved[n.id] and n.expanded and any(all(solved[c.id] for c in e.children) for e in n.edges):
                    solved[n.id] = True
                    changed = True
        invalid = {n.id: False for n in nodes}
        changed = True
        while changed:
            changed = False
            for n in nodes:
                if invalid[n.id] or not n.expanded or solved[n.id]:
                    continue
                if all(any(invalid[c.id] for c in e.children) for e in n.edges):
                    invalid[n.id] = True
                    changed = True
        for n in nodes:
            assert n.solved == solved[n.id], f"solved status of {n!r}"
            assert n.invalid == invalid[n.id], f"invalid status of {n!r}"
            for e in n.edges:
                assert e.n_unsolved == sum(1 for c in e.children if not c.solved), f"unsolved count of {e!r}"
                assert e.invalid == any(c.invalid for c in e.children), f"invalid flag of {e!r}"
                assert e.vc >= 0
            assert n.vc_sum == sum(e.vc for e in n.edges)
            assert n.n_sum == sum(e.n for e in n.edges)
