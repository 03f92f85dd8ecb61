"""Random expressions: unary-binary trees sampled uniformly by size (Lample & Charton 2020, appendix C).

A tree with ``n`` operators is drawn uniformly among all unary-binary trees with ``n`` internal nodes, each
tree weighted by the product of its operators' weights (all weights 1 gives the uniform distribution over
labelled trees). This uses the counting method of "Deep learning for symbolic mathematics": with ``D(e, n)``
the number of trees with ``n`` operators that can be built from ``e`` empty slots,

    D(0, n) = 0,   D(e, 0) = 1,   D(e, n) = D(e - 1, n) + p1 D(e, n - 1) + p2 D(e + 1, n - 1)

(``p1``, ``p2`` the total unary and binary operator weights), the next operator goes in slot ``k`` with arity
``a`` with probability ``p_a D(e - k - 1 + a, n - 1) / D(e, n)``. Naive recursive sampling is biased towards
deep, thin trees; this is not.

Leaves are variables, integers in a range, or constants (``pi``). ``pow2``/``pow3`` (and any ``powK``) in the
unary operators mean ``A ** K`` with an integer-literal exponent. A validity filter rejects expressions that
are undefined at (almost) every point (``ln(-3)``, ``1/0``, ``sqrt(-exp(x))``), tested in floating point at
random points; see :class:`FloatChecker`.

Public: :class:`ExprConfig`, :func:`random_expression`, :func:`random_tree`, :class:`FloatChecker`.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from equations.exact import exact_value
from equations.expr import PI, Expr, make1, make2, num, var
from equations.numeric import Undefined
from equations.numeric import evaluate as _exact_evaluate

REAL_UNARY: dict[str, float] = {
    "neg": 1.0, "exp": 1.0, "ln": 1.0, "sqrt": 1.0, "abs": 0.5, "inv": 0.5, "sin": 1.0, "cos": 1.0,
    "tan": 0.3, "pow2": 1.0, "pow3": 0.3, "sinh": 0.2, "cosh": 0.2, "tanh": 0.2, "atan": 0.2,
}
REAL_BINARY: dict[str, float] = {"add": 2.0, "sub": 1.0, "mul": 2.0, "div": 1.0}
INT_UNARY: dict[str, float] = {"neg": 1.0, "pow2": 0.5}
INT_BINARY: dict[str, float] = {"add": 2.0, "sub": 1.0, "mul": 2.0, "div": 0.5, "mod": 0.5}
NAT_UNARY: dict[str, float] = {"pow2": 0.5}


@dataclass(frozen=True)
class ExprConfig:
    """What random expressions are made of.

    ``unary``/``binary``: operator name -> weight (``powK`` is ``A ** K``); ``variables``: names;
    ``int_range``: inclusive range of integer leaves (negative values become ``-n``); ``p_var``, ``p_int``,
    ``p_const``: leaf kind weights; ``constants``: constant leaves (only ``pi``); ``domain``: real, int, nat.
    """

    unary: Mapping[str, float] = field(default_factory=lambda: dict(REAL_UNARY))
    binary: Mapping[str, float] = field(default_factory=lambda: dict(REAL_BINARY))
    variables: tuple[str, ...] = ("x", "y", "z")
    int_range: tuple[int, int] = (-3, 5)
    p_var: float = 0.65
    p_int: float = 0.32
    p_const: float = 0.03
    constants: tuple[str, ...] = ("pi",)
    domain: str = "real"

    @staticmethod
    def for_domain(domain: str, **kw: Any) -> ExprConfig:
        """Defaults suited to a domain (``real``, ``int``, ``nat``), overridden by ``kw``."""
        if domain == "real":
            return ExprConfig(**kw)
        base: dict[str, Any] = {
            "unary": dict(INT_UNARY if domain == "int" else NAT_UNARY),
            "binary": dict(INT_BINARY),
            "variables": ("a", "b", "c"),
            "int_range": (-3, 5) if domain == "int" else (0, 6),
            "p_const": 0.0,
            "constants": (),
            "domain": domain,
        }
        base.update(kw)
        return ExprConfig(**base)


@lru_cache(maxsize=64)
def _count_table(p1: float, p2: float, max_ops: int) -> tuple[tuple[float, ...], ...]:
    """D[n][e] for 0 <= n <= max_ops and 0 <= e <= max_ops + 2 (Lample & Charton's recurrence)."""
    width = max_ops + 3
    table: list[list[float]] = [[0.0] + [1.0] * (width - 1)]
    for _ in range(1, max_ops + 1):
        prev = table[-1]
        row = [0.0] * width
        for e in range(1, width - 1):
            row[e] = row[e - 1] + p1 * prev[e] + p2 * prev[e + 1]
        table.append(row)
    return tuple(tuple(r) for r in table)


def _pick(rng: random.Random, names: Sequence[str], weights: Sequence[float]) -> str:
    return names[0] if len(names) == 1 else rng.choices(names, weights)[0]


def random_tree(rng: random.Random, n_ops: int, n_unary: float, n_binary: float) -> list[int]:
    """The arities of a uniformly random unary-binary tree with ``n_ops`` operators, in prefix order."""
    if n_ops <= 0:
        return [0]
    if n_unary <= 0 and n_binary <= 0:
        raise ValueError("no operators to build a tree with")
    table = _count_table(float(n_unary), float(n_binary), n_ops)
    out: list[int] = []
    e, n = 1, n_ops
    while n > 0:
        prev = table[n - 1]
        weights: list[float] = []
        choices: list[tuple[int, int]] = []
        for k in range(e):
            if n_unary > 0:
                weights.append(n_unary * prev[e - k])
                choices.append((k, 1))
            if n_binary > 0:
                weights.append(n_binary * prev[e - k + 1])
                choices.append((k, 2))
        k, a = rng.choices(choices, weights)[0]
        out.extend([0] * k)
        out.append(a)
        e = e - k - 1 + a
        n -= 1
    out.extend([0] * e)
    return out


def _leaf(rng: random.Random, cfg: ExprConfig) -> Expr:
    kinds = ("var", "int", "const")
    w = (cfg.p_var if cfg.variables else 0.0, cfg.p_int, cfg.p_const if cfg.constants else 0.0)
    kind = rng.choices(kinds, w)[0]
    if kind == "var":
        return var(rng.choice(cfg.variables), cfg.domain)
    if kind == "int":
        lo, hi = cfg.int_range
        return num(rng.randint(lo, hi))
    return PI


def _build(rng: random.Random, arities: list[int], cfg: ExprConfig) -> Expr:
    un_names = list(cfg.unary)
    un_w = [cfg.unary[k] for k in un_names]
    bin_names = list(cfg.binary)
    bin_w = [cfg.binary[k] for k in bin_names]
    stack: list[Expr] = []
    for a in reversed(arities):
        if a == 0:
            stack.append(_leaf(rng, cfg))
        elif a == 1:
            op = _pick(rng, un_names, un_w)
            child = stack.pop()
            if op.startswith("pow"):
                stack.append(make2("pow", child, num(int(op[3:]))))
            else:
                stack.append(make1(op, child))
        else:
            op = _pick(rng, bin_names, bin_w)
            left = stack.pop()
            right = stack.pop()
            stack.append(make2(op, left, right))
    assert len(stack) == 1
    return stack[0]


def random_expression(
    rng: random.Random,
    n_ops: int,
    cfg: ExprConfig | None = None,
    checker: FloatChecker | None = None,
    max_tries: int = 50,
    require_variable: bool = True,
) -> Expr:
    """A random expression with ``n_ops`` operators (``powK`` counts as one), uniform over tree shapes.

    With ``checker`` (default: a fresh one for the config), expressions defined at too few random points
    are rejected (the validity filter). ``require_variable`` rejects variable-free expressions when
    ``n_ops > 0``. Raises ``RuntimeError`` after ``max_tries`` rejections.
    """
    cfg = cfg or ExprConfig()
    if checker is None:
        checker = FloatChecker(cfg.variables, cfg.domain, random.Random(rng.random()))
    p1 = sum(cfg.unary.values())
    p2 = sum(cfg.binary.values())
    for _ in range(max_tries):
        e = _build(rng, random_tree(rng, n_ops, p1, p2), cfg)
        if require_variable and e.const and cfg.variables:
            continue
        if checker.defined_count(e) >= checker.min_points:
            return e
    raise RuntimeError(f"no valid expression with {n_ops} operators after {max_tries} tries")


# --- floating-point checks ---------------------------------------------------------------------------------

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
_growth_cache: dict[Expr, int] = {}


def growth_depth(e: Expr) -> int:
    """Largest number of nested exponential-growth operators (exp, sinh, cosh, a power with a variable
    exponent) on a path of ``e``. Three or more overflow even arbitrary-precision evaluation
    (``exp(exp(exp(400)))``), so the generators reject such statements."""
    hit = _growth_cache.get(e)
    if hit is not None:
        return hit
    if not e.args:
        out = 0
    else:
        out = max(growth_depth(a) for a in e.args)
        if e.op in _GROWTH or (e.op == "pow" and not e.args[1].const):
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
    """A large fixed array of random points shared by many :class:`FloatChecker` (each takes a window)."""

    def __init__(self, names: Sequence[str], domain: str, seed: int, size: int = 4096):
        self.names = sorted(set(names))
        self.size = size
        self.values = sample_points(np.random.default_rng(seed), self.names, domain, size)


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
        self._counted: Arr | None = None  # the points that count towards the minimum numbers of points
        if pool is not None:
            start = rng.randrange(pool.size - n_points + 1)
            vals = pool.values[start:start + n_points]
            names = pool.names
        else:
            vals = sample_points(np.random.default_rng(rng.getrandbits(63)), names, domain, n_points)
        if domain == "real" and stress:
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
            self.n_points = n_points
        if domain == "real" and pole_points:
            # pole points: each variable in turn at +-pi/2, +-pi, +-pi/4 (values the numeric check draws on
            # purpose), the others as at the first point. There tan(x), tan(2x), 1/sin(x)... are at a pole
            # or vanish: flagged here every time instead of only when a random point happens to hit them
            k = vals.shape[1]
            rows = np.repeat(vals[:1], k * len(_POLES), axis=0)
            for j in range(k):
                rows[j * len(_POLES):(j + 1) * len(_POLES), j] = _POLES
            vals = np.vstack([vals, rows])
            # they flag risks but do not count as satisfying or defined points: they are no random draws (and
            # share the first point's other coordinates), so counting them would overstate how often
            # hypotheses hold
            self._counted = np.arange(n_points + len(rows)) < n_points
            n_points += len(rows)
            self.n_points = n_points
        self.points: list[dict[str, Any]] = [] if domain == "real" else [
            {n: int(vals[i, j]) for j, n in enumerate(names)} for i in range(n_points)
        ]
        self.all = np.ones(n_points, dtype=bool)
        self._vars = {n: np.ascontiguousarray(vals[:, j]) for j, n in enumerate(names)}
        self._cache: dict[Expr, Arr] = {}
        self._ovf: dict[Expr, Arr] = {}   # points where a value in the subtree overflowed
        self._risk: dict[Expr, Arr] = {}  # points where the value is unreliable at 50 digits (see _values)
        self._rz: dict[Expr, Arr | None] = {}
        self._truth: dict[Expr, tuple[Arr, Arr, Arr]] = {}  # statement -> (holds, defined, defined and false)
        self._orig_vars = dict(self._vars)
        self._orig_points = [dict(p) for p in self.points]
        self._pinned = False

    def unpin(self) -> None:
        """Undo every :meth:`pin`: the variables take their sampled values again."""
        if self._pinned:
            self._vars = dict(self._orig_vars)
            if self.domain != "real":
                self.points = [dict(p) for p in self._orig_points]
            self._pinned = False
            self._cache.clear()
            self._ovf.clear()
            self._risk.clear()
            self._rz.clear()
            self._truth.clear()

    def pinned_only(self, pins: Sequence[tuple[str, Expr]]) -> FloatChecker:
        """A checker on the same points with exactly ``pins`` (in order) applied, sharing nothing mutable with
        this one (screening a statement that does not assume every pinned equation)."""
        c = copy.copy(self)
        c._vars = dict(self._orig_vars)
        c.points = [dict(p) for p in self._orig_points]
        c._pinned = False
        c._cache, c._ovf, c._risk, c._rz, c._truth = {}, {}, {}, {}, {}
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
        self._cache.clear()
        self._ovf.clear()
        self._risk.clear()
        self._rz.clear()
        self._truth.clear()

    def values(self, e: Expr) -> Arr:
        """The values of ``e`` at every point (NaN where undefined or for unknown variables)."""
        hit = self._cache.get(e)
        if hit is not None:
            return hit
        with np.errstate(all="ignore"):
            out = self._values(e)
        return out

    def _values(self, e: Expr) -> Arr:
        hit = self._cache.get(e)
        if hit is not None:
            return hit
        if self.domain != "real":
            out = self._exact(e)
        elif e.op == "var":
            v = self._vars.get(e.value)
            out = v if v is not None else np.full(self.n_points, np.nan)
            self._store(e, out)  # finite or NaN already (sampled, or the values of a pinned expression)
            return out
        elif e.op == "int":
            out = np.full(self.n_points, float(e.value))
        elif e.op == "pi":
            out = np.full(self.n_points, math.pi)
        elif len(e.args) == 1:
            out = _np_unary(e.op, self._values(e.args[0]))
            self._note_overflow(e, out)
            r0 = self._risk.get(e.args[0])
            if e.op in ("sqrt", "inv", "ln"):
                # an argument that vanishes may be +-tiny at 50 digits (sqrt of it is far from 0; 1/it huge)
                near = self._risky_zero(e.args[0])
                if near is not None:
                    r0 = near if r0 is None else r0 | near
            elif e.op in ("sin", "cos", "tan"):
                x0 = self._values(e.args[0])
                # a huge argument needs more than 50 digits to reduce (and is very slow); at a pole (x = pi/2
                # drawn as a 50-digit number) tan is huge rather than undefined
                near = np.abs(x0) > 1e6
                o = self._ovf.get(e.args[0])
                if o is not None:
                    near = near | o
                if e.op == "tan":
                    near = near | (np.abs(np.cos(x0)) <= 1e-9)
                if near.any():
                    r0 = near if r0 is None else r0 | near
            if r0 is not None:
                self._risk[e] = r0
        else:
            va = self._values(e.args[0])
            vb = self._values(e.args[1])
            out = _np_binary(e.op, va, vb)
            risk = None
            for a in e.args:
                r = self._risk.get(a)
                if r is not None:
                    risk = r if risk is None else risk | r
            if e.op in ("add", "sub"):
                # catastrophic cancellation (more than 10 digits lost on large values): the check at 50 digits
                # may not resolve it
                big = np.maximum(np.abs(va), np.abs(vb))
                lost = (big > 1e8) & (np.abs(out) * 1e10 < big)
                oa = self._ovf.get(e.args[0])
                ob = self._ovf.get(e.args[1])
                if oa is not None and ob is not None:
                    lost = lost | (oa & ob)  # two values too large for floats: they may cancel
                risk = lost if risk is None else risk | lost
            if e.op in ("div", "pow"):
                near = self._risky_zero(e.args[1 if e.op == "div" else 0])
                if near is not None:
                    if e.op == "pow":
                        near = near & (vb < 0)
                    risk = near if risk is None else risk | near
            if risk is not None and risk.any():
                self._risk[e] = risk
            if e.op == "pow" and not _exact_integer(e.args[1]):
                # a computed exponent (ln(exp(1)), sinh(asinh(2))) is not exactly an integer at 50 digits:
                # only a positive base is safely defined
                out = np.where(self._values(e.args[0]) > 0, out, np.nan)
            self._note_overflow(e, out)
        fin = np.isfinite(out)
        if not fin.all():
            out = np.where(fin, out, np.nan)
        self._store(e, out)
        return out

    def _store(self, e: Expr, out: Arr) -> None:
        if len(self._cache) > 100_000:
            self._cache.clear()
            self._ovf.clear()
            self._risk.clear()
            self._rz.clear()
            self._truth.clear()
        self._cache[e] = out

    def _risky_zero(self, e: Expr) -> Arr | None:
        """Points where ``e`` is (nearly) 0 in floating point but may be a tiny nonzero number at 50 digits:
        a tiny nonzero float, or an exact float 0 from a sum of inexact terms (products and negations pass a
        factor's risk on; a variable or an exact product with a zero factor is exactly 0 everywhere)."""
        if e in self._rz:
            return self._rz[e]
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
        res = out if bool(out.any()) else None
        self._rz[e] = res
        return res

    def _note_overflow(self, e: Expr, raw: Arr) -> None:
        inf = np.isinf(raw)
        for a in e.args:
            o = self._ovf.get(a)
            if o is not None:
                inf = inf | o
        if inf.any():
            self._ovf[e] = inf

    def overflows(self, e: Expr, mask: Arr) -> bool:
        """Whether evaluating ``e`` at one of the ``mask`` points adds or subtracts values that overflow floating
        point or cancel more than 10 digits (too risky for a reliable check even at 50 digits)."""
        for a in (e, *e.args):
            self.values(a)
            r = self._risk.get(a)
            if r is not None and bool((r & mask).any()):
                return True
        if e.op in ("eq", "ne", "lt", "le", "gt", "ge"):
            # comparing two overflowing sides is a subtraction too
            oa = self._ovf.get(e.args[0])
            ob = self._ovf.get(e.args[1])
            if oa is not None and ob is not None and bool((oa & ob & mask).any()):
                return True
        return False

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
        hit = self._truth.get(stmt)
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
        if len(self._truth) > 100_000:
            self._truth.clear()
        self._truth[stmt] = out
        return out

    def refutes(self, stmt: Expr, mask: Arr) -> bool:
        """True when ``stmt`` is defined and clearly false at one of the ``mask`` points (so it cannot follow
        from hypotheses that hold there)."""
        hit = self._truth.get(stmt)
        if hit is None:
            hit = self._truth_of(stmt)
        bad = hit[2] & mask
        if not bad.any():
            return False
        if self.domain != "real":
            return True
        a = self.values(stmt.args[0])[bad]
        b = self.values(stmt.args[1])[bad]
        with np.errstate(all="ignore"):
            return not bool(np.all(np.abs(a - b) <= 1e-6 * (1.0 + np.maximum(np.abs(a), np.abs(b)))))

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
        if bad.any():
            a = self.values(goal.args[0])[bad]
            b = self.values(goal.args[1])[bad]
            near = np.abs(a - b) <= 1e-6 * (1.0 + np.maximum(np.abs(a), np.abs(b)))
            if not (self.domain == "real" and bool(np.all(near))):
                return "false"
        return None
