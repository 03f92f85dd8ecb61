"""Rarity-weighted rule sampling: which rule (and where) a generator applies next.

Both generators draw a rule with probability proportional to its rarity weight ``1 / (count + 1) ** bias``
(:class:`~equations.generators.common.Rarity`: how often the rule occurs in the theorems emitted so far, plus
a fraction per failed attempt), so that rare rules are over-sampled. They draw from different things, hence
two samplers over the one :class:`Rarity`:

* :class:`WalkRuleSampler` (random walk): the (rule, direction) keys matching somewhere in the walked term or
  statement, read from the rule set's match index (:mod:`equations.matching`: key bit sets memoised per
  interned node), then a position where the drawn key matches;
* :class:`GraphRuleSampler` (theorem graph): the keys matching in a graph node's statement
  (:class:`~equations.generators.common.MatchIndex` groups) and fixed assertion lists, with cumulative
  weights cached until the counts change.

The sequence of random draws is part of what a seed determines: a sampler draws exactly as the generator
code it was taken from did (same calls, same order, same weights summed in the same order).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable, Sequence
from itertools import accumulate

from equations.expr import COMPARISON_OPS, Expr
from equations.matching import bits
from equations.rules import Rule, RuleSet

from .common import MatchIndex, Rarity

#: what :meth:`WalkRuleSampler.table` returns: (cumulative weights, their total, key id per keyed entry,
#: number of "anywhere" entries first, lowest position an "anywhere" rule may rewrite)
WalkTable = tuple[list[float], float, list[int], int, int]


class WalkRuleSampler:
    """The random walk's rule choice: a (rule, direction) key matching somewhere in the walked root, drawn
    with probability proportional to its rarity weight, then a position uniformly among those where it matches.

    Keys get sampler ids in the order in which they first match (so the order in which weights are summed is
    part of what a seed determines). Which keys match where comes from the rule set's match index
    (:mod:`equations.matching`), whose per-node bit sets make a walk step index only its new nodes, and
    whose subtree masks find the positions of a key by visiting only the subtrees that have it. Rules whose
    source is a bare pattern variable (they match at every term position: "anywhere") are kept apart and
    come first.
    Weights are stored per key and refreshed when the counts of their rule change (:meth:`record_use`,
    :meth:`record_failure`).
    """

    def __init__(self, rules: RuleSet, rarity: Rarity):
        self.rules = rules
        self.rarity = rarity
        self.anywhere = [(r, d) for r, d in rules.anywhere if not (r.kind == "rewrite" and r.relational)]
        self._anywhere_of: dict[str, list[int]] = {}  # rule id -> its entries in anywhere
        for j, (r, _d) in enumerate(self.anywhere):
            self._anywhere_of.setdefault(r.id, []).append(j)
        self._index = rules.matches  # the rule set's memoised match index (key masks per node)
        self._disc: list[int] = [-1] * len(self._index.keys)  # index key id -> this sampler's key id
        self._known = 0  # index keys that have a sampler id
        self._key_id: dict[tuple[Rule, str], int] = {}
        self._keys: list[tuple[Rule, str]] = []
        self._core: list[int] = []                 # sampler key id -> index key id
        self._keys_of: dict[str, list[int]] = {}  # rule id -> its key ids (to refresh their weights)
        self._w: list[float] = []                  # rarity weight per key id
        self._any_w = [rarity.weight(r.id) for r, _d in self.anywhere]  # rarity weight per anywhere entry
        self._any_cum: list[float] | None = None

    # -- drawing ----------------------------------------------------------------------------------------------
    def table(self, root: Expr) -> WalkTable | None:
        """The cumulative weights of the keys that can rewrite ``root`` (the "anywhere" rules, then the keys
        matching somewhere in ascending key id), or None when none can. Built once per walk step: the draws
        of one step all use it, even after :meth:`record_failure` changed a weight."""
        is_stmt = root.op in COMPARISON_OPS
        mask = self._index.below(root) & ~self._index.asserts
        if mask & ~self._known:
            self._discover(root, mask & ~self._known)
        disc = self._disc
        ids: list[int] = []
        add = ids.append
        m = mask
        while m:
            low = m & -m
            m ^= low
            add(disc[low.bit_length() - 1])
        ids.sort()
        any_cum = self._any_cum
        if any_cum is None:
            any_cum = self._any_cum = [0.0, *accumulate(self._any_w)]
        has_terms = root.size > 1 or not is_stmt
        n_any = len(any_cum) - 1 if has_terms else 0
        # weights summed left to right after the "anywhere" rules (a plain loop over the ~30 set bits: cheaper
        # than numpy's per-call overhead at this size)
        cum = any_cum[1:n_any + 1]
        total = any_cum[n_any]
        w = self._w
        append_c = cum.append
        for k in ids:
            total += w[k]
            append_c(total)
        if not cum:
            return None
        return cum, total, ids, n_any, 1 if is_stmt else 0

    def draw(self, rng: random.Random, root: Expr, table: WalkTable,
             reversed_: bool) -> tuple[Rule, str, int] | None:
        """One (rule, direction, position) drawn from ``table`` (one ``rng.random()``, then the position).
        None, without drawing a position, for integer power in a walk that is undone (``reversed_``):
        ``int_pow`` only rewrites forward, so the reverse step would not exist."""
        cum, total, ids, n_any, lo_pos = table
        j = min(bisect(cum, rng.random() * total), len(cum) - 1)
        if j < n_any:
            rule, d = self.anywhere[j]
            return rule, d, rng.randrange(lo_pos, root.size)
        k = ids[j - n_any]
        rule, d = self._keys[k]
        if reversed_ and rule.arith_op == "pow":
            return None
        return rule, d, rng.choice(self._index.positions(root, self._core[k]))

    # -- rarity bookkeeping -----------------------------------------------------------------------------------
    def record_use(self, rule_ids: Sequence[str]) -> None:
        """Count the rules of an emitted theorem (one count per step) and refresh their weights."""
        self.rarity.add(rule_ids)
        self._refresh(dict.fromkeys(rule_ids))

    def record_failure(self, rule_id: str, amount: float) -> None:
        """Add ``amount`` to the count of a rule whose attempt failed (so that rules which rarely apply are
        not retried forever) and refresh its weights."""
        self.rarity.add((rule_id,), amount)
        self._refresh((rule_id,))

    def _refresh(self, rule_ids: Iterable[str]) -> None:
        """Recompute the weights of the keys of ``rule_ids`` after their counts changed."""
        w = self._w
        weight = self.rarity.weight
        anywhere = self._anywhere_of
        for rid in rule_ids:
            ks = self._keys_of.get(rid)
            if ks:
                x = weight(rid)
                for k in ks:
                    w[k] = x
            js = anywhere.get(rid)
            if js:
                x = weight(rid)
                for j in js:
                    self._any_w[j] = x
                self._any_cum = None  # rebuilt by the next table

    # -- key ids ----------------------------------------------------------------------------------------------
    def _kid(self, r: Rule, d: str, k: int) -> int:
        """The sampler's id of key (rule, direction) (index id ``k``), given in order of first match (the
        order in which the sampler lists keys, so it is part of what a seed determines)."""
        key = (r, d)
        i = self._key_id.get(key)
        if i is None:
            i = self._key_id[key] = len(self._keys)
            self._keys.append(key)
            self._core.append(k)
            self._keys_of.setdefault(r.id, []).append(i)
            self._w.append(self.rarity.weight(r.id))
            self._disc[k] = i
            self._known |= 1 << k
        return i

    def _discover(self, root: Expr, new: int) -> None:
        """Give sampler ids to the index keys ``new`` (matching in ``root``, none seen before) in order of
        first match: prefix order over the nodes (relational rewrites at a comparison first), and at a node
        in the index's key order, as a walk that tested every new node in turn meets them."""
        index = self._index
        keys = index.keys
        stack = [root]
        while stack and new:
            node = stack.pop()
            if not index.below(node) & new:
                continue
            own = index.at(node) & new
            for k in bits(own):
                r, d = keys[k]
                assert d is not None  # assertions are never walk keys
                self._kid(r, d, k)
            new &= ~own
            stack.extend(reversed(node.args))

    def positions(self, root: Expr, k: int) -> list[int]:
        """Positions where key ``k`` (a sampler id) matches in ``root``, ascending."""
        return self._index.positions(root, self._core[k])


class GraphRuleSampler:
    """The theorem graph's rule choice, rarity-weighted like the walk's (:class:`WalkRuleSampler`) but over
    what a graph step draws from: the (rule, direction) keys matching in a node's statement, then a position
    where the drawn key matches (:meth:`draw`), or a rule of a fixed list (:meth:`choose`).

    Weights only change when a theorem is emitted (:meth:`record_use`), so they and their cumulative sums are
    cached until then; the per-statement match lists are also dropped with each new graph (:meth:`new_graph`).
    """

    def __init__(self, rules: RuleSet, rarity: Rarity):
        self.rarity = rarity
        self.index = MatchIndex(rules)
        self._wcache: dict[str, float] = {}
        self._cum: dict[str, list[float]] = {}
        # per statement of the current graph: (rule matches, term positions, keys, cumulative weights)
        self._groups: dict[Expr, tuple[dict[tuple[Rule, str], list[int]], list[int], list[tuple[Rule, str]],
                                       list[float]]] = {}

    def weight(self, r: Rule) -> float:
        """The rarity weight of ``r`` (cached until the counts change)."""
        w = self._wcache.get(r.id)
        if w is None:
            w = self._wcache[r.id] = self.rarity.weight(r.id)
        return w

    def choose(self, rng: random.Random, name: str, rules: list[Rule]) -> Rule:
        """A rule of the fixed list ``rules`` (cached under ``name``) drawn by rarity weight: one
        ``rng.choices(..., cum_weights=...)``, which draws exactly as ``weights=`` does."""
        cum = self._cum.get(name)
        if cum is None:
            cum = self._cum[name] = list(accumulate(self.weight(r) for r in rules))
        return rng.choices(rules, cum_weights=cum)[0]

    def draw(self, rng: random.Random, stmt: Expr) -> tuple[Rule, str, int] | None:
        """(rule, direction, position) to rewrite ``stmt`` with, or None (without drawing) when no rule
        matches: a key by rarity weight, then a position uniformly among those where it matches (any term
        position for the "anywhere" rules)."""
        hit = self._groups.get(stmt)
        if hit is None:
            groups, term_positions = self.index.groups(stmt)
            keys = list(groups)
            if term_positions:
                keys.extend(self.index.anywhere)
            cum = list(accumulate(self.weight(r) for r, _ in keys))
            hit = self._groups[stmt] = (groups, term_positions, keys, cum)
        groups, term_positions, keys, cum = hit
        if not keys:
            return None
        rule, d = rng.choices(keys, cum_weights=cum)[0]
        return rule, d, rng.choice(groups.get((rule, d), term_positions))

    def new_graph(self) -> None:
        """Forget the match lists of the previous graph's statements (memory: they are rarely met again)."""
        self._groups = {}

    def record_use(self, rule_ids: Sequence[str]) -> None:
        """Count the rules of an emitted theorem and drop the cached weights."""
        self.rarity.add(rule_ids)
        self._wcache.clear()
        self._cum.clear()
        self._groups.clear()
