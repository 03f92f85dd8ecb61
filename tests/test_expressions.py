"""Expressions: interning, immutability, parsing and printing round trips, errors with columns."""

from __future__ import annotations

import copy
import pickle

import pytest
from conftest import exprs, statements, theorems
from hypothesis import given

import equations as eq
from equations.expr import make2, num, var
from equations.printing import prefix_tokens


def test_interning_makes_equal_trees_identical() -> None:
    a = eq.parse_expr("cos(x)**2 + sin(x)**2")
    b = eq.parse_expr("(cos(x)**2) + (sin(x)**2)")
    assert a is b
    assert a == b and hash(a) == hash(b)
    assert eq.parse_expr("x + 1") is not eq.parse_expr("1 + x")


def test_expressions_are_immutable_and_copy_to_themselves() -> None:
    e = eq.parse_expr("x + 1")
    with pytest.raises(AttributeError):
        e.op = "sub"  # type: ignore[misc]
    assert copy.copy(e) is e and copy.deepcopy(e) is e
    assert pickle.loads(pickle.dumps(e)) is e


def test_sizes_positions_and_replace() -> None:
    g = eq.parse("(x + y) + 1 == z").goal
    assert eq.to_prefix(g) == "eq add add x y INT+ 1 z"
    assert g.size == 7
    assert [str(g.at(i)) for i in range(g.size)] == ["x + y + 1 == z", "x + y + 1", "x + y", "x", "y", "1", "z"]
    assert str(g.replace_at(2, eq.parse_expr("y + x"))) == "y + x + 1 == z"
    with pytest.raises(IndexError):
        g.at(7)


@pytest.mark.parametrize(
    "text",
    [
        "cos(x)**2 + sin(x)**2 == 1",
        "2*ln(sqrt(x)) == ln(x) | x > 0",
        "x - y - (x + y) + 2*y == 0",
        "ln(x*y) == ln(x) + ln(y) | x > 0; y > 0",
        "-x**2 + (-x)**2 == 2**-1**2",
        "a*(b/c) - a/(b*c) == (a**b)**c",
        "nat: a - b <= a",
        "int: divides(a, a*b) | a != 0",
        "x - (y - z) != -(-x)",
        "abs(x) >= 0",
        "123456789012345678901234567890 > 1",
    ],
)
def test_theorem_text_round_trip(text: str) -> None:
    thm = eq.parse(text)
    assert eq.parse(str(thm)) == thm
    assert str(eq.parse(str(thm))) == str(thm)


def test_hypothesis_separators_and_domains() -> None:
    a = eq.parse("ln(x*y) == ln(x) + ln(y) | x > 0, y > 0")
    b = eq.parse("ln(x*y) == ln(x) + ln(y) | x > 0; y > 0")
    assert a == b and len(a.hyps) == 2
    t = eq.parse("nat: a - b <= a")
    assert t.domain == "nat" and t.goal.args[0].args[0].vtype == "nat"
    assert eq.parse("a - b <= a", domain="int").domain == "int"


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x +", 4, "expected an expression"),
        ("cos x == 1", 5, "expected '('"),
        ("x = 1", 3, "expected a comparison"),
        ("sin(x, y) == 1", 6, "one argument"),
        ("foo(x) == 1", 1, "unknown function"),
        ("x % 2 == 0", 3, "int and nat"),
        ("add == 1", 1, "reserved"),
        ("x == 1 | y", 11, "comparison"),
        ("(x + 1 == 2", 8, "expected ')'"),
        ("nat: -a == 1", 6, "negation"),
        ("x == 1 $", 8, "unexpected '$'"),
        ("x == 1.5", 7, "decimal numbers are not supported"),
    ],
)
def test_parse_errors_name_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(eq.ParseError) as info:
        eq.parse(text)
    assert info.value.column == column, str(info.value)
    assert fragment in str(info.value)


def test_prefix_encoding_and_errors() -> None:
    e = eq.parse_expr("x + 1234")
    assert prefix_tokens(e) == ["add", "x", "INT+", "1", "2", "3", "4"]
    assert eq.parse_prefix("add x INT+ 1 2 3 4") is e
    assert eq.parse_prefix("neg INT+ 5") is eq.parse_prefix("INT- 5")
    for bad in ("add x", "add x y z", "INT+", "1 2", "add x 1", "", "eq @ x"):
        with pytest.raises(eq.ParseError):
            eq.parse_prefix(bad)


@given(statements())
def test_infix_round_trip(stmt: eq.Expr) -> None:
    assert eq.parse_expr(eq.to_infix(stmt)) is stmt


@given(statements())
def test_prefix_round_trip(stmt: eq.Expr) -> None:
    assert eq.parse_prefix(eq.to_prefix(stmt)) is stmt
    assert eq.parse_prefix(prefix_tokens(stmt)) is stmt


@given(theorems())
def test_theorem_round_trip(thm: eq.Theorem) -> None:
    assert eq.parse(str(thm)) == thm


@given(exprs())
def test_pickle_round_trip(e: eq.Expr) -> None:
    assert pickle.loads(pickle.dumps(e)) is e


def test_latex() -> None:
    assert eq.to_latex(eq.parse_expr("sqrt(x)/2 + abs(y)**2")) == r"\frac{\sqrt{x}}{2} + \left|y\right|^{2}"
    assert eq.parse("x <= y | y != 0").to_latex() == r"y \neq 0 \implies x \leq y"


def test_operator_overloads_build_interned_trees() -> None:
    x, y = var("x"), var("y")
    assert (x + 1) * y is eq.parse_expr("(x + 1)*y")
    assert -x**2 is eq.parse_expr("-x**2")
    assert make2("sub", num(2), x) is 2 - x


def test_intern_table_stays_bounded_when_expressions_die() -> None:
    """Weak interning: a long run that creates and drops trees keeps the table within the sweep threshold
    (twice the live entries, at least 65,536), so memory stays flat; live trees stay unique."""
    from equations.expr import _sweep, intern_table_size

    keep = eq.parse_expr("x + 1")
    _sweep()
    base = intern_table_size()
    peak = 0
    for i in range(200_000):
        make2("add", var("x"), make2("mul", num(i + 10**6), var("y")))
        if i % 1000 == 0:
            peak = max(peak, intern_table_size())
    assert peak <= 2 * base + 2 * 65_536
    _sweep()
    assert intern_table_size() <= base + 100
    assert eq.parse_expr("x + 1") is keep
