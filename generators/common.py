"""Pieces shared by the generators: generated-theorem objects, canonical forms, seeds, rule-rarity
counts (:class:`Rarity`; the samplers drawing by them are in :mod:`equations.generators.sampling`), the
values substituted for a rule's free variables, and the short assertion-chain prover for side conditions.
(Proof minimality checks are :func:`equations.proof.droppable_steps`, next to the proofs they edit.)"""

from __future__ import annotations

import gc
import random
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from equations.exact import decide
from equations.expr import COMPARISON_OPS, RESERVED, Expr, literal_value, num
from equations.proof import Proof
from equations.rules import Rule, RuleSet, may_match, signature
from equations.tactics import Tactic
from equations.theorem import Theorem


@dataclass
class Generated:
    """One generated theorem with its backward proof (accepted by :func:`equations.check_proof`).

    ``meta`` holds the generator name, its parameters, the seed, the index in the stream, and
    generator-specific details (walk length, graph depth, ...).
    """

    theorem: Theorem
    proof: Proof
    rules_used: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.proof.size

    @property
    def depth(self) -> int:
        return self.proof.depth


def derive_seed(seed: int, *parts: int) -> int:
    """A 63-bit seed derived from ``seed`` and ``parts`` (numpy SeedSequence: stable across runs/platforms)."""
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, *[int(p) for p in parts]])
    return int(ss.generate_state(2, dtype=np.uint64)[0] >> np.uint64(1))


_VAR_RE = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def canonical_key(thm: Theorem) -> str:
    """Text of the theorem with variables renamed in order of first occurrence (in the goal's infix text,
    then the hypotheses'), hypotheses sorted: deduplication up to variable names and hypothesis order."""
    texts = [str(thm.goal), *(str(h) for h in thm.hyps)]
    order: dict[str, str] = {}
    for t in texts:
        for m in _VAR_RE.findall(t):
            if m not in order and m not in RESERVED:
                order[m] = f"v{len(order)}"
    if not order:
        return f"{thm.domain}: {texts[0]} | {'; '.join(sorted(texts[1:]))}"

    def sub(m: re.Match[str]) -> str:
        return order[m.group(0)]

    names = _names_re(tuple(order))  # matches the variables only, not every function name
    out = [names.sub(sub, t) for t in texts]
    return f"{thm.domain}: {out[0]} | {'; '.join(sorted(out[1:]))}"


@lru_cache(maxsize=256)
def _names_re(names: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern matching exactly the words ``names`` (as whole words, like ``_VAR_RE``)."""
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b")


def rule_key(rule: Rule, direction: str | None) -> str:
    return rule.id if direction is None else f"{rule.id}/{direction}"


class Rarity:
    """Rule usage counts and the 1/(count+1)^b sampling bias towards under-represented rules.

    Generators also add a fraction of a count for each failed attempt to use a rule, so that rules which
    rarely apply (their side conditions fail) are not retried forever once the easy rules are common."""

    def __init__(self, bias: float = 1.0):
        self.bias = bias
        self.counts: dict[str, float] = {}

    def weight(self, rule_id: str) -> float:
        if self.bias == 0:
            return 1.0
        return float((self.counts.get(rule_id, 0) + 1) ** -self.bias)

    def add(self, rule_ids: Sequence[str], amount: float = 1.0) -> None:
        c = self.counts
        for r in rule_ids:
            c[r] = c.get(r, 0) + amount


# --- side conditions: closing and short assertion chains -----------------------------------------------

class SideProver:
    """Proves side conditions by short assertion chains (depth-limited, first proof found).

    A goal is closed when it is closed automatically; otherwise an assertion rule without free variables
    (or a relational rewrite at the root without free variables) whose every subgoal is closed or proved
    recursively, at most ``depth`` steps deep, exploring at most ``budget`` goals per call. ``refute``
    (optional) says that a goal is numerically false where the hypotheses hold, which prunes the search.
    Results are memoised per (goal, hypotheses, depth).
    """

    def __init__(self, rules: RuleSet, depth: int = 2, budget: int = 24, max_memo: int = 200_000):
        self.rules = rules
        self.depth = depth
        self.budget = budget
        self.max_memo = max_memo
        self._memo: dict[tuple[Expr, tuple[Expr, ...], int], tuple[bool, Proof | None]] = {}
        self._asserts: dict[str, list[tuple[Rule, Any, Any]]] = {}
        for op, entries in rules.asserts.items():
            self._asserts[op] = [(r, t, r.match[None]) for r, t in entries if r.hyps and not r.free[None]]
        self._rel: dict[str, list[tuple[Rule, str]]] = {}
        for op, rel in rules.relational.items():
            self._rel[op] = [(r, d) for r, d, _ in rel if not r.free_variables(d)]
        # goal signature (op, operand ops) -> the assertions and relational rewrites whose pattern can match
        # it, in the order above (most patterns fix their operands' operators: four in five are skipped)
        self._by_sig: dict[tuple[str, ...], tuple[list[tuple[Rule, Any, Any]], list[tuple[Rule, str]]]] = {}
        self._left = 0
        self._refute: Any = None
        self._hyps_have_variables = True
        self._decided: dict[tuple[Expr, str], bool | None] = {}  # exact truth of variable-free goals

    def _decide(self, goal: Expr, domain: str) -> bool | None:
        key = (goal, domain)
        try:
            return self._decided[key]
        except KeyError:
            pass
        if len(self._decided) >= self.max_memo:
            self._decided.clear()
        out = self._decided[key] = decide(goal, domain)
        return out

    def prove(self, goal: Expr, hyps: tuple[Expr, ...], domain: str,
              refute: Any = None) -> tuple[bool, Proof | None]:
        """(True, None) when closed automatically, (True, proof) when proved, (False, None) otherwise."""
        self._left = self.budget
        self._refute = refute
        self._hyps_have_variables = not any(h.const for h in hyps)
        try:
            return self._prove(goal, hyps, domain, self.depth)
        finally:
            self._refute = None

    def _closed(self, goal: Expr, hyps: tuple[Expr, ...], domain: str) -> bool:
        if goal in hyps:
            return True
        if goal.const and self._decide(goal, domain) is True:
            return True
        for t in self.rules.closers.get(goal.op, ()):
            if t(goal):
                return True
        return False

    def _prove(self, goal: Expr, hyps: tuple[Expr, ...], domain: str, depth: int) -> tuple[bool, Proof | None]:
        if self._closed(goal, hyps, domain):
            return _CLOSED
        if depth <= 0:
            return _FAIL
        # a variable-free goal has variable-free subgoals: when no hypothesis is variable-free (the generators'
        # never are), its result does not depend on them, so it is shared between theorems
        key = (goal, () if goal.const and self._hyps_have_variables else hyps, depth)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if self._left <= 0:
            return _FAIL
        self._left -= 1
        result = _FAIL
        if goal.const and self._decide(goal, domain) is False:
            pass
        elif self._refute is not None and self._refute(goal):
            pass
        else:
            result = self._search(goal, hyps, domain, depth)
        if len(self._memo) >= self.max_memo:
            self._memo.clear()
        self._memo[key] = result
        return result

    def _candidates(self, goal: Expr) -> tuple[list[tuple[Rule, Any, Any]], list[tuple[Rule, str]]]:
        """The assertions and relational rewrites whose pattern's operand operators fit ``goal``'s (a pattern
        variable fits anything), cached per signature; their testers and matchers decide the rest."""
        sig = signature(goal)
        hit = self._by_sig.get(sig)
        if hit is None:
            hit = self._by_sig[sig] = (
                [e for e in self._asserts.get(goal.op, ()) if e[0].concl is not None and may_match(e[0].concl, sig)],
                [(r, d) for r, d in self._rel.get(goal.op, ()) if may_match(r.source(d), sig)],
            )
        return hit

    def _search(self, goal: Expr, hyps: tuple[Expr, ...], domain: str, depth: int) -> tuple[bool, Proof | None]:
        asserts, rel = self._candidates(goal)
        for r, t, m in asserts:
            if not t(goal):
                continue
            children = self._all(r.hyp_build, m(goal), hyps, domain, depth - 1)
            if children is not None:
                return (True, Proof(Tactic(r.id), children))
        if depth >= 2:
            for r, d in rel:
                b = r.match[d](goal)
                if b is None:
                    continue
                children = self._all((r.build[d], *r.hyp_build), b, hyps, domain, depth - 1)
                if children is not None:
                    return (True, Proof(Tactic(r.id, d, 0), children))
        return _FAIL

    def _all(self, builders: tuple[Any, ...], b: dict[str, Expr], hyps: tuple[Expr, ...], domain: str,
             depth: int) -> tuple[Proof | None, ...] | None:
        """Proofs of every subgoal (built from the bindings ``b``), or None; a subgoal is built only when
        those before it are proved (most searches fail at the first one)."""
        out: list[Proof | None] = []
        for build in builders:
            ok, p = self._prove(build(b), hyps, domain, depth)
            if not ok:
                return None
            out.append(p)
        return tuple(out)


_CLOSED: tuple[bool, Proof | None] = (True, None)
_FAIL: tuple[bool, Proof | None] = (False, None)


def plain_literal(e: Expr) -> bool:
    """Whether ``e`` is an integer literal in the form the arithmetic rules build (``-0`` is not: a reverse
    step would rebuild it as ``0``, so the generators never rewrite it)."""
    v = literal_value(e)
    return v is not None and num(v) is e


def substitution_value(rng: random.Random, root: Expr, p_fresh: float, fresh: Callable[[random.Random], Expr],
                       max_size: int, variables: Sequence[Expr]) -> Expr:
    """A value for a variable that a rule step introduces (free in its source), as both generators draw it:
    with probability ``p_fresh`` the fresh expression ``fresh(rng)``, otherwise a subterm of ``root`` of at
    most ``max_size`` nodes that is not a comparison, uniformly over its occurrences in prefix order (so the
    new term reuses pieces of the one rewritten), or one of ``variables`` when there is none."""
    if rng.random() < p_fresh:
        return fresh(rng)
    pool: list[Expr] = []
    stack = [root]
    while stack:
        n = stack.pop()
        if n.size <= max_size and n.op not in COMPARISON_OPS:
            pool.append(n)
        if n.args:
            stack.extend(reversed(n.args))
    return rng.choice(pool) if pool else rng.choice(variables)


def choose_weighted(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return items[0] if len(items) == 1 else rng.choices(items, weights)[0]


class MatchIndex:
    """Where rules match in a statement: (rule, direction) -> positions.

    A view on the rule set's memoised match index (:mod:`equations.matching`). Term rewrites (and
    arithmetic) are matched at every term position, relational rewrites at position 0 of a comparison.
    Rules whose source is a bare pattern variable match everywhere and are returned separately
    (``anywhere``) instead of being listed at every position.
    """

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.anywhere = [(r, d) for r, d in rules.anywhere]
        self._index = rules.matches

    def groups(self, root: Expr) -> tuple[dict[tuple[Rule, str], list[int]], list[int]]:
        """({(rule, direction): positions}, term positions) for a statement or a term ``root``; the keys in
        order of first match (prefix order, at a node in the index's key order)."""
        from equations.expr import COMPARISON_OPS

        index = self._index
        listed = index.listed
        tok = index.token
        groups: dict[tuple[Rule, Any], list[int]] = {}  # direction: str here (assertions never listed)
        term_positions: list[int] = []
        is_stmt = root.op in COMPARISON_OPS
        stack = [root]
        pos = -1
        while stack:
            node = stack.pop()
            pos += 1
            args = node.args
            m = node._memo  # checked: a node shared with another rule set's statements may carry its memo
            own: int = (m if m is not None and m[0] is tok else index.node(node))[1]
            if pos or not is_stmt:
                term_positions.append(pos)
            else:
                own &= index.relational
            for key in listed(own) if own else ():
                g = groups.get(key)
                if g is None:
                    groups[key] = [pos]
                else:
                    g.append(pos)
            if args:
                if len(args) == 2:
                    stack.append(args[1])
                stack.append(args[0])
        return groups, term_positions


@contextmanager
def quiet_gc(threshold: tuple[int, int, int] = (100_000, 50, 1000)) -> Iterator[None]:
    """Run with fewer garbage-collector passes (restored afterwards).

    Generation allocates many small, mostly acyclic objects while its caches hold many live ones, so the
    default thresholds make the collector rescan those caches constantly (about a third of the run time).
    Used by the dataset writer and the benchmark; memory stays bounded because the caches are capped.
    """
    old = gc.get_threshold()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*old)


Range = tuple[int, int]


def as_range(v: int | Range | list[int]) -> Range:
    """An inclusive ``(lo, hi)`` range from an int (exactly that) or a pair (configuration knobs)."""
    if isinstance(v, int):
        return (v, v)
    lo, hi = v
    return (int(lo), int(hi))


class ConfigBase:
    """Shared behaviour of the generator configurations (dataclasses deriving from this)."""

    def params(self) -> dict[str, Any]:
        """The knobs as plain data, for dataset records (the nested expression config is left out)."""
        d: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        d.pop("expr", None)
        return d


@dataclass
class RejectStats:
    """Counters a generator keeps: theorems emitted, candidates rejected by reason, proof failures."""

    emitted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def reject(self, why: str) -> None:
        self.rejected[why] = self.rejected.get(why, 0) + 1
