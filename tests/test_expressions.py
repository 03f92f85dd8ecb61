"""Expressions: interning, immutability, parsing and printing round trips, errors with columns."""

from __future__ import annotations

import copy
import os
import pickle

import pytest
from conftest import exprs, statements, theorems
from hypothesis import given

import equations as eq
from equations.expr import Expr, make1, make2, num, var
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


def _own_tokens(e: eq.Expr) -> int:
    """Prefix tokens a node writes itself (an integer literal: INT+ and its digits)."""
    return 1 + len(str(e.value)) if e.op == "int" else 1


def _replace_by_tokens(g: eq.Expr, pos: int, new: eq.Expr) -> str:
    """Reference rewrite on the prefix text: the node's tokens are a contiguous span."""
    nodes = list(g.subterms())
    start = sum(_own_tokens(n) for n in nodes[:pos])
    length = sum(_own_tokens(n) for n in nodes[pos : pos + nodes[pos].size])
    toks = eq.prefix_tokens(g)
    return " ".join(toks[:start] + eq.prefix_tokens(new) + toks[start + length :])


def test_replace_at_every_position_of_shallow_and_deep_trees() -> None:
    """The recursive rewrite (trees up to depth 300) and the loop (deeper ones, built through the API)
    agree with a rewrite of the prefix text at every position; a deep tree is rewritten without recursion."""
    from equations.expr import make1, make2, num, var

    new = eq.parse_expr("z ** 2")
    g = eq.parse("sin(x + 12) * (y - 3) <= -(x / y) + pi").goal
    for pos in range(g.size):
        assert eq.to_prefix(g.replace_at(pos, new)) == _replace_by_tokens(g, pos, new)
    deep: eq.Expr = var("x")
    for i in range(1000):
        deep = make2("add", deep, num(i)) if i % 2 else make1("neg", deep)
    for pos in (1, 2, 500, 999, deep.size - 1):
        assert eq.to_prefix(deep.replace_at(pos, new)) == _replace_by_tokens(deep, pos, new)


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


def test_intern_table_holds_only_live_nodes() -> None:
    """Weak interning: a node's death removes its table entry at once, so a long run that creates and
    drops trees keeps the table at the size of what is alive (memory stays flat); live trees stay unique."""
    from equations.expr import intern_table_size

    keep = eq.parse_expr("x + 1")
    base = intern_table_size()
    peak = 0
    for i in range(100_000):
        make2("add", var("x"), make2("mul", num(i + 10**6), var("y")))
        if i % 1000 == 0:
            peak = max(peak, intern_table_size())
    assert peak <= base + 10
    assert intern_table_size() <= base + 10
    assert eq.parse_expr("x + 1") is keep


def test_interning_by_child_ids_is_sound_when_ids_are_reused() -> None:
    """The table keys nodes by their children's ids. While trees die and their ids are reused by new
    nodes, structurally equal live trees must still be one object and different trees different objects."""
    import random

    rng = random.Random(7)
    ops = ["add", "sub", "mul", "div", "pow"]

    def rand(depth: int) -> Expr:
        if depth == 0 or rng.random() < 0.3:
            return var(rng.choice("xyz")) if rng.random() < 0.5 else num(rng.randrange(4))
        if rng.random() < 0.2:
            return make1(rng.choice(["neg", "exp", "ln"]), rand(depth - 1))
        return make2(rng.choice(ops), rand(depth - 1), rand(depth - 1))

    live: dict[str, Expr] = {}
    for round_ in range(30):
        for _ in range(300):  # churn: trees that die at once, freeing ids for the next nodes
            rand(5)
        for _ in range(100):
            e = rand(5)
            text = eq.to_prefix(e)
            if text in live:
                assert live[text] is e
            else:
                assert all(other is not e for other in live.values())
                live[text] = e
        if round_ % 3 == 0:  # drop some live trees so their ids are reused
            for text in list(live)[::2]:
                del live[text]
    for text, e in live.items():
        assert eq.parse_prefix(text) is e


def test_printing_does_not_depend_on_stored_text() -> None:
    """Printers store text on nodes (leaves get theirs at birth); with every stored text cleared, as a
    cold benchmark does, they print the same (a leaf without text used to print as an integer)."""
    from equations.expr import set_infix, set_prefix

    thm = eq.parse("sin(x + 12) * (y - 3) <= -(x / y) + pi | x > 0")
    nodes = [n for e in (thm.goal, *thm.hyps) for n in e.subterms()]
    before = [(eq.to_prefix(n), eq.to_infix(n)) for n in nodes]
    for clear in (set_prefix, set_infix):
        for n in nodes:
            clear(n, None)
    assert [(eq.to_prefix(n), eq.to_infix(n)) for n in nodes] == before
    assert str(eq.parse(str(thm))) == str(thm)


def test_intern_table_finds_every_survivor_after_deletions() -> None:
    """The intern table (native: open addressing with backward-shift deletion) must find every live node
    after arbitrary deletions: a node that a broken probe chain hides would be built a second time, and two
    objects for one expression break identity equality, which matching and proof checking rely on."""
    import random

    from equations.expr import intern_table_size

    rng = random.Random(11)
    x = var("x")
    base = intern_table_size()
    nodes = {i: make2("add", x, num(10**7 + i)) for i in range(20_000)}
    for _ in range(6):
        for i in rng.sample(sorted(nodes), len(nodes) // 3):
            del nodes[i]
        for i in rng.sample(range(20_000, 40_000), 2_000):  # new keys land in the freed slots
            nodes.setdefault(i, make2("add", x, num(10**7 + i)))
        for i, e in nodes.items():
            assert make2("add", x, num(10**7 + i)) is e
            assert e.args[1].value == 10**7 + i
        assert intern_table_size() == base + 2 * len(nodes)
    nodes.clear()
    assert intern_table_size() <= base + 2


def test_native_and_pure_python_build_the_same_trees() -> None:
    """The native node type and the pure-Python fallback (``EQUATIONS_PURE_PYTHON=1``) are one interface:
    the same texts parse, print, rewrite, generate (walk and graph theorems) and step the environment
    (action counts, observations, proofs) identically in both."""
    import subprocess
    import sys

    script = (
        "import hashlib, equations as eq, equations.expr as ex\n"
        "from equations import identities\n"
        "from equations.generators import GraphGenerator, RandomWalkGenerator\n"
        "h = hashlib.sha256()\n"
        "for t in identities.load():\n"
        "    g = t.theorem\n"
        "    p = eq.to_prefix(g.goal)\n"
        "    assert eq.parse_prefix(p) is g.goal\n"
        "    h.update((p + eq.to_infix(g.goal) + str(g.goal.size) + str(g.goal.depth)).encode())\n"
        "    for rule, d, pos in eq.applicable_triples(g, eq.load_rules('paper'))[:5]:\n"
        "        h.update(repr((rule.id, d, pos)).encode())\n"
        "for gen in (RandomWalkGenerator('default'), GraphGenerator('default')):\n"
        "    for g in gen.generate(30, seed=5):\n"
        "        h.update((str(g.theorem) + repr(g.proof)).encode())\n"
        "import numpy as np, gymnasium as gym\n"
        "env = gym.make('equations/Equations-v0').unwrapped\n"
        "obs, info = env.reset(seed=3)\n"
        "rng = np.random.default_rng(3)\n"
        "for _ in range(300):\n"
        "    valid = np.flatnonzero(obs['action_mask'])\n"
        "    obs, r, term, trunc, info = env.step(int(valid[rng.integers(len(valid))]))\n"
        "    h.update((str(len(valid)) + obs['goal'] + repr(info['proof'])).encode())\n"
        "    if term or trunc:\n"
        "        obs, info = env.reset()\n"
        "print(ex.NATIVE, h.hexdigest())\n"
    )
    out = {}
    for pure in ("0", "1"):
        env = {**os.environ, "EQUATIONS_PURE_PYTHON": pure}
        res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        out[pure] = res.stdout.split()
    assert out["1"][0] == "False"
    if out["0"][0] == "False":
        pytest.skip("the native extension is not built here")
    assert out["0"][1] == out["1"][1]


def test_interning_a_literal_whose_equality_runs_code_stays_sound() -> None:
    """Looking a leaf up compares values with ``==``, which may run Python code that builds and frees nodes
    (the intern table grows and moves meanwhile): the lookup must start again, not read a stale table.
    Native only: the pure-Python table is a dict, whose lookup restarts on every mutation, forever here."""
    from equations.expr import NATIVE

    if not NATIVE:
        pytest.skip("a property of the native intern table")

    class Noisy(int):
        def __eq__(self, other: object) -> bool:
            junk = [make2("add", var("x"), num(10**8 + i)) for i in range(3000)]  # grows the table
            del junk
            return int.__eq__(self, other)  # type: ignore[no-any-return]

        __hash__ = int.__hash__

    five = num(5)
    for _ in range(3):
        assert num(Noisy(5)) is five
    assert num(Noisy(5)).value == 5
