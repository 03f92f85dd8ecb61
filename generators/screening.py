"""Float screening: cheap rejection of false or meaningless statements before exact proof checking.

Why it exists: the generators build far more candidate statements than they emit (start expressions,
hypotheses, side conditions, each walk's result). Exact decisions (proof search and replay by
:func:`equations.check_proof`, the 50-digit check of :func:`equations.numeric.check_theorem`) cost
milliseconds; evaluating a candidate in floating point at a few dozen fixed points costs microseconds, and
most bad candidates are plainly bad there. So candidates are screened first: a side condition that is
false where the hypotheses hold is not searched for (:class:`~equations.generators.common.SideProver`), a
hypothesis that (almost) never holds is not added, and a theorem whose goal is undefined, clearly false or
numerically unresolvable is dropped before its proof is built and checked.

What it guarantees: nothing about truth, and nothing about emitted proofs, which :func:`equations.check_proof`
alone judges. What the screen does say:

- :meth:`FloatChecker.refutes` / ``screen(...) == "false"``: the statement is defined and false, by more
  than a near tie (1e-6 relative over ℝ), at one of the screening points, so it cannot follow from
  hypotheses that hold there;
- an accepted expression or hypothesis is defined (and, for a hypothesis, satisfiable) at ``min_points`` of
  the random points, so the numeric check of an emitted theorem has points to test;
- points flagged as unreliable (overflow, catastrophic cancellation, arguments vanishing or at a pole, huge
  trigonometric arguments, nested exponential growth: :func:`growth_depth`) are those where a 50-digit
  evaluation may not settle the statement either; the generators avoid them.

What it does not guarantee: an accepted statement may still be false (true at every screening point by
chance, or false only within a near tie, or only where floats round), and a statement rejected as
undefined may be defined elsewhere. Screening changes which candidates the generators keep (so, for fixed
seeds, what they emit), never whether an emitted proof is correct.

Over ℤ and ℕ values are computed exactly (:func:`equations.numeric.evaluate`) at integer points and stored
as floats.

Public: :class:`FloatChecker` (values, truth masks and screens at a set of points), :class:`PointPool` (a
large fixed array of points that many checkers take windows of), :func:`sample_points`,
:func:`extra_points`, :func:`growth_depth`, :func:`float_value`.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from equations.exact import exact_value
from equations.expr import Expr
from equations.numeric import Undefined
from equations.numeric import evaluate as _exact_evaluate

_SPECIAL = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0)
_POLES = (math.pi / 2, -math.pi / 2, math.pi, -math.pi, math.pi / 4, -math.pi / 4)


def float_value(rng: random.Random) -> float:
    """A random real test value, distributed like :func:`equations.numeric.random_value`."""
    u = rng.random()
    if u < 0.15:
        return rng.choice(_SPECIAL)
    if u < 0.2:
        return rng.choice((1, -1)) * math.pi / rng.choice((1, 2, 3, 4, 6))
    if u < 0.6:
        return rng.uniform(-3, 3)
    if u < 0.75:
        return rng.uniform(0, 1)
    return rng.choice((1, -1)) * math.exp(rng.uniform(-6, 6))


Arr = np.ndarray

_UNARY_NP: dict[str, Any] = {
    "neg": np.negative, "exp": np.exp, "abs": np.abs, "sin": np.sin, "cos": np.cos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "asin": np.arcsin,
    "acos": np.arccos,
}


def _any(m: Arr) -> bool:
    """Whether a boolean mask has a True entry. ``np.count_nonzero`` is a direct C call, several times
    cheaper than ``ndarray.any`` (a Python-level wrapper) on the few dozen points of a screen."""
    return bool(np.count_nonzero(m) != 0)


#: comparison -> its negation as a numpy function (both operands defined, since NaN compares false)
_NEGATED: dict[str, Any] = {"lt": np.greater_equal, "le": np.greater, "gt": np.less_equal, "ge": np.less}

_EPS = 1e-10  # values this close to a domain boundary may be on either side of it at 50 digits


def _np_unary(op: str, x: Arr) -> Arr:
    f = _UNARY_NP.get(op)
    if op in ("asin", "acos"):
        ok = (np.abs(x) <= 1 - 1e-12) | (np.abs(x) == 1)
        return np.where(ok, f(np.where(ok, x, 0.0)), np.nan)  # type: ignore[misc]
    if f is not None:
        return f(x)  # type: ignore[no-any-return]
    if op == "ln":
        ok = x > 0
        return np.where(ok, np.log(np.where(ok, x, 1.0)), np.nan)
    if op == "sqrt":
        ok = x >= 0
        return np.where(ok, np.sqrt(np.abs(x)), np.nan)
    if op == "inv":
        ok = x != 0
        return np.where(ok, 1.0 / np.where(ok, x, 1.0), np.nan)
    if op == "tan":
        c = np.cos(x)
        ok = np.abs(c) > 1e-9
        return np.where(ok, np.sin(x) / np.where(ok, c, 1.0), np.nan)
    if op == "acosh":
        ok = (x >= 1 + 1e-12) | (x == 1)
        return np.where(ok, np.arccosh(np.where(ok, x, 1.0)), np.nan)
    if op == "atanh":
        ok = np.abs(x) < 1 - 1e-12
        return np.where(ok, np.arctanh(np.where(ok, x, 0.0)), np.nan)
    return np.full_like(x, np.nan)


def _np_binary(op: str, a: Arr, b: Arr) -> Arr:
    out: Arr
    if op == "add":
        out = np.add(a, b)
        return out
    if op == "sub":
        out = np.subtract(a, b)
        return out
    if op == "mul":
        out = np.multiply(a, b)
        return out
    if op == "div":
        ok = b != 0
        return np.where(ok, a / np.where(ok, b, 1.0), np.nan)
    if op == "pow":
        isint = b == np.round(b)
        ok = np.where(isint, ((b >= 0) | (a != 0)) & (np.abs(b) <= 1e6), a > 0)
        ok &= (a == a) & (b == b)  # IEEE pow gives NaN**0 = 1**NaN = 1; an undefined operand stays undefined
        return np.where(ok, np.power(np.where(ok, a, 1.0), np.where(ok, b, 1.0)), np.nan)
    return np.full_like(a, np.nan)


def _exact_integer(e: Expr) -> bool:
    if not e.const:
        return False
    v = exact_value(e)
    return v is not None and v.denominator == 1


_EXACT_OPS = frozenset(("var", "int", "add", "sub", "mul", "neg", "abs"))
# Process-wide on purpose (like ``_growth_cache``): the answer depends only on the expression's structure,
# not on any checker's points, so every checker and generator may share it. Keys are the interned
# expressions themselves, held by the dict (never ``id(...)``), so identity hashing is sound; the size cap
# bounds memory.
_inexact_cache: dict[Expr, bool] = {}


def _inexact(e: Expr) -> bool:
    """Whether a value of ``e`` at exact inputs may carry rounding error at 50 digits (division, powers and
    transcendental functions; a vanishing value of such an expression may then be +-tiny rather than 0)."""
    hit = _inexact_cache.get(e)
    if hit is not None:
        return hit
    out = e.op not in _EXACT_OPS or any(_inexact(a) for a in e.args)
    if len(_inexact_cache) > 200_000:
        _inexact_cache.clear()
    _inexact_cache[e] = out
    return out


_GROWTH = frozenset(("exp", "sinh", "cosh"))
_growth_cache: dict[Expr, int] = {}  # process-wide, structural, keyed by held expressions: see _inexact_cache


def growth_depth(e: Expr) -> int:
    """Largest number of nested exponential-growth operators (exp, sinh, cosh, a power with a variable
    exponent) on a path of ``e``. Three or more overflow even arbitrary-precision evaluation
    (``exp(exp(exp(400)))``), so the generators reject such statements."""
    hit = _growth_cache.get(e)
    if hit is not None:
        return hit
    args = e.args
    out = 0
    if args:
        # written out for one and two children: the walk asks this of every new root
        a0 = args[0]
        o0 = _growth_cache.get(a0)
        out = growth_depth(a0) if o0 is None else o0
        if len(args) == 2:
            a1 = args[1]
            o1 = _growth_cache.get(a1)
            if o1 is None:
                o1 = growth_depth(a1)
            if o1 > out:
                out = o1
        if e.op in _GROWTH or (e.op == "pow" and not args[1].const):
            out += 1
    if len(_growth_cache) > 200_000:
        _growth_cache.clear()
    _growth_cache[e] = out
    return out


def sample_points(g: np.random.Generator, names: Sequence[str], domain: str, n_points: int) -> Arr:
    """An ``(n_points, len(names))`` array of random test values (like :func:`equations.numeric.random_value`,
    with some values repeated across variables so that boundary cases such as ``x == y`` occur)."""
    k = len(names)
    if domain == "real":
        u = g.random((n_points, k))
        special = np.array(_SPECIAL)[g.integers(0, len(_SPECIAL), (n_points, k))]
        sign = np.where(g.random((n_points, k)) < 0.5, 1.0, -1.0)
        pis = sign * math.pi / np.array((1, 2, 3, 4, 6))[g.integers(0, 5, (n_points, k))]
        wide = sign * np.exp(g.uniform(-6, 6, (n_points, k)))
        vals = np.where(u < 0.15, special, np.where(u < 0.2, pis, np.where(
            u < 0.6, g.uniform(-3, 3, (n_points, k)), np.where(u < 0.75, g.random((n_points, k)), wide))))
    elif domain == "nat":
        vals = np.where(g.random((n_points, k)) < 0.3, g.integers(0, 4, (n_points, k)),
                        g.integers(0, 31, (n_points, k))).astype(float)
    else:
        vals = np.where(g.random((n_points, k)) < 0.3, g.integers(-2, 3, (n_points, k)),
                        g.integers(-25, 26, (n_points, k))).astype(float)
    if k > 1:
        reuse = g.random((n_points, k)) < 0.12
        src = g.integers(0, k, (n_points, k))
        rows = np.arange(n_points)[:, None]
        vals = np.where(reuse, vals[rows, src], vals)
    return vals  # type: ignore[no-any-return]


class PointPool:
    """A large fixed array of random points shared by many :class:`FloatChecker` (each takes a window).

    A window's extra points (see :func:`extra_points`) depend only on its first two rows, so they are
    computed once for every row of the pool (:meth:`window`): a checker then costs one concatenation instead
    of rebuilding them (the walk generator makes a checker per attempt)."""

    def __init__(self, names: Sequence[str], domain: str, seed: int, size: int = 4096):
        self.names = sorted(set(names))
        self.size = size
        self.values = sample_points(np.random.default_rng(seed), self.names, domain, size)
        self._by_var = np.ascontiguousarray(self.values.T)  # (variables, points): a row per variable
        self._blocks: dict[tuple[bool, bool], tuple[Arr, Arr, Arr, Arr]] = {}
        self._masks: dict[tuple[int, bool, bool], tuple[Arr | None, Arr]] = {}

    def window(self, start: int, n_points: int, stress: bool, poles: bool) -> tuple[Arr, Arr | None, Arr]:
        """(values as a (variables, points) array, counted points or None, all points) of the ``n_points``
        pool points from ``start`` followed by their extra points: exactly ``extra_points(values[start:start
        + n_points], stress, poles)``, transposed. The masks are shared and read-only."""
        blocks = self._blocks.get((stress, poles))
        if blocks is None:
            blocks = self._blocks[(stress, poles)] = self._extra_blocks(stress, poles)
        const, pos, neg, pole = blocks
        parts = [self._by_var[:, start:start + n_points]]
        if stress:
            parts += [const, pos[start], neg[start + 1]]
        if poles:
            parts.append(pole[start])
        vals = np.concatenate(parts, axis=1)
        masks = self._masks.get((n_points, stress, poles))
        if masks is None:
            total = vals.shape[1]
            counted = None
            if poles:
                counted = np.arange(total) < total - len(_POLES) * len(self.names)
                counted.setflags(write=False)
            everywhere = np.ones(total, dtype=bool)
            everywhere.setflags(write=False)
            masks = self._masks[(n_points, stress, poles)] = (counted, everywhere)
        return vals, masks[0], masks[1]

    def _extra_blocks(self, stress: bool, poles: bool) -> tuple[Arr, Arr, Arr, Arr]:
        """Per pool row i, in (variables, points) layout: the stress points built from row i as a window's
        first row (each variable at 0, the others at |v| + 0.5) and as its second row (the others at
        -|v| - 0.5), and the pole points built from row i (see :func:`extra_points`)."""
        v = self.values
        size, k = v.shape
        eye = np.eye(k, dtype=bool)
        const = np.array([[400.0, -400.0]] * k)
        pos = np.where(eye, 0.0, (np.abs(v) + 0.5)[:, :, None])  # [row, variable, point]
        neg = np.where(eye, 0.0, (-np.abs(v) - 0.5)[:, :, None])
        npole = len(_POLES)
        pole = np.repeat(v[:, :, None], k * npole, axis=2)
        for j in range(k):
            pole[:, j, j * npole:(j + 1) * npole] = _POLES
        return const, pos, neg, pole


def extra_points(vals: Arr, stress: bool, poles: bool) -> tuple[Arr, int]:
    """``vals`` (a (points, variables) array) followed by its stress and pole points, and how many of the
    points count (the pole points do not; see :class:`FloatChecker`)."""
    n_points = vals.shape[0]
    if stress:
        # stress points: every variable +-400 (about the largest value the numeric check draws), and each
        # variable at 0: they expose overflow, cancellation and vanishing denominators that a 50-digit
        # check cannot resolve
        k = vals.shape[1]
        pos = np.repeat(np.abs(vals[:1]) + 0.5, k, axis=0)
        neg = np.repeat(-np.abs(vals[1:2]) - 0.5, k, axis=0)
        pos[np.arange(k), np.arange(k)] = 0.0  # each variable at 0 in turn, the others positive / negative
        neg[np.arange(k), np.arange(k)] = 0.0
        vals = np.vstack([vals, np.full((1, k), 400.0), np.full((1, k), -400.0), pos, neg])
        n_points += 2 + 2 * k
    if poles:
        # pole points: each variable in turn at +-pi/2, +-pi, +-pi/4 (values the numeric check draws on
        # purpose), the others as at the first point. There tan(x), tan(2x), 1/sin(x)... are at a pole
        # or vanish: flagged here every time instead of only when a random point happens to hit them
        k = vals.shape[1]
        rows = np.repeat(vals[:1], k * len(_POLES), axis=0)
        for j in range(k):
            rows[j * len(_POLES):(j + 1) * len(_POLES), j] = _POLES
        vals = np.vstack([vals, rows])
    return vals, n_points


class _Memo:
    """What a :class:`FloatChecker` has computed at its points, per interned expression or statement.

    Every entry depends on the points and on the pinned variables (:meth:`FloatChecker.pin`), so all of them
    are forgotten together (:meth:`clear`) when either changes, and a checker that must not share them
    (:meth:`FloatChecker.pinned_only`) takes a fresh memo. Keys are the expressions themselves (interned, and
    held here, so identity-based hashing is sound). Owned by one checker: nothing here is process-wide.
    """

    __slots__ = ("clearly", "false_at", "maxabs", "ovf", "risk", "rz", "truth", "values")

    def __init__(self) -> None:
        self.values: dict[Expr, Arr] = {}  # expression -> its values (NaN where undefined)
        self.ovf: dict[Expr, Arr] = {}  # points where a value in the subtree overflowed
        self.risk: dict[Expr, Arr] = {}  # points where the value is unreliable at 50 digits (see _values)
        self.rz: dict[Expr, Arr | None] = {}  # points where the value may be a tiny nonzero (_risky_zero)
        self.truth: dict[Expr, tuple[Arr, Arr, Arr]] = {}  # statement -> (holds, defined, defined and false)
        self.maxabs: dict[Expr, float] = {}  # expression -> largest |value| (NaN ignored)
        self.false_at: dict[Expr, Arr | None] = {}  # statement -> points where it is clearly false (refutes)
        self.clearly: dict[Expr, Arr] = {}  # statement -> points where it holds by more than a near tie

    def clear(self) -> None:
        """Forget everything (in place)."""
        self.values.clear()
        self.ovf.clear()
        self.risk.clear()
        self.rz.clear()
        self.truth.clear()
        self.maxabs.clear()
        self.false_at.clear()
        self.clearly.clear()


class FloatChecker:
    """Cheap floating-point screening at a fixed set of random points (the generators' validity filter).

    Not a proof of anything: the proof checker and the 50-digit mpmath check are the judges. The screen
    rejects expressions and hypotheses that are (almost) never defined or never satisfiable, so that what a
    generator emits can be checked numerically, and flags equalities that are grossly false. Values are
    numpy vectors over the points (NaN where undefined), cached per interned node, so an expression that
    shares subtrees with one seen before costs only its new nodes. Point sets are boolean masks.
    ``min_points`` of the ``n_points`` points must be usable. ``stress`` adds the +-400 and zero points,
    ``pole_points`` the points where each variable sits at +-pi/2, +-pi, +-pi/4 (see ``__init__``).
    """

    def __init__(self, variables: Sequence[str], domain: str, rng: random.Random, n_points: int = 16,
                 min_points: int = 3, pool: PointPool | None = None, stress: bool = True,
                 pole_points: bool = False):
        self.domain = domain
        self.min_points = min_points
        self.n_points = n_points
        names = sorted(set(variables))
        stress = stress and domain == "real"
        poles = pole_points and domain == "real"
        # the pole points flag risks but do not count as satisfying or defined points: they are no random
        # draws (and share the first point's other coordinates), so counting them would overstate how often
        # hypotheses hold
        self._counted: Arr | None = None  # the points that count towards the minimum numbers of points
        if pool is not None:
            start = rng.randrange(pool.size - n_points + 1)
            names = pool.names
            by_var, self._counted, self.all = pool.window(start, n_points, stress, poles)
        else:
            vals, counted = extra_points(
                sample_points(np.random.default_rng(rng.getrandbits(63)), names, domain, n_points), stress, poles)
            by_var = np.ascontiguousarray(vals.T)
            if poles:
                self._counted = np.arange(len(vals)) < counted
            self.all = np.ones(len(vals), dtype=bool)
        n_points = self.n_points = by_var.shape[1]
        self.points: list[dict[str, Any]] = [] if domain == "real" else [
            {n: int(by_var[j, i]) for j, n in enumerate(names)} for i in range(n_points)
        ]
        self._vars = dict(zip(names, by_var, strict=True))  # rows of a C-contiguous array: contiguous
        self._memo = _Memo()
        self._orig_vars = dict(self._vars)
        self._orig_points = [dict(p) for p in self.points]
        self._pinned = False
        #: set by a caller that keeps numpy's floating-point errors ignored (``np.errstate(all="ignore")``)
        #: while it uses this checker: evaluating then skips entering that context, which costs more than
        #: evaluating a node
        self.quiet = False

    def unpin(self) -> None:
        """Undo every :meth:`pin`: the variables take their sampled values again."""
        if self._pinned:
            self._vars = dict(self._orig_vars)
            if self.domain != "real":
                self.points = [dict(p) for p in self._orig_points]
            self._pinned = False
            self._clear()

    def pinned_only(self, pins: Sequence[tuple[str, Expr]]) -> FloatChecker:
        """A checker on the same points with exactly ``pins`` (in order) applied, sharing nothing mutable with
        this one (screening a statement that does not assume every pinned equation)."""
        c = copy.copy(self)
        c._vars = dict(self._orig_vars)
        c.points = [dict(p) for p in self._orig_points]
        c._pinned = False
        c._memo = _Memo()
        for name, e in pins:
            c.pin(name, e)
        return c

    def pin(self, name: str, e: Expr) -> None:
        """Make variable ``name`` equal to ``e`` at every point (screening under a hypothesis ``name == e``)."""
        self._pinned = True
        if self.domain != "real":
            vals = self.values(e)
            for env, v in zip(self.points, vals, strict=True):
                if v == v:
                    env[name] = int(v)
        self._vars[name] = self.values(e)
        self._clear()

    def values(self, e: Expr) -> Arr:
        """The values of ``e`` at every point (NaN where undefined or for unknown variables)."""
        hit = self._memo.values.get(e)
        if hit is not None:
            return hit
        if self.quiet:
            return self._values(e)
        with np.errstate(all="ignore"):
            out = self._values(e)
        return out

    def _values(self, e: Expr) -> Arr:
        # Every numpy call costs about a microsecond at this size whatever it does, so the checks below are
        # skipped when a cached summary of the operands already decides them (``_maxabs``, overflow masks).
        memo = self._memo
        hit = memo.values.get(e)
        if hit is not None:
            return hit
        if self.domain != "real":
            out = self._exact(e)
        elif e.op == "var":
            v = self._vars.get(e.value)
            out = v if v is not None else np.full(self.n_points, np.nan)
            self._store(e, out)  # finite or NaN already (sampled, or the values of a pinned expression)
            return out
        elif e.op == "int" or e.op == "pi":
            x = float(e.value) if e.op == "int" else math.pi
            out = np.full(self.n_points, x)
            self._store(e, out)
            memo.maxabs[e] = abs(x)
            return out
        elif len(e.args) == 1:
            a0 = e.args[0]
            x0 = memo.values.get(a0)
            if x0 is None:
                x0 = self._values(a0)
            out = _np_unary(e.op, x0)
            r0 = memo.risk.get(a0)
            if e.op in ("sqrt", "inv", "ln"):
                # an argument that vanishes may be +-tiny at 50 digits (sqrt of it is far from 0; 1/it huge)
                near = self._risky_zero(a0)
                if near is not None:
                    r0 = near if r0 is None else r0 | near
            elif e.op in ("sin", "cos", "tan"):
                # a huge argument needs more than 50 digits to reduce (and is very slow); at a pole (x = pi/2
                # drawn as a 50-digit number) tan is huge rather than undefined
                near = np.abs(x0) > 1e6 if self._maxabs(a0) > 1e6 else None
                o = memo.ovf.get(a0)
                if o is not None:
                    near = o if near is None else near | o
                if e.op == "tan":
                    pole = np.abs(np.cos(x0)) <= 1e-9
                    near = pole if near is None else near | pole
                if near is not None and _any(near):
                    r0 = near if r0 is None else r0 | near
            if r0 is not None:
                memo.risk[e] = r0
        else:
            a0, a1 = e.args
            cache = memo.values
            va = cache.get(a0)
            if va is None:
                va = self._values(a0)
            vb = cache.get(a1)
            if vb is None:
                vb = self._values(a1)
            out = _np_binary(e.op, va, vb)
            risk = memo.risk.get(a0)
            r = memo.risk.get(a1)
            if r is not None:
                risk = r if risk is None else risk | r
            if e.op in ("add", "sub"):
                # catastrophic cancellation (more than 10 digits lost on large values): the check at 50 digits
                # may not resolve it (impossible unless an operand exceeds 1e8 somewhere)
                if self._maxabs(a0) > 1e8 or self._maxabs(a1) > 1e8:
                    big = np.maximum(np.abs(va), np.abs(vb))
                    lost = (big > 1e8) & (np.abs(out) * 1e10 < big)
                    if _any(lost):
                        risk = lost if risk is None else risk | lost
                oa = memo.ovf.get(a0)
                if oa is not None:
                    ob = memo.ovf.get(a1)
                    if ob is not None:
                        both = oa & ob  # two values too large for floats: they may cancel
                        if _any(both):
                            risk = both if risk is None else risk | both
            elif e.op == "div" or e.op == "pow":
                near = self._risky_zero(a1 if e.op == "div" else a0)
                if near is not None:
                    if e.op == "pow":
                        near = near & (vb < 0)
                    if _any(near):
                        risk = near if risk is None else risk | near
            if risk is not None:
                memo.risk[e] = risk
            if e.op == "pow" and not _exact_integer(a1):
                # a computed exponent (ln(exp(1)), sinh(asinh(2))) is not exactly an integer at 50 digits:
                # only a positive base is safely defined
                out = np.where(va > 0, out, np.nan)
        # overflow: points where a value in the subtree is infinite (this node's raw value, or below)
        ovf = None
        for a in e.args:
            o = memo.ovf.get(a)
            if o is not None:
                ovf = o if ovf is None else ovf | o
        # the largest |value| (NaN ignored) tells at once whether a value is infinite, and is kept for _maxabs
        m = float(np.fmax.reduce(np.abs(out)))
        if m == math.inf:
            inf = np.isinf(out)
            ovf = inf if ovf is None else ovf | inf
            out = np.where(inf, np.nan, out)
            m = float(np.fmax.reduce(np.abs(out)))
        if ovf is not None:
            memo.ovf[e] = ovf
        self._store(e, out)
        memo.maxabs[e] = m
        return out

    def _maxabs(self, e: Expr) -> float:
        """The largest absolute value of ``e`` over the points (NaN ignored; NaN when undefined everywhere,
        which compares false with any threshold)."""
        m = self._memo.maxabs.get(e)
        if m is None:
            m = self._memo.maxabs[e] = float(np.fmax.reduce(np.abs(self._values(e))))
        return m

    def _store(self, e: Expr, out: Arr) -> None:
        if len(self._memo.values) > 100_000:
            self._clear()
        self._memo.values[e] = out

    def _clear(self) -> None:
        """Forget every value and everything derived from values."""
        self._memo.clear()

    def _risky_zero(self, e: Expr) -> Arr | None:
        """Points where ``e`` is (nearly) 0 in floating point but may be a tiny nonzero number at 50 digits:
        a tiny nonzero float, or an exact float 0 from a sum of inexact terms (products and negations pass a
        factor's risk on; a variable or an exact product with a zero factor is exactly 0 everywhere)."""
        rz = self._memo.rz
        if e in rz:
            return rz[e]
        v = self._values(e)
        a = np.abs(v)
        out = (a > 0) & (a <= _EPS)
        if e.op in ("add", "sub"):
            if _inexact(e.args[0]) or _inexact(e.args[1]):
                out = out | (v == 0)
        elif e.op in ("mul", "div"):
            for x in e.args[:1] if e.op == "div" else e.args:
                r = self._risky_zero(x)
                if r is not None:
                    out = out | (r & (self._values(x) == 0))
        elif e.op in ("neg", "abs"):
            r = self._risky_zero(e.args[0])
            if r is not None:
                out = out | r
        res = out if _any(out) else None
        rz[e] = res
        return res

    def overflows(self, e: Expr, mask: Arr) -> bool:
        """Whether evaluating ``e`` at one of the ``mask`` points adds or subtracts values that overflow floating
        point or cancel more than 10 digits (too risky for a reliable check even at 50 digits)."""
        memo = self._memo
        for a in (e, *e.args):
            self.values(a)
            r = memo.risk.get(a)
            if r is not None and _any(r & mask):
                return True
        if e.op in ("eq", "ne", "lt", "le", "gt", "ge"):
            # comparing two overflowing sides is a subtraction too
            oa = memo.ovf.get(e.args[0])
            ob = memo.ovf.get(e.args[1])
            if oa is not None and ob is not None and _any(oa & ob & mask):
                return True
        return False

    def unreliable(self, e: Expr, mask: Arr, overflow: bool = True) -> bool:
        """Whether the value of ``e`` is unreliable at 50 digits (see ``_values``: cancellation, vanishing
        arguments, huge trigonometric arguments) or, with ``overflow``, a value in its subtree overflowed, at
        one of the ``mask`` points. Both are inherited by every expression containing ``e``."""
        self.values(e)
        r = self._memo.risk.get(e)
        if r is not None and _any(r & mask):
            return True
        if not overflow:
            return False
        o = self._memo.ovf.get(e)
        return o is not None and _any(o & mask)

    def _exact(self, e: Expr) -> Arr:
        vals = []
        for env in self.points:
            try:
                v = _exact_evaluate(e, env, "partial", self.domain)
                vals.append(float(v))
            except (Undefined, ValueError, ZeroDivisionError, OverflowError, KeyError):
                vals.append(math.nan)
        return np.array(vals, dtype=float)

    def defined(self, e: Expr) -> Arr:
        out: Arr = np.logical_not(np.isnan(self.values(e)))
        return out

    def defined_count(self, e: Expr, mask: Arr | None = None) -> int:
        d = self.defined(e)
        return self.count(d if mask is None else d & mask)

    def truth(self, stmt: Expr) -> tuple[Arr, Arr]:
        """(holds, defined) masks of a comparison. Equality is approximate over ℝ."""
        hit = self._memo.truth.get(stmt)
        if hit is None:
            hit = self._truth_of(stmt)
        return hit[0], hit[1]

    def _truth_of(self, stmt: Expr) -> tuple[Arr, Arr, Arr]:
        a = self.values(stmt.args[0])
        b = self.values(stmt.args[1])
        defined = ~(np.isnan(a) | np.isnan(b))
        op = stmt.op
        # order comparisons with NaN are False (and quiet): they need no masking nor errstate
        if op == "lt":
            holds = a < b
        elif op == "le":
            holds = a <= b
        elif op == "gt":
            holds = a > b
        elif op == "ge":
            holds = a >= b
        elif op in ("eq", "ne") and not self._huge(stmt):
            # no overflow possible in a - b (NaN is quiet): no errstate context (it costs more than the test)
            close = np.abs(a - b) <= 1e-9 * (1.0 + np.maximum(np.abs(a), np.abs(b)))
            holds = (close if op == "eq" else ~close) & defined
        else:
            with np.errstate(all="ignore"):
                if op in ("eq", "ne"):
                    close = np.abs(a - b) <= 1e-9 * (1.0 + np.maximum(np.abs(a), np.abs(b)))
                    t = close if op == "eq" else ~close
                elif op == "dvd" and self.domain != "real":
                    ai = np.where(defined, a, 1.0)
                    bi = np.where(defined, b, 0.0)
                    t = np.where(ai == 0, bi == 0, np.fmod(bi, np.where(ai == 0, 1.0, ai)) == 0)
                else:
                    t = np.zeros(self.n_points, dtype=bool)
            holds = t & defined
        out = (holds, defined, defined & ~holds)
        if len(self._memo.truth) > 100_000:
            self._memo.truth.clear()
        self._memo.truth[stmt] = out
        return out

    def refutes(self, stmt: Expr, mask: Arr) -> bool:
        """True when ``stmt`` is defined and clearly false at one of the ``mask`` points (so it cannot follow
        from hypotheses that hold there)."""
        clear = self._memo.false_at.get(stmt, False)
        if clear is False:
            clear = self._memo.false_at[stmt] = self._clearly_false(stmt)
        return clear is not None and _any(clear & mask)

    def _clearly_false(self, stmt: Expr) -> Arr | None:
        """The points where ``stmt`` is defined and false, and not a near tie (within 1e-6 relative) over ℝ;
        None when there are none. Computed once per statement: the side-condition prover asks ``refutes``
        about the same statement under several point sets."""
        op = stmt.op
        if self.domain == "real" and op in _NEGATED:
            # defined and false is the negated comparison (NaN compares false): one call, not the whole truth
            a = self.values(stmt.args[0])
            b = self.values(stmt.args[1])
            bad = _NEGATED[op](a, b)
            if not _any(bad):
                return None
        else:
            hit = self._memo.truth.get(stmt)
            if hit is None:
                hit = self._truth_of(stmt)
            bad = hit[2]
            if not _any(bad):
                return None
            if self.domain != "real":
                return bad
            a = self.values(stmt.args[0])
            b = self.values(stmt.args[1])
        if self._huge(stmt):
            with np.errstate(all="ignore"):
                near = np.abs(a - b) <= 1e-6 * (1.0 + np.maximum(np.abs(a), np.abs(b)))
        else:
            near = np.abs(a - b) <= 1e-6 * (1.0 + np.maximum(np.abs(a), np.abs(b)))
        out = bad & ~near
        return out if _any(out) else None

    def _huge(self, stmt: Expr) -> bool:
        """Whether a side of ``stmt`` has values so large that subtracting them may overflow."""
        return self._maxabs(stmt.args[0]) > 1e300 or self._maxabs(stmt.args[1]) > 1e300

    def clearly_holds(self, stmt: Expr) -> Arr:
        """The points where ``stmt`` holds by more than a near tie (1e-9 relative) over ℝ. A statement that
        holds only by a float-sized margin (``sin(pi) > 0*y``: 1.2e-16 > 0) may be false at 50 digits, so such
        points do not show that a hypothesis is satisfiable."""
        hit = self._memo.clearly.get(stmt)
        if hit is not None:
            return hit
        holds = self.truth(stmt)[0]
        if self.domain == "real" and stmt.op in ("lt", "le", "gt", "ge"):
            a = self.values(stmt.args[0])
            b = self.values(stmt.args[1])
            with np.errstate(all="ignore"):
                holds = holds & (np.abs(a - b) > 1e-9 * (1.0 + np.maximum(np.abs(a), np.abs(b))))
        self._memo.clearly[stmt] = holds
        return holds

    def satisfying(self, hyps: Sequence[Expr], mask: Arr | None = None) -> Arr:
        """The points (a mask, within ``mask``) where every hypothesis holds."""
        m = self.all if mask is None else mask
        for h in hyps:
            m = m & self.truth(h)[0]
        return m

    def count(self, mask: Arr) -> int:
        """Points in ``mask`` (pole points, see ``__init__``, are not counted)."""
        if self._counted is not None:
            mask = mask & self._counted
        return int(np.count_nonzero(mask))

    def screen(self, goal: Expr, mask: Arr) -> str | None:
        """``None`` when ``goal`` is defined at ``min_points`` of the ``mask`` points and never clearly false
        there; otherwise why not (``"undefined"`` or ``"false"``). Near-ties are ignored."""
        if growth_depth(goal) >= 3 or self.overflows(goal, mask):
            return "overflow"
        t, d = self.truth(goal)
        d = d & mask
        if self.count(d) < self.min_points:
            return "undefined"
        if self.domain == "real" and goal.op in ("lt", "gt", "ne"):
            # a strict comparison holding by a margin below 10**-20 cannot be confirmed at 50 digits
            a = self.values(goal.args[0])[d]
            b = self.values(goal.args[1])[d]
            scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
            if np.any(np.abs(a - b) / scale < 1e-20):
                return "near tie"
        bad = d & ~t
        if _any(bad):
            a = self.values(goal.args[0])[bad]
            b = self.values(goal.args[1])[bad]
            near = np.abs(a - b) <= 1e-6 * (1.0 + np.maximum(np.abs(a), np.abs(b)))
            if not (self.domain == "real" and bool(np.all(near))):
                return "false"
        return None
