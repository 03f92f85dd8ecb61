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
random points by a :class:`~equations.generators.screening.FloatChecker` (float screening lives in
:mod:`equations.generators.screening`).

Public: :class:`ExprConfig`, :func:`random_expression`, :func:`random_tree`.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import Any

from equations.expr import PI, Expr, make1, make2, num, var

from .screening import FloatChecker

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
    A config is immutable, weights included (their cumulative sums are cached per config object): to
    change one, build another (``dataclasses.replace``).
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


class _Choice:
    """A weighted choice with its cumulative weights computed once: ``draw`` returns exactly what
    ``rng.choices(items, weights)[0]`` returns (the same arithmetic on the same single draw), without
    re-accumulating the weights at every call (random expressions make one choice per node)."""

    __slots__ = ("cum", "hi", "items", "total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1] + 0.0
        self.hi = len(self.items) - 1

    def draw(self, rng: random.Random) -> Any:
        if self.hi == 0:
            return self.items[0]
        return self.items[bisect(self.cum, rng.random() * self.total, 0, self.hi)]


_tree_choices: dict[tuple[float, float, int, int, int], _Choice] = {}


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
        key = (n_unary, n_binary, n_ops, e, n)
        choice = _tree_choices.get(key)
        if choice is None:
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
            if len(_tree_choices) > 100_000:
                _tree_choices.clear()
            choice = _tree_choices[key] = _Choice(choices, weights)
        k, a = choice.items[bisect(choice.cum, rng.random() * choice.total, 0, choice.hi)]
        out.extend([0] * k)
        out.append(a)
        e = e - k - 1 + a
        n -= 1
    out.extend([0] * e)
    return out


class _Draws:
    """The weighted choices of an :class:`ExprConfig` (leaf kind, unary and binary operators), built once."""

    def __init__(self, cfg: ExprConfig):
        self.cfg = cfg
        self.leaf = _Choice(("var", "int", "const"), (
            cfg.p_var if cfg.variables else 0.0, cfg.p_int, cfg.p_const if cfg.constants else 0.0))
        self.unary = _Choice(list(cfg.unary), [cfg.unary[k] for k in cfg.unary]) if cfg.unary else None
        self.binary = _Choice(list(cfg.binary), [cfg.binary[k] for k in cfg.binary]) if cfg.binary else None


# Process-wide, keyed by ``id(cfg)``: an ExprConfig holds dicts (its weights), so it is unhashable and cannot
# key a dict itself. The ids are sound: each entry holds its config (``_Draws.cfg``), so that config stays
# alive, and its id cannot be reused by another object, for as long as the entry exists; ``_draws_for`` also
# checks ``d.cfg is cfg`` before using an entry. Configs are immutable, so an entry never goes stale. The
# cap (entries are dropped all at once) bounds memory for callers that build many configs.
_draws: dict[int, _Draws] = {}


def _draws_for(cfg: ExprConfig) -> _Draws:
    d = _draws.get(id(cfg))
    if d is None or d.cfg is not cfg:
        if len(_draws) > 1000:
            _draws.clear()
        d = _draws[id(cfg)] = _Draws(cfg)  # holds cfg, so its id is not reused while the entry lives
    return d


def _leaf(rng: random.Random, cfg: ExprConfig) -> Expr:
    kind = _draws_for(cfg).leaf.draw(rng)
    if kind == "var":
        return var(rng.choice(cfg.variables), cfg.domain)
    if kind == "int":
        lo, hi = cfg.int_range
        return num(rng.randint(lo, hi))
    return PI


def _build(rng: random.Random, arities: list[int], cfg: ExprConfig) -> Expr:
    draws = _draws_for(cfg)
    stack: list[Expr] = []
    for a in reversed(arities):
        if a == 0:
            stack.append(_leaf(rng, cfg))
        elif a == 1:
            assert draws.unary is not None
            op = draws.unary.draw(rng)
            child = stack.pop()
            if op.startswith("pow"):
                stack.append(make2("pow", child, num(int(op[3:]))))
            else:
                stack.append(make1(op, child))
        else:
            assert draws.binary is not None
            op = draws.binary.draw(rng)
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
