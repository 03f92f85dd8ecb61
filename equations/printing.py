"""Printers: infix text (minimal parentheses, parses back to the same tree), prefix tokens, LaTeX.

Infix and prefix strings are cached on the (interned) nodes, so printing a goal that shares subtrees with
one printed before costs only the new nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .expr import BINARY_SYMBOLS, COMPARISONS, MAX_DEPTH, Expr, native_module
from .expr import set_infix as _set_infix
from .expr import set_prefix as _set_prefix

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
        s = _infix_node(e)
    return s if _PREC.get(e.op, _ATOM) >= need else f"({s})"


#: Trees deeper than this are printed bottom-up with an explicit stack (see :func:`_bottom_up`), not by
#: recursion, so a deep tree built through the Python API never exhausts the interpreter's stack.
_RECURSION_DEPTH = 300


def _bottom_up(e: Expr, slot: str, node_printer: Callable[[Expr], str]) -> None:
    """Fill the cached strings (``slot``) of ``e``'s subtrees children first, each node by one
    non-recursive call of ``node_printer`` (its children's strings are cached by then)."""
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, children_done = stack.pop()
        if getattr(node, slot) is not None:
            continue
        if children_done or not node.args:
            node_printer(node)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args)


def _uncached(e: Expr, slot: str, node_printer: Callable[[Expr], str]) -> str:
    if e.depth > _RECURSION_DEPTH:
        _bottom_up(e, slot, node_printer)
    return node_printer(e)


def to_infix(e: Expr) -> str:
    """Infix text with the fewest parentheses that still parse back to exactly this tree."""
    s: str | None = e._infix
    if s is not None:
        return s
    return _infix_node(e) if e.depth <= _RECURSION_DEPTH else _uncached(e, "_infix", _infix_node)


def _infix_node(e: Expr) -> str:
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
        sa = a._infix or _infix_node(a)  # (inlined _wrap: printing new goals is on the environment's step path)
        if _PREC.get(a.op, _ATOM) < lmin:
            sa = f"({sa})"
        sb = b._infix or _infix_node(b)
        if _PREC.get(b.op, _ATOM) < rmin:
            sb = f"({sb})"
        s = sa + sym + sb
    elif op == "neg":
        s = "-" + _wrap(e.args[0], 4)
    elif op in COMPARISONS:
        s = f"{_infix_node(e.args[0])} {COMPARISONS[op]} {_infix_node(e.args[1])}"
    elif op == "dvd":
        s = f"divides({_infix_node(e.args[0])}, {_infix_node(e.args[1])})"
    elif len(e.args) == 1:  # unary functions
        a = e.args[0]
        s = op + "(" + (a._infix or _infix_node(a)) + ")"
    else:  # binary functions
        s = f"{op}({', '.join(_infix_node(a) for a in e.args)})"
    _set_infix(e, s)
    return s


def to_prefix(e: Expr) -> str:
    """Space-separated prefix tokens; integers in the digit-level encoding ``INT+ 1 2 3``."""
    p: str | None = e._prefix
    if p is not None:
        return p
    return _prefix_node(e) if e.depth <= _RECURSION_DEPTH else _uncached(e, "_prefix", _prefix_node)


def _prefix_node(e: Expr) -> str:
    p: str | None = e._prefix
    if p is not None:
        return p
    args = e.args
    if not args:  # variables and pi carry their text from birth, so this is mostly an integer literal
        op = e.op
        p = "INT+ " + " ".join(str(e.value)) if op == "int" else e.value if op == "var" else op
    else:
        a = args[0]
        pa = a._prefix
        if pa is None:
            pa = _prefix_node(a)
        if len(args) == 1:
            p = e.op + " " + pa
        else:
            b = args[1]
            pb = b._prefix
            if pb is None:
                pb = _prefix_node(b)
            p = f"{e.op} {pa} {pb}"
    _set_prefix(e, p)
    return p


if not TYPE_CHECKING and native_module is not None:
    # the same texts, computed and stored in C (deep trees still go bottom-up through _uncached)
    _prefix_node = native_module.prefix
    _infix_node = native_module.infix


def prefix_tokens(e: Expr) -> list[str]:
    """The prefix token list (what a sequence model reads)."""
    return _split(to_prefix(e))


def _split(text: str) -> list[str]:
    return text.split(" ")


if not TYPE_CHECKING and native_module is not None:
    _split = native_module.split_tokens  # the same lists; token strings shared instead of one per token


_LATEX_FUNCS = {
    "exp": r"\exp", "ln": r"\ln", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "sinh": r"\sinh", "cosh": r"\cosh",
    "tanh": r"\tanh", "asinh": r"\operatorname{arsinh}", "acosh": r"\operatorname{arcosh}",
    "atanh": r"\operatorname{artanh}", "gcd": r"\gcd", "lcm": r"\operatorname{lcm}",
}
_LATEX_CMP = {"eq": "=", "ne": r"\neq", "lt": "<", "le": r"\leq", "gt": ">", "ge": r"\geq", "dvd": r"\mid"}


def to_latex(e: Expr) -> str:
    """LaTeX for display (not meant to be parsed back). ValueError for trees deeper than
    :data:`equations.expr.MAX_DEPTH` (nothing the engine builds), which no reader could follow."""
    if e.depth > MAX_DEPTH:
        raise ValueError(f"the expression is nested {e.depth} deep: too deep to show as LaTeX (at most {MAX_DEPTH})")
    return _latex(e)


def _latex(e: Expr) -> str:
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
        return f"{_latex(a[0])} {_LATEX_CMP[op]} {_latex(a[1])}"
    if op == "div":
        return r"\frac{" + _latex(a[0]) + "}{" + _latex(a[1]) + "}"
    if op == "inv":
        return r"\frac{1}{" + _latex(a[0]) + "}"
    if op == "sqrt":
        return r"\sqrt{" + _latex(a[0]) + "}"
    if op == "abs":
        return r"\left|" + _latex(a[0]) + r"\right|"
    if op == "pow":
        base = _latex(a[0])
        if _prec(a[0]) < _ATOM or a[0].op in _LATEX_FUNCS or a[0].op == "pow":
            base = r"\left(" + base + r"\right)"
        return base + "^{" + _latex(a[1]) + "}"
    if op == "neg":
        inner = _latex(a[0])
        return "-" + (inner if _prec(a[0]) >= 3 else r"\left(" + inner + r"\right)")
    if op in ("add", "sub", "mul", "mod"):
        lmin, rmin = _CHILD_MIN[op]
        left = _latex(a[0]) if _prec(a[0]) >= lmin else r"\left(" + _latex(a[0]) + r"\right)"
        right = _latex(a[1]) if _prec(a[1]) >= rmin else r"\left(" + _latex(a[1]) + r"\right)"
        sym = {"add": " + ", "sub": " - ", "mul": r" \cdot ", "mod": r" \bmod "}[op]
        return left + sym + right
    fn = _LATEX_FUNCS.get(op, r"\operatorname{" + op + "}")
    return fn + r"\left(" + ", ".join(_latex(x) for x in a) + r"\right)"
