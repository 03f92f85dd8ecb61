"""equations.testing: the strategies generate what they say, and the assertions catch what they should."""

from __future__ import annotations

import pytest
from equations.testing import (
    assert_proof_sound,
    assert_rule_sound,
    assert_theorem_true,
    expressions,
    rule_applications,
    rules,
    statements,
    theorems,
    true_theorems,
)
from hypothesis import find, given, settings
from hypothesis import strategies as st

import equations as eq
from equations.expr import domain_error

DEFAULT = eq.load_rules("default")


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_expressions_are_terms_of_their_domain(data: st.DataObject) -> None:
    domain = data.draw(st.sampled_from(["real", "int", "nat"]))
    e = data.draw(expressions(domain))
    assert domain_error(e, domain) is None
    s = data.draw(statements(domain))
    assert domain_error(s, domain, statement=True) is None
    thm = data.draw(theorems(domain))
    assert thm.domain == domain and eq.parse(str(thm)) == thm


@settings(max_examples=30, deadline=None)
@given(expressions("real", ops=("add", "mul"), variables=("a",), max_leaves=5))
def test_expressions_respect_operators_and_variables(e: eq.Expr) -> None:
    assert {n.op for n in e.subterms()} <= {"add", "mul", "var", "int", "pi"}
    assert e.variables() <= {"a"}


def test_bad_strategy_arguments_are_errors() -> None:
    with pytest.raises(ValueError, match="not operators of nat terms: neg"):
        expressions("nat", ops=("add", "neg"))
    with pytest.raises(ValueError, match="unknown domain"):
        expressions("complex")


@settings(max_examples=8, deadline=None)
@given(true_theorems("default", steps=(1, 4)))
def test_true_theorems_pass_the_proof_assertion(pair: tuple[eq.Theorem, eq.Proof]) -> None:
    thm, proof = pair
    assert_proof_sound(thm, proof, DEFAULT, n_points=8)


@settings(max_examples=4, deadline=None)
@given(true_theorems("nat", steps=(1, 3)))
def test_true_nat_theorems(pair: tuple[eq.Theorem, eq.Proof]) -> None:
    assert_proof_sound(*pair, eq.load_rules("nat"), n_points=8)


@settings(max_examples=25, deadline=None)
@given(rule_applications("default"))
def test_rule_applications_apply(app: tuple[eq.Theorem, eq.Tactic]) -> None:
    thm, tactic = app
    assert isinstance(eq.apply(thm, tactic, DEFAULT), list)


@settings(max_examples=10, deadline=None)
@given(rules("default", kinds=("rewrite",)))
def test_bundled_rules_pass_the_rule_assertion(rule: eq.Rule) -> None:
    assert_rule_sound(rule, n_points=5)


def test_assertions_catch_unsound_rules_and_false_theorems() -> None:
    bad = eq.parse_rule("rewrite sub_comm_wrong: A - B == B - A")
    with pytest.raises(AssertionError, match=r"sub_comm_wrong .* is not sound"):
        assert_rule_sound(bad)
    evil = eq.parse_rules_text("@domain real\nassert evil: A == B\n", name="evil")
    thm = eq.parse("x == x + 1")
    assert eq.check_proof(thm, eq.Proof(eq.Tactic("evil")), evil)  # the unsound rule set accepts it ...
    with pytest.raises(AssertionError, match="is false"):       # ... the numeric check does not
        assert_proof_sound(thm, eq.Proof(eq.Tactic("evil")), evil)
    with pytest.raises(AssertionError, match="does not check"):
        assert_proof_sound(thm, eq.Proof.chain(["add_zero -> 1"]), DEFAULT)
    assert_theorem_true(eq.parse("x/x == 1 | x != 0"))
    with pytest.raises(AssertionError, match="lean semantics"):  # partial holds, x/0 = 0 in Lean
        assert_theorem_true(eq.parse("x/x == 1"))


def test_shrinking_gives_small_counterexamples() -> None:
    # Hypothesis shrinks towards the smallest expression with a property: small, readable failures.
    e = find(expressions(), lambda e: e.size >= 3 and "ln" in eq.to_infix(e))
    assert eq.to_infix(e) in ("ln(-x)", "-ln(x)", "ln(ln(x))", "ln(x) + x", "x + ln(x)", "ln(x + x)", "ln(x)*x") \
        or e.size == 3, eq.to_infix(e)
