"""Lean goal states read back into our theorems: every state our own LeanDojo export writes parses back to
the goal it came from (issue 13, section 3's property), and states outside our language say why."""

from __future__ import annotations

import pytest
from equations.exporters.common import ExportItem
from equations.exporters.lean_goals import UntranslatableGoal, parse_goal_state
from equations.exporters.lean_syntax import LeanPrinter
from equations.exporters.leandojo import leandojo_records

import equations as eq
from equations.expr import Expr, make, num


def folded(e: Expr) -> Expr:
    """``-2`` is one Lean term whether we built it as the literal -2 or as the negation of 2."""
    if e.op == "int" and int(e.value) < 0:
        return make("neg", num(-int(e.value)))
    return make(e.op, *(folded(a) for a in e.args)) if e.args else e


def same(a: eq.Theorem, b: eq.Theorem) -> bool:
    return (folded(a.goal), tuple(folded(h) for h in a.hyps), a.domain) == \
        (folded(b.goal), tuple(folded(h) for h in b.hyps), b.domain)


def test_reads_a_state() -> None:
    thm = parse_goal_state("x y : ℝ\nh₀ : 0 < x\n⊢ Real.log (x * y) = Real.log x + Real.log y")
    assert thm == eq.parse("ln(x*y) == ln(x) + ln(y) | 0 < x")
    assert parse_goal_state("a b : ℕ\n⊢ a.gcd (b + 1) = (b + 1).gcd a") == eq.parse("nat: gcd(a, b+1) == gcd(b+1, a)")
    assert parse_goal_state("⊢ 2 + 2 = 4", domain="int") == eq.parse("int: 2 + 2 == 4")
    assert same(parse_goal_state("x : ℝ\n⊢ -x ^ 2 + (√x)⁻¹ = |x| ^ 3 ^ 2"),
                eq.parse("-(x**2) + inv(sqrt(x)) == abs(x) ** (3 ** 2)"))


@pytest.mark.parametrize(("state", "reason"), [
    ("x : ℂ\n⊢ x = x", "type ℂ"),
    ("x : ℝ\n⊢ ∀ y, x = y", "unexpected"),
    ("x : ℝ\n⊢ Real.cosh x = Real.foo x", "Real.foo"),
    ("⊢ 1 = 1", "no variable fixes the type"),
    ("x : ℝ\n⊢ x = 0\n\nx : ℝ\n⊢ x = 1", "several goals"),
    ("no goals", "no goals"),
])
def test_untranslatable_states_say_why(state: str, reason: str) -> None:
    with pytest.raises(UntranslatableGoal, match=reason):
        parse_goal_state(state)


@pytest.mark.parametrize("rules", ["default", "nat", "int"])
def test_every_exported_state_parses_back(rules: str) -> None:
    from equations.generators import GraphGenerator, RandomWalkGenerator

    rule_set = eq.load_rules(rules)
    gens = [*RandomWalkGenerator(rules, steps=6).generate(60, seed=11), *GraphGenerator(rules).generate(20, seed=11)]
    items = [ExportItem(f"t{i}", g.theorem, g.proof) for i, g in enumerate(gens)]
    records, report = leandojo_records(items, rule_set)
    assert records
    by_name = {f"EquationsDefault.thm_t{i}".replace("Default", rule_set.name.capitalize()): it.theorem
               for i, it in enumerate(items)}
    pp = LeanPrinter(rule_set.domain, ascribe=False)
    for rec in records:
        source = by_name[rec["full_name"]]
        first = parse_goal_state(rec["traced_tactics"][0]["state_before"], domain=rule_set.domain)
        if rec["traced_tactics"][0]["tactic"].startswith("have v"):
            continue  # a variable only the proof brings in comes first
        assert same(first, source), (rec["full_name"], first, source)
        for t in rec["traced_tactics"]:
            for state in (t["state_before"], t["state_after"]):
                if state == "no goals":
                    continue
                thm = parse_goal_state(state, domain=rule_set.domain)
                assert "⊢ " + pp.prop(thm.goal) == state.split("\n")[-1]
