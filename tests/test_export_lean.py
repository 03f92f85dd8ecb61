"""Lean 4 (Mathlib) exporter and LeanDojo-style JSON: golden texts, rule tables, generated theorems."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from equations.exporters.common import ExportItem
from equations.exporters.lean import (
    LeanNotFound,
    check_lean,
    export_theorem,
    mapped_rules,
    mathlib_names,
    template_names,
    unmapped_rules,
    write_lean,
)
from equations.exporters.leandojo import leandojo_records, write_leandojo

import equations as eq
from equations.paper import FIGURE8, FIGURE8_TACTICS

RULES = {s: eq.load_rules(s) for s in ("default", "paper", "nat", "int")}


def lean(name: str, text: str, proof: eq.Proof | None, rules: str = "default") -> str:
    return export_theorem(ExportItem(name, eq.parse(text), proof), RULES[rules]).text()


# -- golden exports -------------------------------------------------------------------------------------

def refine(motive: str, proof: str, new: str, hole: str = "ℝ") -> str:
    """One exported rewrite step: the congruence ``C[OLD] = C[NEW]`` from the rule's equation, new goal typed."""
    return f"  refine Eq.mpr (congrArg (fun hole : {hole} => {motive}) {proof}) (?_ : {new})\n"


FIGURE8_STEPS = [
    ("hole + 2 * y = 0", "(show x - y - (x + y) = x - y + -(x + y) from sub_eq_add_neg (x - y) (x + y))",
     "x - y + -(x + y) + 2 * y = 0"),
    ("x - y + hole + 2 * y = 0", "(show -(x + y) = -x + -y from neg_add x y)",
     "x - y + (-x + -y) + 2 * y = 0"),
    ("hole + 2 * y = 0", "(show x - y + (-x + -y) = x - y + -x + -y from (add_assoc (x - y) (-x) (-y)).symm)",
     "x - y + -x + -y + 2 * y = 0"),
    ("hole + 2 * y = 0", "(show x - y + -x - y = x - y + -x + -y from sub_eq_add_neg (x - y + -x) y).symm",
     "x - y + -x - y + 2 * y = 0"),
    ("hole - y + 2 * y = 0", "(show x - y - x = x - y + -x from sub_eq_add_neg (x - y) x).symm",
     "x - y - x - y + 2 * y = 0"),
    ("x - y - x - y + hole * y = 0", "(show (2 : ℝ) = 1 + 1 by norm_num)",
     "x - y - x - y + (1 + 1) * y = 0"),
    ("x - y - x - y + hole = 0", "(show (1 + 1) * y = y * (1 + 1) from mul_comm ((1 : ℝ) + 1) y)",
     "x - y - x - y + y * (1 + 1) = 0"),
    ("x - y - x - y + hole = 0", "(show y * (1 + 1) = y * 1 + y * 1 from mul_add y (1 : ℝ) (1 : ℝ))",
     "x - y - x - y + (y * 1 + y * 1) = 0"),
    ("x - y - x - y + (hole + y * 1) = 0", "(show y * 1 = y from mul_one y)",
     "x - y - x - y + (y + y * 1) = 0"),
    ("hole = 0",
     "(show x - y - x - y + (y + y * 1) = x - y - x - y + y + y * 1 from (add_assoc (x - y - x - y) y (y * 1)).symm)",
     "x - y - x - y + y + y * 1 = 0"),
    ("hole + y + y * 1 = 0", "(show x - y - x - y = x - y - x + -y from sub_eq_add_neg (x - y - x) y)",
     "x - y - x + -y + y + y * 1 = 0"),
    ("hole + y * 1 = 0",
     "(show x - y - x + (-y + y) = x - y - x + -y + y from (add_assoc (x - y - x) (-y) y).symm).symm",
     "x - y - x + (-y + y) + y * 1 = 0"),
    ("x - y - x + hole + y * 1 = 0", "(show -y + y = y + -y from add_comm (-y) y)",
     "x - y - x + (y + -y) + y * 1 = 0"),
    ("x - y - x + hole + y * 1 = 0", "(show y - y = y + -y from sub_eq_add_neg y y).symm",
     "x - y - x + (y - y) + y * 1 = 0"),
    ("x - y - x + hole + y * 1 = 0", "(show y - y = 0 from sub_self y)", "x - y - x + 0 + y * 1 = 0"),
    ("hole + y * 1 = 0", "(show x - y - x + 0 = x - y - x from add_zero (x - y - x))", "x - y - x + y * 1 = 0"),
    ("x - y - x + hole = 0", "(show y * 1 = y from mul_one y)", "x - y - x + y = 0"),
    ("hole - x + y = 0", "(show x - y = x + -y from sub_eq_add_neg x y)", "x + -y - x + y = 0"),
    ("hole + y = 0", "(show x + -y - x = -y from add_sub_cancel_left x (-y))", "-y + y = 0"),
    ("hole = 0", "(show -y + y = 0 from neg_add_cancel y)", "(0 : ℝ) = 0"),
]
FIGURE8_LEAN = (
    "theorem thm_figure8 (x y : ℝ) :\n    x - y - (x + y) + 2 * y = 0 := by\n"
    + "".join(refine(*step) for step in FIGURE8_STEPS)
    + "  norm_num\n"
)


def test_figure8_golden() -> None:
    # every rewrite is one congruence step; the last leaves 0 = 0, which nothing closes behind our back: the
    # proof closes it itself (norm_num, as the engine's exact evaluation did)
    assert lean("figure8", FIGURE8, eq.Proof.chain(FIGURE8_TACTICS)) == FIGURE8_LEAN


def test_assertion_with_hypotheses_golden() -> None:
    assert lean("assert", "x * y > 0 | x > 0; y > 0", eq.Proof(eq.Tactic.parse("mul_pos"))) == (
        "theorem thm_assert (x y : ℝ) (h₀ : x > 0) (h₁ : y > 0) :\n    x * y > 0 := by\n  exact mul_pos h₀ h₁\n"
    )


def test_rewrite_with_side_conditions_golden() -> None:
    text = lean("sides", "ln(x*y) == ln(x) + ln(y) | x > 0; y > 0", eq.Proof.chain(["ln_mul -> 1"]))
    assert text == (
        "theorem thm_sides (x y : ℝ) (h₀ : x > 0) (h₁ : y > 0) :\n"
        "    Real.log (x * y) = Real.log x + Real.log y := by\n"
        + refine("hole = Real.log x + Real.log y", "(show Real.log (x * y) = Real.log x + Real.log y from "
                 "Real.log_mul (ne_of_gt h₀) (ne_of_gt h₁))", "Real.log x + Real.log y = Real.log x + Real.log y")
        + "  exact rfl\n"
    )


def test_side_goal_with_its_own_proof_becomes_have() -> None:
    thm = eq.parse("x * y != 0 | x > 0; y > 0")
    proof = eq.Proof(eq.Tactic.parse("mul_ne_zero"), (eq.Proof(eq.Tactic.parse("ne_of_gt")),
                                                      eq.Proof(eq.Tactic.parse("ne_of_gt"))))
    assert export_theorem(ExportItem("have", thm, proof), RULES["default"]).text() == (
        "theorem thm_have (x y : ℝ) (h₀ : x > 0) (h₁ : y > 0) :\n    x * y ≠ 0 := by\n"
        "  have h₂ : x ≠ 0 := by\n    exact ne_of_gt h₀\n"
        "  have h₃ : y ≠ 0 := by\n    exact ne_of_gt h₁\n"
        "  exact mul_ne_zero h₂ h₃\n"
    )


def test_rational_goals_golden() -> None:
    assert lean("ratl", "2 + 2 == 4", None) == "theorem thm_ratl :\n    (2 : ℝ) + 2 = 4 := by\n  norm_num\n"
    # a rewrite inside a literal exponent happens at the whole power: the exponent equation (here by norm_num,
    # the arithmetic rule's proof) carried to the real power by congrArg, bridged to the ℕ power x ^ 2
    bridge = "simpa only [Real.rpow_ofNat, Real.rpow_one, Real.rpow_zero, pow_one, pow_zero] using"
    assert lean("pow", "x ** (1 + 1) == x * x", eq.Proof.chain(["int_add -> 3", "sq -> 1"])) == (
        "theorem thm_pow (x : ℝ) :\n    x ^ (1 + 1 : ℝ) = x * x := by\n"
        + refine("hole = x * x", f"(show x ^ (1 + 1 : ℝ) = x ^ 2 by {bridge} congrArg (fun hole : ℝ => "
                 "x ^ (hole : ℝ)) (show (1 : ℝ) + 1 = 2 by norm_num))", "x ^ 2 = x * x")
        + refine("hole = x * x", "(show x ^ 2 = x * x from sq x)", "x * x = x * x")
        + "  exact rfl\n"
    )


def test_nat_and_int_golden() -> None:
    assert lean("nat", "nat: a * 1 + 0 == a", eq.Proof.chain(["add_zero -> 1", "mul_one -> 1"]), "nat") == (
        "theorem thm_nat (a : ℕ) :\n    a * 1 + 0 = a := by\n"
        + refine("hole = a", "(show a * 1 + 0 = a * 1 from add_zero (a * 1))", "a * 1 = a", "ℕ")
        + refine("hole = a", "(show a * 1 = a from mul_one a)", "a = a", "ℕ")
        + "  exact rfl\n"
    )
    assert lean("int", "int: (a + b * 2) % 2 == a % 2", eq.Proof.chain(["add_mul_mod_self -> 1"]), "int") == (
        "theorem thm_int (a b : ℤ) :\n    (a + b * 2) % 2 = a % 2 := by\n"
        + refine("hole = a % 2", "(show (a + b * 2) % 2 = a % 2 from Int.add_mul_emod_self)", "a % 2 = a % 2", "ℤ")
        + "  exact rfl\n"
    )


def test_int_power_exponent_is_a_nat_term() -> None:
    text = lean("ip", "int: x ** 2 == x ** 1 * x", eq.Proof.chain(["int_add <- 3 with A := 1", "pow_succ -> 1"]), "int")
    assert text == (
        "theorem thm_ip (x : ℤ) :\n    x ^ 2 = x ^ 1 * x := by\n"
        # the hole goes into the exponent, a ℕ term: a ℕ hole, the exponent equation stated over ℕ
        + refine("x ^ hole = x ^ 1 * x", "(show (2 : ℕ) = 1 + 1 by norm_num)", "x ^ (1 + 1) = x ^ 1 * x", "ℕ")
        + refine("hole = x ^ 1 * x", "(show x ^ (1 + 1) = x ^ 1 * x from pow_succ ..)", "x ^ 1 * x = x ^ 1 * x", "ℤ")
        + "  exact rfl\n"
    )
    with pytest.raises(eq.exporters.lean.ExportError, match="ℕ exponent"):  # type: ignore[attr-defined]
        lean("iv", "int: x ** y == x ** y", None, "int")


def test_int_numeral_goal_is_closed_by_our_own_tactic() -> None:
    # over ℤ, `conv`'s rfl used to close `2 * 3 = 6` behind our back; `refine` leaves it, and norm_num closes it
    text = lean("int3", "int: 2 * 3 == 6 + 0", eq.Proof.chain(["add_zero -> 4"]), "int")
    assert text == (
        "theorem thm_int3 :\n    (2 : ℤ) * 3 = 6 + 0 := by\n"
        + refine("2 * 3 = hole", "(show (6 : ℤ) + 0 = 6 from add_zero (6 : ℤ))", "(2 : ℤ) * 3 = 6", "ℤ")
        + "  norm_num\n"
    )


def test_rpow_rule_with_literal_exponent_is_bridged() -> None:
    text = lean("rp", "ln(x ** 2) == 2 * ln(x) | x > 0", eq.Proof.chain(["ln_rpow -> 1"]))
    assert "simpa only [Real.rpow_ofNat" in text and "Real.log (x ^ (2 : ℝ))" in text and "Real.log_rpow h₀" in text


def test_unmapped_rule_skips_the_theorem(tmp_path: Path) -> None:
    item = ExportItem("g", eq.parse("int: gcd(a, b) == gcd(b % a, a) | a != 0"), eq.Proof.chain(["gcd_rec -> 1"]))
    with pytest.raises(eq.exporters.lean.ExportError) as err:  # type: ignore[attr-defined]
        export_theorem(item, RULES["int"])
    assert err.value.rule == "gcd_rec" and "Euclid" in err.value.reason
    report = write_lean([item], tmp_path, RULES["int"])
    assert report.exported == [] and report.files == [] and report.skipped["thm_g"].startswith("unmapped rule gcd_rec")


def test_inverse_hyperbolic_functions() -> None:
    text = lean("th", "tanh(atanh(x)) == x | x > -1; x < 1", eq.Proof.chain(["tanh_atanh -> 1"]))
    assert "Real.tanh (Real.artanh x) = x from Real.tanh_artanh ⟨h₀, h₁⟩" in text


# -- the rule tables ------------------------------------------------------------------------------------

_LEAN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_'₀-₉]*(\.[A-Za-z_][A-Za-z0-9_'₀-₉]*)*$")


def _balanced(text: str) -> bool:
    pairs = {")": "(", "]": "[", "⟩": "⟨", "}": "{"}
    stack: list[str] = []
    for ch in text:
        if ch in "([⟨{":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                return False
    return not stack


@pytest.mark.parametrize("set_name", ["default", "paper", "nat", "int"])
def test_every_rule_is_mapped_or_listed(set_name: str) -> None:
    ids = set(RULES[set_name].rules)
    mapped, unmapped = set(mapped_rules(set_name)), set(unmapped_rules(set_name))
    assert mapped | unmapped == ids and not mapped & unmapped
    assert all(unmapped_rules(set_name).values())  # each with a reason
    for rid, template in mapped_rules(set_name).items():
        assert _balanced(template), rid
        assert "sorry" not in template, rid
        variables = set(re.findall(r"\{([A-Z][A-Za-z0-9]*)\}", template))
        assert variables <= RULES[set_name].rules[rid].variables(), rid
        hyps = {int(h) for h in re.findall(r"\{h(\d+)\}", template)}
        assert hyps <= set(range(1, len(RULES[set_name].rules[rid].hyps) + 1)), rid
        for name in template_names(template):
            assert _LEAN_NAME.match(name), (rid, name)


def test_mapping_counts() -> None:
    assert unmapped_rules("default") == {} and unmapped_rules("nat") == {}
    assert set(unmapped_rules("int")) == {"gcd_rec", "gcd_mul_lcm"}
    assert len(mapped_rules("default")) == len(RULES["default"].rules)
    names = mathlib_names()
    assert "Real.rpow_add" in names and "Real.rpow_ofNat" in names and all(_LEAN_NAME.match(n) for n in names)


def test_paper_set_shares_the_default_table(tmp_path: Path) -> None:
    """``paper`` has no table of its own: its rules are default rules stated the same, with their entries."""
    default = mapped_rules("default")
    assert mapped_rules("paper") == {r.id: default[r.id] for r in RULES["paper"]}
    assert unmapped_rules("paper") == {}  # as for default: every rule is mapped
    from equations.generators import RandomWalkGenerator

    items = [ExportItem(f"paper-{i}", g.theorem, g.proof)
             for i, g in enumerate(RandomWalkGenerator("paper", steps=5).generate(40, seed=2))]
    report = write_lean(items, tmp_path, RULES["paper"])
    assert report.skipped == {} and len(report.exported) == 40
    assert [f.name for f in report.files] == ["EquationsPaper0000.lean"]
    assert "(rule set paper, version" in report.files[0].read_text(encoding="utf-8")
    fig8 = ExportItem("figure8", eq.parse(FIGURE8), eq.Proof.chain(FIGURE8_TACTICS))
    assert export_theorem(fig8, RULES["paper"]).text() == FIGURE8_LEAN


# -- generated theorems ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated() -> list[ExportItem]:
    from equations.generators import GraphGenerator, RandomWalkGenerator

    items = [ExportItem(f"walk-{i:06d}", g.theorem, g.proof)
             for i, g in enumerate(RandomWalkGenerator("default").generate(200, seed=0))]
    items += [ExportItem(f"graph-{i:06d}", g.theorem, g.proof)
              for i, g in enumerate(GraphGenerator("default").generate(100, seed=0))]
    return items


def test_generated_theorems_export_well_formed(generated: list[ExportItem], tmp_path: Path) -> None:
    report = write_lean(generated, tmp_path, RULES["default"], per_file=120)
    assert len(report.exported) + len(report.skipped) == len(generated)
    assert len(report.exported) == len(generated)  # every default rule has a Lean proof
    assert len(report.files) == -(-len(report.exported) // 120)
    names: list[str] = []
    for path in report.files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("import Mathlib\n")
        assert "sorry" not in text and _balanced(text.replace("|", ""))
        names += re.findall(r"^theorem (\S+)", text, flags=re.M)
        for block in text.split("\ntheorem ")[1:]:
            assert ":= by\n  " in block
    # the theorems live in the rule set's namespace: Lean's (and LeanDojo's) name is the qualified one
    assert [f"EquationsDefault.{n}" for n in names] == report.exported and len(set(names)) == len(names)
    assert all(_LEAN_NAME.match(n) for n in names)


def test_leandojo_json(generated: list[ExportItem], tmp_path: Path) -> None:
    out = tmp_path / "dojo.json"
    report = write_leandojo(generated[:80], out, RULES["default"])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["full_name"] for r in data] == report.exported
    assert not list(tmp_path.glob(".*tmp"))
    records, _ = leandojo_records(generated[:80], RULES["default"])
    assert json.loads(json.dumps(records, ensure_ascii=False)) == data  # round trip
    for rec in data:
        assert set(rec) >= {"url", "commit", "file_path", "full_name", "start", "end", "traced_tactics"}
        tacs = rec["traced_tactics"]
        assert tacs and tacs[-1]["state_after"] == "no goals"
        for t in tacs:
            assert set(t) == {"tactic", "annotated_tactic", "state_before", "state_after"}
            assert "⊢ " in t["state_before"]
        # along the chain, each tactic starts where the previous one left off (a `have` block's own
        # tactics follow the `have`, with the block's states)
        for a, b in itertools.pairwise(tacs):
            if a["state_after"] != "no goals" and not a["tactic"].startswith("have "):
                assert b["state_before"] == a["state_after"]
    fig = leandojo_records([ExportItem("f8", eq.parse(FIGURE8), eq.Proof.chain(FIGURE8_TACTICS))],
                           RULES["default"])[0][0]
    steps = fig["traced_tactics"]
    assert steps[0]["state_before"] == "x y : ℝ\n⊢ x - y - (x + y) + 2 * y = 0"
    assert all(b["state_before"] == a["state_after"] for a, b in itertools.pairwise(steps))
    assert steps[-1]["state_after"] == "no goals"
    assert steps[0]["annotated_tactic"][0].count("<a>sub_eq_add_neg</a>") == 1


def test_leandojo_state_with_hypotheses_and_have() -> None:
    thm = eq.parse("x * y != 0 | x > 0; y > 0")
    proof = eq.Proof(eq.Tactic.parse("mul_ne_zero"), (eq.Proof(eq.Tactic.parse("ne_of_gt")),
                                                      eq.Proof(eq.Tactic.parse("ne_of_gt"))))
    rec = leandojo_records([ExportItem("h", thm, proof)], RULES["default"])[0][0]
    tacs = rec["traced_tactics"]
    assert tacs[0]["tactic"] == "have h₂ : x ≠ 0 := by\n  exact ne_of_gt h₀"
    assert tacs[0]["state_before"] == "x y : ℝ\nh₀ : x > 0\nh₁ : y > 0\n⊢ x * y ≠ 0"
    assert tacs[0]["state_after"] == "x y : ℝ\nh₀ : x > 0\nh₁ : y > 0\nh₂ : x ≠ 0\n⊢ x * y ≠ 0"
    assert tacs[1]["state_before"] == "x y : ℝ\nh₀ : x > 0\nh₁ : y > 0\n⊢ x ≠ 0"  # inside the have block
    assert tacs[1]["state_after"] == "no goals"
    assert tacs[2]["state_before"] == tacs[0]["state_after"]
    assert tacs[-1]["state_before"] == tacs[2]["state_after"] and tacs[-1]["state_after"] == "no goals"
    assert tacs[-1]["tactic"] == "exact mul_ne_zero h₂ h₃"


# -- checking -------------------------------------------------------------------------------------------


def test_check_lean_without_toolchain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no lake anywhere
    report = write_lean([ExportItem("a", eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"]))], tmp_path,
                        RULES["default"])
    with pytest.raises(LeanNotFound, match="no Lean toolchain found") as err:
        check_lean(report, tmp_path)
    assert "lake" in str(err.value) and "EQUATIONS_LEAN_PROJECT" in str(err.value)
    assert not report.checked


def test_check_lean_reports_failures_per_theorem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # a stand-in `lake` that reports one error on the line of the second theorem
    out = tmp_path / "out"
    items = [ExportItem("a", eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"])),
             ExportItem("b", eq.parse("x * 1 == x"), eq.Proof.chain(["mul_one -> 1"]))]
    report = write_lean(items, out, RULES["default"])
    text = report.files[0].read_text(encoding="utf-8")
    line = text.splitlines().index("theorem thm_b (x : ℝ) :") + 2
    bindir = tmp_path / "bin"
    bindir.mkdir()
    lake = bindir / "lake"
    lake.write_text(f"#!/bin/sh\necho \"$3:{line}:2: error: unknown identifier 'mul_one'\"\nexit 1\n")
    lake.chmod(0o755)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "lakefile.lean").write_text("-- stand-in\n")
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("EQUATIONS_LEAN_PROJECT", str(project))
    check_lean(report, out)
    # named as Lean names it (namespace included), the same name report.exported lists
    assert report.checked
    assert report.failures == {"EquationsDefault.thm_b": f"line {line}: unknown identifier 'mul_one'"}
    assert report.accepted == 1
