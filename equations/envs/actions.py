"""The structured action set of a goal: every (rule, direction, position[, substitution]) candidate,
numbered, cheap to count and to decode.

A view on the rule set's match index (:mod:`equations.matching`, ``rules.matches``), which stores on each
interned node the bit sets of the (rule, direction) keys matching at the node and in its subtree. This
index adds the *action counts* of the node and of its subtree to the same memo tuple (so a node carries one
memo: ``(match token, own keys, subtree keys, this index's token, actions in the subtree, actions at the
node)``): a step that rewrites a goal creates only the nodes on the path to the root (plus the rule's
target), so counting the actions of the new goal costs O(new nodes), not O(goal size). The memo is a tuple
of plain numbers, which the garbage collector stops tracking: a dictionary of per-node objects made full
collections scan hundreds of thousands of objects, and cost more than half of the environment's time.

An action number is decoded by walking down the counts; only the chosen action becomes a
:class:`~equations.tactics.Tactic`. At a node the actions come in key order (the order of
:func:`~equations.tactics.applicable_triples`), then the rules that match anywhere.

Per (rule, direction, position) with free pattern variables, ``subs_per_tactic`` actions are offered,
their values drawn from the theorem's subterms (smallest first; wrapping around when there are fewer
combinations). Integer literals are offered the splits ``c = 1 + (c - 1)`` (``int_add``) and
``c = p * (c / p)`` for the smallest prime factor ``p`` (``int_mul``); a negated literal is not split.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from itertools import islice, product
from typing import Any, ClassVar

from ..expr import NATIVE_DEPTH, Expr, native_module, num
from ..matching import bits as _bits
from ..rules import Rule, RuleSet, signature
from ..tactics import Tactic, smallest_candidates, substitution_candidates
from ..theorem import Theorem

_set = object.__setattr__
#: the native filler of the action counts and the action descent (``None`` in pure Python)
_native_count: Callable[[Expr, int, tuple[Any, ...]], tuple[Any, ...]] | None = (
    native_module.count_memo if native_module is not None else None)
_native_descend: Callable[[Expr, int, object], tuple[Expr, int, int, Memo] | None] | None = (
    native_module.descend if native_module is not None else None)

# How a candidate becomes a tactic: a plain rule (substitutions from the pool when it has free
# variables), an integer-arithmetic evaluation, or an integer-arithmetic split of the literal.
_PLAIN, _ARITH_FWD, _ARITH_SPLIT = 0, 1, 2

#: (rule, direction, how, weight): ``weight`` actions per match (0 for a split, decided per literal)
Item = tuple[Rule, "str | None", int, int]
#: a node's memo: (match token, own keys, subtree keys, owner token, actions in the subtree, actions at the node)
Memo = tuple[Any, ...]


def _smallest_prime_factor(c: int) -> int | None:
    if c < 4 or c > 10**9:
        return None
    p = 2
    while p * p <= c:
        if c % p == 0:
            return p
        p += 1
    return None


class ActionIndex:
    """Counts and decodes the actions of goals over one rule set.

    Use :meth:`shared` to get the index of a (rule set, ``subs_per_tactic``) pair: the per-node memo holds
    one owner's counts, so environments over the same rules (a vector environment) share one index instead
    of overwriting each other's memos.
    """

    #: process-wide, keyed by ``id(rules)``: sound because each entry's index holds its rule set alive (an id is
    #: never reused while its entry exists), and :meth:`shared` also checks ``ix.rules is rules``
    _shared: ClassVar[dict[tuple[int, int], ActionIndex]] = {}

    def __init__(self, rules: RuleSet, subs_per_tactic: int = 1):
        if subs_per_tactic < 1:
            raise ValueError("subs_per_tactic must be at least 1")
        self.rules = rules
        self.m = subs_per_tactic
        self.matches = rules.matches
        self._ctok = self.matches.token
        self._match_own = self.matches.own_keys
        self._tok = object()  # identifies this index's counts (an untracked object: memos stay untracked)
        self._items: list[Item] = []
        split = 0
        for k, (r, d) in enumerate(self.matches.keys):
            if r.kind == "arith":
                how = _ARITH_FWD if d == "fwd" else _ARITH_SPLIT
                if how == _ARITH_SPLIT:
                    split |= 1 << k
                self._items.append((r, d, how, 1 if how == _ARITH_FWD else 0))
            else:
                self._items.append((r, d, _PLAIN, self._weight(r, d)))
        self._split = split
        self._anywhere: list[Item] = [(r, d, _PLAIN, self._weight(r, d)) for r, d in rules.anywhere]
        self._block = sum(it[3] for it in self._anywhere)
        self._mask_w: dict[int, int] = {}
        self._pools: OrderedDict[Theorem, list[Expr]] = OrderedDict()
        #: what the native filler reads (see ``_native.c``: the same computation as :meth:`_count`)
        self._actx = (*self.matches.native_ctx, self._tok, self._mask_w, self._split, self._own, self._block)

    @classmethod
    def shared(cls, rules: RuleSet, subs_per_tactic: int = 1) -> ActionIndex:
        """The process-wide index of ``rules`` with ``subs_per_tactic`` (created on first use)."""
        key = (id(rules), subs_per_tactic)
        ix = cls._shared.get(key)
        if ix is None or ix.rules is not rules:
            ix = cls._shared[key] = cls(rules, subs_per_tactic)
        return ix

    def _weight(self, rule: Rule, d: str | None) -> int:
        return self.m if rule.free[d] else 1

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

    # -- counting ----------------------------------------------------------------------------------------
    def _own(self, e: Expr, own: int) -> int:
        """The actions at node ``e`` whose matching keys are ``own`` (the rules matching anywhere excluded)."""
        w = self._mask_w.get(own)
        if w is None:
            items = self._items
            w = self._mask_w[own] = sum(items[k][3] for k in _bits(own))
        split = own & self._split
        if split and e.op == "int":
            items = self._items
            w += sum(1 for k in _bits(split) if self._arith_split(items[k][0], e) is not None)
        return w

    def node(self, e: Expr) -> Memo:
        """The memo of term node ``e`` (never a comparison): ``[4]`` counts its subtree's actions, ``[5]``
        those at ``e`` itself (including the bare-variable rules that apply anywhere)."""
        m = e._memo
        if m is not None and m[-3] is self._tok:
            return m
        return self._count(e, self._block)

    def goal(self, thm: Theorem) -> Memo:
        """The memo of a theorem's goal: relational rewrites and assertions at the comparison, and the
        counts of both sides."""
        g = thm.goal
        if self.rules.domain != thm.domain:
            return (None, 0, 0, self._tok, 0, 0)
        m = g._memo
        if m is not None and m[-3] is self._tok:
            return m
        return self._count(g, 0)

    def _count(self, e: Expr, block: int) -> Memo:
        """Count the actions of ``e`` (``block``: those of the rules matching anywhere, 0 at a comparison)
        and of its subtree, and store them in its memo with the match index's keys."""
        if _native_count is not None and e.depth <= NATIVE_DEPTH:
            return _native_count(e, block, self._actx)
        tok = self._tok
        below = sub = 0
        args = e.args
        for a in args:
            ma = a._memo
            if ma is None or ma[-3] is not tok:
                ma = self.node(a)
            below += ma[4]
            sub |= ma[2]
        own = self._match_own(e, signature(e))
        sub |= own
        w = self._mask_w.get(own)
        n = block + (w if w is not None and not own & self._split else self._own(e, own))
        memo = (self._ctok, own, sub, tok, n + below, n)
        _set(e, "_memo", memo)
        return memo

    def count(self, thm: Theorem) -> int:
        n: int = self.goal(thm)[4]
        return n

    # -- decoding ----------------------------------------------------------------------------------------
    def _pool(self, thm: Theorem) -> list[Expr]:
        pool = self._pools.get(thm)
        if pool is None:
            pool = self._pools[thm] = substitution_candidates(thm)
            if len(self._pools) > 64:
                self._pools.popitem(last=False)
        return pool

    def _make(self, thm: Theorem, item: Item, node: Expr, pos: int, j: int) -> Tactic:
        r, d, how = item[0], item[1], item[2]
        p = None if d is None else pos
        if how == _ARITH_FWD:
            return Tactic(r.id, d, p, ())
        if how == _ARITH_SPLIT:
            fixed = self._arith_split(r, node)
            assert fixed is not None
            return Tactic(r.id, d, p, fixed)
        free = r.free_variables(d)
        if not free:
            return Tactic(r.id, d, p)
        # Combination j of product(pool, repeat=len(free)) (the last variable varies fastest). With j below
        # the pool's length (j < subs_per_tactic, which is small) that is (pool[0], ..., pool[0], pool[j]):
        # only the j + 1 smallest candidates are needed, not the whole pool of a large goal.
        first = smallest_candidates(thm, j + 1)
        if len(first) == j + 1:
            combo: tuple[Expr, ...] = (first[0],) * (len(free) - 1) + (first[j],)
        else:
            pool = self._pool(thm)
            j %= len(pool) ** len(free)
            combo = next(islice(product(pool, repeat=len(free)), j, None))
        return Tactic(r.id, d, p, tuple(zip(free, combo, strict=True)))

    def tactic(self, thm: Theorem, i: int) -> Tactic:
        """The tactic of action ``i`` of ``thm`` (0 <= i < count(thm))."""
        root = self.goal(thm)
        total: int = root[4]
        if not 0 <= i < total:
            raise IndexError(f"action {i} out of range 0..{total - 1}")
        tok = self._tok
        if _native_descend is not None:
            found = _native_descend(thm.goal, i, tok)
            if found is not None:
                return self._pick(thm, found[3], found[0], found[1], found[2])
        e, pos, n = thm.goal, 0, root
        while True:
            if i < n[5]:
                return self._pick(thm, n, e, pos, i)
            i -= n[5]
            # descend into the child whose subtree holds action i
            p = pos + 1
            for a in e.args:
                na = a._memo
                if na is None or na[-3] is not tok:
                    na = self.node(a)
                if i < na[4]:
                    e, pos, n = a, p, na
                    break
                i -= na[4]
                p += a.size
            else:  # pragma: no cover - counts are consistent by construction
                raise IndexError("inconsistent action count")

    def _pick(self, thm: Theorem, memo: Memo, node: Expr, pos: int, i: int) -> Tactic:
        items = self._items
        for k in _bits(memo[1]):
            item = items[k]
            w = item[3]
            if item[2] == _ARITH_SPLIT:
                w = 1 if self._arith_split(item[0], node) is not None else 0
            if i < w:
                return self._make(thm, item, node, pos, i)
            i -= w
        for item in self._anywhere:
            if i < item[3]:
                return self._make(thm, item, node, pos, i)
            i -= item[3]
        raise IndexError("inconsistent action count")  # pragma: no cover - counts are consistent

    def tactics(self, thm: Theorem, limit: int | None = None) -> list[Tactic]:
        """All actions of ``thm`` as tactics, in action order (for text interfaces and tests)."""
        n = self.count(thm)
        return [self.tactic(thm, i) for i in range(n if limit is None else min(n, limit))]
