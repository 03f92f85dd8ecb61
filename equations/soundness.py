"""Numeric soundness checks of rules (used by the test suite and ``equations rules --check``).

A rule passes when, at random points (50 digits by default):

* ``partial`` semantics: wherever its hypotheses are defined and true, both sides of a rewrite (or the
  conclusion of an assertion, or both comparisons of a relational rewrite) are *defined* and the rule
  holds. Undefined sides under true hypotheses mean a missing hypothesis.
* ``lean`` and ``coq`` total semantics: wherever the hypotheses are true, the rule holds. This is what
  makes a proof sound whatever the substitutions: undefined subterms get the total value.

Integer-literal arithmetic rules (``arith``) are exact by construction and checked exhaustively on
small integers instead.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import mpmath

from .expr import Expr, make2, num
from .numeric import SEMANTICS, CheckResult, Undefined, _fmt_env, compare, evaluate, holds, recheck, sample_env
from .rules import Rule, RuleSet
from .tactics import InvalidTactic, _arith


def _conclusion_holds(rule: Rule, env: dict[str, Any], sem: str) -> bool:
    d = rule.domain
    if rule.kind == "assert":
        assert rule.concl is not None
        return holds(rule.concl, env, sem, d)
    assert rule.lhs is not None and rule.rhs is not None
    if rule.relational:
        return holds(rule.lhs, env, sem, d) == holds(rule.rhs, env, sem, d)
    a = evaluate(rule.lhs, env, sem, d)
    b = evaluate(rule.rhs, env, sem, d)
    return compare("eq", a, b, d)


def _hyps_hold(rule: Rule, env: dict[str, Any], sem: str) -> bool:
    """Hypotheses true at ``env``; an undefined hypothesis counts as not true."""
    try:
        return all(holds(h, env, sem, rule.domain) for h in rule.hyps)
    except Undefined:
        return False


def _check_arith(rule: Rule) -> CheckResult:
    op = rule.arith_op
    assert op is not None
    lo = 0 if rule.domain == "nat" else -12
    n = 0
    for a in range(lo, 13):
        for b in range(lo, 13):
            if op == "pow" and b < 0:
                continue
            node = make2(op, num(a), num(b))
            try:
                value = _arith(rule, "fwd", node, _NO_TACTIC, rule.domain)
            except InvalidTactic:
                continue
            expected = evaluate(node, {}, "partial", rule.domain if rule.domain != "real" else "int")
            got = evaluate(value, {}, "partial", rule.domain if rule.domain != "real" else "int")
            if expected != got:
                return CheckResult(False, n, f"{a} {op} {b} gave {got}, expected {expected}")
            n += 1
    return CheckResult(True, n)


class _NoTactic:
    subs: tuple[tuple[str, Expr], ...] = ()


_NO_TACTIC: Any = _NoTactic()


def check_rule(rule: Rule, n_points: int = 20, dps: int = 50, seed: int = 0) -> CheckResult:
    """Check ``rule`` as described in the module docstring; the message names the semantics and point."""
    if rule.kind == "arith":
        return _check_arith(rule)
    rng = random.Random(f"{rule.id}:{seed}")
    names = rule.variables()
    good = 0
    tries = max(600, 80 * n_points)
    with mpmath.workdps(dps):
        for attempt in range(tries):
            env = sample_env(names, rule.hyps, rng, rule.domain)
            # total semantics: every point, hypotheses judged in the same semantics
            for sem in SEMANTICS[1:]:
                if rule.domain != "real" and sem == "coq":
                    continue
                try:
                    if _hyps_hold(rule, env, sem) and not _conclusion_holds(rule, env, sem):
                        if not _recheck(rule, env, sem, dps):
                            return CheckResult(False, good, f"{sem} semantics: false at {_fmt_env(env)}")
                except Undefined:
                    pass
            if not _hyps_hold(rule, env, "partial"):
                continue
            try:
                ok = _conclusion_holds(rule, env, "partial")
            except Undefined:
                return CheckResult(
                    False, good, f"undefined at {_fmt_env(env)} although the hypotheses hold (missing hypothesis?)"
                )
            if not ok and not _recheck(rule, env, "partial", dps):
                return CheckResult(False, good, f"false at {_fmt_env(env)}")
            good += 1
            if good >= n_points and attempt >= 2 * n_points:
                return CheckResult(True, good)
    if good >= n_points:
        return CheckResult(True, good)
    return CheckResult(False, good, f"only {good} of {n_points} sampled points satisfy the hypotheses")


def _recheck(rule: Rule, env: dict[str, Any], sem: str, dps: int) -> bool:
    return recheck(lambda: _conclusion_holds(rule, env, sem), dps)


def check_rules(rules: RuleSet | Iterable[Rule], n_points: int = 20, dps: int = 50,
                seed: int = 0) -> dict[str, CheckResult]:
    """:func:`check_rule` for every rule; returns the failures only, by rule id."""
    out: dict[str, CheckResult] = {}
    for r in rules:
        res = check_rule(r, n_points, dps, seed)
        if not res.ok:
            out[r.id] = res
    return out
