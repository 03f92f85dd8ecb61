"""The Lean export's defect classes (issue 13), each on a constructed case that used to trigger it.

Lean cannot run here, so each test states what the written text must be for Lean to accept it, as Lean's
rules make it: ``conv``/``rw`` try ``rfl`` after rewriting (so a goal can vanish before the next tactic),
``add_le_add_right`` concludes ``C + A ≤ C + B`` in current Mathlib, a numeral-only ``gcd`` elaborates in ℕ,
two ``theorem`` of one name in one Lake library clash.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from equations.exporters.common import ExportItem
from equations.exporters.lean import (
    LeanTheorem,
    export_theorem,
    mapped_rules,
    rule_check_text,
    write_lean,
)
from equations.exporters.lean_syntax import LeanPrinter
from equations.exporters.trace import Closed, Step, trace

import equations as eq

RULES = {s: eq.load_rules(s) for s in ("default", "nat", "int")}

# a rewrite step: the congruence of the rewritten node's equation under the goal's context, new goal typed
_REFINE = re.compile(r"^refine Eq\.mpr \(congrArg \(fun hole : (?P<ty>[ℝℕℤ]) => (?P<motive>.+?)\) (?P<eq>\(show .+)\) "
                     r"\(\?_ : (?P<new>.+)\)$")
_RELATIONAL = re.compile(r"^refine \(show .+ ↔ .+\)\.mpr? \?_$")


def export(text: str, tactics: list[str] | None, rules: str = "default", name: str = "t") -> LeanTheorem:
    proof = None if tactics is None else eq.Proof.chain(tactics)
    return export_theorem(ExportItem(name, eq.parse(text), proof), RULES[rules])


def chain_goals(text: str, tactics: list[str], rules: str) -> list[str]:
    """The goals after each step of the proof's main chain, printed as the source prints them."""
    thm = eq.parse(text)
    node = trace(thm, eq.Proof.chain(tactics), RULES[rules])
    out: list[str] = []
    while isinstance(node, Step):
        out.append(LeanPrinter(thm.domain).prop(node.subgoals[0].goal))
        node = node.children[0]
    assert isinstance(node, Closed)
    return out


# -- 1. no goal is closed behind our back ------------------------------------------------------------------

# (theorem, proof, rule set): after the first step, Lean's `rfl` at default transparency proves the goal
# (x + 0 ≡ x over ℕ, a - b ≡ a + -b over ℝ, 2 * 3 ≡ 6 over ℤ); a `conv`/`rw` step would have closed it, and
# the next tactic would have failed with "no goals"
RFL_TRAPS = [
    ("nat: x * 1 == x + 0", ["mul_one -> 1", "add_zero -> 2"], "nat"),
    ("x - y + 0 == x + -y", ["add_zero -> 1", "sub_eq_add_neg -> 1"], "default"),
    ("int: 2 * 3 == 6 + 0", ["add_zero -> 4"], "int"),
    ("nat: (x + 0) * 1 == x", ["mul_one -> 1", "add_zero -> 1"], "nat"),
]


@pytest.mark.parametrize(("text", "tactics", "rules"), RFL_TRAPS)
def test_rewrites_are_explicit_term_steps(text: str, tactics: list[str], rules: str) -> None:
    thm = export(text, tactics, rules)
    top = [t.text for t in thm.tactics if t.depth == 0]
    assert not any(line.lstrip().startswith(("conv", "rw ", "simp", "rfl")) for t in top for line in t.split("\n"))
    steps = [_REFINE.match(t) for t in top[:len(tactics)]]
    assert all(steps), top
    # each step's new goal is exactly the engine's next goal, and something explicit closes the last one
    assert [m.group("new") for m in steps if m] == chain_goals(text, tactics, rules)
    assert len(top) == len(tactics) + 1 and top[-1].startswith(("exact ", "norm_num"))


def test_reflexive_goal_is_closed_explicitly() -> None:
    # `conv` used to close `x = x` itself, so no closing tactic was written; refine leaves it to our proof
    thm = export("nat: a * 1 + 0 == a", ["add_zero -> 1", "mul_one -> 1"], "nat")
    assert [t.text for t in thm.tactics][-2:] == [
        "refine Eq.mpr (congrArg (fun hole : ℕ => hole = a) (show a * 1 = a from mul_one a)) (?_ : a = a)",
        "exact rfl",
    ]


def test_relational_rewrite_is_an_iff_step() -> None:
    thm = export("x + 1 < y + 1 | x < y", ["add_lt_add_iff_right -> 0"], "default")
    assert [t.text for t in thm.tactics] == [
        "refine (show x + 1 < y + 1 ↔ x < y from add_lt_add_iff_right (1 : ℝ)).mpr ?_", "exact h₀"]
    assert _RELATIONAL.match(thm.tactics[0].text)


def test_generated_exports_have_no_implicit_closing(tmp_path: Path) -> None:
    from equations.generators import RandomWalkGenerator

    for rules in ("default", "nat", "int"):
        items = [ExportItem(f"w{i}", g.theorem, g.proof)
                 for i, g in enumerate(RandomWalkGenerator(rules, steps=6).generate(40, seed=3))]
        report = write_lean(items, tmp_path / rules, RULES[rules])
        assert report.exported
        for path in report.files:
            body = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("  ")]
            tactics = [line.strip() for line in body if not line.startswith("    ")]
            assert tactics and all(t.startswith(("refine ", "exact ", "have ", "norm_num")) for t in tactics), rules
            assert not any(t.startswith("refine Eq.mpr") and not _REFINE.match(t) for t in tactics)


# -- 2. lemmas whose meaning changed upstream -------------------------------------------------------------

#: names Mathlib reused with another statement (`_left`/`_right` order lemmas: `add_le_add_right h c` now
#: proves `c + a ≤ c + b`); the templates must not apply them
CHANGED_MEANING = ("add_le_add_right", "add_lt_add_right", "add_le_add_left", "add_lt_add_left",
                   "mul_le_mul_left'", "mul_le_mul_right'", "mul_lt_mul_left'", "mul_lt_mul_right'")


def test_no_template_applies_a_lemma_whose_meaning_changed() -> None:
    for set_name in ("default", "nat", "int"):
        for rid, template in mapped_rules(set_name).items():
            used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.'₀-₉]*", template))
            assert not used & set(CHANGED_MEANING), (set_name, rid, template)


def test_right_addition_uses_the_two_sided_lemma() -> None:
    thm = export("x + 2 <= y + 2 | x <= y", ["add_le_add_right"])
    assert thm.tactics[-1].text == "exact add_le_add h₀ (le_refl (2 : ℝ))"
    thm = export("x + z < y + z | x < y", ["add_lt_add_right"])
    assert thm.tactics[-1].text == "exact add_lt_add_of_lt_of_le h₀ (le_refl z)"
    thm = export("x - z <= y - z | x <= y", ["sub_le_sub_right"])
    assert thm.tactics[-1].text == "exact sub_le_sub h₀ (le_refl z)"


# -- 4. rewrites inside a literal exponent ----------------------------------------------------------------


def test_exponent_rewrite_with_side_condition_uses_the_rule_lemma() -> None:
    # y * 2 / y becomes the literal 2 (a ℕ power): norm_num cannot prove it without y ≠ 0; the rule's lemma can
    thm = export("x ** (2 * y / y) == x * x | y != 0", ["mul_div_cancel -> 3", "sq -> 1"])
    first = thm.tactics[0]
    assert "mul_div_cancel_right₀ (2 : ℝ) h₀" in first.text and "by norm_num" not in first.text
    assert ("(show x ^ (2 * y / y : ℝ) = x ^ 2 by simpa only [Real.rpow_ofNat, Real.rpow_one, Real.rpow_zero, "
            "pow_one, pow_zero] using congrArg (fun hole : ℝ => x ^ (hole : ℝ)) "
            "(show 2 * y / y = 2 from mul_div_cancel_right₀ (2 : ℝ) h₀))") in first.text
    assert "mul_div_cancel_right₀" in first.premises


def test_exponent_rewrite_proves_its_side_goal() -> None:
    thm = export("x ** exp(ln(2)) == x * x", ["exp_ln -> 3", "sq -> 1"])
    assert ("congrArg (fun hole : ℝ => x ^ (hole : ℝ)) (show Real.exp (Real.log 2) = 2 from "
            "Real.exp_log (show (2 : ℝ) > 0 by norm_num))") in thm.tactics[0].text


def test_int_exponent_rule_is_stated_over_nat() -> None:
    thm = export("int: x ** (1 + 2) == x ** (2 + 1)", ["add_comm -> 3"], "int")
    assert thm.tactics[0].text == (
        "refine Eq.mpr (congrArg (fun hole : ℕ => x ^ hole = x ^ (2 + 1)) "
        "(show (1 : ℕ) + 2 = 2 + 1 from add_comm (1 : ℕ) (2 : ℕ))) (?_ : x ^ (2 + 1) = x ^ (2 + 1))"
    )


# -- 5. ℤ gcd/lcm of numerals ------------------------------------------------------------------------------


def test_int_gcd_of_numerals_is_typed() -> None:
    assert export("int: gcd(4, -6) == 2", None, "int").statement == "theorem thm_t :\n    gcd (4 : ℤ) (-6) = 2"
    assert export("int: lcm(4, 6) == 12", None, "int").statement == "theorem thm_t :\n    lcm (4 : ℤ) 6 = 12"
    # a variable argument types it already; ℕ's Nat.gcd is typed by its name
    assert export("int: gcd(x, 0) == abs(x)", ["gcd_zero_right -> 1"], "int").statement.endswith("gcd x 0 = |x|")
    assert LeanPrinter("nat").prop(eq.parse("nat: gcd(4, 6) == 2").goal) == "Nat.gcd 4 6 = 2"


# -- 6. unique theorem names -------------------------------------------------------------------------------


def test_names_are_unique_across_one_export(tmp_path: Path) -> None:
    real = [ExportItem("walk-1", eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"])),
            ExportItem("walk-1", eq.parse("x * 1 == x"), eq.Proof.chain(["mul_one -> 1"]))]
    nat = [ExportItem("walk-1", eq.parse("nat: x + 0 == x"), eq.Proof.chain(["add_zero -> 1"]))]
    a = write_lean(real, tmp_path, RULES["default"])
    b = write_lean(nat, tmp_path, RULES["nat"])
    assert a.exported == ["EquationsDefault.thm_walk_1", "EquationsDefault.thm_walk_1_2"]
    assert b.exported == ["EquationsNat.thm_walk_1"]
    texts = {p.name: p.read_text(encoding="utf-8") for p in (*a.files, *b.files)}
    assert texts["EquationsDefault0000.lean"].count("namespace EquationsDefault\n") == 1
    assert texts["EquationsDefault0000.lean"].rstrip().endswith("end EquationsDefault")
    assert "namespace EquationsNat\n" in texts["EquationsNat0000.lean"]
    # one library builds both files
    lakefile = (tmp_path / "lakefile.toml").read_text(encoding="utf-8")
    assert 'roots = ["EquationsDefault0000", "EquationsNat0000"]' in lakefile


# -- the rule check file -----------------------------------------------------------------------------------


def test_rule_check_states_every_rule_with_its_template() -> None:
    text = rule_check_text(RULES["default"])
    assert text.startswith("import Mathlib\n")
    assert "\ntheorem rule_add_le_add_right (A B C : ℝ) (h1 : A ≤ B) :\n    A + C ≤ B + C :=\n" \
           "  add_le_add h1 (le_refl C)\n" in text
    assert "\ntheorem rule_ln_mul (A B : ℝ) (h1 : A > 0) (h2 : B > 0) :\n    Real.log (A * B) = Real.log A + " \
           "Real.log B :=\n  Real.log_mul (ne_of_gt h1) (ne_of_gt h2)\n" in text
    # a Real.rpow rule is stated with real powers, the form Mathlib proves
    assert "\ntheorem rule_ln_rpow (A B : ℝ) (h1 : A > 0) :\n    Real.log (A ^ (B : ℝ)) = B * Real.log A :=\n" in text
    stated = set(re.findall(r"^theorem rule_(\S+)", text, flags=re.M))
    arith = {r.id for r in RULES["default"] if r.kind == "arith"}
    assert stated == set(mapped_rules("default")) - arith
    # over ℤ, a pattern variable in an exponent is a ℕ
    assert "theorem rule_pow_succ (A : ℤ) (B : ℕ) (h1 : B ≥ 0) :\n    A ^ (B + 1) = A ^ B * A :=\n  pow_succ ..\n" \
        in rule_check_text(RULES["int"])


def test_write_lean_with_rule_check(tmp_path: Path) -> None:
    report = write_lean([ExportItem("a", eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"]))], tmp_path,
                        RULES["default"], rule_check=True)
    assert [p.name for p in report.files] == ["RuleCheckDefault.lean", "EquationsDefault0000.lean"]
    assert 'roots = ["EquationsDefault0000", "RuleCheckDefault"]' in (tmp_path / "lakefile.toml").read_text()


def test_cli_writes_the_project_and_rule_check(tmp_path: Path) -> None:
    import json

    from equations.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "theorem": "x + 0 == x", "proof": {"tactic": "add_zero -> 1"}}) + "\n"
                   + json.dumps({"id": "a", "theorem": "nat: x + 0 == x", "proof": {"tactic": "add_zero -> 1"},
                                 "rules": "nat"}) + "\n")
    out = tmp_path / "lean"
    assert main(["export", "--to", "lean", str(src), str(out), "--rule-check"]) == 0
    assert sorted(p.name for p in out.glob("*.lean")) == [
        "EquationsDefault0000.lean", "EquationsNat0000.lean", "RuleCheckDefault.lean", "RuleCheckNat.lean"]
    assert 'roots = ["EquationsDefault0000", "EquationsNat0000", "RuleCheckDefault", "RuleCheckNat"]' in \
        (out / "lakefile.toml").read_text(encoding="utf-8")
    report = json.loads((out / "export_report.json").read_text(encoding="utf-8"))
    assert report["exported"] == 2
