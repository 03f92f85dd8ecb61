"""(goal, tactic) pairs of the Pythagorean identity cos(a)**2 + sin(a)**2 == 1 for twelve arguments a, by the
9-step proof 1 -> cos(0) -> cos(a + -a) -> cos_add -> cos_neg, sin_neg -> mul_neg -> sub_neg_eq_add ->
sq, sq on the `default` rule set (which, like the paper's library, has no Pythagorean rule); each proof is
checked by check_proof. Part of the supervised data of the bundled `default` model (README, "The learned
prover"): the search finds none of these proofs without it.

Usage: python scripts/pythagoras_pairs.py [REPEAT] > pyth-pairs.jsonl   (each pair written REPEAT times)
"""

from __future__ import annotations

import json
import sys

from equations.agents.proofs import proof_steps

import equations as eq

rules = eq.load_rules("default")
ARGS = ["x", "y", "z", "2*x", "x + y", "x*y", "3*y", "x/2", "x - y", "2*z", "y + 1", "exp(x)"]
PLAN = [("cos_zero", "bwd", "R", ()), ("add_neg_cancel", "bwd", "R", ("A",)), ("cos_add", "fwd", "R", ()),
        ("cos_neg", "fwd", "R", ()), ("sin_neg", "fwd", "R", ()), ("mul_neg", "fwd", "R", ()),
        ("sub_neg_eq_add", "fwd", "R", ()), ("sq", "fwd", "L", ()), ("sq", "fwd", "L", ())]

def proof_of(text: str, arg: str) -> list[str]:
    """The plan's tactics for ``text``: each step at the first position of its side where it applies."""
    thm = eq.parse(text)
    steps = []
    for rid, d, side, free in PLAN:
        g = thm.goal
        lo, hi = (1, 1 + g.args[0].size) if side == "L" else (1 + g.args[0].size, g.size)
        done = False
        for pos in range(lo, hi):
            arrow = "->" if d == "fwd" else "<-"
            tac = f"{rid} {arrow} {pos}" + (f" with A := {arg}" if free else "")
            try:
                subs = eq.apply(thm, tac, rules)
            except eq.InvalidTactic:
                continue
            steps.append(tac)
            thm = subs[0]
            done = True
            break
        assert done, (text, rid, str(thm))
    assert eq.is_closed(thm, rules), str(thm)
    return steps

out = []
for a in ARGS:
    for text in (f"cos({a})**2 + sin({a})**2 == 1",):
        try:
            steps = proof_of(text, a)
        except AssertionError as e:
            print("skip", text, e, file=sys.stderr)
            continue
        thm = eq.parse(text)
        proof = eq.Proof.chain(steps)
        assert eq.check_proof(thm, proof, rules)
        for s in proof_steps(thm, proof, rules):
            out.append({"id": f"pyth-{a}", "goal": str(s[0]), "tactic": str(s[1])})
print(len(out), file=sys.stderr)
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
    for p in out:
        print(json.dumps(p))
