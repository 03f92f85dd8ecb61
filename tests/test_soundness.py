"""Soundness of the bundled rules (mpmath, 50 digits; partial, Lean and Coq semantics), of the checker
itself (it must reject wrong rules), and of tactic application (backward soundness)."""

from __future__ import annotations

import random

import mpmath
import pytest
from conftest import theorems
from hypothesis import given, settings
from hypothesis import strategies as st

import equations as eq
from equations.numeric import Undefined, holds, random_value
from equations.rules import bundled_rule_sets
from equations.soundness import check_rule

ALL_RULES = [(name, r.id) for name in bundled_rule_sets() for r in eq.load_rules(name)]  # paper too


@pytest.mark.parametrize(("rule_set", "rule_id"), ALL_RULES, ids=[f"{a}:{b}" for a, b in ALL_RULES])
def test_rule_is_sound(rule_set: str, rule_id: str) -> None:
    rule = eq.load_rules(rule_set)[rule_id]
    res = check_rule(rule, n_points=20, dps=50)
    assert res.ok, f"{rule_set}:{rule}: {res.message}"
    assert res.points >= 20


@pytest.mark.parametrize(
    "text",
    [
        "rewrite bad_ln_mul: ln(A*B) == ln(A) + ln(B)",  # undefined for negatives: missing hypotheses
        "rewrite bad_sqrt_sq: sqrt(A**2) == A",  # false for A < 0
        "rewrite bad_div_self: A / A == 1",  # undefined at 0; 0/0 = 0 in Lean and Coq
        "rewrite bad_exp_ln: exp(ln(A)) == A | A >= 0",  # 0 is not enough
        "rewrite bad_sin: sin(A + B) == sin(A)*cos(B) - cos(A)*sin(B)",
        "rewrite bad_rel: A < B <=> A**2 < B**2",
        "assert bad_pos: A > 0 | ln(A) > 0",  # true where defined, false in Lean (ln x = ln |x|)
        "assert bad_lt: A < B | A <= B",
        "assert bad_sin_pi: sin(pi) == 1",
        "assert bad_tiny: exp(-30) == 0",  # a tiny value is not zero (below 10**(-dps/2) it would pass)
        "assert bad_cancel: A == B | A*C == B*C",  # C = 0 breaks it
    ],
)
def test_checker_rejects_wrong_rules(text: str) -> None:
    assert not check_rule(eq.parse_rule(text, "test")).ok


def test_checker_accepts_near_cancellation_and_tiny_values() -> None:
    for text in ["rewrite cosh_sq: cosh(A)**2 - sinh(A)**2 == 1",
                 "assert tiny_pos: exp(A) > 0",
                 "rewrite cos_half_pi: cos(pi/2) == 0"]:
        assert check_rule(eq.parse_rule(text, "test")).ok, text


def _holds_at(thm: eq.Theorem, env: dict[str, object]) -> bool | None:
    """Truth of a theorem's goal at a point where its hypotheses hold; None when undefined there."""
    try:
        if not all(holds(h, env) for h in thm.hyps):
            return None
        return holds(thm.goal, env)
    except (Undefined, ValueError, OverflowError, ZeroDivisionError):
        return None


@settings(max_examples=250)
@given(thm=theorems(6), pick=st.integers(0, 10**6), seed=st.integers(0, 10**6))
def test_backward_soundness(thm: eq.Theorem, pick: int, seed: int, rules: eq.RuleSet) -> None:
    """Wherever all subgoals produced by a tactic hold and the goal is defined, the goal holds."""
    tacs = eq.applicable(thm, rules, max_per_triple=3)
    if not tacs:
        return
    tac = tacs[pick % len(tacs)]
    subgoals = eq.apply(thm, tac, rules)
    rng = random.Random(seed)
    with mpmath.workdps(40):
        for _ in range(5):
            env = {v: random_value(rng) for v in "xyz"}
            truths = [_holds_at(s, env) for s in subgoals]
            if all(t is True for t in truths):
                assert _holds_at(thm, env) in (True, None), f"{thm} via {tac} at {env}"


def _int_statements(domain: str) -> st.SearchStrategy[eq.Expr]:
    from equations.expr import make2, num, var

    leaves = st.one_of(st.sampled_from(["a", "b", "c"]).map(lambda n: var(n, domain)), st.integers(0, 6).map(num))
    terms = st.recursive(
        leaves,
        lambda ch: st.tuples(st.sampled_from(["add", "sub", "mul", "div", "mod", "gcd"]), ch, ch).map(
            lambda t: make2(*t)),
        max_leaves=6,
    )
    return st.tuples(st.sampled_from(["eq", "ne", "lt", "le", "dvd"]), terms, terms).map(lambda t: make2(*t))


@pytest.mark.parametrize("domain", ["nat", "int"])
def test_backward_soundness_over_the_integers(domain: str) -> None:
    """Same property over ℕ (truncated subtraction, floor division) and ℤ, checked exhaustively on a grid."""
    rules = eq.load_rules(domain)
    values = range(0, 7) if domain == "nat" else range(-4, 5)

    @settings(max_examples=150)
    @given(stmt=_int_statements(domain), pick=st.integers(0, 10**6))
    def prop(stmt: eq.Expr, pick: int) -> None:
        thm = eq.Theorem(stmt, (), domain)
        tacs = eq.applicable(thm, rules, max_per_triple=2)
        if not tacs:
            return
        tac = tacs[pick % len(tacs)]
        subgoals = eq.apply(thm, tac, rules)
        for a in values:
            for b in values:
                env = {"a": a, "b": b, "c": (a * b) % 5}
                try:
                    if all(holds(s.goal, env, domain=domain) for s in subgoals):
                        assert holds(thm.goal, env, domain=domain), f"{thm} via {tac} at {env}"
                except Undefined:
                    continue

    prop()


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("exp(-exp(x)) > 0", True),  # holds by margins far below any tolerance
        ("exp(exp(exp(x))) > 0", True),  # overflowing points are skipped, not errors
        ("sin(exp(exp(exp(x))))**2 <= 1", True),  # huge trigonometric arguments are skipped, not slow
        ("exp(x) > 1 + x", False),  # false only at x = 0: an exact tie refutes a strict comparison
        ("x**2 + 1 > 2*x", False),
        ("cosh(x)**2 - sinh(x)**2 == 1", True),  # cancellation resolved by re-checking at higher precision
    ],
)
def test_numeric_oracle_edge_cases(text: str, ok: bool) -> None:
    from equations.numeric import check_theorem

    assert check_theorem(eq.parse(text), n_points=20, dps=50).ok is ok
