"""Rules (transformations and assertions) and rule sets loaded from text files.

Rules are data: ``equations/rules_data/<name>.rules`` ship the ``default`` (real), ``paper`` (the HTPS
paper's elementary real library, a subset of ``default``), ``nat`` and ``int`` sets, and users load their
own files with the same format::

    @domain real
    @category basic
    rewrite add_comm: A + B == B + A                       # term rewrite, usable in both directions
    rewrite div_eq_iff: A / B == C <=> A == B * C | B != 0   # relational rewrite (at the goal's root)
    assert le_trans: A <= C | A <= B; B <= C                 # assertion with hypotheses
    arith int_add: +                                         # built-in exact integer arithmetic

A rule id is stable: datasets, exports and trained models refer to rules by id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

from .expr import Expr, literal_value
from .parse import ParseError, Parser
from .patterns import Builder, Matcher, Tester, compile_builder, compile_matcher, compile_tester, match
from .printing import to_infix

if TYPE_CHECKING:
    from .matching import MatchIndex

KINDS = ("rewrite", "assert", "arith")
ARITH_OPS = {"+": "add", "-": "sub", "*": "mul", "**": "pow"}


class RuleError(ValueError):
    """A malformed rule file or rule text (names the file, line and problem)."""


@dataclass(eq=False)
class Rule:
    """One rule. ``kind`` is ``rewrite`` (``lhs``/``rhs`` terms, or comparisons when ``relational``),
    ``assert`` (``concl``), or ``arith`` (exact integer arithmetic on literals, ``arith_op``)."""

    id: str
    kind: str
    category: str
    domain: str
    hyps: tuple[Expr, ...] = ()
    lhs: Expr | None = None
    rhs: Expr | None = None
    concl: Expr | None = None
    arith_op: str | None = None
    symmetric: bool = False
    match: dict[str | None, Matcher] = field(default_factory=dict, repr=False)
    test: dict[str | None, Tester] = field(default_factory=dict, repr=False)
    build: dict[str | None, Builder] = field(default_factory=dict, repr=False)
    hyp_build: tuple[Builder, ...] = field(default=(), repr=False)
    free: dict[str | None, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def relational(self) -> bool:
        return self.kind == "rewrite" and self.lhs is not None and self.lhs.is_comparison

    @property
    def is_transformation(self) -> bool:
        return self.kind in ("rewrite", "arith")

    def variables(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for e in (self.lhs, self.rhs, self.concl, *self.hyps):
            if e is not None:
                out = out | e.variables()
        return out

    def statement(self) -> str:
        """The rule's text after ``ID:`` in a rule file."""
        if self.kind == "arith":
            return {v: k for k, v in ARITH_OPS.items()}[self.arith_op or ""]
        if self.kind == "assert":
            assert self.concl is not None
            body = to_infix(self.concl)
        else:
            assert self.lhs is not None and self.rhs is not None
            sep = " <=> " if self.relational else " == "
            body = to_infix(self.lhs) + sep + to_infix(self.rhs)
        if self.hyps:
            body += " | " + "; ".join(to_infix(h) for h in self.hyps)
        return body

    def __str__(self) -> str:
        return f"{self.kind} {self.id}: {self.statement()}"

    # -- compiled pieces ----------------------------------------------------------------------------------
    def source(self, direction: str) -> Expr:
        assert self.lhs is not None and self.rhs is not None
        return self.lhs if direction == "fwd" else self.rhs

    def target(self, direction: str) -> Expr:
        assert self.lhs is not None and self.rhs is not None
        return self.rhs if direction == "fwd" else self.lhs

    def compile(self) -> None:
        """Compile matchers, testers and builders once (called when the rule joins a :class:`RuleSet`).

        ``match``/``test``/``free`` are keyed by direction (``None`` for an assertion's conclusion);
        ``free`` lists the pattern variables a tactic must give values for, sorted by name.
        """
        if self.match or self.kind == "arith":
            if self.kind == "arith":
                self.free = {"fwd": (), "bwd": ("A",)}
            return
        every = self.variables()
        if self.kind == "assert":
            assert self.concl is not None
            pats: dict[str | None, Expr] = {None: self.concl}
        else:
            pats = {"fwd": self.source("fwd"), "bwd": self.source("bwd")}
            self.build = {d: compile_builder(self.target(d)) for d in ("fwd", "bwd")}
        self.match = {d: compile_matcher(p) for d, p in pats.items()}
        self.test = {d: compile_tester(p) for d, p in pats.items()}
        self.free = {d: tuple(sorted(every - p.variables())) for d, p in pats.items()}
        self.hyp_build = tuple(compile_builder(h) for h in self.hyps)

    def free_variables(self, direction: str | None) -> tuple[str, ...]:
        """Pattern variables not fixed by matching in this direction: a tactic must give their values."""
        if not self.free:
            self.compile()
        return self.free[direction]


def _is_symmetric(rule: Rule) -> bool:
    """True when applying the rule backward is the same as forward up to renaming (``A + B == B + A``):
    the enumeration then offers only the forward direction."""
    if rule.kind != "rewrite" or rule.lhs is None or rule.rhs is None:
        return False
    sigma = match(rule.lhs, rule.rhs)
    if sigma is None or not all(v.op == "var" for v in sigma.values()):
        return False
    names = {k: v.value for k, v in sigma.items()}
    if sorted(names.values()) != sorted(names):
        return False
    back = match(rule.rhs, rule.lhs)
    if back is None or {k: v.value for k, v in back.items()} != {v: k for k, v in names.items()}:
        return False
    return not rule.hyps


_LINE = re.compile(r"^(rewrite|assert|arith)\s+([A-Za-z_][A-Za-z0-9_.]*)\s*:\s*(.*)$")


def parse_rule(text: str, category: str = "user", domain: str = "real", *, kind: str | None = None) -> Rule:
    """Parse one rule: ``rewrite ID: L == R | H; ...``, ``assert ID: C | ...``, ``arith ID: +``.

    ``kind`` may be given separately with text of the form ``ID: ...`` or just the statement (then the
    id is derived from the statement).
    """
    m = _LINE.match(text.strip())
    if m is None:
        if kind is None:
            raise RuleError(f"expected 'rewrite ID: ...', 'assert ID: ...' or 'arith ID: OP', got {text!r}")
        m2 = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*:(?!=)\s*(.*)$", text)
        rid, body = (m2.group(1), m2.group(2)) if m2 else ("user_" + hashlib.sha1(text.encode()).hexdigest()[:8], text)
    else:
        kind, rid, body = m.group(1), m.group(2), m.group(3)
    if kind not in KINDS:
        raise RuleError(f"unknown rule kind {kind!r}")
    if kind == "arith":
        op = ARITH_OPS.get(body.strip())
        if op is None:
            raise RuleError(f"arith rule {rid}: operator must be one of {', '.join(ARITH_OPS)}, got {body!r}")
        return Rule(rid, "arith", category, domain, arith_op=op)
    p = Parser(body, domain)
    try:
        if kind == "assert":
            concl = p.statement()
            lhs = rhs = None
        else:
            concl = None
            first = p.statement()
            if p.peek() == "<=>":
                p.i += 1
                lhs, rhs = first, p.statement()
            elif first.op == "eq":
                lhs, rhs = first.args
            else:
                raise p.error("a rewrite is 'L == R' or 'C1 <=> C2' (two comparisons)")
        hyps = p.tail()
    except ParseError as err:
        raise RuleError(f"rule {rid}: {err}") from None
    rule = Rule(rid, kind, category, domain, hyps=hyps, lhs=lhs, rhs=rhs, concl=concl)
    if kind == "rewrite":
        assert lhs is not None and rhs is not None
        if lhs is rhs:
            raise RuleError(f"rule {rid}: both sides are the same")
        for side, other in ((lhs, rhs), (rhs, lhs)):
            if side.op == "var" and side.value not in other.variables():
                raise RuleError(f"rule {rid}: a bare variable side must occur on the other side")
    rule.symmetric = _is_symmetric(rule)
    return rule


class RuleSet:
    """An ordered collection of rules with a fixed domain, indexed for fast enumeration.

    The index maps a head symbol to the (rule, direction, tester) triples whose source pattern has that
    head, so enumerating applicable tactics tries only plausible rules at each node.
    """

    def __init__(self, name: str, domain: str, rules: Iterable[Rule], version: str = ""):
        self.name = name
        self.domain = domain
        self.rules: dict[str, Rule] = {}
        for r in rules:
            if r.id in self.rules:
                raise RuleError(f"rule set {name}: duplicate rule id {r.id!r}")
            if r.domain != domain:
                raise RuleError(f"rule set {name}: rule {r.id} is over {r.domain}, the set over {domain}")
            self.rules[r.id] = r
        self.version = version or hashlib.sha256(
            "\n".join(str(r) for r in self.rules.values()).encode()
        ).hexdigest()[:12]
        self._build_index()
        self._matches: MatchIndex | None = None

    @property
    def matches(self) -> MatchIndex:
        """Where the rules of this set match, memoised per node (:mod:`equations.matching`; built on first
        use): the one index behind ``applicable_triples``, the environments' action counts and the
        generators' rule samplers."""
        m = self._matches
        if m is None:
            from .matching import MatchIndex

            m = self._matches = MatchIndex(self)
        return m

    def _build_index(self) -> None:
        by_head: dict[str, list[tuple[Rule, str, Tester]]] = {}
        anywhere: list[tuple[Rule, str]] = []
        relational: dict[str, list[tuple[Rule, str, Tester]]] = {}
        asserts: dict[str, list[tuple[Rule, Tester]]] = {}
        closers: dict[str, list[Tester]] = {}
        for r in self.rules.values():
            r.compile()
            if r.kind == "assert":
                assert r.concl is not None
                t = r.test[None]
                asserts.setdefault(r.concl.op, []).append((r, t))
                if not r.hyps:
                    closers.setdefault(r.concl.op, []).append(t)
            elif r.kind == "rewrite":
                for d in ("fwd",) if r.symmetric else ("fwd", "bwd"):
                    src = r.source(d)
                    if r.relational:
                        relational.setdefault(src.op, []).append((r, d, r.test[d]))
                    elif src.op == "var":
                        anywhere.append((r, d))
                    else:
                        by_head.setdefault(src.op, []).append((r, d, r.test[d]))
            else:  # arith
                op = r.arith_op
                assert op is not None
                by_head.setdefault(op, []).append((r, "fwd", _arith_forward_tester(op)))
                if op != "pow":
                    by_head.setdefault("int", []).append((r, "bwd", _is_numeral))
                    if self.domain != "nat":
                        by_head.setdefault("neg", []).append((r, "bwd", _is_numeral))
        self.by_head = by_head
        self._by_sig: dict[tuple[str, ...], list[tuple[Rule, str, Tester]]] = {}
        self._shapes: dict[str, ShapeIndex] = {}  # head -> its by_head entries' patterns by shape
        self.anywhere = anywhere
        self.relational = relational
        self.asserts = asserts
        self.closers = closers

    def candidates(self, e: Expr) -> list[tuple[Rule, str, Tester]]:
        """The (rule, direction, tester) entries worth testing at node ``e``: same head symbol, and pattern
        children whose head symbols are compatible with ``e``'s children (cached per signature)."""
        key = signature(e)
        hit = self._by_sig.get(key)
        return hit if hit is not None else self.signature_candidates(key)

    def signature_candidates(self, key: tuple[str, ...]) -> list[tuple[Rule, str, Tester]]:
        """:meth:`candidates` of the nodes of signature ``key`` (see :func:`signature`)."""
        hit = self._by_sig.get(key)
        if hit is None:
            # The entries whose pattern fits, without a may_match call per entry of the head for every new
            # signature (rewrites only: integer arithmetic has no pattern and is always a candidate).
            entries = self.by_head.get(key[0], [])
            shapes = self._shapes.get(key[0])
            if shapes is None:
                shapes = self._shapes[key[0]] = ShapeIndex(
                    [r.source(d) if r.kind == "rewrite" else None for r, d, _t in entries])
            hit = self._by_sig[key] = [entries[i] for i in shapes.select(key)]
        return hit

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def get(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"RuleSet({self.name!r}, {len(self)} rules, domain={self.domain})"

    def categories(self) -> list[str]:
        return list(dict.fromkeys(r.category for r in self))

    def subset(self, categories: Iterable[str] | None = None, ids: Iterable[str] | None = None,
               name: str | None = None) -> RuleSet:
        """A rule set restricted to some categories and/or ids (generator difficulty knobs)."""
        cats = set(categories) if categories is not None else None
        keep = set(ids) if ids is not None else None
        rules = [r for r in self if (cats is None or r.category in cats) and (keep is None or r.id in keep)]
        return RuleSet(name or f"{self.name}[subset]", self.domain, rules)

    def counts(self) -> dict[str, dict[str, int]]:
        """{category: {"transformation": n, "assertion": m}} as in the paper's table 6."""
        out: dict[str, dict[str, int]] = {}
        for r in self:
            c = out.setdefault(r.category, {"transformation": 0, "assertion": 0})
            c["transformation" if r.is_transformation else "assertion"] += 1
        return out


def signature(e: Expr) -> tuple[str, ...]:
    """The head symbol of ``e`` and those of its children: which rules can match at ``e`` depends on it
    alone, up to the tests of literal values, repeated variables and deeper structure (the key of every
    per-signature cache of candidates)."""
    args = e.args
    if len(args) == 2:
        return (e.op, args[0].op, args[1].op)
    if args:
        return (e.op, args[0].op)
    return (e.op,)


class ShapeIndex:
    """Which patterns of a list may match a node of signature ``key`` (exactly those :func:`may_match`
    accepts), found by grouping the patterns by shape (head, arity, each child's head or None for a pattern
    variable) instead of testing each: a new signature costs a few dictionary lookups. ``None`` stands for
    an entry without a pattern, which every signature selects."""

    def __init__(self, patterns: list[Expr | None]):
        self._groups: dict[tuple[str, int, tuple[str | None, ...]] | None, list[int]] = {}
        for i, p in enumerate(patterns):
            shape = None if p is None else (p.op, len(p.args), tuple(None if c.op == "var" else c.op for c in p.args))
            self._groups.setdefault(shape, []).append(i)

    def select(self, key: tuple[str, ...]) -> list[int]:
        """The indices of the patterns that may match, ascending."""
        groups = self._groups
        picks = list(groups.get(None, ()))
        head, n = key[0], len(key) - 1
        for req in product(*((c, None) for c in key[1:])):
            hit = groups.get((head, n, req))
            if hit:
                picks += hit
        picks.sort()
        return picks


def may_match(pattern: Expr, key: tuple[str, ...]) -> bool:
    """Whether a node of signature ``key`` (see :func:`signature`) can match ``pattern``: the same head, and
    every child that is not a pattern variable with the node's child head. The pattern's tester decides
    the rest."""
    return (pattern.op == key[0] and len(pattern.args) == len(key) - 1
            and all(c.op == "var" or c.op == h for c, h in zip(pattern.args, key[1:], strict=False)))


def _is_numeral(e: Expr) -> bool:
    return literal_value(e) is not None


def _arith_forward_tester(op: str) -> Tester:
    def t(e: Expr) -> bool:
        a, b = e.args
        if not (_is_numeral(a) and _is_numeral(b)):
            return False
        return op != "pow" or b.op == "int"

    return t


def parse_rules_text(text: str, source: str = "<text>", name: str = "user") -> RuleSet:
    """Parse a whole rule file's text into a :class:`RuleSet`."""
    domain = "real"
    category = "user"
    rules: list[Rule] = []
    seen_rule = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if line.startswith("@"):
                parts = line[1:].split()
                if len(parts) != 2 or parts[0] not in ("domain", "category"):
                    raise RuleError(f"unknown directive {line!r} (expected @domain D or @category C)")
                if parts[0] == "domain":
                    if seen_rule:
                        raise RuleError("@domain must come before the first rule")
                    if parts[1] not in ("real", "int", "nat"):
                        raise RuleError(f"unknown domain {parts[1]!r}")
                    domain = parts[1]
                else:
                    category = parts[1]
                continue
            rules.append(parse_rule(line, category, domain))
            seen_rule = True
        except RuleError as err:
            raise RuleError(f"{source}, line {lineno}: {err}") from None
    try:
        return RuleSet(name, domain, rules, hashlib.sha256(text.encode()).hexdigest()[:12])
    except RuleError as err:
        raise RuleError(f"{source}: {err}") from None


_BUNDLED = ("default", "paper", "nat", "int")
#: bundled sets by name (their text never changes while the package is installed)
_cache: dict[str, RuleSet] = {}
#: user rule files by resolved path, with the (modification time, size) they were read at: an edited file is
#: read again, an unchanged one gives the same RuleSet object (indexes keyed by the rule set stay valid)
_file_cache: dict[Path, tuple[tuple[int, int], RuleSet]] = {}


def bundled_rule_sets() -> tuple[str, ...]:
    return _BUNDLED


def load_rules(name_or_path: str | Path = "default") -> RuleSet:
    """A bundled rule set (``default``, ``paper``, ``nat``, ``int``) or a user rule file by path; both cached,
    a file until it changes on disk."""
    key = str(name_or_path)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    if key in _BUNDLED:
        text = resources.files("equations").joinpath("rules_data").joinpath(f"{key}.rules").read_text("utf-8")
        rs = _cache[key] = parse_rules_text(text, f"{key}.rules", key)
        return rs
    path = Path(key)
    try:
        st = path.stat()
    except OSError:
        raise FileNotFoundError(f"no rule set {key!r}: not one of {', '.join(_BUNDLED)} and no such file") from None
    real = path.resolve()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _file_cache.get(real)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rs = parse_rules_text(path.read_text("utf-8"), str(path), path.stem)
    _file_cache[real] = (stamp, rs)
    return rs
