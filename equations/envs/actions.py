"""The structured action set of a goal: every (rule, direction, position[, substitution]) candidate,
numbered, cheap to count and to decode.

Candidates inside a subtree depend only on that subtree, and subtrees are interned, so each node caches
its own candidates and the candidate count of its whole subtree. A step that rewrites a goal creates only
the nodes on the path to the root (plus the rule's target), so counting the actions of the new goal costs
O(new nodes), not O(goal size). An action number is decoded by walking down the counts; only the chosen
action becomes a :class:`~equations.tactics.Tactic`.

Per (rule, direction, position) with free pattern variables, ``subs_per_tactic`` actions are offered,
their values drawn from the theorem's subterms (smallest first; wrapping around when there are fewer
combinations). Integer literals are offered the splits ``c = 1 + (c - 1)`` (``int_add``) and
``c = p * (c / p)`` for the smallest prime factor ``p`` (``int_mul``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from itertools import accumulate, islice, product

from ..expr import Expr, num
from ..rules import Rule, RuleSet
from ..tactics import Tactic, substitution_candidates
from ..theorem import Theorem

Cand = tuple[Rule, "str | None", "tuple[tuple[str, Expr], ...] | None"]  # fixed substitutions or None


def _smallest_prime_factor(c: int) -> int | None:
    if c < 4 or c > 10**9:
        return None
    p = 2
    while p * p <= c:
        if c % p == 0:
            return p
        p += 1
    return None


class _Node:
    """Candidates rooted at one subtree node (the matched ones; the bare-variable rules form a block shared
    by every node), and the count of its whole subtree. Cumulative weights, needed only to decode an
    action, are computed on first use: most nodes are only ever counted."""

    __slots__ = ("_cum", "cands", "matched", "own", "total", "weights")

    def __init__(self, cands: list[Cand], weights: list[int], matched: int, block: int, below: int):
        self.cands = cands
        self.weights = weights
        self._cum: list[int] | None = None
        self.matched = matched
        self.own = matched + block
        self.total = self.own + below

    @property
    def cum(self) -> list[int]:
        c = self._cum
        if c is None:
            c = self._cum = list(accumulate(self.weights))
        return c


class ActionIndex:
    """Counts and decodes the actions of goals over one rule set, caching per node and per theorem."""

    def __init__(self, rules: RuleSet, subs_per_tactic: int = 1, cache_size: int = 1 << 17):
        if subs_per_tactic < 1:
            raise ValueError("subs_per_tactic must be at least 1")
        self.rules = rules
        self.m = subs_per_tactic
        self.cache_size = cache_size
        self._nodes: dict[Expr, _Node] = {}
        self._goals: OrderedDict[Theorem, tuple[_Node, list[Expr]]] = OrderedDict()
        self._anywhere: list[Cand] = [(r, d, None) for r, d in rules.anywhere]
        self._anywhere_cum = list(accumulate(self._weight(r, d) for r, d, _ in self._anywhere))
        self._block = self._anywhere_cum[-1] if self._anywhere else 0

    def _weight(self, rule: Rule, d: str | None) -> int:
        return self.m if rule.free[d] else 1

    # -- counting ----------------------------------------------------------------------------------------
    def node(self, e: Expr) -> _Node:
        """Candidates at term node ``e`` (never a comparison) and the count of its subtree."""
        n = self._nodes.get(e)
        if n is not None:
            return n
        below = 0
        for a in e.args:
            below += self.node(a).total
        cands: list[Cand] = []
        weights: list[int] = []
        m = self.m
        for r, d, t in self.rules.candidates(e):
            if r.kind == "arith":
                if d == "bwd":
                    fixed = self._arith_split(r, e)
                    if fixed is not None:
                        cands.append((r, d, fixed))
                        weights.append(1)
                elif t(e):
                    cands.append((r, d, ()))
                    weights.append(1)
            elif t(e):
                cands.append((r, d, None))
                weights.append(m if r.free[d] else 1)
        n = _Node(cands, weights, sum(weights), self._block, below)
        if len(self._nodes) >= self.cache_size:
            self._nodes.clear()
        self._nodes[e] = n
        return n

    def _arith_split(self, r: Rule, e: Expr) -> tuple[tuple[str, Expr], ...] | None:
        if e.op != "int":
            return None
        c = int(e.value)
        if r.arith_op == "add" and (c >= 1 or self.rules.domain != "nat") and c != 1:
            return (("A", num(1)),)
        if r.arith_op == "mul":
            p = _smallest_prime_factor(c)
            if p is not None:
                return (("A", num(p)),)
        return None

    def goal(self, thm: Theorem) -> _Node:
        """The root entry of a theorem: relational rewrites and assertions at the comparison."""
        hit = self._goals.get(thm)
        if hit is not None:
            self._goals.move_to_end(thm)
            return hit[0]
        g = thm.goal
        cands: list[Cand] = []
        weights: list[int] = []
        if self.rules.domain == thm.domain:
            for r, d, t in self.rules.relational.get(g.op, ()):
                if t(g):
                    cands.append((r, d, None))
                    weights.append(self._weight(r, d))
            for r, t in self.rules.asserts.get(g.op, ()):
                if t(g):
                    cands.append((r, None, None))
                    weights.append(self._weight(r, None))
            below = sum(self.node(a).total for a in g.args)
        else:
            below = 0
        root = _Node(cands, weights, sum(weights), 0, below)
        self._goals[thm] = (root, [])
        if len(self._goals) > 4096:
            self._goals.popitem(last=False)
        return root

    def count(self, thm: Theorem) -> int:
        return self.goal(thm).total

    # -- decoding ----------------------------------------------------------------------------------------
    def _pool(self, thm: Theorem) -> list[Expr]:
        self.goal(thm)
        root, pool = self._goals[thm]
        if not pool:
            pool = substitution_candidates(thm)
            self._goals[thm] = (root, pool)
        return pool

    def _make(self, thm: Theorem, cand: Cand, pos: int, j: int) -> Tactic:
        r, d, fixed = cand
        p = None if d is None else pos
        if fixed is not None:
            return Tactic(r.id, d, p, fixed)
        free = r.free_variables(d)
        if not free:
            return Tactic(r.id, d, p)
        pool = self._pool(thm)
        j %= len(pool) ** len(free)
        combo = next(islice(product(pool, repeat=len(free)), j, None))
        return Tactic(r.id, d, p, tuple(zip(free, combo, strict=True)))

    def tactic(self, thm: Theorem, i: int) -> Tactic:
        """The tactic of action ``i`` of ``thm`` (0 <= i < count(thm))."""
        root = self.goal(thm)
        if not 0 <= i < root.total:
            raise IndexError(f"action {i} out of range 0..{root.total - 1}")
        if i < root.own:
            return self._pick(thm, root, 0, i)
        i -= root.own
        e, pos = thm.goal, 0
        while True:
            # descend into the child whose subtree holds action i
            p = pos + 1
            for a in e.args:
                n = self.node(a)
                if i < n.total:
                    e, pos = a, p
                    break
                i -= n.total
                p += a.size
            else:  # pragma: no cover - counts are consistent by construction
                raise IndexError("inconsistent action count")
            n = self.node(e)
            if i < n.own:
                return self._pick(thm, n, pos, i)
            i -= n.own

    def _pick(self, thm: Theorem, n: _Node, pos: int, i: int) -> Tactic:
        if i < n.matched:
            k = bisect_right(n.cum, i)
            return self._make(thm, n.cands[k], pos, i - (n.cum[k - 1] if k else 0))
        i -= n.matched
        k = bisect_right(self._anywhere_cum, i)
        return self._make(thm, self._anywhere[k], pos, i - (self._anywhere_cum[k - 1] if k else 0))

    def tactics(self, thm: Theorem, limit: int | None = None) -> list[Tactic]:
        """All actions of ``thm`` as tactics, in action order (for text interfaces and tests)."""
        n = self.count(thm)
        return [self.tactic(thm, i) for i in range(n if limit is None else min(n, limit))]

