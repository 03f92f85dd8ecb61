"""Numeric assertions for soundness tests: rules and proved theorems at random points, 50 digits, under the
three semantics the project's rules are checked in (partial, Lean's and Coq's total conventions)."""

from __future__ import annotations

import itertools
import random
from functools import partial
from typing import Any

import mpmath

import equations as eq
from equations.numeric import (
    SEMANTICS,
    CheckResult,
    Undefined,
    _fmt_env,
    check_theorem,
    holds,
    recheck,
    sample_env,
)
from equations.soundness import check_rule


def assert_rule_sound(rule: eq.Rule, n_points: int = 20, dps: int = 50, seed: int = 0) -> None:
    """AssertionError naming the semantics and the point where ``rule`` fails (see
    :func:`equations.soundness.check_rule`)."""
    res = check_rule(rule, n_points=n_points, dps=dps, seed=seed)
    if not res.ok:
        raise AssertionError(f"rule {rule.id} ({rule.statement()}) is not sound: {res.message}")


def _total(thm: eq.Theorem, sem: str, n_points: int, dps: int, seed: int) -> CheckResult:
    """``thm`` at random points under a total semantics (every point counts where the hypotheses hold)."""
    rng = random.Random(f"{seed}:{sem}")
    names = sorted(thm.variables())
    good = 0
    # the boundary points first (x/0 = 0 and ln 0 = 0 are where total conventions bite), then random ones
    specials = (0, 1) if thm.domain == "nat" else (0, 1, -1)
    corners = [dict(zip(names, p, strict=True)) for p in itertools.product(specials, repeat=len(names))][:27]
    randoms = (sample_env(names, thm.hyps, rng, thm.domain) for _ in range(max(200, 30 * n_points)))
    with mpmath.workdps(dps):
        for env in itertools.chain(({k: _value(v, thm.domain) for k, v in c.items()} for c in corners), randoms):
            try:
                if not all(holds(h, env, sem, thm.domain) for h in thm.hyps):
                    continue
                if not holds(thm.goal, env, sem, thm.domain, lenient=True) and not recheck(
                        partial(holds, thm.goal, env, sem, thm.domain, True), dps):
                    return CheckResult(False, good, f"{sem} semantics: false at {_fmt_env(env)}")
            except Undefined:
                continue
            good += 1
            if (good >= n_points and good > len(corners)) or not names:
                break
    return CheckResult(True, good)


def _value(v: int, domain: str) -> Any:
    return v if domain != "real" else mpmath.mpf(v)


def assert_theorem_true(thm: eq.Theorem, n_points: int = 20, dps: int = 50, seed: int = 0) -> None:
    """AssertionError when ``thm`` is false at a random point: under partial semantics where its hypotheses
    hold and its goal is defined, and under Lean's and (over the reals) Coq's total conventions."""
    res = check_theorem(thm, n_points=n_points, dps=dps, seed=seed)
    if not res.ok and "points satisfy" not in res.message:  # too few points is not a counterexample
        raise AssertionError(f"{thm} is false: {res.message}")
    for sem in SEMANTICS[1:]:
        if sem == "coq" and thm.domain != "real":
            continue
        res = _total(thm, sem, n_points, dps, seed)
        if not res.ok:
            raise AssertionError(f"{thm} is false: {res.message}")


def assert_proof_sound(thm: eq.Theorem, proof: eq.Proof | None, rules: eq.RuleSet, n_points: int = 20,
                       dps: int = 50, seed: int = 0) -> None:
    """The proof checks (:func:`equations.check_proof`) and the theorem it proves is numerically true
    (:func:`assert_theorem_true`): a proof of a false statement fails here whatever accepted it."""
    try:
        eq.check_proof(thm, proof, rules)
    except eq.ProofError as err:
        raise AssertionError(f"the proof of {thm} does not check: {err}") from None
    assert_theorem_true(thm, n_points=n_points, dps=dps, seed=seed)
