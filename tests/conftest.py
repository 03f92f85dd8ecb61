"""Shared fixtures and hypothesis strategies for the test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from equations.testing import expressions
from equations.testing import statements as testing_statements
from equations.testing import theorems as testing_theorems
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import equations as eq
from equations.expr import Expr

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "ci", deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# The suite's strategies are the ones users get (equations.testing), over the reals.


def exprs(max_leaves: int = 10) -> st.SearchStrategy[Expr]:
    """Random real expressions over x, y, z with every operator of the real language."""
    return expressions("real", max_leaves=max_leaves)


def statements(max_leaves: int = 10) -> st.SearchStrategy[Expr]:
    return testing_statements("real", max_leaves=max_leaves)


def theorems(max_leaves: int = 8) -> st.SearchStrategy[eq.Theorem]:
    return testing_theorems("real", max_leaves=max_leaves, max_hyps=2, hyp_leaves=4)


@pytest.fixture(scope="session")
def rules() -> eq.RuleSet:
    return eq.load_rules("default")


@pytest.fixture(scope="session")
def paper_rules() -> eq.RuleSet:
    return eq.load_rules("paper")


@pytest.fixture(scope="module")
def torch_one_thread() -> Iterator[None]:
    """Torch on one thread for a module's tests (what provers use; many threads only contend on small
    models), the previous count restored after. Modules opt in with ``pytest.mark.usefixtures``."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# Figure 8 of the paper, (x - y) - (x + y) + 2*y == 0, proved with elementary rules, one tactic a step.
