"""The structured action set of a goal: every (rule, direction, position[, substitution]) candidate,
numbered, cheap to count and to decode.

Candidates inside a subtree depend only on that subtree, and subtrees are interned, so the action count of
every subtree is computed once and memoised on the node itself (``Expr._memo``): a step that rewrites a
goal creates only the nodes on the path to the root (plus the rule's target), so counting the actions of
the new goal costs O(new nodes), not O(goal size). The memo lives and dies with the node, so no cache
keeps dead trees alive, and it is a tuple of plain numbers, which the garbage collector stops tracking:
a dictionary of per-node objects made full collections scan hundreds of thousands of objects, and cost
more than half of the environment's time.

Which rules can match a node is decided once per *signature* (head symbol and child head symbols, see
:meth:`~equations.rules.RuleSet.candidates`). Most candidates of a signature match every node that has it
(``A * (B + C)`` at a node ``mul(_, add(_, _))``) and need no test; only the others (literal values,
repeated variables, deeper structure) are tested per node, and the node records which passed as a bit set.
An action number is decoded by walking down the counts; only the chosen action becomes a
:class:`~equations.tactics.Tactic`.

Per (rule, direction, position) with free pattern variables, ``subs_per_tactic`` actions are offered,
their values drawn from the theorem's subterms (smallest first; wrapping around when there are fewer
combinations). Integer literals are offered the splits ``c = 1 + (c - 1)`` (``int_add``) and
``c = p * (c / p)`` for the smallest prime factor ``p`` (``int_mul``).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable
from itertools import islice, product
from typing import ClassVar

from ..expr import Expr, num
from ..rules import Rule, RuleSet, may_match, signature
from ..tactics import Tactic, substitution_candidates
from ..theorem import Theorem

_set = object.__setattr__

# How a candidate becomes a tactic: a plain rule (substitutions from the pool when it has free
# variables), an integer-arithmetic evaluation, or an integer-arithmetic split of the literal.
_PLAIN, _ARITH_FWD, _ARITH_SPLIT = 0, 1, 2

#: (rule, direction, how, weight, bit): ``bit`` is 0 for a candidate that matches every node of the
#: signature, else the bit that a node sets when its test passes
Item = tuple[Rule, "str | None", int, int, int]
#: a node's memo: (owner token, actions in the subtree, actions at the node itself, signature, bits)
Memo = tuple[object, int, int, int, int]


def _smallest_prime_factor(c: int) -> int | None:
    if c < 4 or c > 10**9:
        return None
    p = 2
    while p * p <= c:
        if c % p == 0:
            return p
        p += 1
    return None


def _implied(pattern: Expr) -> bool:
    """Whether every node whose head and child heads agree with ``pattern`` matches it: no literal value
    to compare, nothing below the children but variables, and no variable twice (an identity test)."""
    if pattern.op == "int":
        return False
    names: Counter[str] = Counter()
    for c in pattern.args:
        if c.op == "var":
            names[c.value] += 1
            continue
        if c.op == "int":
            return False
        for g in c.args:
            if g.op != "var":
                return False
            names[g.value] += 1
    return all(n == 1 for n in names.values())


class _Sig:
    """The candidates of one signature, in action order, and what a node must still test."""

    __slots__ = ("base", "items", "tests")

    def __init__(self, items: list[Item], tests: list[tuple[int, Callable[[Expr], bool], int]], extra: int):
        self.items = items
        #: actions every node of the signature has: the untested candidates, plus ``extra`` (the block of
        #: bare-variable rules at a term node)
        self.base = sum(w for _, _, _, w, bit in items if not bit) + extra
        self.tests = tuple(tests)


class ActionIndex:
    """Counts and decodes the actions of goals over one rule set.

    Use :meth:`shared` to get the index of a (rule set, ``subs_per_tactic``) pair: the per-node memo holds
    one owner's data, so environments over the same rules (a vector environment) share one index instead of
    overwriting each other's memos.
    """

    #: process-wide, keyed by ``id(rules)``: sound because each entry's index holds its rule set alive (an id is
    #: never reused while its entry exists), and :meth:`shared` also checks ``ix.rules is rules``
    _shared: ClassVar[dict[tuple[int, int], ActionIndex]] = {}

    def __init__(self, rules: RuleSet, subs_per_tactic: int = 1):
        if subs_per_tactic < 1:
            raise ValueError("subs_per_tactic must be at least 1")
        self.rules = rules
        self.m = subs_per_tactic
        self._tok = object()  # identifies this index's memos (an untracked object: memos stay untracked)
        self._sigs: list[_Sig] = []
        self._node_sig: dict[tuple[str, ...], int] = {}
        self._root_sig: dict[tuple[str, ...], int] = {}
        self._anywhere: list[Item] = [(r, d, _PLAIN, self._weight(r, d), 0) for r, d in rules.anywhere]
        self._block = sum(it[3] for it in self._anywhere)
        self._pools: OrderedDict[Theorem, list[Expr]] = OrderedDict()

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

    # -- signatures --------------------------------------------------------------------------------------
    def _add_sig(self, entries: list[tuple[Rule, str | None, int, Expr | None, Callable[[Expr], bool]]],
                 extra: int) -> int:
        items: list[Item] = []
        tests: list[tuple[int, Callable[[Expr], bool], int]] = []
        for r, d, how, pattern, test in entries:
            w = 1 if how != _PLAIN else self._weight(r, d)
            if how == _PLAIN and pattern is not None and _implied(pattern):
                items.append((r, d, how, w, 0))
            else:
                bit = 1 << len(tests)
                tests.append((bit, test, w))
                items.append((r, d, how, w, bit))
        self._sigs.append(_Sig(items, tests, extra))
        return len(self._sigs) - 1

    def _term_sig(self, key: tuple[str, ...]) -> int:
        rules = self.rules
        entries: list[tuple[Rule, str | None, int, Expr | None, Callable[[Expr], bool]]] = []
        for r, d, t in rules.by_head.get(key[0], ()):
            if r.kind == "arith":
                if d == "bwd":
                    if key[0] == "int":  # only a literal is split (never neg(literal))
                        entries.append((r, d, _ARITH_SPLIT, None, self._split_test(r)))
                else:
                    entries.append((r, d, _ARITH_FWD, None, t))
                continue
            src = r.source(d)
            if may_match(src, key):
                entries.append((r, d, _PLAIN, src, t))
        s = self._node_sig[key] = self._add_sig(entries, self._block)
        return s

    def _goal_sig(self, key: tuple[str, ...]) -> int:
        rules = self.rules
        entries: list[tuple[Rule, str | None, int, Expr | None, Callable[[Expr], bool]]] = []
        for r, d, t in rules.relational.get(key[0], ()):
            src = r.source(d)
            if may_match(src, key):
                entries.append((r, d, _PLAIN, src, t))
        for r, t in rules.asserts.get(key[0], ()):
            assert r.concl is not None
            if may_match(r.concl, key):
                entries.append((r, None, _PLAIN, r.concl, t))
        s = self._root_sig[key] = self._add_sig(entries, 0)
        return s

    def _split_test(self, r: Rule) -> Callable[[Expr], bool]:
        return lambda e: self._arith_split(r, e) is not None

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
    def node(self, e: Expr) -> Memo:
        """The memo of term node ``e`` (never a comparison): ``[1]`` counts its subtree's actions, ``[2]``
        those at ``e`` itself (including the bare-variable rules that apply anywhere)."""
        m = e._memo
        tok = self._tok
        if m is not None and m[0] is tok:
            return m  # type: ignore[return-value]
        below = 0
        args = e.args
        for a in args:
            ma = a._memo
            below += (ma if ma is not None and ma[0] is tok else self.node(a))[1]
        key = signature(e)
        si = self._node_sig.get(key)
        if si is None:
            si = self._term_sig(key)
        return self._memoise(e, si, below)

    def _memoise(self, e: Expr, si: int, below: int) -> Memo:
        """Run the tests signature ``si`` leaves to node ``e``, and store its memo on it."""
        sig = self._sigs[si]
        own = sig.base
        bits = 0
        for bit, test, w in sig.tests:
            if test(e):
                own += w
                bits |= bit
        memo = (self._tok, own + below, own, si, bits)
        _set(e, "_memo", memo)
        return memo

    def goal(self, thm: Theorem) -> Memo:
        """The memo of a theorem's goal: relational rewrites and assertions at the comparison, and the
        counts of both sides."""
        g = thm.goal
        tok = self._tok
        if self.rules.domain != thm.domain:
            return (tok, 0, 0, -1, 0)
        m = g._memo
        if m is not None and m[0] is tok:
            return m  # type: ignore[return-value]
        a0, a1 = g.args
        m0, m1 = a0._memo, a1._memo
        if m0 is None or m0[0] is not tok:
            m0 = self.node(a0)
        if m1 is None or m1[0] is not tok:
            m1 = self.node(a1)
        below = m0[1] + m1[1]
        key = signature(g)
        si = self._root_sig.get(key)
        if si is None:
            si = self._goal_sig(key)
        return self._memoise(g, si, below)

    def count(self, thm: Theorem) -> int:
        return self.goal(thm)[1]

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
        pool = self._pool(thm)
        j %= len(pool) ** len(free)
        combo = next(islice(product(pool, repeat=len(free)), j, None))
        return Tactic(r.id, d, p, tuple(zip(free, combo, strict=True)))

    def tactic(self, thm: Theorem, i: int) -> Tactic:
        """The tactic of action ``i`` of ``thm`` (0 <= i < count(thm))."""
        root = self.goal(thm)
        if not 0 <= i < root[1]:
            raise IndexError(f"action {i} out of range 0..{root[1] - 1}")
        tok = self._tok
        e, pos, n = thm.goal, 0, root
        while True:
            if i < n[2]:
                return self._pick(thm, n, e, pos, i)
            i -= n[2]
            # descend into the child whose subtree holds action i
            p = pos + 1
            for a in e.args:
                na = a._memo
                if na is None or na[0] is not tok:
                    na = self.node(a)
                if i < na[1]:
                    e, pos, n = a, p, na
                    break
                i -= na[1]
                p += a.size
            else:  # pragma: no cover - counts are consistent by construction
                raise IndexError("inconsistent action count")

    def _pick(self, thm: Theorem, memo: Memo, node: Expr, pos: int, i: int) -> Tactic:
        bits = memo[4]
        for item in self._sigs[memo[3]].items:
            bit = item[4]
            if bit and not bits & bit:
                continue
            if i < item[3]:
                return self._make(thm, item, node, pos, i)
            i -= item[3]
        for item in self._anywhere:
            if i < item[3]:
                return self._make(thm, item, node, pos, i)
            i -= item[3]
        raise IndexError("inconsistent action count")  # pragma: no cover - counts are consistent

    def tactics(self, thm: Theorem, limit: int | None = None) -> list[Tactic]:
        """All actions of ``thm`` as tactics, in action order (for text interfaces and tests)."""
        n = self.count(thm)
        return [self.tactic(thm, i) for i in range(n if limit is None else min(n, limit))]
