"""Our expressions as Lean 4 (Mathlib) terms.

Domains map to ``ℝ``, ``ℕ`` and ``ℤ``. Functions are Mathlib's: ``Real.exp``, ``Real.log``, ``√x``
(``Real.sqrt``), ``Real.sin`` ..., ``Real.arsinh``, ``Real.arcosh``, ``Real.artanh`` (the last two are in
Mathlib since December 2025), ``|x|``, ``x⁻¹``, ``Real.pi``; ``Nat.gcd``/``Nat.lcm`` over ℕ, and over ℤ the
``GCDMonoid`` ``gcd``/``lcm`` (non-negative like ours; ``Int.gcd`` would be ℕ-valued).
Mathlib's total conventions (``x / 0 = 0``, ``Real.log x = Real.log |x|``, ``√x = 0`` for ``x < 0``)
are the ones our rules are checked under (``equations.numeric``, ``sem="lean"``).

**Powers.** ``a ** n`` with ``n`` a non-negative integer literal is a monoid power with a ℕ exponent
(``a ^ 2``); any other exponent is a real power (``Real.rpow``), printed ``a ^ (e : ℝ)``. Over ℕ the exponent
is a ℕ term. Over ℤ, ``^`` takes a ℕ exponent: an exponent built from non-negative literals with ``+ * **``
is printed as that ℕ term (``x ^ (1 + 1)``, same value); a statement with any other ℤ exponent (a variable)
is not exported. A rewrite inside a ℕ exponent (``int_add`` on the ``2`` of ``x ^ 2``) is done at the whole
power, proved by ``norm_num``.

**Numerals** are plain (``x + 3``) when the surrounding arithmetic fixes their type; a comparison whose sides
contain no variable or function gets one ascription, ``(3 : ℝ) + 1 = 4``, as Lean's ``binop%`` elaborator
needs one typed leaf. With ``ascribe=False`` the text is what Lean's pretty-printer shows in a goal.

Terms are printed with Lean's precedences (``+ -`` 65, ``* / %`` 70, prefix ``-`` 75, ``^`` 75 right
associative, application and ``⁻¹`` highest), parenthesising a little more than the pretty-printer does
(``-(x ^ 2)``, function arguments that are not atoms); both parse to the same term.
"""

from __future__ import annotations

from equations import Expr

from .trace import ExportError

LEAN_TYPE = {"real": "ℝ", "nat": "ℕ", "int": "ℤ"}

REAL_FUNCS = {
    "exp": "Real.exp", "ln": "Real.log", "sin": "Real.sin", "cos": "Real.cos", "tan": "Real.tan",
    "asin": "Real.arcsin", "acos": "Real.arccos", "atan": "Real.arctan", "sinh": "Real.sinh",
    "cosh": "Real.cosh", "tanh": "Real.tanh", "asinh": "Real.arsinh",
    # Real.arcosh (mathlib4 #32356) and Real.artanh (#32696) joined Mathlib in December 2025
    "acosh": "Real.arcosh", "atanh": "Real.artanh",
}
#: operators with no Mathlib definition (an exported statement cannot mention them)
NO_LEAN: dict[str, str] = {}

_BIN = {"add": ("+", 65), "sub": ("-", 65), "mul": ("*", 70), "div": ("/", 70), "mod": ("%", 70)}
RELATIONS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
#: relations whose reflexive instances ``rw``/``conv`` close by ``rfl`` (Eq, Iff and the @[refl] lemmas
#: ``le_refl``, ``dvd_refl``; ``≥`` unfolds to ``≤``)
REFLEXIVE = frozenset({"eq", "le", "ge", "dvd"})

MAX = 1024
APP = 1000

#: Lean keywords and global names a bound variable must not be called
LEAN_RESERVED = frozenset(
    """at by do else end fun from have if in let match mut open return show then theorem lemma def
    where with deriving instance structure class namespace section variable universe example abbrev
    calc suffices obtain exact rw sorry Type Prop Sort this forall exists π e pi exp log sqrt abs sin
    cos tan gcd lcm Real Nat Int sq h""".split()
)


def lean_ident(name: str) -> str:
    """A Lean binder name for our variable ``name`` (unchanged unless it would clash)."""
    if name in LEAN_RESERVED or (name.startswith("h") and name[1:].isdigit()) or name.startswith("v_"):
        return f"v_{name}"
    return name


def is_nat_literal(e: Expr) -> bool:
    return e.op == "int" and int(e.value) >= 0


def is_npow(e: Expr, domain: str) -> bool:
    """Printed as a monoid power with a ℕ exponent (the exponent is not a Lean term of the domain's type):
    a literal exponent over ℝ, any exponent over ℤ."""
    return e.op == "pow" and ((domain == "real" and is_nat_literal(e.args[1])) or domain == "int")


def _nat_valued(e: Expr) -> bool:
    """Built from non-negative literals with ``+ * **``: the same value read in ℕ (a ℤ exponent printed as a
    ℕ term)."""
    if e.op == "int":
        return int(e.value) >= 0
    return e.op in ("add", "mul", "pow") and all(_nat_valued(a) for a in e.args)


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
    return True  # a function application: Real.exp, √, Nat.gcd ... fix the type


class LeanPrinter:
    """Prints terms of one domain; ``ascribe`` adds the numeral ascriptions source text needs."""

    def __init__(self, domain: str = "real", ascribe: bool = True, rpow_all: bool = False):
        if domain not in LEAN_TYPE:
            raise ExportError(f"no Lean type for domain {domain}")
        self.domain = domain
        self.ty = LEAN_TYPE[domain]
        self.ascribe = ascribe
        self.rpow_all = rpow_all  # print literal exponents as real powers too (``x ^ (2 : ℝ)``)
        self._need = False

    # -- terms ----------------------------------------------------------------------------------------
    def term(self, e: Expr, anchored: bool = True) -> str:
        self._need = self.ascribe and not anchored and not _anchored(e, self.domain)
        return self._fmt(e)[0]

    def _lit(self, v: int) -> tuple[str, int]:
        if v < 0:
            if self.domain == "nat":
                raise ExportError(f"negative literal {v} over the naturals")
            inner, _ = self._lit(-v)
            return f"-{inner}", 75
        if self._need:
            self._need = False
            return f"({v} : {self.ty})", MAX
        return str(v), MAX

    def _arg(self, e: Expr) -> str:
        """A function argument: an atom, or parenthesised."""
        text, prec = self._fmt(e)
        return text if prec >= MAX else f"({text})"

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
            text, prec = self._fmt(args[0])
            if prec <= 75 or text.startswith("-"):
                text = f"({text})"
            return f"-{text}", 75
        if op in _BIN:
            if op == "mod" and d == "real":
                raise ExportError("% over the reals")
            sym, p = _BIN[op]
            lt, lp = self._fmt(args[0])
            rt, rp = self._fmt(args[1])
            if lp < p:
                lt = f"({lt})"
            if rp <= p:
                rt = f"({rt})"
            return f"{lt} {sym} {rt}", p
        if op == "pow":
            bt, bp = self._fmt(args[0])
            if bp <= 75:
                bt = f"({bt})"
            x = args[1]
            if d == "real":
                if is_nat_literal(x) and not self.rpow_all:
                    return f"{bt} ^ {int(x.value)}", 75
                saved, self._need = self._need, False
                xt = self._fmt(x)[0]
                self._need = saved
                return (f"{bt} ^ ({xt} : ℝ)" if self.ascribe else f"{bt} ^ {self._paren(xt, x)}"), 75
            if d == "int" and not _nat_valued(x):
                raise ExportError("a power over ℤ whose exponent is not a sum/product of literals "
                                  "(Lean's ^ on ℤ takes a ℕ exponent)")
            saved, self._need = self._need, False
            xt, xp = self._fmt(x)
            self._need = saved
            return f"{bt} ^ {xt if xp > 75 else f'({xt})'}", 75
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
            return f"{self._arg(args[0])}⁻¹", MAX
        saved, self._need = self._need, False
        try:
            if d == "real":
                if op == "sqrt":
                    return f"√{self._arg(args[0])}", APP
                if op in REAL_FUNCS:
                    return f"{REAL_FUNCS[op]} {self._arg(args[0])}", APP
                raise ExportError(f"operator {op} has no Lean counterpart over the reals")
            if op in ("gcd", "lcm"):
                # over ℤ: the GCDMonoid gcd/lcm (non-negative, as ours), exported to the root namespace
                head = f"Nat.{op}" if d == "nat" else op
                return f"{head} {self._arg(args[0])} {self._arg(args[1])}", APP
            raise ExportError(f"operator {op} has no Lean counterpart over {d}")
        finally:
            self._need = saved

    @staticmethod
    def _paren(text: str, e: Expr) -> str:
        return text if e.op in ("var", "pi") or is_nat_literal(e) else f"({text})"

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


def lean_term(e: Expr, domain: str = "real", ascribe: bool = True) -> str:
    """``e`` as a Lean term whose type is fixed by its context (one of ``domain``'s)."""
    return LeanPrinter(domain, ascribe).term(e)


def lean_prop(e: Expr, domain: str = "real", ascribe: bool = True) -> str:
    return LeanPrinter(domain, ascribe).prop(e)


def lean_equation(lhs: Expr, rhs: Expr, domain: str = "real", rpow_all: bool = False) -> str:
    """``lhs = rhs`` with the ascription a type-free equation needs."""
    p = LeanPrinter(domain, rpow_all=rpow_all)
    p._need = not (_anchored(lhs, domain) or _anchored(rhs, domain))
    lt = p._fmt(lhs)[0]
    p._need = False
    rt = p._fmt(rhs)[0]
    return f"{lt} = {rt}"


def conv_path(old: Expr, new: Expr, path: tuple[int, ...], domain: str) -> tuple[int, ...]:
    """The longest prefix of ``path`` (a rewrite turning statement ``old`` into ``new``) that Lean's
    ``conv => enter [...]`` can follow: it stops at a power whose exponent is a ℕ literal in either
    statement (a ℕ term inside a real statement), so that the rewrite happens at the whole power. Child
    ``i`` of any of our nodes is explicit argument ``i + 1`` of the Lean application (``Eq a b``,
    ``HAdd.hAdd a b``, ``Real.exp a``, ``abs a``, ``Inv.inv a``, ``HPow.hPow a n``, ``Nat.gcd a b``,
    ``Dvd.dvd a b`` ...)."""
    out: list[int] = []
    a, b = old, new
    for i in path:
        if i == 1 and (is_npow(a, domain) or is_npow(b, domain)):
            break
        out.append(i)
        a, b = a.args[i], b.args[i]
    return tuple(out)


def at_path(e: Expr, path: tuple[int, ...]) -> Expr:
    for i in path:
        e = e.args[i]
    return e


def lean_args(path: tuple[int, ...]) -> str:
    return ", ".join(str(i + 1) for i in path)
