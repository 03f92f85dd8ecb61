"""Where the rules of a rule set match: one memoised index, shared by every enumeration of the package.

Which (rule, direction) *keys* match at a node depends only on the node's subtree, and subtrees are interned,
so :class:`MatchIndex` computes it once per node and stores it on the node itself (``Expr._memo``) as a
tuple of plain integers: ``(owner, own, sub)``, the bit sets of the keys matching at the node and of those
matching somewhere in its subtree. A step that rewrites a goal creates only the nodes on the path to the root
(plus the rule's target), so indexing the new goal costs O(new nodes). The memo lives and dies with the node,
and the garbage collector stops tracking a tuple of untracked objects (a dictionary of per-node entries made
full collections scan hundreds of thousands of objects).

Everything that asks "where can which rule match" is a view on this index:

* :func:`equations.tactics.applicable_triples` lists (rule, direction, position) in prefix order;
* the environments' :class:`~equations.envs.actions.ActionIndex` adds per-subtree action counts to the same
  memo tuple (a 6-tuple: ``(owner, own, sub, view, actions in the subtree, actions at the node)``);
* the generators' rule samplers read the subtree masks to list the keys matching somewhere in a statement
  and the positions of one key.

Keys are numbered once per rule set: term rewrites and integer arithmetic in rule order (so that, at any
node, ascending key ids are the order of :meth:`~equations.rules.RuleSet.candidates`), then relational
rewrites, then assertions (so that at a comparison, relational rewrites come before assertions). Rules whose
source is a bare pattern variable match everywhere and are not keys (``RuleSet.anywhere``).

Which keys can match a node is decided once per *signature* (head symbol and child head symbols, see
:func:`~equations.rules.signature`). Most candidates of a signature match every node that has it
(``A * (B + C)`` at a node ``mul(_, add(_, _))``) and need no test; only the others (literal values,
repeated variables, deeper structure) are tested per node.

The memo holds the data of one index: nodes shared by two rule sets used in turn are re-indexed on each
switch (correct, only slower). So an indexed node does not guarantee indexed descendants (a subterm may
have been taken by another index since): every reader checks the token of each node it reads. Each
:class:`~equations.rules.RuleSet` owns its index (:attr:`~equations.rules.RuleSet.matches`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .expr import COMPARISON_OPS, NATIVE_DEPTH, Expr, native_module
from .rules import ShapeIndex, signature

if TYPE_CHECKING:
    from .rules import Rule, RuleSet

_set = object.__setattr__

#: a node's memo: (owner token, keys matching at the node, keys matching in its subtree); views may append
Memo = tuple[Any, ...]
Test = Callable[[Expr], bool]
#: keys every node of a signature matches, and the (bit, test) pairs a node must still pass
SigTable = tuple[int, tuple[tuple[int, Test], ...]]

#: above this depth a subtree is indexed by an explicit stack instead of recursion
_RECURSION_DEPTH = 150
#: the native filler of memos (``None`` in pure Python), used up to NATIVE_DEPTH
_native_match: Callable[[Expr, tuple[Any, ...]], tuple[Any, ...]] | None = (
    native_module.match_memo if native_module is not None else None)


def implied(pattern: Expr) -> bool:
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


def bits(mask: int) -> Iterator[int]:
    """The set bits of ``mask`` as bit positions, ascending."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class MatchIndex:
    """The memoised "which keys match where" of one rule set (see the module docstring).

    ``keys[k]`` is the (rule, direction) of key id ``k`` (direction ``None`` for an assertion); ``relational``
    and ``asserts`` are the bit sets of the relational rewrites and of the assertions (they only match at a
    comparison).
    """

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.token = object()  # identifies this index's memos (untracked, so memos stay untracked)
        self.keys: list[tuple[Rule, str | None]] = []
        self._id: dict[tuple[str, str | None], int] = {}
        # the keys the rule set's own index lists, numbered in rule order, forward before backward: at any
        # node, ascending ids are then the order of its by_head lists (and at a comparison, relational
        # rewrites come before assertions)
        rank = {r.id: i for i, r in enumerate(rules)}

        def number(pairs: list[tuple[Rule, str | None]]) -> int:
            mask = 0
            for r, d in sorted(dict.fromkeys(pairs), key=lambda p: (rank[p[0].id], p[1] == "bwd")):
                mask |= 1 << self._key(r, d)
            return mask

        number([(r, d) for entries in rules.by_head.values() for r, d, _t in entries])
        rel = number([(r, d) for entries in rules.relational.values() for r, d, _t in entries])
        asr = number([(r, None) for entries in rules.asserts.values() for r, _t in entries])
        self.relational = rel
        self.asserts = asr
        self._sigs: dict[tuple[str, ...], SigTable] = {}
        self._roots: dict[tuple[str, ...], SigTable] = {}
        self._root_shapes: dict[str, tuple[list[tuple[Rule, str | None, Test, Expr | None]], ShapeIndex]] = {}
        self._implied: dict[int, bool] = {}  # key id -> implied(its source)
        self._lists: dict[int, list[tuple[Rule, str | None]]] = {}
        #: what the native filler reads (see ``_native.c``: the same computation as :meth:`node`)
        self.native_ctx = (self.token, self._sigs, self._roots, COMPARISON_OPS, self.term_table, self.root_table)

    def _key(self, r: Rule, d: str | None) -> int:
        k = self._id.get((r.id, d))
        if k is None:
            k = self._id[(r.id, d)] = len(self.keys)
            self.keys.append((r, d))
        return k

    def key_id(self, rule: Rule, direction: str | None) -> int:
        """The id of key (rule, direction); KeyError when the rule set has no such key."""
        return self._id[(rule.id, direction)]

    # -- signature tables -------------------------------------------------------------------------------
    def _table(self, entries: list[tuple[Rule, str | None, Test, Expr | None]]) -> SigTable:
        always = 0
        tests: list[tuple[int, Test]] = []
        cache = self._implied
        for r, d, t, pattern in entries:
            k = self._id[(r.id, d)]
            bit = 1 << k
            untested = False
            if pattern is not None:
                hit = cache.get(k)
                untested = cache[k] = implied(pattern) if hit is None else hit
            if untested:
                always |= bit
            else:
                tests.append((bit, t))
        return always, tuple(tests)

    def term_table(self, key: tuple[str, ...]) -> SigTable:
        """The table of term signature ``key`` (built on first use)."""
        tab = self._sigs.get(key)
        if tab is None:
            entries: list[tuple[Rule, str | None, Test, Expr | None]] = [
                (r, d, t, None if r.kind == "arith" else r.source(d))
                for r, d, t in self.rules.signature_candidates(key)
            ]
            tab = self._sigs[key] = self._table(entries)
        return tab

    def root_table(self, key: tuple[str, ...]) -> SigTable:
        """The table of a comparison's signature: its relational rewrites, then its assertions."""
        tab = self._roots.get(key)
        if tab is None:
            op = key[0]
            shaped = self._root_shapes.get(op)
            if shaped is None:
                cands: list[tuple[Rule, str | None, Test, Expr | None]] = [
                    (r, d, t, r.source(d)) for r, d, t in self.rules.relational.get(op, ())]
                # an assertion is always tested (its hypotheses' shape): no pattern for the table
                cands += [(r, None, t, None) for r, t in self.rules.asserts.get(op, ())]
                shaped = self._root_shapes[op] = (cands, ShapeIndex(
                    [c[3] if c[1] is not None else c[0].concl for c in cands]))
            cands, shapes = shaped
            tab = self._roots[key] = self._table([cands[i] for i in shapes.select(key)])
        return tab

    def listed(self, mask: int) -> list[tuple[Rule, str | None]]:
        """The keys of ``mask`` as (rule, direction) pairs in key order (cached per mask: a node's own keys
        take few distinct values)."""
        hit = self._lists.get(mask)
        if hit is None:
            keys = self.keys
            hit = self._lists[mask] = [keys[k] for k in bits(mask)]
        return hit

    # -- the memo ---------------------------------------------------------------------------------------
    def own_sub(self, e: Expr) -> tuple[int, int]:
        """(keys matching at ``e``, keys matching in its subtree), given that ``e``'s children are indexed
        (their memos carry this index's token). For views that store the memo themselves."""
        sub = 0
        args = e.args
        for a in args:
            sub |= a._memo[2]  # type: ignore[index]
        own = self.own_keys(e, signature(e))
        return own, own | sub

    def own_keys(self, e: Expr, key: tuple[str, ...]) -> int:
        """The keys matching at ``e``, whose signature is ``key``, computed (not memoised): those the
        signature implies, and those whose test ``e`` passes."""
        if e.op in COMPARISON_OPS:
            tab = self._roots.get(key) or self.root_table(key)
        else:
            tab = self._sigs.get(key) or self.term_table(key)
        own = tab[0]
        for bit, test in tab[1]:
            if test(e):
                own |= bit
        return own

    def node(self, e: Expr) -> Memo:
        """The memo of ``e`` (a term or a comparison): ``[1]`` the keys matching at ``e``, ``[2]`` those
        matching in its subtree. Computed for the nodes not indexed yet (the hot path of every view: the
        children's memos are read inline)."""
        m = e._memo
        tok = self.token
        if m is not None and m[0] is tok:
            return m
        if _native_match is not None and e.depth <= NATIVE_DEPTH:
            filled_c: Memo = _native_match(e, self.native_ctx)
            return filled_c
        if e.depth > _RECURSION_DEPTH:
            self._fill(e)
            filled: Memo = e._memo  # type: ignore[assignment]
            return filled
        args = e.args
        op = e.op
        if len(args) == 2:
            a0, a1 = args
            m0, m1 = a0._memo, a1._memo
            sub = ((m0 if m0 is not None and m0[0] is tok else self.node(a0))[2]
                   | (m1 if m1 is not None and m1[0] is tok else self.node(a1))[2])
            key: tuple[str, ...] = (op, a0.op, a1.op)
        elif args:
            a0 = args[0]
            m0 = a0._memo
            sub = (m0 if m0 is not None and m0[0] is tok else self.node(a0))[2]
            key = (op, a0.op)
        else:
            sub = 0
            key = (op,)
        own = self.own_keys(e, key)
        memo = (tok, own, own | sub)
        _set(e, "_memo", memo)
        return memo

    def _fill(self, root: Expr) -> None:
        """Index a deep subtree with an explicit stack (children before parents)."""
        tok = self.token
        stack = [root]
        while stack:
            n = stack[-1]
            pending = [a for a in n.args if a._memo is None or a._memo[0] is not tok]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            m = n._memo
            if m is None or m[0] is not tok:
                own, sub = self.own_sub(n)
                _set(n, "_memo", (tok, own, sub))

    def at(self, e: Expr) -> int:
        """The keys matching at node ``e``."""
        m = e._memo
        if m is None or m[0] is not self.token:
            m = self.node(e)
        own: int = m[1]
        return own

    def below(self, e: Expr) -> int:
        """The keys matching somewhere in ``e``'s subtree (``e`` included)."""
        m = e._memo
        if m is None or m[0] is not self.token:
            m = self.node(e)
        sub: int = m[2]
        return sub

    def positions(self, root: Expr, k: int) -> list[int]:
        """The prefix positions in ``root`` where key ``k`` matches, ascending (only subtrees whose mask has
        the key are visited)."""
        bit = 1 << k
        out: list[int] = []
        if not self.below(root) & bit:
            return out
        tok = self.token
        stack = [(root, 0)]
        pop = stack.pop
        push = stack.append
        while stack:
            node, pos = pop()
            m = node._memo
            if m is None or m[0] is not tok:  # a node shared with another rule set's index since below(root)
                m = self.node(node)
            if not m[2] & bit:
                continue
            if m[1] & bit:
                out.append(pos)
            args = node.args
            if args:
                a0 = args[0]
                if len(args) == 2:
                    push((args[1], pos + 1 + a0.size))
                push((a0, pos + 1))
        return out
