"""High-precision numeric checking (mpmath) of theorems and rules, for tests and generators.

This module never closes a goal: the engine's only numeric shortcut is exact rational evaluation
(:mod:`equations.exact`). Here we *test* statements at random points, under three semantics:

``partial``  the mathematical one: ln/sqrt of negatives, x/0, tan at cos = 0 ... are undefined.
``lean``     Mathlib's total conventions: x/0 = 0, log x = log |x|, sqrt x = 0 for x < 0, ...
``coq``      Coq's Reals conventions: x/0 = 0, ln x = 0 for x <= 0, sqrt x = 0 for x < 0, ...

A rule is sound when, under its hypotheses, both sides are defined and equal in ``partial`` semantics,
*and* it holds in the total semantics. The second part matters: a proof may instantiate a rule with
undefined subterms (substitutions are arbitrary), and the argument "every step is valid in a total
semantics, so the theorem is, so it holds wherever it is defined" needs every rule valid in one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import mpmath

from .expr import Expr
from .theorem import Theorem

SEMANTICS = ("partial", "lean", "coq")


class Undefined(Exception):
    """The expression has no value at this point (partial semantics). Always raised as a fresh instance (a
    shared one would accumulate tracebacks, and with them every frame it passed through)."""


#: |argument| beyond which trigonometric functions are not evaluated (the test point is skipped)
_TRIG_LIMIT = 10**8
_EXP_LIMIT = 10**9


def _isint(x: Any) -> bool:
    return bool(mpmath.isint(x))


def _real_unary(op: str, x: Any, sem: str) -> Any:
    mp = mpmath
    if op == "neg":
        return -x
    if op == "exp":
        if x > _EXP_LIMIT:
            raise Undefined  # e**(10**9) and beyond: not evaluable in reasonable memory, skip the point
        return mp.exp(x)
    if op == "ln":
        if x > 0:
            return mp.log(x)
        if sem == "partial":
            raise Undefined
        if sem == "lean":
            return mp.log(abs(x)) if x != 0 else mp.mpf(0)
        return mp.mpf(0)
    if op == "sqrt":
        if x >= 0:
            return mp.sqrt(x)
        if sem == "partial":
            raise Undefined
        return mp.mpf(0)
    if op == "abs":
        return abs(x)
    if op == "inv":
        if x == 0:
            if sem == "partial":
                raise Undefined
            return mp.mpf(0)
        return 1 / x
    if op in ("sin", "cos", "tan") and abs(x) > _TRIG_LIMIT:
        raise Undefined  # reducing a huge argument mod pi needs that many digits of pi: skip the point
    if op == "sin":
        return mp.sin(x)
    if op == "cos":
        return mp.cos(x)
    if op == "tan":
        c = mp.cos(x)
        if c == 0:
            if sem == "partial":
                raise Undefined
            return mp.mpf(0)
        return mp.sin(x) / c
    if op in ("asin", "acos"):
        if x < -1 or x > 1:
            if sem == "partial":
                raise Undefined
            x = mp.mpf(-1) if x < -1 else mp.mpf(1)
        return mp.asin(x) if op == "asin" else mp.acos(x)
    if op == "atan":
        return mp.atan(x)
    if op in ("sinh", "cosh") and abs(x) > _EXP_LIMIT:
        raise Undefined
    if op == "sinh":
        return mp.sinh(x)
    if op == "cosh":
        return mp.cosh(x)
    if op == "tanh":
        return mp.tanh(x)
    if op == "asinh":
        return mp.asinh(x)
    if op == "acosh":
        if x >= 1:
            return mp.acosh(x)
        if sem == "partial":
            raise Undefined
        # total convention: log(x + sqrt(x^2 - 1)) with the semantics' own log and sqrt
        return _real_unary("ln", x + _real_unary("sqrt", x * x - 1, sem), sem)
    if op == "atanh":
        if -1 < x < 1:
            return mp.atanh(x)
        if sem == "partial":
            raise Undefined
        q = _real_binary("div", 1 + x, 1 - x, sem)
        return _real_unary("ln", q, sem) / 2
    raise ValueError(f"no real semantics for {op!r}")


def _real_binary(op: str, a: Any, b: Any, sem: str) -> Any:
    mp = mpmath
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        if b == 0:
            if sem == "partial":
                raise Undefined
            return mp.mpf(0)
        return a / b
    if op == "pow":
        if _isint(b):
            n = int(b)
            if a == 0 and n < 0:
                if sem == "partial":
                    raise Undefined
                return mp.mpf(0)
            if abs(n) > 10**6:
                raise Undefined
            return mp.power(a, n)
        if a > 0:
            return mp.exp(b * mp.log(a))
        if sem == "partial":
            raise Undefined
        if sem == "lean":
            if a == 0:
                return mp.mpf(0)
            return mp.exp(b * mp.log(-a)) * mp.cos(b * mp.pi)
        return mp.mpf(1)  # coq: Rpower x y = exp (y * ln x), ln x = 0 for x <= 0
    raise ValueError(f"no real semantics for {op!r}")


def _int_binary(op: str, a: int, b: int, sem: str, nat: bool) -> int:
    if op == "add":
        return a + b
    if op == "sub":
        return max(a - b, 0) if nat else a - b
    if op == "mul":
        return a * b
    if op in ("div", "mod"):
        if b == 0:
            if sem == "partial":
                raise Undefined
            return 0 if op == "div" else a
        if sem == "lean" and not nat and b < 0:
            r = a % -b  # Mathlib's Int division is Euclidean: 0 <= r < |b|
            return (a - r) // b if op == "div" else r
        return a // b if op == "div" else a % b
    if op == "pow":
        if b < 0:
            raise Undefined
        if b > 4096:
            raise Undefined
        return int(a**b)
    if op == "gcd":
        from math import gcd

        return gcd(a, b)
    if op == "lcm":
        from math import gcd

        return 0 if a == 0 or b == 0 else abs(a * b) // gcd(a, b)
    raise ValueError(f"no integer semantics for {op!r}")


def evaluate(e: Expr, env: Mapping[str, Any], sem: str = "partial", domain: str = "real") -> Any:
    """The value of ``e`` (mpmath number, or int over ℕ/ℤ); raises :class:`Undefined` (partial only)."""
    op = e.op
    if op == "var":
        return env[e.value]
    if op == "int":
        return e.value if domain != "real" else mpmath.mpf(e.value)
    if op == "pi":
        return +mpmath.pi
    args = e.args
    if len(args) == 1:
        x = evaluate(args[0], env, sem, domain)
        if domain != "real":
            if op == "neg":
                return -x
            if op == "abs":
                return abs(x)
            raise ValueError(f"{op} is not an integer operation")
        return _real_unary(op, x, sem)
    a = evaluate(args[0], env, sem, domain)
    b = evaluate(args[1], env, sem, domain)
    if domain != "real":
        return _int_binary(op, a, b, sem, domain == "nat")
    return _real_binary(op, a, b, sem)


def _tol() -> Any:
    """Half the working digits: a cancellation of c digits resolves once dps >= 2c (see :func:`recheck`),
    while a genuinely tiny value stays distinguishable from 0 down to 10**(-dps/2)."""
    return mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))


def compare(op: str, a: Any, b: Any, domain: str = "real", lenient: bool = False) -> bool:
    """Truth of ``a op b``; over the reals two values within 10**(-dps/2) (relative to max(1, |a|, |b|))
    count as equal."""
    if domain != "real":
        if op == "dvd":
            return bool(b == 0) if a == 0 else bool(b % a == 0)
        return bool({"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op])
    if op == "dvd":
        raise ValueError("divides is an integer relation")
    scale = max(mpmath.mpf(1), abs(a), abs(b))
    d = (a - b) / scale
    t = _tol()
    if lenient and op != "eq":
        # Only a clear violation refutes the statement under test: exp(-2000) > 0 holds by a margin far
        # below any tolerance. Hypotheses are judged strictly (never lenient), so boundary points such
        # as x = pi/2 for "x < pi/2" are not taken as satisfying them.
        if op == "ne":
            return bool(d != 0)
        if op == "lt":  # an exactly zero difference is a clear violation of a strict comparison
            return bool(d < t and d != 0)
        if op == "le":
            return bool(d <= t)
        if op == "gt":
            return bool(d > -t and d != 0)
        if op == "ge":
            return bool(d >= -t)
    if op == "eq":
        return bool(abs(d) <= t)
    if op == "ne":
        return bool(abs(d) > t)
    if op == "lt":
        return bool(d < -t)
    if op == "le":
        return bool(d <= t)
    if op == "gt":
        return bool(d > t)
    if op == "ge":
        return bool(d >= -t)
    raise ValueError(f"not a comparison: {op!r}")


def holds(stmt: Expr, env: Mapping[str, Any], sem: str = "partial", domain: str = "real",
          lenient: bool = False) -> bool:
    """Truth of a comparison at a point; raises :class:`Undefined` when a side is undefined or cannot be
    computed (overflow). ``lenient`` is for the statement under test: see :func:`compare`."""
    try:
        a = evaluate(stmt.args[0], env, sem, domain)
        b = evaluate(stmt.args[1], env, sem, domain)
    except (OverflowError, ZeroDivisionError, MemoryError) as err:
        raise Undefined(type(err).__name__) from None
    return compare(stmt.op, a, b, domain, lenient)


# --- sampling ---------------------------------------------------------------------------------------------

_SPECIAL = ("0", "1", "-1", "2", "-2", "1/2", "-1/2", "3")


def random_value(rng: random.Random, domain: str = "real") -> Any:
    """A random test value: special values, small reals, wide magnitudes (and integers over ℕ/ℤ)."""
    if domain == "nat":
        return rng.choice((0, 1, 2, 3)) if rng.random() < 0.3 else rng.randint(0, 30)
    if domain == "int":
        return rng.choice((0, 1, -1, 2, -2)) if rng.random() < 0.3 else rng.randint(-25, 25)
    u = rng.random()
    if u < 0.15:
        s = rng.choice(_SPECIAL)
        return mpmath.mpf(mpmath.fraction(*map(int, s.split("/")))) if "/" in s else mpmath.mpf(int(s))
    if u < 0.2:
        return rng.choice((1, -1)) * mpmath.pi / rng.choice((1, 2, 3, 4, 6))
    if u < 0.6:
        return mpmath.mpf(rng.uniform(-3, 3))
    if u < 0.75:
        return mpmath.mpf(rng.uniform(0, 1))
    return rng.choice((1, -1)) * mpmath.exp(mpmath.mpf(rng.uniform(-6, 6)))


def _solve_equalities(
    hyps: Iterable[Expr], env: dict[str, Any], rng: random.Random, domain: str, frozen: set[str]
) -> None:
    """Make equality hypotheses true by solving each for one of its variables (numerically over ℝ,
    by search over small integers over ℕ/ℤ), so that rules like ``A*C == B*C, C != 0 => A == B`` are
    tested at points where their hypotheses hold, not skipped."""
    for h in hyps:
        if h.op != "eq":
            continue
        try:
            if holds(h, env, "partial", domain):
                continue
        except Undefined:
            pass
        names = sorted(h.variables() - frozen)
        rng.shuffle(names)
        for name in names:
            if _solve_one(h, name, env, domain):
                frozen.add(name)
                break


def _solve_one(h: Expr, name: str, env: dict[str, Any], domain: str) -> bool:
    old = env[name]
    if domain != "real":
        lo, hi = (0, 40) if domain == "nat" else (-30, 30)
        for t in range(lo, hi + 1):
            env[name] = t
            try:
                if holds(h, env, "partial", domain):
                    return True
            except Undefined:
                pass
        env[name] = old
        return False

    def f(t: Any) -> Any:
        env[name] = t
        return evaluate(h.args[0], env, "partial", domain) - evaluate(h.args[1], env, "partial", domain)

    try:
        root = mpmath.findroot(f, old)
        env[name] = root
        if holds(h, env, "partial", domain):
            return True
    except (Undefined, ValueError, ZeroDivisionError, TypeError):
        pass
    env[name] = old
    return False


def sample_env(
    names: Iterable[str], hyps: tuple[Expr, ...], rng: random.Random, domain: str = "real"
) -> dict[str, Any]:
    """A random point for ``names``, with equality hypotheses solved where possible."""
    env: dict[str, Any] = {}
    for n in sorted(names):
        # Sometimes reuse a value already drawn: boundary cases (A == B) matter for soundness and
        # hypotheses like "A <= B; B <= A" are only satisfiable there.
        if env and rng.random() < 0.12:
            env[n] = env[rng.choice(sorted(env))]
        else:
            env[n] = random_value(rng, domain)
    _solve_equalities(hyps, env, rng, domain, set())
    return env


def _all_hold(hyps: Iterable[Expr], env: Mapping[str, Any], sem: str, domain: str) -> bool:
    for h in hyps:
        if not holds(h, env, sem, domain):
            return False
    return True


@dataclass
class CheckResult:
    """Outcome of a numeric check. ``message`` describes the first counterexample when ``ok`` is False."""

    ok: bool
    points: int
    message: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _fmt_env(env: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={mpmath.nstr(v, 12) if not isinstance(v, int) else v}" for k, v in env.items())


RECHECK_FACTORS = (2, 4, 8, 16)


def recheck(fn: Callable[[], bool], dps: int) -> bool:
    """Re-run a failed check at 2x, 4x, 8x, 16x the precision, the tolerance shrinking with it.

    A value that should be zero (cancellation, ``cos(pi/2)``) shrinks as the precision grows, while a
    genuinely tiny one (``exp(-300)``) does not, so this separates the two without loosening anything.
    """
    for factor in RECHECK_FACTORS:
        with mpmath.workdps(factor * dps):
            try:
                if fn():
                    return True
            except Undefined:
                continue
    return False


def check_theorem(
    thm: Theorem, n_points: int = 20, dps: int = 50, seed: int = 0, max_tries: int | None = None
) -> CheckResult:
    """Test ``thm`` at ``n_points`` random points where its hypotheses hold and its goal is defined."""
    rng = random.Random(seed)
    names = thm.variables()
    tries = max_tries if max_tries is not None else max(400, 60 * n_points)
    good = 0
    with mpmath.workdps(dps):
        for _ in range(tries):
            env = sample_env(names, thm.hyps, rng, thm.domain)
            try:
                if not _all_hold(thm.hyps, env, "partial", thm.domain):
                    continue
                ok = holds(thm.goal, env, "partial", thm.domain, lenient=True)
            except Undefined:
                continue
            if not ok and not recheck(partial(holds, thm.goal, env, "partial", thm.domain, True), dps):
                return CheckResult(False, good, f"false at {_fmt_env(env)}")
            good += 1
            if good >= n_points:
                return CheckResult(True, good)
            if not names:
                return CheckResult(True, good)
    return CheckResult(False, good, f"only {good} of {n_points} points satisfy the hypotheses and are defined")
