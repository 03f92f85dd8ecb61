"""Tactics: applying a rule to a goal (paper B.2/B.3), their canonical text, and their enumeration.

Canonical text::

    add_comm -> 3                      # rewrite forward (L to R) at prefix position 3
    add_sub_cancel <- 1 with B := y    # rewrite backward (R to L), giving the value of a free variable
    le_trans with B := x + 1           # assertion (always at the root)

Positions index the goal's prefix decomposition: 0 is the comparison, 1 its left side, and so on
(an integer literal is one position).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import overload

from .exact import MAX_BITS
from .expr import (
    _LITERAL_LIMIT,
    COMPARISON_OPS,
    MAX_DEPTH,
    MAX_LITERAL_DIGITS,
    Expr,
    domain_error,
    literal_value,
    make2,
    num,
    retype,
)
from .parse import ParseError, Parser
from .printing import to_infix
from .rules import Rule, RuleSet
from .theorem import Theorem


class InvalidTactic(ValueError):
    """A tactic that cannot be applied. ``kind`` is one of: ``syntax``, ``unknown_rule``, ``domain``,
    ``direction``, ``position``, ``no_match``, ``substitution``, ``arith``, ``depth``."""

    def __init__(self, reason: str, kind: str = "no_match"):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


_ARROWS = {"->": "fwd", "<-": "bwd"}
_TACTIC_RE = re.compile(
    r"^\s*(?P<rule>[A-Za-z_][A-Za-z0-9_.]*)\s*(?:(?P<arrow>->|<-)\s*(?P<pos>-?\d+))?\s*(?:(?P<with>with)\b(?P<subs>.*))?$",
    re.S,
)


@dataclass(frozen=True)
class Tactic:
    """(rule, direction, position, substitutions) for a transformation; (rule, substitutions) for an
    assertion. ``direction`` is ``"fwd"``/``"bwd"`` or ``None``; substitutions are sorted by name."""

    rule: str
    direction: str | None = None
    position: int | None = None
    subs: tuple[tuple[str, Expr], ...] = ()

    def __post_init__(self) -> None:
        # Kept cheap (the enumeration builds many tactics): a position must be an integer here, because
        # ``Expr.at`` with a fractional one would never stop; substitution values are validated by ``apply``.
        pos = self.position
        if pos is not None and type(pos) is not int:
            if isinstance(pos, bool) or not hasattr(pos, "__index__"):
                raise InvalidTactic(f"a position is a non-negative integer, not {pos!r}", "position")
            object.__setattr__(self, "position", pos.__index__())  # numpy integers
        if self.direction not in (None, "fwd", "bwd"):
            raise InvalidTactic(f"direction must be 'fwd' or 'bwd', not {self.direction!r}", "direction")
        if (self.direction is None) != (self.position is None):
            raise InvalidTactic("a direction needs a position and vice versa", "direction")
        subs = self.subs
        if subs:
            if type(subs) is not tuple:
                subs = tuple(subs.items()) if isinstance(subs, dict) else tuple(subs)
                object.__setattr__(self, "subs", subs)
            if len(subs) > 1:
                try:
                    unsorted = any(subs[i][0] > subs[i + 1][0] for i in range(len(subs) - 1))
                except (TypeError, IndexError):
                    raise InvalidTactic(f"substitutions are (name, expression) pairs, not {subs!r}",
                                        "substitution") from None
                if unsorted:
                    object.__setattr__(self, "subs", tuple(sorted(subs, key=lambda kv: kv[0])))

    @staticmethod
    def rewrite(rule: str, direction: str, position: int, **subs: Expr) -> Tactic:
        return Tactic(rule, direction, position, tuple(subs.items()))

    @staticmethod
    def assertion(rule: str, **subs: Expr) -> Tactic:
        return Tactic(rule, None, None, tuple(subs.items()))

    def __str__(self) -> str:
        s = self.rule
        if self.direction is not None:
            s += f" {'->' if self.direction == 'fwd' else '<-'} {self.position}"
        if self.subs:
            s += " with " + ", ".join(f"{k} := {to_infix(v)}" for k, v in self.subs)
        return s

    @staticmethod
    def parse(text: str, domain: str | None = None) -> Tactic:
        """Parse canonical tactic text; :class:`InvalidTactic` (kind ``syntax``) on malformed text.

        With ``domain`` the substitutions must be terms of that domain. Without it they are read with every
        operator allowed, and :func:`apply` (so the proof checker) validates them against the goal's
        domain: a tactic is only ever judged in the domain of the goal it is applied to."""
        if not isinstance(text, str):
            raise InvalidTactic(f"a tactic is text or a Tactic, not {type(text).__name__}", "syntax")
        m = _TACTIC_RE.match(text)
        if m is None:
            raise InvalidTactic(
                f"cannot parse tactic {_clip(text)!r}: expected 'RULE [-> POS | <- POS] [with VAR := EXPR, ...]'",
                "syntax",
            )
        direction = _ARROWS[m.group("arrow")] if m.group("arrow") else None
        position = int(m.group("pos")) if m.group("pos") is not None else None
        subs: list[tuple[str, Expr]] = []
        if m.group("with") is not None:
            body = m.group("subs")
            p = Parser(body, domain)
            try:
                while True:
                    name = p.peek()
                    if name is None or not (name[0].isascii() and (name[0].isalpha() or name[0] == "_")):
                        raise p.error("expected a pattern variable name")
                    p.i += 1
                    p.expect(":=")
                    start = p.i
                    try:
                        subs.append((name, p.checked(p.expr(0), start)))
                    except RecursionError:
                        raise p.too_deep() from None
                    if p.peek() != ",":
                        break
                    p.i += 1
                p.finish()
            except ParseError as err:
                raise InvalidTactic(f"bad substitution in tactic {_clip(text)!r}: {err}", "syntax") from None
            names = [k for k, _ in subs]
            if len(set(names)) != len(names):
                raise InvalidTactic(f"a variable is given twice in {_clip(text)!r}", "syntax")
        return Tactic(m.group("rule"), direction, position, tuple(subs))


# --- application ----------------------------------------------------------------------------------------

def _check_sub(name: str, e: Expr, domain: str) -> Expr:
    """The value given for ``name``, as a term of the goal's domain, or :class:`InvalidTactic` naming what
    the domain does not define. Over ℕ/ℤ, variables are retyped (text read without a domain has real
    variables); over ℝ a variable of another type is an error."""
    if not isinstance(e, Expr):
        raise InvalidTactic(f"substitution {name} := {e!r}: expected an expression, got {type(e).__name__}",
                            "substitution")
    if domain != "real" and not e.const:
        e = retype(e, domain)
    why = domain_error(e, domain)
    if why is not None:
        raise InvalidTactic(f"substitution {name} := {_show(e)}: {why}", "substitution")
    return e


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(e: Expr) -> str:
    """Infix text for an error message, shortened (the term may be huge or deep)."""
    if e.depth > MAX_DEPTH:
        return "<a term too deep to print>"
    text = to_infix(e)
    return text if len(text) <= 80 else text[:77] + "..."


def _bind_free(rule: Rule, direction: str | None, tactic: Tactic, bindings: dict[str, Expr], domain: str) -> None:
    free = rule.free[direction]
    if not free and not tactic.subs:
        return
    try:
        given = dict(tactic.subs)
    except (TypeError, ValueError):
        raise InvalidTactic(f"substitutions are (name, expression) pairs, not {tactic.subs!r}",
                            "substitution") from None
    missing = [v for v in free if v not in given]
    if missing:
        raise InvalidTactic(
            f"rule {rule.id} needs a value for {', '.join(missing)} (write 'with {missing[0]} := ...')",
            "substitution",
        )
    extra = [k for k in given if k not in free]
    if extra:
        fixed = [k for k in extra if k in rule.variables()]
        if fixed:
            raise InvalidTactic(f"{', '.join(fixed)} of rule {rule.id} is fixed by the match and cannot be given",
                                "substitution")
        raise InvalidTactic(f"rule {rule.id} has no pattern variable {', '.join(map(str, extra))}",
                            "substitution")
    for k in free:
        bindings[k] = _check_sub(k, given[k], domain)


def _check_numeral(v: int, domain: str) -> int:
    if v < 0 and domain == "nat":
        raise InvalidTactic("the result would be negative in the naturals", "arith")
    if v.bit_length() > MAX_BITS or abs(v) >= _LITERAL_LIMIT:
        raise InvalidTactic(f"the result is too large (more than {MAX_LITERAL_DIGITS} digits)", "arith")
    return v


def _numeral(v: int, domain: str) -> Expr:
    return num(_check_numeral(v, domain))


def _split(op: str, c: int, a: int, domain: str) -> int:
    """``b`` with ``a op b == c`` (backward integer arithmetic), both operands valid literals of the
    domain, or :class:`InvalidTactic` saying why there is none."""
    if op == "add":
        b = c - a
    elif op == "sub":
        b = a - c
        if domain == "nat" and a < c:
            raise InvalidTactic(f"{a} - x cannot equal {c} in the naturals", "arith")
    else:
        if a == 0 or c % a:
            raise InvalidTactic(f"{c} is not {a} times an integer", "arith")
        b = c // a
    if domain == "nat" and b < 0:
        raise InvalidTactic("the other operand would be negative in the naturals", "arith")
    _check_numeral(a, domain)
    return _check_numeral(b, domain)


def _arith(rule: Rule, direction: str, node: Expr, tactic: Tactic, domain: str) -> Expr:
    op = rule.arith_op
    assert op is not None
    if direction == "fwd":
        if node.op != op or len(node.args) != 2:
            raise InvalidTactic(f"rule {rule.id} rewrites a {op} of two integer literals; found {to_infix(node)}")
        a, b = (literal_value(x) for x in node.args)
        if a is None or b is None:
            raise InvalidTactic(f"rule {rule.id} needs integer literals on both sides of {to_infix(node)}")
        if op == "add":
            return _numeral(a + b, domain)
        if op == "sub":
            return _numeral(max(a - b, 0) if domain == "nat" else a - b, domain)
        if op == "mul":
            return _numeral(a * b, domain)
        if b < 0:
            raise InvalidTactic(f"rule {rule.id} only evaluates non-negative integer exponents", "arith")
        if abs(a).bit_length() * b > MAX_BITS:
            raise InvalidTactic("the result is too large", "arith")
        return _numeral(a**b, domain)
    # backward: c  ->  a op b with the value of a given
    c = literal_value(node)
    if c is None:
        raise InvalidTactic(f"rule {rule.id} <- rewrites an integer literal; found {to_infix(node)}")
    if op == "pow":
        raise InvalidTactic(f"rule {rule.id} only rewrites forward", "direction")
    given = dict(tactic.subs)
    if set(given) != {"A"}:
        raise InvalidTactic(f"rule {rule.id} <- needs exactly 'with A := <integer literal>'", "substitution")
    a = literal_value(given["A"])
    if a is None:
        raise InvalidTactic(f"rule {rule.id}: A must be an integer literal", "substitution")
    b = _split(op, c, a, domain)
    return make2(op, num(a), num(b))


def apply(thm: Theorem, tactic: Tactic | str, rules: RuleSet) -> list[Theorem]:
    """The subgoals of ``thm`` after ``tactic``: for a transformation the rewritten goal followed by the
    rule's instantiated hypotheses; for an assertion the instantiated hypotheses (none: the goal is
    proved). Raises :class:`InvalidTactic` with the reason when the tactic does not apply."""
    if isinstance(tactic, str):
        tactic = Tactic.parse(tactic, thm.domain)
    elif not isinstance(tactic, Tactic):
        raise InvalidTactic(f"a tactic is text or a Tactic, not {type(tactic).__name__}", "syntax")
    rule = rules.get(tactic.rule)
    if rule is None:
        raise InvalidTactic(f"unknown rule {tactic.rule!r} in rule set {rules.name!r}", "unknown_rule")
    if rules.domain != thm.domain:
        raise InvalidTactic(f"rule set {rules.name!r} is over {rules.domain}; the goal is over {thm.domain}",
                            "domain")
    goal = thm.goal
    if rule.kind == "assert":
        if tactic.direction is not None:
            raise InvalidTactic(f"{rule.id} is an assertion: it takes no direction or position", "direction")
        b = rule.match[None](goal)
        if b is None:
            assert rule.concl is not None
            raise InvalidTactic(f"the goal {to_infix(goal)} does not match {to_infix(rule.concl)} ({rule.id})")
        _bind_free(rule, None, tactic, b, thm.domain)
        return [Theorem(h(b), thm.hyps, thm.domain) for h in rule.hyp_build]
    direction, pos = tactic.direction, tactic.position
    if direction is None or pos is None:
        raise InvalidTactic(f"{rule.id} is a transformation: give a direction and a position (e.g. '{rule.id} -> 1')",
                            "direction")
    if pos < 0 or pos >= goal.size:
        raise InvalidTactic(f"position {pos} is out of range: the goal has positions 0..{goal.size - 1}", "position")
    node = goal.at(pos)
    if rule.kind == "arith":
        new = _arith(rule, direction, node, tactic, thm.domain)
        return [thm.with_goal(_deep_check(goal.replace_at(pos, new)))]
    if rule.relational:
        if pos != 0:
            raise InvalidTactic(f"{rule.id} rewrites a whole comparison: its position must be 0", "position")
    elif node.op in COMPARISON_OPS:
        raise InvalidTactic(f"position {pos} is the comparison; {rule.id} rewrites terms", "position")
    b = rule.match[direction](node)
    if b is None:
        raise InvalidTactic(
            f"{to_infix(node)} at position {pos} does not match {to_infix(rule.source(direction))} ({rule.id})"
        )
    _bind_free(rule, direction, tactic, b, thm.domain)
    new_node = rule.build[direction](b)
    hyps, domain = thm.hyps, thm.domain
    new_goal = goal.replace_at(pos, new_node) if pos else new_node
    if new_goal.depth > MAX_DEPTH:
        _deep_check(new_goal)
    out = [Theorem(new_goal, hyps, domain)]
    for h in rule.hyp_build:
        out.append(Theorem(h(b), hyps, domain))
    return out


def _deep_check(goal: Expr) -> Expr:
    if goal.depth > MAX_DEPTH:
        raise InvalidTactic(f"the rewritten goal would be nested {goal.depth} deep (at most {MAX_DEPTH})", "depth")
    return goal


# --- enumeration ----------------------------------------------------------------------------------------

Triple = tuple[Rule, "str | None", int]


def applicable_triples(thm: Theorem, rules: RuleSet) -> list[tuple[Rule, str | None, int]]:
    """Every (rule, direction, position) whose source pattern matches the goal at that position.

    Assertions come with direction ``None`` and position 0. Rules whose free variables need values are
    included (they match; :func:`applicable` adds candidate substitutions). Symmetric rewrites
    (``A + B == B + A``) are listed in the forward direction only. Order: at the comparison its relational
    rewrites then its assertions, then every term position in prefix order, at each the rules of the set's
    index (:meth:`~equations.rules.RuleSet.candidates` order) and then those that match anywhere. Which rules
    match at a node is memoised on the node (:mod:`equations.matching`).
    """
    if rules.domain != thm.domain:
        return []
    goal = thm.goal
    index = rules.matches
    tok = index.token
    node_memo = index.node
    listed = index.listed
    lists = index._lists
    out: list[tuple[Rule, str | None, int]] = []
    append = out.append
    if goal.op in COMPARISON_OPS:
        for r, d in listed(node_memo(goal)[1]):
            append((r, d, 0))
        stack = list(reversed(goal.args))
        pos = 0
    else:  # pragma: no cover - a theorem's goal is a comparison
        stack = [goal]
        pos = -1
    anywhere = rules.anywhere
    pop = stack.pop
    push = stack.append
    while stack:
        node = pop()
        pos += 1
        m = node._memo  # indexed with the goal, unless another rule set's index has since taken the node
        own = (m if m is not None and m[0] is tok else node_memo(node))[1]
        if own:
            hit = lists.get(own)
            for r, d in hit if hit is not None else listed(own):
                append((r, d, pos))
        for r, d in anywhere:
            append((r, d, pos))
        args = node.args
        if args:
            if len(args) == 2:
                push(args[1])
            push(args[0])
    return out


def _size(e: Expr) -> int:
    return e.size


def substitution_candidates(thm: Theorem, limit: int | None = None) -> list[Expr]:
    """Distinct non-comparison subterms of the goal and hypotheses, smallest first, ties in order of first
    occurrence (deterministic: a stable sort of a prefix-order walk)."""
    seen: dict[Expr, None] = {}
    for root in (thm.goal, *thm.hyps):
        stack = [root]
        pop, extend = stack.pop, stack.extend
        while stack:
            node = pop()
            if node in seen:  # its whole subtree was walked right after its first occurrence
                continue
            if node.op not in COMPARISON_OPS:
                seen[node] = None
            args = node.args
            if args:
                extend(args[::-1])
    out = sorted(seen, key=_size)
    return out[:limit] if limit is not None else out


def smallest_candidates(thm: Theorem, n: int) -> list[Expr]:
    """``substitution_candidates(thm)[:n]`` without walking the whole theorem when it can be avoided: the
    smallest candidates are the leaves (size 1), in order of first occurrence, so when the theorem has at
    least ``n`` distinct leaves they are the first ``n`` met in prefix order (goal, then hypotheses), and
    the walk stops there. The environment decodes a substitution action with this (its ``subs_per_tactic``
    values per rule and position are the first few candidates)."""
    if n <= 0:
        return []
    seen: dict[Expr, None] = {}
    for root in (thm.goal, *thm.hyps):
        for node in root.subterms():  # prefix order
            if not node.args and node not in seen:
                seen[node] = None
                if len(seen) == n:
                    return list(seen)
    return substitution_candidates(thm)[:n]


class TacticGroup:
    """One matching (rule, direction, position) of a goal and the tactics it offers, built on demand.

    A rule whose pattern variables are all fixed by the match offers one tactic; a rule with free variables
    offers one per combination of ``values`` (in :func:`itertools.product` order, at most ``count``); an
    integer-arithmetic rule offers the literal splits that apply (``values`` already filtered)."""

    __slots__ = ("count", "direction", "free", "position", "rule", "values")

    def __init__(self, rule: Rule, direction: str | None, position: int, free: tuple[str, ...],
                 values: Sequence[Expr], count: int):
        self.rule = rule
        self.direction = direction
        self.position = position
        self.free = free
        self.values = values
        self.count = count

    def __repr__(self) -> str:
        return f"TacticGroup({self.rule.id}, {self.direction}, {self.position}, {self.count} tactics)"

    def tactic(self, k: int) -> Tactic:
        """The ``k``-th tactic of the group (0 <= k < count)."""
        if not 0 <= k < self.count:
            raise IndexError(f"tactic {k} of a group of {self.count}")
        rule, d = self.rule, self.direction
        p = None if d is None else self.position
        free = self.free
        if not free:
            return Tactic(rule.id, d, p)
        values = self.values
        if rule.kind == "arith":
            return Tactic(rule.id, d, p, (("A", values[k]),))
        n = len(values)
        combo: list[Expr] = []
        for _ in free:  # mixed-radix digits of k, the last variable's first (it varies fastest)
            k, j = divmod(k, n)
            combo.append(values[j])
        combo.reverse()
        return Tactic(rule.id, d, p, tuple(zip(free, combo, strict=True)))

    def __iter__(self) -> Iterator[Tactic]:
        return map(self.tactic, range(self.count))

    def __len__(self) -> int:
        return self.count


#: values and count of a (rule, direction, position) that offers other than exactly one tactic
_Special = tuple[Sequence[Expr], int]


class TacticList(Sequence[Tactic]):
    """The applicable tactics of a goal, grouped by (rule, direction, position), built only when read.

    Counting costs nothing per tactic and indexing builds one: a search or policy that asks for a group's
    first substitution never pays for the other 63. Iteration gives every tactic in the order
    :func:`applicable` has always used; :attr:`groups` gives the structure (one :class:`TacticGroup` per
    matching triple)."""

    __slots__ = ("_groups", "_len", "_offsets", "_special", "triples")

    def __init__(self, triples: list[Triple], special: dict[int, _Special]):
        #: the matching (rule, direction, position) triples, as :func:`applicable_triples` lists them
        self.triples = triples
        self._special = special
        self._len = len(triples) + sum(n - 1 for _, n in special.values())
        self._offsets: list[int] | None = None
        self._groups: list[TacticGroup] | None = None

    @property
    def groups(self) -> list[TacticGroup]:
        """One group per matching triple, in order."""
        if self._groups is None:
            special = self._special
            out = []
            for i, (r, d, pos) in enumerate(self.triples):
                values, n = special.get(i, ((), 1))
                out.append(TacticGroup(r, d, pos, r.free_variables(d), values, n))
            self._groups = out
        return self._groups

    def __len__(self) -> int:
        return self._len

    def counts(self) -> list[int]:
        """How many tactics each triple offers (parallel to :attr:`triples`): lets a policy rank the
        tactics by their triple without building them, then index the few it keeps."""
        out = [1] * len(self.triples)
        for i, (_, n) in self._special.items():
            out[i] = n
        return out

    def _tactic(self, i: int, k: int) -> Tactic:
        """The ``k``-th tactic of triple ``i``."""
        r, d, pos = self.triples[i]
        sp = self._special.get(i)
        if sp is None:
            return Tactic(r.id, d, None if d is None else pos)
        return TacticGroup(r, d, pos, r.free_variables(d), sp[0], sp[1]).tactic(k)

    @overload
    def __getitem__(self, i: int) -> Tactic: ...

    @overload
    def __getitem__(self, i: slice) -> list[Tactic]: ...

    def __getitem__(self, i: int | slice) -> Tactic | list[Tactic]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._len))]
        n = self._len
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"tactic {i} of {n}")
        if self._len == len(self.triples):  # one tactic per triple: the index is the triple's
            return self._tactic(i, 0)
        offsets = self._offsets
        if offsets is None:
            offsets = self._offsets = [0]
            total = 0
            for c in self.counts():
                total += c
                offsets.append(total)
        t = bisect_right(offsets, i) - 1
        return self._tactic(t, i - offsets[t])

    def __iter__(self) -> Iterator[Tactic]:
        special = self._special
        for i, (r, d, pos) in enumerate(self.triples):
            if special and i in special:
                values, n = special[i]
                yield from TacticGroup(r, d, pos, r.free_variables(d), values, n)
            else:
                yield Tactic(r.id, d, None if d is None else pos)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._len and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TacticList({self._len} tactics from {len(self.triples)} matching rules and positions)"


def applicable(
    thm: Theorem,
    rules: RuleSet,
    candidates: Sequence[Expr] | None = None,
    max_per_triple: int = 64,
) -> TacticList:
    """Every applicable tactic: each (rule, direction, position) of :func:`applicable_triples`, with the
    values of free pattern variables drawn from ``candidates`` (default: subterms of the goal and
    hypotheses), at most ``max_per_triple`` combinations each. Every returned tactic applies.

    The result is lazy (:class:`TacticList`): tactics are built when read, so listing costs about as much
    as :func:`applicable_triples` whatever ``max_per_triple``. Integer-arithmetic splits are checked here,
    so only those that apply are counted."""
    triples = applicable_triples(thm, rules)
    cands: Sequence[Expr] | None = candidates
    numerals: list[Expr] | None = None
    special: dict[int, _Special] = {}
    empty = False
    for i, (rule, d, pos) in enumerate(triples):
        free = rule.free[d]
        if not free:
            continue
        if rule.kind == "arith":
            if numerals is None:
                pool = cands if cands is not None else substitution_candidates(thm)
                numerals = [e for e in pool if literal_value(e) is not None] or [num(1)]
                if num(1) not in numerals:
                    numerals.append(num(1))
            valid = _valid_splits(thm, rules, rule, d, pos, numerals)
            special[i] = (valid, len(valid))
            empty = empty or not valid
            continue
        if cands is None:
            cands = substitution_candidates(thm)
        n = min(max_per_triple, len(cands) ** len(free))
        special[i] = (cands, n)
        empty = empty or n <= 0
    if empty:  # drop the triples that offer nothing (rare: no candidates, or no valid split)
        kept = [i for i in range(len(triples)) if special.get(i, (None, 1))[1] > 0]
        special = {j: special[i] for j, i in enumerate(kept) if i in special}
        triples = [triples[i] for i in kept]
    return TacticList(triples, special)


def _valid_splits(thm: Theorem, rules: RuleSet, rule: Rule, d: str | None, pos: int,
                  numerals: list[Expr]) -> list[Expr]:
    """The literals ``a`` for which the backward arithmetic rule splits the literal at ``pos`` into
    ``a op b`` (what :func:`apply` would accept), decided arithmetically without building the goals."""
    goal = thm.goal
    op = rule.arith_op
    c = literal_value(goal.at(pos)) if pos < goal.size else None
    if d != "bwd" or op is None or op == "pow" or c is None or goal.depth + 2 > MAX_DEPTH:
        out = []  # not the common case: let apply decide
        for e in numerals:
            try:
                apply(thm, Tactic(rule.id, d, None if d is None else pos, (("A", e),)), rules)
            except InvalidTactic:
                continue
            out.append(e)
        return out
    valid = []
    for e in numerals:
        v = literal_value(e)
        assert v is not None
        try:
            _split(op, c, v, thm.domain)
        except InvalidTactic:
            continue
        valid.append(e)
    return valid


def is_numeral(e: Expr) -> bool:
    return literal_value(e) is not None


def numeral_value(e: Expr) -> Fraction | None:
    v = literal_value(e)
    return None if v is None else Fraction(v)


def rules_used(tactics: Iterable[Tactic]) -> list[str]:
    return list(dict.fromkeys(t.rule for t in tactics))
