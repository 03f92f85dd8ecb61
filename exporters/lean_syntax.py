"""Our expressions as Lean 4 (Mathlib) terms.

Domains map to ``ℝ``, ``ℕ`` and ``ℤ``. Functions are Mathlib's: ``Real.exp``, ``Real.log``, ``√x``
(``Real.sqrt``), ``Real.sin`` ..., ``Real.arsinh``, ``Real.arcosh``, ``Real.artanh``, ``|x|``, ``x⁻¹``,
``Real.pi``; ``Nat.gcd``/``Nat.lcm`` over ℕ, and over ℤ the ``GCDMonoid`` ``gcd``/``lcm`` (non-negative like
ours; ``Int.gcd`` would be ℕ-valued). Mathlib's total conventions (``x / 0 = 0``, ``Real.log x = Real.log |x|``,
``√x = 0`` for ``x < 0``) are the ones our rules are checked under (``equations.numeric``, ``sem="lean"``).

**Powers.** ``a ** n`` with ``n`` a non-negative integer literal is a monoid power with a ℕ exponent
(``a ^ 2``); any other exponent is a real power (``Real.rpow``), printed ``a ^ (e : ℝ)``. Over ℕ the exponent
is a ℕ term. Over ℤ, ``^`` takes a ℕ exponent: an exponent built from non-negative literals with ``+ * **``
is printed as that ℕ term (``x ^ (1 + 1)``, same value); a statement with any other ℤ exponent (a variable)
is not exported.

**Numerals** are plain (``x + 3``) when the surrounding arithmetic fixes their type; a comparison whose sides
contain no variable or function gets one ascription, ``(3 : ℝ) + 1 = 4``, as Lean's ``binop%`` elaborator
needs one typed leaf. ℤ's ``gcd``/``lcm`` are generic (``GCDMonoid``), so an application whose arguments are
all numerals ascribes one of them, ``gcd (4 : ℤ) (-6)``: otherwise Lean elaborates it in ℕ, where ``-6`` has
no meaning.

**Precedence** is Lean's own (``Init/Notation.lean``): ``+ -`` infixl 65, ``* / %`` infixl 70, prefix ``-`` 75,
``^`` infixr 80, application and ``⁻¹``, ``|x|``, ``√x`` (Mathlib's ``prefix:max``) highest. The printer
writes the parentheses Lean's pretty-printer writes and no others (``-x ^ 2``, ``y ^ z ^ 0``, ``- -x``,
``Real.exp √x``), so the same text serves as source and, with ``ascribe=False`` (no numeral ascriptions, and
``a.gcd b`` for ``Nat.gcd a b``: Lean's generalized field notation, which it skips for a numeral receiver), as
the goal Lean shows (LeanDojo's ``state_before``/``state_after``).
"""

from __future__ import annotations

from equations import Expr

from .trace import ExportError

LEAN_TYPE = {"real": "ℝ", "nat": "ℕ", "int": "ℤ"}

REAL_FUNCS = {
    "exp": "Real.exp", "ln": "Real.log", "sin": "Real.sin", "cos": "Real.cos", "tan": "Real.tan",
    "asin": "Real.arcsin", "acos": "Real.arccos", "atan": "Real.arctan", "sinh": "Real.sinh",
    "cosh": "Real.cosh", "tanh": "Real.tanh", "asinh": "Real.arsinh",
    # Real.arcosh (mathlib4 #32356) and Real.artanh (#32696) joined Mathlib in December 2025; both are in
    # the pinned commit (lean.MATHLIB_PIN)
    "acosh": "Real.arcosh", "atanh": "Real.artanh",
}
#: operators with no Mathlib definition (an exported statement cannot mention them)
NO_LEAN: dict[str, str] = {}

#: binary operators: symbol, level, least level of the left and of the right operand (Lean's infixl)
_BIN = {"add": ("+", 65), "sub": ("-", 65), "mul": ("*", 70), "div": ("/", 70), "mod": ("%", 70)}
NEG = 75  # prefix:75 "-": the operand needs level 75
POW = 80  # infixr:80 " ^ ": base at 81, exponent at 80
RELATIONS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}

MAX = 1024
APP = MAX - 1  # Lean's application: its arguments need MAX, the application itself is at leadPrec

#: the bound variable of an exported step's congruence motive (``fun hole : ℝ => C[hole]``); no variable of
#: ours prints as ``hole`` (``lean_ident`` renames one called so)
HOLE = "\x00hole"

#: Lean keywords and global names a bound variable must not be called
LEAN_RESERVED = frozenset(
    """at by do else end fun from have if in let match mut open return show then theorem lemma def
    where with deriving instance structure class namespace section variable universe example abbrev
    calc suffices obtain exact rw sorry Type Prop Sort this forall exists π e pi exp log sqrt abs sin
    cos tan gcd lcm Real Nat Int sq h hole refine""".split()
)


def lean_ident(name: str) -> str:
    """A Lean binder name for our variable ``name`` (unchanged unless it would clash)."""
    if name == HOLE:
        return "hole"
    if name in LEAN_RESERVED or (name.startswith("h") and name[1:].isdigit()) or name.startswith("v_"):
        return f"v_{name}"
    return name


def is_nat_literal(e: Expr) -> bool:
    return e.op == "int" and int(e.value) >= 0


def is_npow(e: Expr, domain: str) -> bool:
    """Printed as a monoid power with a ℕ exponent (the exponent is not a Lean term of the domain's type):
    a literal exponent over ℝ, any exponent over ℤ."""
    return e.op == "pow" and ((domain == "real" and is_nat_literal(e.args[1])) or domain == "int")


def _nat_valued(e: Expr, nat_vars: frozenset[str]) -> bool:
    """Built from non-negative literals and ℕ-typed variables with ``+ * **``: a ℕ term with the same value
    (a ℤ exponent)."""
    if e.op == "int":
        return int(e.value) >= 0
    if e.op == "var":
        return str(e.value) in nat_vars
    return e.op in ("add", "mul", "pow") and all(_nat_valued(a, nat_vars) for a in e.args)


def _anchored(e: Expr, domain: str) -> bool:
    """Does the arithmetic region of ``e`` contain a leaf whose Lean type is fixed?"""
    op = e.op
    if op in ("var", "pi"):
        return True
    if op == "int":
        return False
    if op in _BIN or op in ("neg", "abs", "inv"):
        return any(_anchored(a, domain) for a in e.args)
    if op == "pow":
        return _anchored(e.args[0], domain) or (domain == "nat" and _anchored(e.args[1], domain))
    # a function application: Real.exp, √, Nat.gcd fix the type; ℤ's gcd/lcm ascribe a numeral argument
    return True


class LeanPrinter:
    """Prints terms of one domain. ``ascribe`` adds the numeral ascriptions source text needs (without it,
    the text is Lean's goal view); ``rpow_all`` prints literal exponents as real powers too
    (``x ^ (2 : ℝ)``); ``nat_vars`` are variables of type ℕ (allowed in a ℤ power's exponent)."""

    def __init__(self, domain: str = "real", ascribe: bool = True, rpow_all: bool = False,
                 nat_vars: frozenset[str] = frozenset()):
        if domain not in LEAN_TYPE:
            raise ExportError(f"no Lean type for domain {domain}")
        self.domain = domain
        self.ty = LEAN_TYPE[domain]
        self.ascribe = ascribe
        self.rpow_all = rpow_all
        self.nat_vars = nat_vars
        self._need = False

    # -- terms ----------------------------------------------------------------------------------------
    def term(self, e: Expr, anchored: bool = True) -> str:
        self._need = self.ascribe and not anchored and not _anchored(e, self.domain)
        return self._fmt(e)[0]

    def arg(self, e: Expr) -> str:
        """``e`` as an explicit argument of a lemma: atomic or parenthesised, typed when nothing in it fixes
        its type (``(1 : ℝ)``)."""
        self._need = self.ascribe and not _anchored(e, self.domain)
        text = self._at(e, MAX)
        self._need = False
        return text

    def _lit(self, v: int) -> tuple[str, int]:
        if v < 0:
            if self.domain == "nat":
                raise ExportError(f"negative literal {v} over the naturals")
            inner, _ = self._lit(-v)
            return f"-{inner}", NEG
        if self._need:
            self._need = False
            return f"({v} : {self.ty})", MAX
        return str(v), MAX

    def _at(self, e: Expr, level: int) -> str:
        """``e`` where Lean's grammar wants a term of at least ``level``: parenthesised if it is lower."""
        text, prec = self._fmt(e)
        return text if prec >= level else f"({text})"

    def _fmt(self, e: Expr) -> tuple[str, int]:
        op, args, d = e.op, e.args, self.domain
        if op == "int":
            return self._lit(int(e.value))
        if op == "var":
            return lean_ident(str(e.value)), MAX
        if op == "pi":
            if d != "real":
                raise ExportError("pi is not an integer")
            return "Real.pi", MAX
        if op in NO_LEAN:
            raise ExportError(NO_LEAN[op])
        if op == "neg":
            if d == "nat":
                raise ExportError("negation over the naturals")
            text = self._at(args[0], NEG)
            # `--` would open a comment: Lean writes `- -x`
            return ("- " if text.startswith("-") else "-") + text, NEG
        if op in _BIN:
            if op == "mod" and d == "real":
                raise ExportError("% over the reals")
            sym, p = _BIN[op]
            lt = self._at(args[0], p)
            rt = self._at(args[1], p + 1)
            return f"{lt} {sym} {rt}", p
        if op == "pow":
            return self._pow(args[0], args[1]), POW
        if op == "abs":
            if d == "nat":
                raise ExportError("abs over the naturals")
            inner = self._fmt(args[0])[0]
            if inner.startswith("|") or inner.endswith("|"):
                inner = f"({inner})"
            return f"|{inner}|", MAX
        if op == "inv":
            if d != "real":
                raise ExportError("inv over an integer domain")
            # `√x⁻¹` reads as `√(x⁻¹)`: a square root before `⁻¹` keeps its parentheses
            base = self._at(args[0], MAX) if args[0].op != "sqrt" else f"({self._fmt(args[0])[0]})"
            return f"{base}⁻¹", MAX
        saved, self._need = self._need, False
        try:
            if d == "real":
                if op == "sqrt":
                    return f"√{self._at(args[0], MAX)}", MAX
                if op in REAL_FUNCS:
                    return f"{REAL_FUNCS[op]} {self._at(args[0], MAX)}", APP
                raise ExportError(f"operator {op} has no Lean counterpart over the reals")
            if op in ("gcd", "lcm"):
                return self._gcd(op, args), APP
            raise ExportError(f"operator {op} has no Lean counterpart over {d}")
        finally:
            self._need = saved

    def _pow(self, base: Expr, x: Expr) -> str:
        bt = self._at(base, POW + 1)
        saved, self._need = self._need, False
        try:
            if self.domain == "real":
                if is_nat_literal(x) and not self.rpow_all:
                    return f"{bt} ^ {int(x.value)}"
                if self.ascribe:
                    return f"{bt} ^ ({self._fmt(x)[0]} : ℝ)"
                return f"{bt} ^ {self._at(x, POW)}"
            if self.domain == "int" and not _nat_valued(x, self.nat_vars):
                raise ExportError("a power over ℤ whose exponent is not a sum/product of literals "
                                  "(Lean's ^ on ℤ takes a ℕ exponent)")
            return f"{bt} ^ {self._at(x, POW)}"
        finally:
            self._need = saved

    def _gcd(self, op: str, args: tuple[Expr, ...]) -> str:
        if self.domain == "nat":
            if not self.ascribe and not is_nat_literal(args[0]):
                # the goal view uses generalized field notation: `a.gcd b` (not for a numeral receiver)
                return f"{self._at(args[0], MAX)}.{op} {self._at(args[1], MAX)}"
            return f"Nat.{op} {self._at(args[0], MAX)} {self._at(args[1], MAX)}"
        # over ℤ: the GCDMonoid gcd/lcm (non-negative, as ours), exported to the root namespace; generic, so
        # numeral-only arguments need a type
        self._need = self.ascribe and not any(_anchored(a, self.domain) for a in args)
        return f"{op} {self._at(args[0], MAX)} {self._at(args[1], MAX)}"

    # -- statements -----------------------------------------------------------------------------------
    def prop(self, e: Expr) -> str:
        """A comparison as a Lean proposition (one ascription if neither side fixes the type)."""
        if e.op == "dvd":
            sym = "∣"
        elif e.op in RELATIONS:
            sym = RELATIONS[e.op]
        else:
            raise ExportError(f"{e} is not a statement")
        self._need = self.ascribe and not any(_anchored(a, self.domain) for a in e.args)
        lt = self._fmt(e.args[0])[0]
        rt = self._fmt(e.args[1])[0]
        self._need = False
        return f"{lt} {sym} {rt}"

    def equation(self, lhs: Expr, rhs: Expr) -> str:
        """``lhs = rhs`` with the ascription a type-free equation needs."""
        self._need = self.ascribe and not (_anchored(lhs, self.domain) or _anchored(rhs, self.domain))
        lt = self._fmt(lhs)[0]
        self._need = False
        rt = self._fmt(rhs)[0]
        return f"{lt} = {rt}"


def lean_term(e: Expr, domain: str = "real", ascribe: bool = True) -> str:
    """``e`` as a Lean term whose type is fixed by its context (one of ``domain``'s)."""
    return LeanPrinter(domain, ascribe).term(e)


def lean_prop(e: Expr, domain: str = "real", ascribe: bool = True) -> str:
    return LeanPrinter(domain, ascribe).prop(e)


def lean_equation(lhs: Expr, rhs: Expr, domain: str = "real", rpow_all: bool = False,
                  nat_vars: frozenset[str] = frozenset()) -> str:
    """``lhs = rhs`` with the ascription a type-free equation needs."""
    return LeanPrinter(domain, rpow_all=rpow_all, nat_vars=nat_vars).equation(lhs, rhs)


def motive_path(old: Expr, new: Expr, path: tuple[int, ...], domain: str) -> tuple[tuple[int, ...], bool]:
    """Where the congruence step of a rewrite turning statement ``old`` into ``new`` at ``path`` puts its
    hole, and whether the hole has type ℕ.

    Over ℝ the hole is a real: the path stops at a power whose exponent is a ℕ literal in either statement
    (``x ^ 2``: the exponent is not a real term, and a rewrite there changes the kind of power), so that
    the step rewrites the whole power. Over ℤ the hole may go into a power's exponent, which is a ℕ term:
    the hole is then a ℕ. Over ℕ every subterm is a ℕ."""
    out: list[int] = []
    a, b = old, new
    nat_hole = domain == "nat"
    for i in path:
        if domain == "real" and i == 1 and (is_npow(a, "real") or is_npow(b, "real")):
            break
        if domain == "int" and i == 1 and a.op == "pow":
            nat_hole = True
        out.append(i)
        a, b = a.args[i], b.args[i]
    return tuple(out), nat_hole


def at_path(e: Expr, path: tuple[int, ...]) -> Expr:
    for i in path:
        e = e.args[i]
    return e
