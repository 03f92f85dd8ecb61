"""Shared fixtures and hypothesis strategies for the test suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import equations as eq
from equations.expr import PI, Expr, make1, make2, num, var

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "ci", deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

UNARY = ("neg", "exp", "ln", "sqrt", "abs", "inv", "sin", "cos", "tan", "sinh", "cosh", "tanh", "atan")
BINARY = ("add", "sub", "mul", "div", "pow")
CMP = ("eq", "ne", "lt", "le", "gt", "ge")

leaves = st.one_of(
    st.sampled_from(["x", "y", "z"]).map(var),
    st.integers(0, 12).map(num),
    st.just(PI),
)


def exprs(max_leaves: int = 10) -> st.SearchStrategy[Expr]:
    """Random real expressions over x, y, z with every operator of the real language."""
    return st.recursive(
        leaves,
        lambda ch: st.one_of(
            st.tuples(st.sampled_from(UNARY), ch).map(lambda t: make1(*t)),
            st.tuples(st.sampled_from(BINARY), ch, ch).map(lambda t: make2(*t)),
        ),
        max_leaves=max_leaves,
    )


def statements(max_leaves: int = 10) -> st.SearchStrategy[Expr]:
    return st.tuples(st.sampled_from(CMP), exprs(max_leaves), exprs(max_leaves)).map(lambda t: make2(*t))


def theorems(max_leaves: int = 8) -> st.SearchStrategy[eq.Theorem]:
    return st.tuples(statements(max_leaves), st.lists(statements(4), max_size=2)).map(
        lambda t: eq.Theorem(t[0], tuple(t[1]))
    )


@pytest.fixture(scope="session")
def rules() -> eq.RuleSet:
    return eq.load_rules("default")


# Figure 8 of the paper, (x - y) - (x + y) + 2*y == 0, proved with elementary rules, one tactic a step.
