"""The one replay of a proof (equations.proof.replay) and what is built on it: the checker, Proof.to_dict,
dataset records, training pairs, the exporters' trace, the viewer's tree, and the proof-editing helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from equations.agents.proofs import proof_steps
from equations.exporters.trace import Closed, trace
from equations.generators import RandomWalkGenerator, to_record
from equations.generators.common import Generated
from equations.viewer import proof_tree

import equations as eq
from equations.paper import FIGURE8, FIGURE8_TACTICS
from equations.proof import Step, drop_step, replay, step_dicts, step_paths

RULES = eq.load_rules("default")


@contextmanager
def recursion_limit(n: int) -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(n)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _cases() -> list[tuple[eq.Theorem, eq.Proof]]:
    """Chains, proofs with side conditions, and generated walks (side proofs with several sub-proofs)."""
    out = [
        (eq.parse(FIGURE8), eq.Proof.chain(FIGURE8_TACTICS)),
        (eq.parse("sqrt(x)**2 == x | x >= 0"), eq.Proof(eq.Tactic.parse("sq_sqrt -> 1"), (None, None))),
    ]
    gen = RandomWalkGenerator("default", steps=6)
    out += [(g.theorem, g.proof) for g in gen.generate(12, seed=5)]
    return out


def test_replay_gives_every_step_its_goal_and_the_subgoals_apply_gives() -> None:
    for thm, proof in _cases():
        steps = replay(thm, proof, RULES)
        # the order of Proof.steps and step_paths: each step before its sub-proofs, first subgoal first
        assert [s.proof for s in steps] == list(proof.steps())
        assert [s.path for s in steps] == list(step_paths(proof))
        by_path = {s.path: s for s in steps}
        assert by_path[()].goal == thm
        for k, s in enumerate(steps):
            assert s.invalid is None and s.tactic == s.proof.tactic
            # the parent is an earlier step, the one whose subgoal path[-1] this step proves
            assert (s.parent == -1) if not s.path else (s.parent < k and steps[s.parent].path == s.path[:-1])
            assert list(s.subgoals) == eq.apply(s.goal, s.tactic, RULES)
            for i, sub in enumerate(s.subgoals):
                below = by_path.get((*s.path, i))
                assert (below is None) == (s.entry(i) is None)
                if below is not None:
                    assert below.goal == sub
            # the leaves are the subgoals without a sub-proof, and they close (the proofs check)
            assert [i for i, _ in s.leaves()] == [i for i in range(len(s.subgoals)) if s.entry(i) is None]
            assert all(eq.is_closed(sub, RULES) for _, sub in s.leaves())


def test_the_empty_proof_has_no_steps() -> None:
    assert replay(eq.parse("x == x"), None, RULES) == []


def test_strict_replay_raises_the_checkers_errors_and_lenient_replay_shows_them() -> None:
    thm = eq.parse("x + 0 == x")
    extra = eq.Proof(eq.Tactic.parse("add_zero -> 1"), (None, None))
    with pytest.raises(eq.ProofError, match="gives 1 subgoals but the proof has 2 entries"):
        replay(thm, extra, RULES)
    (step,) = replay(thm, extra, RULES, strict=False)
    assert step.invalid is None and list(step.subgoals) == [eq.parse("x == x")]
    # a tactic that does not apply: nothing below it is replayed
    wrong = eq.Proof.chain(["sub_eq_add_neg -> 2", "add_zero -> 1"])
    with pytest.raises(eq.ProofError, match="does not apply") as info:
        replay(thm, wrong, RULES)
    assert info.value.path == ()
    (bad,) = replay(thm, wrong, RULES, strict=False)
    assert not bad.subgoals and bad.invalid is not None and bad.invalid.kind == "no_match"
    # a step that is not a Proof is refused either way
    with pytest.raises(eq.ProofError, match="not str"):
        replay(thm, eq.Proof(eq.Tactic.parse("add_zero -> 1"), ("x",)), RULES, strict=False)  # type: ignore[arg-type]


def test_check_proof_names_the_last_of_two_faulty_sub_proofs_as_it_always_has() -> None:
    thm = eq.parse("sqrt(x)**2 == x | x >= 0")
    nope = (eq.Proof.chain(["add_zero -> 1"]), eq.Proof.chain(["mul_one -> 1"]))  # neither applies
    proof = eq.Proof(eq.Tactic.parse("sq_sqrt -> 1"), nope)
    with pytest.raises(eq.ProofError) as info:
        eq.check_proof(thm, proof, RULES)
    assert info.value.path == (1,) and "does not apply to x >= 0" in str(info.value)
    # the replay itself goes first subgoal first, and leniently shows both
    with pytest.raises(eq.ProofError) as first:
        replay(thm, proof, RULES)
    assert first.value.path == (0,)
    assert [(s.path, s.invalid is not None) for s in replay(thm, proof, RULES, strict=False)] == [
        ((), False), ((0,), True), ((1,), True)]
    with pytest.raises(eq.InvalidTactic, match="mul_one"):  # to_dict too, as it always has
        proof.to_dict(thm, RULES)


def test_step_dicts_are_the_replayed_dict_of_each_step() -> None:
    for thm, proof in _cases():
        steps = replay(thm, proof, RULES)
        dicts = step_dicts(steps)
        d = proof.to_dict(thm, RULES)
        assert dicts[0] == d and eq.Proof.from_dict(d) == proof and d["goal"] == eq.to_infix(thm.goal)
        for s, sd in zip(steps, dicts, strict=True):
            assert sd["goal"] == eq.to_infix(s.goal.goal) and sd["tactic"] == str(s.tactic)
            assert eq.Proof.from_dict(sd) == s.proof  # each holds its sub-proofs
    # entries beyond a step's subgoals are kept, without goals (no goal to give them)
    extra = eq.Proof(eq.Tactic.parse("add_zero -> 1"), (None, eq.Proof(eq.Tactic.parse("add_zero -> 1"))))
    assert extra.to_dict(eq.parse("x + 0 == x"), RULES) == {
        "goal": "x + 0 == x", "tactic": "add_zero -> 1",
        "subproofs": [None, {"tactic": "add_zero -> 1", "subproofs": []}]}


def _deep() -> tuple[eq.Theorem, eq.Proof, list[str]]:
    # x == x -> x + 0 == x -> x == x ...: 2000 steps deep, the goal stays small
    tactics = ["add_zero <- 1", "add_zero -> 1"] * 1000
    return eq.parse("x == x"), eq.Proof.chain(tactics), tactics


def _links(d: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(goal, tactic) of each step of a chain's dict, without recursion."""
    out = []
    while d is not None:
        out.append((d["goal"], d["tactic"]))
        d = d["subproofs"][0]
    return out


def test_deep_proofs_replay_without_recursion() -> None:
    thm, proof, tactics = _deep()
    assert proof.depth == 2000
    g = Generated(thm, proof, ["add_zero"], {"generator": "test"})
    with recursion_limit(300):  # far below the proof's depth: every walk below is iterative
        steps = replay(thm, proof, RULES)
        assert len(steps) == 2000 and steps[-1].path == (0,) * 1999
        assert eq.check_proof(thm, proof, RULES)
        assert [str(t) for _, t in proof_steps(thm, proof, RULES)] == tactics
        rec = to_record(g, RULES)
        node = trace(thm, proof, RULES)
        tree = proof_tree(thm, proof, RULES)
        shorter = drop_step(proof, (0,) * 1999)
        d = proof.to_dict(thm, RULES)
    # (compared link by link: == on 2000-deep nested objects would itself recurse)
    assert [s["tactic"] for s in rec["steps"]] == tactics
    assert _links(rec["proof"]) == _links(d) == [(eq.to_infix(s.goal.goal), str(s.tactic)) for s in steps]
    assert shorter is not None and [str(p.tactic) for p in shorter.steps()] == tactics[:-1]
    assert tree["checked"] and tree["depth"] == 2000
    depth = 0
    while not isinstance(node, Closed):
        depth += 1
        (node,) = node.children
    assert depth == 2000 and node.rule is not None and node.rule.id == "eq_refl"  # x == x


def test_drop_step_removes_one_link_of_a_chain() -> None:
    tactics = list(FIGURE8_TACTICS)
    proof = eq.Proof.chain(tactics)
    for k in range(len(tactics)):
        assert drop_step(proof, (0,) * k) == eq.Proof.chain(tactics[:k] + tactics[k + 1:])
    with pytest.raises(ValueError, match="closed automatically"):
        drop_step(proof, (0,) * len(tactics))


def test_the_viewer_shows_a_substitution_outside_the_domain_where_it_breaks() -> None:
    nat = eq.load_rules("nat")
    d: dict[str, Any] = {"tactic": "add_zero -> 1", "subproofs": [{"tactic": "le_trans with B := 2 + -1"}]}
    tree = proof_tree("nat: a + 0 <= 1", d, nat)
    assert not tree["checked"]
    errors = [(n["goal"], n["error"]) for n in tree["nodes"] if n["error"]]
    assert errors == [("a <= 1", "the tactic does not apply: substitution B := 2 + -1: unary minus is not "
                                 "defined over nat (write a subtraction)")]


def test_step_is_the_replays_record() -> None:
    thm, proof = eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"])
    (s,) = replay(thm, proof, RULES)
    assert isinstance(s, Step) and s.entry(0) is None and s.entry(5) is None
    assert s.leaves() == [(0, eq.parse("x == x"))]
