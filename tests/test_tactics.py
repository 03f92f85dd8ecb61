"""Tactics: application (paper B.2/B.3), canonical text, errors, enumeration; proofs and the checker."""

from __future__ import annotations

import json

import pytest
from conftest import theorems
from hypothesis import given, settings
from hypothesis import strategies as st

import equations as eq
from equations.paper import FIGURE8, FIGURE8_TACTICS
from equations.patterns import match


def test_paper_b2_example(rules: eq.RuleSet) -> None:
    thm = eq.parse("sqrt(exp(x)**2) == exp(x)")
    subgoals = eq.apply(thm, "sqrt_sq -> 1", rules)
    assert [str(s) for s in subgoals] == ["exp(x) == exp(x)", "exp(x) >= 0"]
    assert eq.is_closed(subgoals[0], rules)


def test_positions_follow_the_prefix_decomposition(rules: eq.RuleSet) -> None:
    thm = eq.parse("x + y + 1 == z")  # prefix: eq add add x y 1 z
    assert str(eq.apply(thm, "add_comm -> 1", rules)[0]) == "1 + (x + y) == z"
    assert str(eq.apply(thm, "add_comm -> 2", rules)[0]) == "y + x + 1 == z"


def test_substitutions_for_target_only_and_hypothesis_only_variables(rules: eq.RuleSet) -> None:
    thm = eq.parse("x <= z | x <= y; y <= z")
    tac = eq.Tactic.parse("le_trans with B := y")
    assert [str(s) for s in eq.apply(thm, tac, rules)] == ["x <= y | x <= y; y <= z", "y <= z | x <= y; y <= z"]
    out = eq.apply(eq.parse("x == 1"), "add_sub_cancel -> 1 with B := y**2", rules)
    assert str(out[0]) == "x + y**2 - y**2 == 1"


def test_relational_rewrite_and_assertion(rules: eq.RuleSet) -> None:
    thm = eq.parse("2 == 3")
    assert str(eq.apply(thm, "exp_inj_eq -> 0", rules)[0]) == "exp(2) == exp(3)"
    assert eq.apply(eq.parse("exp(x + 1) > 0"), "exp_pos", rules) == []


def test_arith_rules_are_exact(rules: eq.RuleSet) -> None:
    assert str(eq.apply(eq.parse("2*y == 0"), "int_add <- 2 with A := 1", rules)[0]) == "(1 + 1)*y == 0"
    assert str(eq.apply(eq.parse("(2 + 3)*y == 0"), "int_add -> 2", rules)[0]) == "5*y == 0"
    assert str(eq.apply(eq.parse("x == 2 - 5"), "int_sub -> 2", rules)[0]) == "x == -3"
    assert str(eq.apply(eq.parse("x == 3**4"), "int_pow -> 2", rules)[0]) == "x == 81"
    with pytest.raises(eq.InvalidTactic, match="not 4 times"):
        eq.apply(eq.parse("x == 6"), "int_mul <- 2 with A := 4", rules)
    with pytest.raises(eq.InvalidTactic, match="too large"):
        eq.apply(eq.parse("x == 10**1000000"), "int_pow -> 2", rules)
    nat = eq.load_rules("nat")
    assert str(eq.apply(eq.parse("nat: x == 2 - 5"), "int_sub -> 2", nat)[0]) == "nat: x == 0"


@pytest.mark.parametrize(
    ("goal", "tactic", "kind", "fragment"),
    [
        ("x + 0 == x", "no_such_rule -> 1", "unknown_rule", "unknown rule"),
        ("x + 0 == x", "add_zero -> 9", "position", "out of range"),
        ("x + 0 == x", "add_zero -> 3", "no_match", "does not match"),
        ("x + 0 == x", "add_zero -> 0", "position", "comparison"),
        ("x + 0 == x", "add_zero", "direction", "give a direction"),
        ("x <= z", "le_trans", "substitution", "needs a value for B"),
        ("x <= z", "le_trans with B := y, A := x", "substitution", "fixed by the match"),
        ("x <= z", "le_trans with B := y, Q := x", "substitution", "no pattern variable Q"),
        ("x <= z", "le_trans -> 0 with B := y", "direction", "assertion"),
        ("x + 1 == 2", "gt_iff_lt -> 1", "position", "must be 0"),
        ("x == 1", "add_sub_cancel -> 1 with B := y == 1", "syntax", "bad substitution"),
        ("x == 1", "add_zero -> x", "syntax", "cannot parse tactic"),
        ("x == 1", "add_sub_cancel -> 1 with B := y % 2", "syntax", "int and nat"),
    ],
)
def test_invalid_tactics_say_why(rules: eq.RuleSet, goal: str, tactic: str, kind: str, fragment: str) -> None:
    with pytest.raises(eq.InvalidTactic) as info:
        eq.apply(eq.parse(goal), tactic, rules)
    assert info.value.kind == kind, str(info.value)
    assert fragment in info.value.reason


def test_wrong_domain_is_rejected(rules: eq.RuleSet) -> None:
    with pytest.raises(eq.InvalidTactic) as info:
        eq.apply(eq.parse("nat: a + 0 == a"), "add_zero -> 1", rules)
    assert info.value.kind == "domain"


def test_tactic_text_round_trip() -> None:
    for text in ["add_comm -> 3", "add_sub_cancel <- 1 with B := y + 1", "le_trans with B := x**2",
                 "int_add <- 4 with A := 1", "exp_pos"]:
        t = eq.Tactic.parse(text)
        assert str(t) == text
        assert eq.Tactic.parse(str(t)) == t
    assert eq.Tactic.parse("le_trans with B := x, A := y") == eq.Tactic.parse("le_trans with A := y, B := x")


@settings(max_examples=60)
@given(thm=theorems(6))
def test_every_enumerated_tactic_applies_and_round_trips(thm: eq.Theorem, rules: eq.RuleSet) -> None:
    tacs = eq.applicable(thm, rules, max_per_triple=2)
    for t in tacs[:: max(1, len(tacs) // 40)]:
        eq.apply(thm, t, rules)
        assert eq.Tactic.parse(str(t)) == t


def _eager_applicable(thm: eq.Theorem, rules: eq.RuleSet, k: int) -> list[eq.Tactic]:
    """The enumeration written out eagerly: every triple, every substitution combination (product order,
    at most ``k``), every integer split that apply accepts."""
    from itertools import islice, product

    from equations.tactics import substitution_candidates

    cands = substitution_candidates(thm)
    numerals = [e for e in cands if eq.tactics.is_numeral(e)] or [eq.num(1)]
    if eq.num(1) not in numerals:
        numerals.append(eq.num(1))
    out = []
    for r, d, pos in eq.applicable_triples(thm, rules):
        p = None if d is None else pos
        free = r.free_variables(d)
        if not free:
            out.append(eq.Tactic(r.id, d, p))
        elif r.kind == "arith":
            for a in numerals:
                tac = eq.Tactic(r.id, d, p, (("A", a),))
                try:
                    eq.apply(thm, tac, rules)
                except eq.InvalidTactic:
                    continue
                out.append(tac)
        else:
            out.extend(eq.Tactic(r.id, d, p, tuple(zip(free, c, strict=True)))
                       for c in islice(product(cands, repeat=len(free)), k))
    return out


@settings(max_examples=40)
@given(thm=theorems(6), k=st.sampled_from([1, 3, 64]))
def test_lazy_enumeration_equals_the_eager_one(thm: eq.Theorem, k: int, rules: eq.RuleSet) -> None:
    """applicable builds tactics only when read; what it yields, counts and indexes is the full list."""
    tl = eq.applicable(thm, rules, max_per_triple=k)
    want = _eager_applicable(thm, rules, k)
    assert list(tl) == want and tl == want and len(tl) == len(want)
    assert [tl[i] for i in range(len(tl))] == want
    assert [t for g in tl.groups for t in g] == want
    assert tl[-1:] == want[-1:] and tl[::5] == want[::5]
    with pytest.raises(IndexError):
        tl[len(want)]


@pytest.mark.parametrize("domain", ["nat", "int"])
def test_integer_splits_are_decided_without_building_goals(domain: str) -> None:
    """The arithmetic shortcut of the enumeration agrees with apply, including ℕ's refusals."""
    rules = eq.load_rules(domain)
    for text in ["x + 12 == 7 * x", "x - 6 == 0 * x", "(x + 30) * 4 == x ** 2"]:
        thm = eq.parse(text, domain=domain)
        got = list(eq.applicable(thm, rules, max_per_triple=2))
        assert got == _eager_applicable(thm, rules, 2)
        assert any(t.rule.startswith("int_") and t.direction == "bwd" for t in got)


@settings(max_examples=40)
@given(thm=theorems(6))
def test_enumeration_is_complete_and_exact(thm: eq.Theorem, rules: eq.RuleSet) -> None:
    """The index finds exactly the (rule, direction, position) triples that brute-force matching finds."""
    got = {(r.id, d, p) for r, d, p in eq.applicable_triples(thm, rules) if r.kind != "arith"}
    want = set()
    nodes = list(thm.goal.subterms())
    for r in rules:
        if r.kind == "assert":
            assert r.concl is not None
            if match(r.concl, thm.goal) is not None:
                want.add((r.id, None, 0))
        elif r.kind == "rewrite":
            for d in ("fwd",) if r.symmetric else ("fwd", "bwd"):
                src = r.source(d)
                for p, node in enumerate(nodes):
                    if r.relational != (p == 0):
                        continue
                    if match(src, node) is not None:
                        want.add((r.id, d, p))
    assert got == want


def test_figure8_proof_checks(rules: eq.RuleSet) -> None:
    thm = eq.parse(FIGURE8)
    proof = eq.Proof.chain(FIGURE8_TACTICS)
    assert eq.check_proof(thm, proof, rules)
    assert proof.size == len(FIGURE8_TACTICS) == proof.depth


def test_proof_json_round_trip_records_goals(rules: eq.RuleSet) -> None:
    thm = eq.parse(FIGURE8)
    proof = eq.Proof.chain(FIGURE8_TACTICS)
    data = json.loads(proof.to_json(thm, rules))
    assert data["goal"] == "x - y - (x + y) + 2*y == 0" and data["tactic"] == FIGURE8_TACTICS[0]
    again = eq.Proof.from_json(proof.to_json(thm, rules))
    assert again == proof and eq.check_proof(thm, again, rules)


@pytest.mark.parametrize("drop", range(len(FIGURE8_TACTICS)))
def test_dropping_any_step_fails(rules: eq.RuleSet, drop: int) -> None:
    tactics = list(FIGURE8_TACTICS[:drop] + FIGURE8_TACTICS[drop + 1 :])
    with pytest.raises(eq.ProofError):
        eq.check_proof(eq.parse(FIGURE8), eq.Proof.chain(tactics), rules)


def test_proof_with_side_conditions(rules: eq.RuleSet) -> None:
    thm = eq.parse("2*ln(sqrt(x)) == ln(x) | x > 0")
    proof = eq.Proof.from_dict({
        "tactic": "exp_inj_eq -> 0",
        "subproofs": [None],
    })
    with pytest.raises(eq.ProofError, match="left open"):
        eq.check_proof(thm, proof, rules)
    # sqrt(x)**2 == x needs x >= 0, which is a hypothesis-free consequence? no: it must be proved
    sq = eq.parse("sqrt(x)**2 == x | x >= 0")
    assert eq.check_proof(sq, eq.Proof(eq.Tactic.parse("sq_sqrt -> 1"), (None, None)), rules)
    with pytest.raises(eq.ProofError, match="subgoal 1"):
        eq.check_proof(eq.parse("sqrt(x)**2 == x"), eq.Proof(eq.Tactic.parse("sq_sqrt -> 1")), rules)


def test_proof_errors_name_the_step(rules: eq.RuleSet) -> None:
    bad = eq.Proof.chain(["sub_eq_add_neg -> 2", "add_zero -> 1"])
    with pytest.raises(eq.ProofError) as info:
        eq.check_proof(eq.parse(FIGURE8), bad, rules)
    assert info.value.path == (0,) and "does not apply" in str(info.value)
    with pytest.raises(eq.ProofError, match="subgoals but the proof has"):
        eq.check_proof(eq.parse("x + 0 == x"), eq.Proof(eq.Tactic.parse("add_zero -> 1"), (None, None)), rules)
    with pytest.raises(eq.ProofError, match="not closed automatically"):
        eq.check_proof(eq.parse("x + 0 == x"), None, rules)
    assert eq.check_proof(eq.parse("x == x"), None, rules)


@given(theorems(6), st.integers(0, 6))
def test_smallest_candidates_are_the_first_substitution_candidates(thm: eq.Theorem, n: int) -> None:
    """The environment decodes substitution actions from the first few candidates, found without walking
    the whole theorem: they must be exactly the head of the full, sorted candidate list."""
    from equations.tactics import smallest_candidates, substitution_candidates

    assert smallest_candidates(thm, n) == substitution_candidates(thm)[:n]


@settings(max_examples=40, deadline=None)
@given(thm=theorems(6), m=st.sampled_from([1, 3]))
def test_environment_substitution_actions_decode_as_from_the_full_pool(thm: eq.Theorem, m: int) -> None:
    """The environment's shortcut (the first candidates only) decodes every action to the same tactic as
    the full candidate pool in product order."""
    from equations.envs import actions

    index = actions.ActionIndex(eq.load_rules(), subs_per_tactic=m)
    fast = index.tactics(thm, limit=400)
    original = actions.smallest_candidates
    actions.smallest_candidates = lambda thm, n: []  # type: ignore[assignment]
    try:
        slow = actions.ActionIndex(eq.load_rules(), subs_per_tactic=m).tactics(thm, limit=400)
    finally:
        actions.smallest_candidates = original
    assert fast == slow
