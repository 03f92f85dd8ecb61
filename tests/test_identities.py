"""Tests for the Identities evaluation set (``equations.identities``).

The data are hand-written, so these tests guard against the mistakes hand-writing makes: a false identity,
a missing or too weak hypothesis, a typo that still parses, a duplicated statement, a renumbered id.
"""

from __future__ import annotations

import ast
import importlib
import random
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import mpmath
import pytest

import equations
from equations import identities

Identity = identities.Identity
CATEGORIES = identities.CATEGORIES
load = identities.load
split = identities.split
results_table = identities.results_table

ID_RE = re.compile(r"^(?P<cat>[a-z]+)-\d{3}$")
EQUALITY_CATEGORIES = ("algebra", "explog", "trig", "hyperbolic", "inverse")


def _data_ids() -> list[str]:
    """Ids read straight from the data files (no parsing), so that collection works even if the engine's
    parser is broken and every failure is reported against its own identity."""
    out: list[str] = []
    for cat in CATEGORIES:
        text = resources.files(identities).joinpath("data").joinpath(f"{cat}.txt").read_text(encoding="utf-8")
        out += [ln.split()[0] for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return out


DATA_IDS = _data_ids()


def _by_id() -> dict[str, Identity]:
    return {it.id: it for it in load()}


# --- shape of the set -----------------------------------------------------------------------------------


def test_counts() -> None:
    items = load()
    assert sum(1 for it in items if it.category in EQUALITY_CATEGORIES) >= 250
    assert len(load("inequalities")) >= 25
    assert {it.category for it in items} == set(CATEGORIES)
    assert {it.difficulty for it in items} == {"easy", "medium", "hard"}


def test_ids_unique_and_well_formed() -> None:
    items = load()
    ids = [it.id for it in items]
    assert len(ids) == len(set(ids)) == len(DATA_IDS)
    assert ids == sorted(ids)
    for it in items:
        m = ID_RE.match(it.id)
        assert m is not None and m["cat"] == it.category, it.id
        assert it.difficulty in ("easy", "medium", "hard")


def test_paper_identities_present() -> None:
    """All 47 rows of Table 9 and the two statements of section 7.1.3 are in the set, tagged."""
    items = load()
    assert sum(it.source == "paper table 9" for it in items) == 47
    assert sum(it.source == "paper 7.1.3" for it in items) == 2
    texts = {it.text for it in items}
    assert "cosh(3*x) == 4*cosh(x)**3 - 3*cosh(x)" in texts
    assert "sin(4*x) == cos(x)*(4*sin(x) - 8*sin(x)**3)" in texts


def test_parse_round_trip() -> None:
    for it in load():
        assert isinstance(it.theorem, equations.Theorem)
        again = equations.parse(str(it.theorem))
        assert again == it.theorem, (it.id, str(it.theorem))


_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _key(it: Identity) -> tuple[Any, ...]:
    """Canonical form up to swapping the two sides of the goal (and ordering of the hypotheses)."""
    goal = it.theorem.goal
    a, b = (str(x) for x in goal.args)
    side = min((a, goal.op, b), (b, _FLIP.get(goal.op, goal.op), a))
    return side, frozenset(str(h) for h in it.theorem.hyps), it.theorem.domain


def test_no_duplicates_up_to_swap() -> None:
    seen: dict[tuple[Any, ...], str] = {}
    for it in load():
        k = _key(it)
        assert k not in seen, f"{it.id} duplicates {seen[k]}"
        seen[k] = it.id


# --- truth ------------------------------------------------------------------------------------------------

# Fallback checker, used only while the engine has no ``equations.numeric.check_theorem``: it reads the
# theorem text with Python's ast (the syntax is Python-like) and evaluates it under SYNTAX.md's partial
# semantics.  Failures at near-cancellation points are re-checked at twice the precision with the *same*
# tolerance.

_UNARY: dict[str, Callable[[Any], Any]] = {
    "exp": mpmath.exp, "sin": mpmath.sin, "cos": mpmath.cos, "atan": mpmath.atan, "sinh": mpmath.sinh,
    "cosh": mpmath.cosh, "tanh": mpmath.tanh, "asinh": mpmath.asinh, "abs": abs,
}  # fmt: skip
_PARTIAL: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    "ln": (lambda a: a > 0, mpmath.log),
    "sqrt": (lambda a: a >= 0, mpmath.sqrt),
    "inv": (lambda a: a != 0, lambda a: 1 / a),
    "tan": (lambda a: mpmath.cos(a) != 0, mpmath.tan),
    "asin": (lambda a: -1 <= a <= 1, mpmath.asin),
    "acos": (lambda a: -1 <= a <= 1, mpmath.acos),
    "acosh": (lambda a: a >= 1, mpmath.acosh),
    "atanh": (lambda a: -1 < a < 1, mpmath.atanh),
}
_CMP = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge"}


class _Undefined(Exception):
    pass


def _ev(node: ast.expr, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return mpmath.mpf(node.value)
    if isinstance(node, ast.Name):
        return mpmath.pi if node.id == "pi" else env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_ev(node.operand, env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        a = _ev(node.args[0], env)
        if node.func.id in _PARTIAL:
            ok, f = _PARTIAL[node.func.id]
            if not ok(a):
                raise _Undefined
            return f(a)
        return _UNARY[node.func.id](a)
    if isinstance(node, ast.BinOp):
        a, b = _ev(node.left, env), _ev(node.right, env)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            if b == 0:
                raise _Undefined
            return a / b
        if isinstance(node.op, ast.Pow):
            if b == int(b):
                if a == 0 and b < 0:
                    raise _Undefined
                return a ** int(b)
            if a <= 0:
                raise _Undefined
            return mpmath.exp(b * mpmath.log(a))
    raise AssertionError(f"unsupported syntax: {ast.dump(node)}")


def _statements(text: str) -> tuple[ast.Compare, list[ast.Compare]]:
    goal, _, hyps = text.partition("|")
    parts = [goal] + [h for h in re.split(r"[;,]", hyps) if h.strip()]
    stmts = [ast.parse(p.strip(), mode="eval").body for p in parts]
    assert all(isinstance(s, ast.Compare) and len(s.ops) == 1 for s in stmts), text
    return stmts[0], stmts[1:]  # type: ignore[return-value]


def _compare(stmt: ast.Compare, env: dict[str, Any], tol: Any) -> bool:
    a, b = _ev(stmt.left, env), _ev(stmt.comparators[0], env)
    d = (a - b) / max(mpmath.mpf(1), abs(a), abs(b))
    op = _CMP[type(stmt.ops[0])]
    # Numeric refutation: only a clear violation counts against the statement.
    return bool({"eq": abs(d) <= tol, "ne": d != 0, "lt": d < tol, "le": d <= tol,
                 "gt": d > -tol, "ge": d >= -tol}[op])  # fmt: skip


def _local_check(text: str, n_points: int = 20, dps: int = 50, seed: int = 0) -> tuple[bool, str]:
    goal, hyps = _statements(text)
    names = sorted({n.id for s in (goal, *hyps) for n in ast.walk(s) if isinstance(n, ast.Name)}
                   - set(_UNARY) - set(_PARTIAL) - {"pi"})  # fmt: skip
    rng = random.Random(seed)
    good = 0
    for _ in range(200 * n_points):
        raw = {n: rng.uniform(-3, 3) if rng.random() < 0.8 else rng.uniform(-20, 20) for n in names}
        with mpmath.workdps(dps):
            env = {n: mpmath.mpf(v) for n, v in raw.items()}
            tol = mpmath.mpf(10) ** (12 - dps)
            try:
                if not all(_compare(h, env, mpmath.mpf(0)) for h in hyps):
                    continue
                ok = _compare(goal, env, tol)
            except _Undefined:
                continue
            if not ok:
                with mpmath.workdps(2 * dps):
                    env = {n: mpmath.mpf(v) for n, v in raw.items()}
                    if not _compare(goal, env, tol):
                        return False, f"false at {raw}"
        good += 1
        if good >= n_points or not names:
            return True, ""
    return False, f"only {good} defined points satisfy the hypotheses"


def _check(it: Identity) -> tuple[bool, str]:
    try:
        numeric = importlib.import_module("equations.numeric")
    except ImportError:
        numeric = None
    check_theorem = getattr(numeric, "check_theorem", None)
    if check_theorem is None:
        return _local_check(it.text)
    result = check_theorem(it.theorem, n_points=20, dps=50, seed=0)
    return bool(result.ok), str(result.message)


@pytest.mark.parametrize("identity_id", DATA_IDS)
def test_identity_is_true_numerically(identity_id: str) -> None:
    it = _by_id_cached()[identity_id]
    ok, message = _check(it)
    assert ok, f"{it.id}: {it.text}: {message}"


def test_local_checker_refutes_false_statements() -> None:
    """The fallback checker must be able to fail, or the test above proves nothing."""
    assert not _local_check("sin(2*x) == 2*sin(x)")[0]
    assert not _local_check("ln(x + y) == ln(x) + ln(y) | x > 0; y > 0")[0]
    assert not _local_check("sqrt(x**2) == x")[0]  # a missing hypothesis is caught
    assert not _local_check("exp(x) >= 2 + x")[0]
    assert _local_check("ln(x*y) == ln(x) + ln(y) | x > 0; y > 0")[0]


_CACHE: dict[str, Identity] = {}


def _by_id_cached() -> dict[str, Identity]:
    if not _CACHE:
        _CACHE.update(_by_id())
    return _CACHE


# --- API ---------------------------------------------------------------------------------------------------


def test_load_filters() -> None:
    trig = load(category="trig")
    assert trig and all(it.category == "trig" for it in trig)
    assert [it.id for it in trig] == sorted(it.id for it in trig)
    hard = load(difficulty="hard")
    assert hard and all(it.difficulty == "hard" for it in hard)
    both = load("hyperbolic", "easy")
    assert both == [it for it in load("hyperbolic") if it.difficulty == "easy"]
    assert sum(len(load(c)) for c in CATEGORIES) == len(load())
    sample = next(it for it in load("explog") if it.id == "explog-014")
    assert sample.text == "2*ln(sqrt(x)) == ln(x) | x > 0"
    assert sample.source == "paper table 9"
    assert sample.difficulty == "medium"


def test_load_unknown_category() -> None:
    with pytest.raises(ValueError, match="geometry"):
        load("geometry")
    with pytest.raises(ValueError, match="impossible"):
        load(difficulty="impossible")


def test_malformed_line_reports_file_and_line() -> None:
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:7: malformed"):
        identities._parse_line("data/trig.txt", 7, "trig-1 easy sin(x) == sin(x)", "trig")
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:8: .*difficulty"):
        identities._parse_line("data/trig.txt", 8, "trig-999 trivial: sin(x) == sin(x)", "trig")
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:9: .*category"):
        identities._parse_line("data/trig.txt", 9, "algebra-999 easy: x == x", "trig")
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:10: cannot parse"):
        identities._parse_line("data/trig.txt", 10, "trig-999 easy: sin(x == ", "trig")
    assert identities._parse_line("data/trig.txt", 11, "  # a comment", "trig") is None
    ok = identities._parse_line("data/trig.txt", 12, "trig-999 easy: sin(x) == sin(x)  # note", "trig")
    assert ok is not None and ok.source == "note" and ok.text == "sin(x) == sin(x)"


def test_split_deterministic_and_disjoint() -> None:
    items = load()
    kept, held = split(items, held_out_fraction=0.2, seed=0)
    kept2, held2 = split(list(reversed(items)), held_out_fraction=0.2, seed=0)
    assert {it.id for it in kept} == {it.id for it in kept2}
    assert {it.id for it in held} == {it.id for it in held2}
    assert not {it.id for it in kept} & {it.id for it in held}
    assert len(kept) + len(held) == len(items)
    assert 0.1 * len(items) < len(held) < 0.3 * len(items)
    _, held_other = split(items, held_out_fraction=0.2, seed=1)
    assert {it.id for it in held_other} != {it.id for it in held}
    # Membership depends only on the id: a subset splits the same way.
    _, sub_held = split(items[:50], 0.2, 0)
    assert {it.id for it in sub_held} == {it.id for it in held} & {it.id for it in items[:50]}
    assert split(items, 0.0)[1] == [] and split(items, 1.0)[0] == []


def test_results_table_numbers() -> None:
    items = load("trig")[:4] + load("inverse")[:2]
    results = {items[0].id: True, items[1].id: True, items[2].id: False, items[4].id: True}
    table = results_table(results, items)
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[1:]}
    assert rows["trig"] == ["2", "4", "50.0%"]
    assert rows["inverse"] == ["1", "2", "50.0%"]
    assert rows["all"] == ["3", "6", "50.0%"]
    assert "algebra" not in rows
    full = results_table({})
    assert full.splitlines()[-1].split()[1:3] == ["0", str(len(load()))]
