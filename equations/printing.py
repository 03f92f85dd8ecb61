"""Printers: infix text (minimal parentheses, parses back to the same tree), prefix tokens, LaTeX.

Infix and prefix strings are cached on the (interned) nodes, so printing a goal that shares subtrees with
one printed before costs only the new nodes.
"""

from __future__ import annotations

from .expr import BINARY_SYMBOLS, COMPARISONS, Expr

_set = object.__setattr__

# Precedence levels of the infix grammar (higher binds tighter).
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "mod": 2, "neg": 3, "pow": 4}
_ATOM = 5
# Minimum precedence a child needs to be printed without parentheses: (left, right).
_CHILD_MIN = {
    "add": (1, 2), "sub": (1, 2), "mul": (2, 3), "div": (2, 3), "mod": (2, 3), "pow": (_ATOM, 3),
}
_SPACED = frozenset(("add", "sub", "mod"))
#: the symbol of each binary operator as printed (spaced for the loosest operators)
_SYMBOLS = {op: f" {sym} " if op in _SPACED else sym for op, sym in BINARY_SYMBOLS.items()}


def _prec(e: Expr) -> int:
    return _PREC.get(e.op, _ATOM)


def _wrap(e: Expr, need: int) -> str:
    s = e._infix
    if s is None:
        s = to_infix(e)
    return s if _PREC.get(e.op, _ATOM) >= need else f"({s})"


def to_infix(e: Expr) -> str:
    """Infix text with the fewest parentheses that still parse back to exactly this tree."""
    s: str | None = e._infix
    if s is not None:
        return s
    op = e.op
    if op == "int":
        s = str(e.value)
    elif op == "var":
        s = e.value
    elif op == "pi":
        s = "pi"
    elif op in BINARY_SYMBOLS:
        lmin, rmin = _CHILD_MIN[op]
        sym = _SYMBOLS[op]
        a, b = e.args
        sa = a._infix or to_infix(a)  # (inlined _wrap: printing new goals is on the environment's step path)
        if _PREC.get(a.op, _ATOM) < lmin:
            sa = f"({sa})"
        sb = b._infix or to_infix(b)
        if _PREC.get(b.op, _ATOM) < rmin:
            sb = f"({sb})"
        s = sa + sym + sb
    elif op == "neg":
        s = "-" + _wrap(e.args[0], 4)
    elif op in COMPARISONS:
        s = f"{to_infix(e.args[0])} {COMPARISONS[op]} {to_infix(e.args[1])}"
    elif op == "dvd":
        s = f"divides({to_infix(e.args[0])}, {to_infix(e.args[1])})"
    else:  # functions
        s = f"{op}({', '.join(to_infix(a) for a in e.args)})"
    _set(e, "_infix", s)
    return s


def to_prefix(e: Expr) -> str:
    """Space-separated prefix tokens; integers in the digit-level encoding ``INT+ 1 2 3``."""
    p: str | None = e._prefix
    if p is not None:
        return p
    op = e.op
    if op == "var":
        p = e.value
    elif op == "int":
        p = "INT+ " + " ".join(str(e.value))
    elif op == "pi":
        p = "pi"
    else:
        args = e.args
        a = args[0]
        pa = a._prefix
        if pa is None:
            pa = to_prefix(a)
        if len(args) == 1:
            p = op + " " + pa
        else:
            b = args[1]
            pb = b._prefix
            if pb is None:
                pb = to_prefix(b)
            p = f"{op} {pa} {pb}"
    _set(e, "_prefix", p)
    return p


def prefix_tokens(e: Expr) -> list[str]:
    """The prefix token list (what a sequence model reads)."""
    return to_prefix(e).split(" ")


_LATEX_FUNCS = {
    "exp": r"\exp", "ln": r"\ln", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "sinh": r"\sinh", "cosh": r"\cosh",
    "tanh": r"\tanh", "asinh": r"\operatorname{arsinh}", "acosh": r"\operatorname{arcosh}",
    "atanh": r"\operatorname{artanh}", "gcd": r"\gcd", "lcm": r"\operatorname{lcm}",
}
_LATEX_CMP = {"eq": "=", "ne": r"\neq", "lt": "<", "le": r"\leq", "gt": ">", "ge": r"\geq", "dvd": r"\mid"}


def to_latex(e: Expr) -> str:
    """LaTeX for display (not meant to be parsed back)."""
    op = e.op
    if op == "int":
        return str(e.value)
    if op == "var":
        name: str = e.value
        if len(name) > 1 and "_" not in name:
            greek = {"alpha", "beta", "gamma", "delta", "theta", "phi", "psi", "omega", "lambda", "mu"}
            return "\\" + name if name in greek else r"\mathrm{" + name + "}"
        return name
    if op == "pi":
        return r"\pi"
    a = e.args
    if op in _LATEX_CMP:
        return f"{to_latex(a[0])} {_LATEX_CMP[op]} {to_latex(a[1])}"
    if op == "div":
        return r"\frac{" + to_latex(a[0]) + "}{" + to_latex(a[1]) + "}"
    if op == "inv":
        return r"\frac{1}{" + to_latex(a[0]) + "}"
    if op == "sqrt":
        return r"\sqrt{" + to_latex(a[0]) + "}"
    if op == "abs":
        return r"\left|" + to_latex(a[0]) + r"\right|"
    if op == "pow":
        base = to_latex(a[0])
        if _prec(a[0]) < _ATOM or a[0].op in _LATEX_FUNCS or a[0].op == "pow":
            base = r"\left(" + base + r"\right)"
        return base + "^{" + to_latex(a[1]) + "}"
    if op == "neg":
        inner = to_latex(a[0])
        return "-" + (inner if _prec(a[0]) >= 3 else r"\left(" + inner + r"\right)")
    if op in ("add", "sub", "mul", "mod"):
        lmin, rmin = _CHILD_MIN[op]
        left = to_latex(a[0]) if _prec(a[0]) >= lmin else r"\left(" + to_latex(a[0]) + r"\right)"
        right = to_latex(a[1]) if _prec(a[1]) >= rmin else r"\left(" + to_latex(a[1]) + r"\right)"
        sym = {"add": " + ", "sub": " - ", "mul": r" \cdot ", "mod": r" \bmod "}[op]
        return left + sym + right
    fn = _LATEX_FUNCS.get(op, r"\operatorname{" + op + "}")
    return fn + r"\left(" + ", ".join(to_latex(x) for x in a) + r"\right)"
