"""Conversion to and from sympy, for interoperability and as an independent oracle in tests.

``to_sympy`` builds unevaluated sympy trees (``evaluate=False``), so the structure survives: ``x - y``
becomes ``Add(x, Mul(-1, y))`` as sympy itself represents subtraction, and ``from_sympy`` reads that back
as ``x - y``. Symbols carry the domain as assumptions (real, integer, nonnegative integer).
"""

from __future__ import annotations

from typing import Any

import sympy

from .expr import PI, Expr, make, make1, make2, num, var

_UNARY_TO = {
    "exp": sympy.exp, "ln": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin, "acos": sympy.acos,
    "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh, "asinh": sympy.asinh,
    "acosh": sympy.acosh, "atanh": sympy.atanh,
}
_UNARY_FROM = {v: k for k, v in _UNARY_TO.items() if k != "sqrt"}
_REL_TO = {"eq": sympy.Eq, "ne": sympy.Ne, "lt": sympy.Lt, "le": sympy.Le, "gt": sympy.Gt, "ge": sympy.Ge}
_REL_FROM = {sympy.Equality: "eq", sympy.Unequality: "ne", sympy.StrictLessThan: "lt",
             sympy.LessThan: "le", sympy.StrictGreaterThan: "gt", sympy.GreaterThan: "ge"}


def _symbol(name: str, vtype: str | None) -> Any:
    if vtype == "nat":
        return sympy.Symbol(name, integer=True, nonnegative=True)
    if vtype == "int":
        return sympy.Symbol(name, integer=True)
    return sympy.Symbol(name, real=True)


def to_sympy(e: Expr) -> Any:
    """An unevaluated sympy expression (or relational) with the same structure."""
    op = e.op
    if op == "int":
        return sympy.Integer(e.value)
    if op == "var":
        return _symbol(e.value, e.vtype)
    if op == "pi":
        return sympy.pi
    a = [to_sympy(x) for x in e.args]
    if op == "neg":
        return sympy.Mul(sympy.Integer(-1), a[0], evaluate=False)
    if op == "inv":
        return sympy.Pow(a[0], sympy.Integer(-1), evaluate=False)
    if op in _UNARY_TO:
        fn = _UNARY_TO[op]
        if op == "sqrt":
            return sympy.Pow(a[0], sympy.Rational(1, 2), evaluate=False)
        return fn(a[0], evaluate=False)
    if op == "add":
        return sympy.Add(a[0], a[1], evaluate=False)
    if op == "sub":
        return sympy.Add(a[0], sympy.Mul(sympy.Integer(-1), a[1], evaluate=False), evaluate=False)
    if op == "mul":
        return sympy.Mul(a[0], a[1], evaluate=False)
    if op == "div":
        return sympy.Mul(a[0], sympy.Pow(a[1], sympy.Integer(-1), evaluate=False), evaluate=False)
    if op == "pow":
        return sympy.Pow(a[0], a[1], evaluate=False)
    if op == "mod":
        return sympy.Mod(a[0], a[1], evaluate=False)
    if op == "gcd":
        return sympy.Function("gcd")(a[0], a[1])
    if op == "lcm":
        return sympy.Function("lcm")(a[0], a[1])
    if op in _REL_TO:
        return _REL_TO[op](a[0], a[1], evaluate=False)
    if op == "dvd":
        return sympy.Function("divides")(a[0], a[1])
    raise ValueError(f"no sympy form for {op!r}")


def _is_minus_one(x: Any) -> bool:
    return bool(x == sympy.Integer(-1))


def from_sympy(s: Any, domain: str = "real") -> Expr:
    """Read a sympy expression (evaluated or not) back into an :class:`Expr`.

    Rational numbers become divisions, ``Mul(-1, y)`` inside a sum becomes a subtraction, ``x**(-1)``
    becomes ``1/x`` in a product and ``inv(x)`` alone, ``x**(1/2)`` becomes ``sqrt(x)``.
    """
    if isinstance(s, bool) or s is sympy.true or s is sympy.false:
        raise ValueError("a boolean is not an expression")
    if isinstance(s, sympy.Integer):
        return num(int(s))
    if isinstance(s, sympy.Rational):
        return make2("div", num(int(s.p)), num(int(s.q))) if s.p >= 0 else make1(
            "neg", make2("div", num(-int(s.p)), num(int(s.q))))
    if isinstance(s, sympy.Float):
        raise ValueError(f"floating-point number {s} has no exact form; use a rational")
    if s is sympy.pi:
        return PI
    if s is sympy.E:
        return make1("exp", num(1))
    if isinstance(s, sympy.Symbol):
        return var(s.name, domain)
    for cls, op in _REL_FROM.items():
        if isinstance(s, cls):
            return make2(op, from_sympy(s.lhs, domain), from_sympy(s.rhs, domain))
    if isinstance(s, sympy.Add):
        terms = list(s.args)
        out = from_sympy(terms[0], domain)
        for t in terms[1:]:
            if isinstance(t, sympy.Mul) and len(t.args) == 2 and _is_minus_one(t.args[0]):
                out = make2("sub", out, from_sympy(t.args[1], domain))
            else:
                out = make2("add", out, from_sympy(t, domain))
        return out
    if isinstance(s, sympy.Mul):
        factors = list(s.args)
        if len(factors) == 2 and _is_minus_one(factors[0]):
            return make1("neg", from_sympy(factors[1], domain))
        out = from_sympy(factors[0], domain)
        for f in factors[1:]:
            if isinstance(f, sympy.Pow) and _is_minus_one(f.exp):
                out = make2("div", out, from_sympy(f.base, domain))
            else:
                out = make2("mul", out, from_sympy(f, domain))
        return out
    if isinstance(s, sympy.Pow):
        if s.exp == sympy.Rational(1, 2):
            return make1("sqrt", from_sympy(s.base, domain))
        if _is_minus_one(s.exp):
            return make1("inv", from_sympy(s.base, domain))
        return make2("pow", from_sympy(s.base, domain), from_sympy(s.exp, domain))
    if isinstance(s, sympy.Mod):
        return make2("mod", from_sympy(s.args[0], domain), from_sympy(s.args[1], domain))
    if isinstance(s, sympy.exp):
        return make1("exp", from_sympy(s.args[0], domain))
    func = s.func
    if func in _UNARY_FROM:
        return make1(_UNARY_FROM[func], from_sympy(s.args[0], domain))
    name = getattr(func, "__name__", str(func))
    if name in ("gcd", "lcm", "divides") and len(s.args) == 2:
        return make("dvd" if name == "divides" else name, *(from_sympy(a, domain) for a in s.args))
    raise ValueError(f"no Equations form for sympy {func}")
