"""Conversion to and from sympy."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy
from conftest import exprs
from hypothesis import given

import equations as eq
from equations.numeric import Undefined, evaluate
from equations.sympy_bridge import from_sympy, to_sympy


@pytest.mark.parametrize(
    "text", ["x - y", "-x", "x/y", "sqrt(x) + exp(-x)", "ln(x*y)", "cos(x)**2 + sin(x)**2", "x**-2", "pi/2"]
)
def test_structure_survives_a_round_trip(text: str) -> None:
    e = eq.parse_expr(text)
    assert from_sympy(to_sympy(e)) is e


def test_relations_and_evaluated_sympy() -> None:
    t = eq.parse("x**2 + 1 >= 2*x").goal
    assert isinstance(to_sympy(t), sympy.GreaterThan)
    assert from_sympy(to_sympy(t)) is t
    x = sympy.Symbol("x", real=True)
    assert str(from_sympy(sympy.Rational(3, 4) * x)) == "3/4*x"
    with pytest.raises(ValueError, match="floating-point"):
        from_sympy(sympy.Float(0.5) * x)


@given(exprs(8))
def test_round_trip_preserves_value(e: eq.Expr) -> None:
    back = from_sympy(to_sympy(e))
    rng = random.Random(0)
    env = {v: mpmath.mpf(rng.uniform(0.2, 2)) for v in "xyz"}
    with mpmath.workdps(30):
        try:
            a = evaluate(e, env)
        except (Undefined, ValueError, OverflowError):
            return
        b = evaluate(back, env)
        assert mpmath.almosteq(a, b, rel_eps=mpmath.mpf(10) ** -20, abs_eps=mpmath.mpf(10) ** -20)
