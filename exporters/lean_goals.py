"""Lean 4 goal states, as Lean (and LeanDojo) print them: written for the export's traced tactics
(:class:`Goal`, :func:`render_state`, :func:`hyp_name`) and read back into our :class:`equations.Theorem`
(:func:`parse_goal_state`).

Reading is the first half of handing Lean goals to our prover (issue 13, section 3): a state such as ::

    x y : ℝ
    h₀ : 0 < x
    ⊢ Real.log (x * y) = Real.log x + Real.log y

becomes ``Theorem(ln(x*y) == ln(x) + ln(y) | 0 < x)`` over the reals. The grammar is the goal view the
exporter itself writes (:mod:`.lean_syntax`, ``ascribe=False``): Lean's precedences (``+ -`` 65, ``* / %`` 70,
prefix ``-`` 75, ``^`` 80 right-associative, ``√`` and application above), ``|x|``, ``x⁻¹``, ``Real.exp``
and the other Mathlib functions (``rexp``, ``π`` too), ``Nat.gcd a b`` / ``a.gcd b`` and ℤ's ``gcd a b``.
A state outside our vocabulary (another type, ``∀``, several goals, an unknown function) raises
:class:`UntranslatableGoal` with the reason. The type of the variables gives the domain; a state without
variables needs ``domain`` (Lean's goal view does not show numerals' types).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from equations import Expr, Theorem, make, num, var
from equations.expr import PI

from .lean_syntax import LEAN_TYPE, REAL_FUNCS

DOMAIN_OF_TYPE = {v: k for k, v in LEAN_TYPE.items()}
FUNCS = {v: k for k, v in REAL_FUNCS.items()} | {"Real.sqrt": "sqrt", "rexp": "exp"}
RELATIONS = {"=": "eq", "≠": "ne", "<": "lt", "≤": "le", ">": "gt", "≥": "ge", "∣": "dvd"}
_BIN = {"+": ("add", 65), "-": ("sub", 65), "*": ("mul", 70), "/": ("div", 70), "%": ("mod", 70)}
MAX = 1024

# identifiers may use Greek letters (Mathlib's ``ε``, ``α``) except ``λ`` and ``π``; ``:`` and the type
# symbols serve the ascriptions of Lean source (``(2 : ℝ)``), read by the statement importer
_ID = r"[A-Za-z_α-κμ-ορ-ω][A-Za-z0-9_'₀-₉α-κμ-ορ-ω!?]*"
_TOKEN = re.compile(rf"\s*(?:(?P<num>\d+)|(?P<ident>{_ID}(?:\.{_ID})*)"
                    r"|(?P<field>\.(?:gcd|lcm)\b)|(?P<sym>⁻¹|:(?!=)|[-+*/%^()|√=≠<≤>≥∣πℝℕℤ]))")


# ---------------------------------------------------------------------------------------------------------
# printing (the goal view the Lean export traces, for LeanDojo)
# ---------------------------------------------------------------------------------------------------------

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def hyp_name(i: int) -> str:
    """``h₀``, ``h₁`` ...: the name of the ``i``-th hypothesis in the exported theorems."""
    return "h" + str(i).translate(_SUB)


@dataclass(frozen=True)
class Goal:
    """One goal of Lean's goal view: the context entries (names sharing a type print on one line) and the
    target."""

    context: tuple[tuple[str, str], ...]  # (name, type), in order
    target: str

    def render(self) -> str:
        lines: list[str] = []
        ctx = list(self.context)
        i = 0
        while i < len(ctx):
            j = i
            while j + 1 < len(ctx) and ctx[j + 1][1] == ctx[i][1]:
                j += 1
            lines.append(" ".join(n for n, _ in ctx[i:j + 1]) + " : " + ctx[i][1])
            i = j + 1
        lines.append("⊢ " + self.target)
        return "\n".join(lines)


def render_state(goals: Iterable[Goal]) -> str:
    """Lean's goal view: each goal's context and ``⊢ target``, goals separated by a blank line;
    ``no goals`` when there is none."""
    gs = list(goals)
    return "\n\n".join(g.render() for g in gs) if gs else "no goals"


# ---------------------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------------------


class UntranslatableGoal(ValueError):
    """A Lean goal state our language cannot express; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    i = 0
    text = text.rstrip()
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None or m.end() == i:
            raise UntranslatableGoal(f"unexpected text {text[i:].strip()[:20]!r}")
        out.append(m.group(m.lastgroup or "sym"))
        i = m.end()
    return out


def _our_name(ident: str) -> str:
    """Our variable name for a Lean binder (``lean_ident`` renames a clashing ``e`` to ``v_e``)."""
    return ident[2:] if ident.startswith("v_") else ident


class _Parser:
    def __init__(self, text: str, domain: str, variables: frozenset[str]):
        self.toks = _tokens(text)
        self.i = 0
        self.domain = domain
        self.variables = variables

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise UntranslatableGoal(f"expected {expected or 'more'}, found {tok or 'the end'}")
        self.i += 1
        return tok

    # -- statements -----------------------------------------------------------------------------------
    def prop(self) -> Expr:
        lhs = self.expr(51)
        rel = self.take()
        if rel not in RELATIONS:
            raise UntranslatableGoal(f"{rel!r} is not a relation of ours")
        rhs = self.expr(51)
        if self.peek() is not None:
            raise UntranslatableGoal(f"unexpected {self.peek()!r} after the statement")
        return make(RELATIONS[rel], lhs, rhs)

    # -- terms: Lean's precedence climbing ------------------------------------------------------------
    def expr(self, min_prec: int) -> Expr:
        lhs = self.prefix()
        while True:
            tok = self.peek()
            if tok in _BIN and _BIN[tok][1] >= min_prec:
                op, p = _BIN[tok]
                self.take()
                lhs = make(op, lhs, self.expr(p + 1))
            elif tok == "^" and 80 >= min_prec:
                self.take()
                lhs = self.power(lhs, self.exponent())
            else:
                return lhs

    def exponent(self) -> Expr:
        """The right operand of ``^`` (a hook: the importer notes whether it is a ℕ or a real exponent)."""
        return self.expr(80)

    def power(self, base: Expr, exponent: Expr) -> Expr:
        return make("pow", base, exponent)

    def ascription(self, e: Expr, typ: str) -> Expr:
        """``(e : T)``: a goal view never shows one; the importer accepts its own type (a numeral's type)."""
        raise UntranslatableGoal(f"a type ascription ({typ})")

    def function(self, tok: str) -> str | None:
        """Our operator for a unary function name of Lean (``Real.exp`` -> ``exp``), or None."""
        return FUNCS.get(tok)

    def variable(self, tok: str) -> Expr | None:
        """Our variable for a Lean name in scope, or None."""
        return var(_our_name(tok), self.domain) if tok in self.variables else None

    def prefix(self) -> Expr:
        if self.peek() == "-":
            self.take()
            return make("neg", self.expr(75))
        return self.application()

    def application(self) -> Expr:
        tok = self.peek()
        fn = self.function(tok) if tok is not None else None
        if fn is not None:
            self.take()
            return make(fn, self.argument())
        if tok in ("gcd", "lcm", "Nat.gcd", "Nat.lcm"):
            self.take()
            a = self.argument()
            return make(tok.removeprefix("Nat."), a, self.argument())
        return self.argument()

    def argument(self) -> Expr:
        """A term at Lean's maximal level (an application's argument), with trailing ``⁻¹`` and ``.gcd b``."""
        e = self.atom()
        while True:
            tok = self.peek()
            if tok == "⁻¹":
                self.take()
                e = make("inv", e)
            elif tok in (".gcd", ".lcm"):  # `(b + 1).gcd a`: the receiver was a parenthesised atom
                self.take()
                e = make(tok[1:], e, self.argument())
            else:
                return e

    def atom(self) -> Expr:
        tok = self.take()
        if tok.isdigit():
            return num(int(tok))
        if tok == "(":
            e = self.expr(0)
            if self.peek() == ":":
                self.take()
                e = self.ascription(e, self.take())
            self.take(")")
            return e
        if tok == "|":
            e = self.expr(0)
            self.take("|")
            return make("abs", e)
        if tok == "√":
            return make("sqrt", self.argument())
        if tok in ("π", "Real.pi"):
            return PI
        head, _, field = tok.rpartition(".")
        receiver = self.variable(head) if field in ("gcd", "lcm") and head else None
        if receiver is not None:  # `a.gcd b`: generalized field notation
            return make(field, receiver, self.argument())
        v = self.variable(tok)
        if v is not None:
            return v
        if tok.startswith("."):
            raise UntranslatableGoal(f"unexpected {tok!r}")
        raise UntranslatableGoal(f"{tok!r} is not a variable of the goal nor a function of ours")


def parse_goal_state(text: str, domain: str | None = None) -> Theorem:
    """The theorem a Lean goal state asserts: its hypotheses (context entries whose type is a proposition),
    its target, over the type of its variables (or ``domain`` when it has none)."""
    if text.strip() == "no goals":
        raise UntranslatableGoal("no goals")
    lines = text.strip("\n").split("\n")
    if "" in lines:
        raise UntranslatableGoal("several goals")
    target = [ln for ln in lines if ln.startswith("⊢ ")]
    if len(target) != 1 or not lines[-1].startswith("⊢ "):
        raise UntranslatableGoal("not a single goal (one `⊢` line, last)")
    variables: dict[str, str] = {}
    hyp_texts: list[str] = []
    for line in lines[:-1]:
        if " : " not in line:
            raise UntranslatableGoal(f"a context line without a type: {line!r}")
        names, typ = line.split(" : ", 1)
        if typ.strip() in DOMAIN_OF_TYPE:
            for n in names.split():
                variables[n] = DOMAIN_OF_TYPE[typ.strip()]
        elif re.fullmatch(r"\w+", typ.strip()):
            raise UntranslatableGoal(f"variables of type {typ.strip()} (ours: ℝ, ℕ, ℤ)")
        else:
            hyp_texts += [typ] * len(names.split())
    domains = set(variables.values())
    if len(domains) > 1:
        raise UntranslatableGoal("variables of several types")
    dom = domains.pop() if domains else domain
    if dom is None:
        raise UntranslatableGoal("no variable fixes the type: pass the domain")
    names_in_scope = frozenset(variables)

    def prop(s: str) -> Expr:
        return _Parser(s, dom, names_in_scope).prop()

    return Theorem(prop(lines[-1][2:]), tuple(prop(h) for h in hyp_texts), dom)


#: the term and relation parser (Lean's precedences), shared with the Mathlib importer
#: (:mod:`.mathlib_import`), which subclasses its hooks for source text
LeanTermParser = _Parser

__all__ = ["Goal", "LeanTermParser", "UntranslatableGoal", "hyp_name", "parse_goal_state", "render_state"]
