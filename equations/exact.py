"""Exact verification of variable-free goals with rationals (``fractions.Fraction``).

This is the only numeric shortcut the engine takes, and it is exact: integers, + - * /, integer powers,
``inv``, ``abs`` of rationals, and over ℕ/ℤ the integer operations. Over ℕ/ℤ only the domain's own
operators are evaluated (no ``inv``, no negation in ℕ, no negative exponents), so every intermediate value
is an integer of the domain. Everything else (exp, ln, sin, sqrt,
pi, ...) makes a goal *not closable numerically*, and so does division by zero or a number too large to
compute. A float is never involved (paper, appendix B.5: float evaluation let a model "prove" 2 = 3).
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from .expr import Expr

#: Results (and intermediate values) larger than this many bits are not computed: the goal stays open.
MAX_BITS = 1 << 16


class _NotRational(Exception):
    """Raised (always a fresh instance: re-raising one shared instance would grow its traceback with
    every raise and keep every frame it passed through alive) when a value is not a checked rational."""


def _check(v: Fraction) -> Fraction:
    if v.numerator.bit_length() > MAX_BITS or v.denominator.bit_length() > MAX_BITS:
        raise _NotRational
    return v


def _floordiv(a: Fraction, b: Fraction) -> Fraction:
    # Integer division and remainder are decided only for a positive divisor, where floor division
    # (Python, Coq's Z.div) and Euclidean division (Lean's Int) agree; otherwise the goal stays open.
    if b <= 0:
        raise _NotRational
    return Fraction(a.numerator // b.numerator) if a.denominator == 1 == b.denominator else Fraction(a // b)


def _ev(e: Expr, domain: str) -> Fraction:
    op = e.op
    if op == "int":
        return _check(Fraction(e.value))
    args = e.args
    if op == "neg":
        if domain == "nat":  # ℕ has no negation: a negative value would leave the domain its rules hold in
            raise _NotRational
        return -_ev(args[0], domain)
    if op == "abs":
        return abs(_ev(args[0], domain))
    if op == "inv":
        if domain != "real":  # a fraction inside an ℤ/ℕ goal is outside the domain its rules hold in
            raise _NotRational
        v = _ev(args[0], domain)
        if v == 0:
            raise _NotRational
        return 1 / v
    if len(args) != 2 or op in ("dvd",):
        raise _NotRational
    a = _ev(args[0], domain)
    b = _ev(args[1], domain)
    if op == "add":
        return _check(a + b)
    if op == "sub":
        r = a - b
        if domain == "nat" and r < 0:
            return Fraction(0)
        return _check(r)
    if op == "mul":
        return _check(a * b)
    if op == "div":
        if b == 0:
            raise _NotRational
        if domain != "real":
            return _floordiv(a, b)
        return _check(a / b)
    if op == "pow":
        if b.denominator != 1:
            raise _NotRational
        n = b.numerator
        if n < 0 and (a == 0 or domain != "real"):  # ℤ/ℕ powers take exponents >= 0 (the rule files' side
            raise _NotRational                     # condition; Coq's Z.pow gives 0, Lean's is on ℕ)
        if a == 0 or a == 1:
            return a if n != 0 else Fraction(1)
        if a == -1:
            return Fraction(1 if n % 2 == 0 else -1)
        bits = max(a.numerator.bit_length(), a.denominator.bit_length())
        if abs(n) * bits > MAX_BITS:
            raise _NotRational
        return a**n
    if domain == "real":
        raise _NotRational
    # integer-only operations; operands are integers in these domains
    if a.denominator != 1 or b.denominator != 1:
        raise _NotRational
    x, y = a.numerator, b.numerator
    if op == "mod":
        if y <= 0:  # see _floordiv: only where floor and Euclidean conventions agree
            raise _NotRational
        return Fraction(x % y)
    if op == "gcd":
        return Fraction(gcd(x, y))
    if op == "lcm":
        return Fraction(0 if x == 0 or y == 0 else abs(x * y) // gcd(x, y))
    raise _NotRational


def exact_value(e: Expr, domain: str = "real") -> Fraction | None:
    """The exact rational value of a variable-free expression, or ``None`` when it is not a rational
    expression (or is undefined, or too large to compute)."""
    if not e.const:
        return None
    try:
        return _ev(e, domain)
    except _NotRational:
        return None
    except (ZeroDivisionError, OverflowError, ValueError, RecursionError):
        return None


def decide(statement: Expr, domain: str = "real") -> bool | None:
    """Truth of a variable-free comparison by exact rational evaluation; ``None`` when undecidable here."""
    if not statement.const or len(statement.args) != 2:
        return None
    a = exact_value(statement.args[0], domain)
    if a is None:
        return None
    b = exact_value(statement.args[1], domain)
    if b is None:
        return None
    op = statement.op
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if op == "lt":
        return a < b
    if op == "le":
        return a <= b
    if op == "gt":
        return a > b
    if op == "ge":
        return a >= b
    if op == "dvd":
        if a.denominator != 1 or b.denominator != 1 or domain == "real":
            return None
        return b.numerator == 0 if a.numerator == 0 else b.numerator % a.numerator == 0
    return None
