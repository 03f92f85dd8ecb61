"""Hypothesis strategies over the engine's objects: expressions, statements, theorems, rules, tactics."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

import equations as eq
from equations.expr import COMPARISONS, DOMAIN_OPS, PI, Expr, make1, make2, num, var

#: the operators :func:`expressions` uses over the reals by default (every real operator but the inverse
#: trigonometric and hyperbolic functions, whose narrow domains make most random trees undefined)
DEFAULT_UNARY = ("neg", "exp", "ln", "sqrt", "abs", "inv", "sin", "cos", "tan", "sinh", "cosh", "tanh", "atan")
DEFAULT_BINARY = ("add", "sub", "mul", "div", "pow")
_INT_UNARY = ("neg", "abs")
_INT_BINARY = ("add", "sub", "mul", "div", "mod", "pow", "gcd", "lcm")
_COMPARISONS = tuple(COMPARISONS)


def _ops_for(domain: str, ops: Sequence[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if domain not in DOMAIN_OPS:
        raise ValueError(f"unknown domain {domain!r}; expected real, int or nat")
    if ops is None:
        unary, binary = (DEFAULT_UNARY, DEFAULT_BINARY) if domain == "real" else (_INT_UNARY, _INT_BINARY)
        ops = tuple(op for op in (*unary, *binary) if op in DOMAIN_OPS[domain])
    bad = [op for op in ops if op not in DOMAIN_OPS[domain] or op in ("int", "var", "pi", *eq.expr.COMPARISON_OPS)]
    if bad:
        raise ValueError(f"not operators of {domain} terms: {', '.join(bad)}")
    return (tuple(op for op in ops if eq.expr.ARITY[op] == 1), tuple(op for op in ops if eq.expr.ARITY[op] == 2))


def expressions(domain: str = "real", ops: Sequence[str] | None = None,
                variables: Sequence[str] = ("x", "y", "z"), max_leaves: int = 10,
                max_int: int = 12) -> st.SearchStrategy[Expr]:
    """Random terms of ``domain`` built from ``ops`` (default: the domain's common operators), the given
    variables, integer literals ``0..max_int`` and, over the reals, ``pi``. Size is bounded by
    ``max_leaves``. Every generated term passes :func:`equations.expr.domain_error` for its domain."""
    unary, binary = _ops_for(domain, ops)
    leaf_options: list[st.SearchStrategy[Expr]] = []
    if variables:
        leaf_options.append(st.sampled_from(list(variables)).map(lambda n: var(n, domain)))
    leaf_options.append(st.integers(0, max_int).map(num))
    if domain == "real":
        leaf_options.append(st.just(PI))
    leaves = st.one_of(*leaf_options)

    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        options: list[st.SearchStrategy[Expr]] = []
        if unary:
            options.append(st.tuples(st.sampled_from(unary), children).map(lambda t: make1(*t)))
        if binary:
            options.append(st.tuples(st.sampled_from(binary), children, children).map(lambda t: make2(*t)))
        return st.one_of(*options)

    if not unary and not binary:
        return leaves
    return st.recursive(leaves, extend, max_leaves=max_leaves)


def statements(domain: str = "real", ops: Sequence[str] | None = None,
               variables: Sequence[str] = ("x", "y", "z"), max_leaves: int = 10,
               comparisons: Sequence[str] = _COMPARISONS) -> st.SearchStrategy[Expr]:
    """Comparisons of two :func:`expressions` (``comparisons``: ``eq ne lt le gt ge``)."""
    side = expressions(domain, ops, variables, max_leaves)
    return st.tuples(st.sampled_from(list(comparisons)), side, side).map(lambda t: make2(*t))


def theorems(domain: str = "real", ops: Sequence[str] | None = None,
             variables: Sequence[str] = ("x", "y", "z"), max_leaves: int = 8, max_hyps: int = 2,
             hyp_leaves: int = 4) -> st.SearchStrategy[eq.Theorem]:
    """Theorems (true or not): a goal statement and up to ``max_hyps`` smaller hypothesis statements."""
    return st.tuples(
        statements(domain, ops, variables, max_leaves),
        st.lists(statements(domain, ops, variables, hyp_leaves), max_size=max_hyps),
    ).map(lambda t: eq.Theorem(t[0], tuple(t[1]), domain))


def rules(rule_set: str | eq.RuleSet = "default", kinds: Sequence[str] = ("rewrite", "assert")
          ) -> st.SearchStrategy[eq.Rule]:
    """The rules of a set (by kind: ``rewrite``, ``assert``, ``arith``), shrinking towards the first."""
    rs = eq.load_rules(rule_set) if isinstance(rule_set, str) else rule_set
    chosen = [r for r in rs if r.kind in kinds]
    if not chosen:
        raise ValueError(f"rule set {rs.name} has no rule of kind {', '.join(kinds)}")
    return st.sampled_from(chosen)


def true_theorems(rule_set: str = "default", method: str = "walk", steps: tuple[int, int] = (1, 5),
                  **params: object) -> st.SearchStrategy[tuple[eq.Theorem, eq.Proof]]:
    """``(theorem, proof)`` pairs from the project's generators (random walks or theorem graphs), each
    checked by :func:`equations.check_proof` when generated; the generator's seed is drawn by hypothesis,
    so a failure replays. Needs the generators (``equations.generators``, installed with the package)."""
    generators: Any = importlib.import_module("equations.generators")  # a sibling wing, by name

    if method == "walk":
        gen = generators.RandomWalkGenerator(rule_set, steps=steps, **params)
    elif method == "graph":
        gen = generators.GraphGenerator(rule_set, **params)
    else:
        raise ValueError(f"unknown method {method!r}; expected 'walk' or 'graph'")

    def make(seed: int) -> tuple[eq.Theorem, eq.Proof]:
        for g in gen.generate(1, seed):
            return g.theorem, g.proof
        raise AssertionError(f"the {method} generator made no theorem for seed {seed}")

    return st.integers(0, 2**31 - 1).map(make)


@st.composite
def rule_applications(draw: st.DrawFn, rule_set: str | eq.RuleSet = "default",
                      goals: st.SearchStrategy[eq.Theorem] | None = None, max_per_triple: int = 4
                      ) -> tuple[eq.Theorem, eq.Tactic]:
    """A theorem and one tactic that applies to it (drawn from :func:`equations.applicable`); theorems with
    no applicable tactic are rejected (``assume``), so pass ``goals`` that rules of the set can match."""
    rs = eq.load_rules(rule_set) if isinstance(rule_set, str) else rule_set
    thm = draw(goals if goals is not None else theorems(rs.domain))
    tactics = eq.applicable(thm, rs, max_per_triple=max_per_triple)
    assume(tactics)
    return thm, draw(st.sampled_from(tactics))
