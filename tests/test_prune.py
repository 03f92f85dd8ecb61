"""Numeric pruning (``SearchParams.prune``): false goals are marked invalid instead of expanded; true ones
never are."""

from __future__ import annotations

from equations.agents import SearchParams, prove
from equations.agents.policy import EngineEnv
from equations.identities import load

import equations as eq


def test_no_identity_is_refuted() -> None:
    """Every statement of the evaluation set is true: refuting one would prune a provable goal."""
    env = EngineEnv(eq.load_rules("default"))
    refuted = [it.id for it in load() if env.refuted(it.theorem)]
    assert refuted == []


def test_false_statements_are_refuted() -> None:
    env = EngineEnv(eq.load_rules("default"))
    for text in ("x + 1 == x", "sin(x) == cos(x)", "exp(x) < 0", "x*x == x | x > 2", "ln(x) == x | x > 0"):
        assert env.refuted(eq.parse(text)), text
    # not refutable: no point where the hypotheses hold, or true
    assert not env.refuted(eq.parse("x == 1 | x > 1; x < 0"))
    assert not env.refuted(eq.parse("sqrt(x)**2 == x | x >= 0"))


def test_a_false_root_costs_no_expansion() -> None:
    res = prove("x + 1 == x", "default", SearchParams(expansions=50, prune=True))
    assert not res.proved and res.stats.refuted == 1 and res.stats.expansions == 0
    plain = prove("x + 1 == x", "default", SearchParams(expansions=50))
    assert plain.stats.expansions == 50 and plain.stats.refuted == 0


def test_pruned_search_proves_and_never_solves_a_refuted_goal() -> None:
    rules = eq.load_rules("paper")
    res = prove("2*(x + 1) - 2 == 2*x", rules, SearchParams(expansions=400, seed=0, prune=True), policy="fast",
                keep_search=True)
    assert res.proved and res.proof is not None and res.stats.refuted > 0
    eq.check_proof(res.theorem, res.proof, rules)
    assert res.search is not None
    env = EngineEnv(rules)
    for node in res.search.graph:
        if node.solved:
            assert not env.refuted(node.goal), node.goal
