"""LeanDojo JSON of the Lean export: premises only where a tactic names them, goal states in Lean's own
notation (precedence and parentheses as Lean's pretty-printer writes them), premise locations from the pinned
Mathlib."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from equations.exporters.common import ExportItem
from equations.exporters.lean import MATHLIB_PIN, pinned_names
from equations.exporters.lean_syntax import LeanPrinter
from equations.exporters.leandojo import leandojo_records, write_leandojo

import equations as eq

RULES = {s: eq.load_rules(s) for s in ("default", "nat", "int")}


def record(text: str, tactics: list[str] | None, rules: str = "default") -> dict[str, Any]:
    proof = None if tactics is None else eq.Proof.chain(tactics)
    records, _ = leandojo_records([ExportItem("t", eq.parse(text), proof)], RULES[rules])
    return records[0]


def _premises(rec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(t["annotated_tactic"][0], t["annotated_tactic"][1]) for t in rec["traced_tactics"]]


# -- premises ----------------------------------------------------------------------------------------------


def test_premises_are_the_constants_the_tactic_names() -> None:
    # the exponent rewrite used to be `rw [(show x ^ (2 * y / y : ℝ) = x ^ 2 by norm_num)]` while listing the
    # rule's lemma as a premise; every premise must now occur in the tactic, once per mark, in text order
    rec = record("x ** (2 * y / y) == x * x | y != 0", ["mul_div_cancel -> 3", "sq -> 1"])
    for annotated, premises in _premises(rec):
        marked = re.findall(r"<a>([^<]+)</a>", annotated)
        assert marked == [p["full_name"] for p in premises]
        assert annotated.replace("<a>", "").replace("</a>", "") in {t["tactic"] for t in rec["traced_tactics"]}
    first = _premises(rec)[0][1]
    assert [p["full_name"] for p in first][:3] == ["Eq.mpr", "congrArg", "Real.rpow_ofNat"]
    assert "mul_div_cancel_right₀" in [p["full_name"] for p in first]


def test_norm_num_steps_have_no_premises() -> None:
    rec = record("2 + 2 == 4", None)
    assert rec["traced_tactics"][0]["annotated_tactic"] == ["norm_num", []]
    rec = record("x * (1 + 1) == x * 2", ["int_add -> 3"])
    step = rec["traced_tactics"][0]
    assert [p["full_name"] for p in step["annotated_tactic"][1]] == ["Eq.mpr", "congrArg"]


def test_premise_locations_come_from_the_pinned_mathlib() -> None:
    rec = record("x - y == x + -y", ["sub_eq_add_neg -> 1"])
    premises = {p["full_name"]: p for _, ps in _premises(rec) for p in ps}
    info = pinned_names()["sub_eq_add_neg"]
    assert premises["sub_eq_add_neg"] == {
        "full_name": "sub_eq_add_neg",
        "def_path": ".lake/packages/mathlib/" + info.path,
        "def_pos": [info.line, info.column],
    }
    assert info.path.startswith("Mathlib/Algebra/") and info.line > 0
    # a Lean-core constant has no location in Mathlib: its keys are left out, never null
    assert premises["congrArg"] == {"full_name": "congrArg"}
    assert premises["rfl"] == {"full_name": "rfl"}


def test_json_has_no_nulls_in_premises(tmp_path: Path) -> None:
    from equations.generators import RandomWalkGenerator

    items = [ExportItem(f"w{i}", g.theorem, g.proof)
             for i, g in enumerate(RandomWalkGenerator("default", steps=6).generate(30, seed=5))]
    out = tmp_path / "dojo.json"
    write_leandojo(items, out, RULES["default"])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data
    for rec in data:
        assert rec["full_name"].startswith("EquationsDefault.thm_w")
        for t in rec["traced_tactics"]:
            text, premises = t["annotated_tactic"]
            assert text.count("<a>") == len(premises)
            for p in premises:
                assert None not in p.values() and set(p) in ({"full_name"}, {"full_name", "def_path", "def_pos"})
                assert p["full_name"] in pinned_names()


def test_theorem_positions_point_at_the_file(tmp_path: Path) -> None:
    from equations.exporters.lean import write_lean

    items = [ExportItem("a", eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"])),
             ExportItem("b", eq.parse("x * 1 == x"), eq.Proof.chain(["mul_one -> 1"]))]
    report = write_lean(items, tmp_path, RULES["default"])
    lines = report.files[0].read_text(encoding="utf-8").splitlines()
    records, _ = leandojo_records(items, RULES["default"])
    for rec in records:
        assert lines[rec["start"][0] - 1].startswith("theorem " + rec["full_name"].split(".")[-1] + " ")
        assert lines[rec["end"][0] - 1] == "  " + rec["traced_tactics"][-1]["tactic"]
    assert MATHLIB_PIN.commit[:12] in "\n".join(lines)


# -- goal states as Lean prints them ----------------------------------------------------------------------

# (our expression, Lean's goal view): `-` is prefix 75, `^` infixr 80, `*` `/` 70, `+` `-` 65, `√` prefix max,
# application and `⁻¹` highest; `Nat.gcd a b` shows as `a.gcd b` (generalized field notation), not for numerals
PRETTY = [
    ("-(x**2) == 0", "-x ^ 2 = 0"),
    ("(-x)**2 == 0", "(-x) ^ 2 = 0"),
    ("y ** (x ** 0) == 0", "y ^ x ^ 0 = 0"),
    ("(y ** x) ** 2 == 0", "(y ^ x) ^ 2 = 0"),
    ("x ** (-y) == 0", "x ^ (-y) = 0"),
    ("x ** (y + 1) == 0", "x ^ (y + 1) = 0"),
    ("x ** (1/2) == 0", "x ^ (1 / 2) = 0"),
    ("-(-x) == x", "- -x = x"),
    ("x - -y == 0", "x - -y = 0"),
    ("x - (y - z) == 0", "x - (y - z) = 0"),
    ("-x * y == -(x * y)", "-x * y = -(x * y)"),
    ("x * -y == 0", "x * -y = 0"),
    ("exp(x) ** 2 == 0", "Real.exp x ^ 2 = 0"),
    ("exp(-x) == inv(exp(x))", "Real.exp (-x) = (Real.exp x)⁻¹"),
    ("exp(sqrt(x)) == 0", "Real.exp √x = 0"),
    ("sqrt(x ** 2) == abs(x)", "√(x ^ 2) = |x|"),
    ("sqrt(x) ** 2 == x", "√x ^ 2 = x"),
    ("inv(sqrt(x)) == 0", "(√x)⁻¹ = 0"),
    ("sqrt(inv(x)) == 0", "√x⁻¹ = 0"),
    ("ln(x * y) == 0", "Real.log (x * y) = 0"),
    ("x ** 2 ** 3 == 0", "x ^ 2 ^ 3 = 0"),
    ("-(x / y) == 0", "-(x / y) = 0"),
    ("-(2) * x == 0", "-2 * x = 0"),
]


@pytest.mark.parametrize(("text", "shown"), PRETTY)
def test_goal_view_uses_lean_precedence(text: str, shown: str) -> None:
    assert LeanPrinter("real", ascribe=False).prop(eq.parse(text).goal) == shown


def test_nat_gcd_uses_field_notation_in_the_goal_view() -> None:
    pp = LeanPrinter("nat", ascribe=False)
    assert pp.prop(eq.parse("nat: gcd(a, b + 1) == gcd(b + 1, a)").goal) == "a.gcd (b + 1) = (b + 1).gcd a"
    assert pp.prop(eq.parse("nat: lcm(2, a) == 0").goal) == "Nat.lcm 2 a = 0"
    # the source keeps the plain application, which every Lean reads the same
    assert LeanPrinter("nat").prop(eq.parse("nat: gcd(a, b) == 1").goal) == "Nat.gcd a b = 1"


def test_states_in_the_json_are_lean_goal_views() -> None:
    rec = record("-(x**2) + x**2 == 0", ["neg_add_cancel -> 1"])
    assert rec["traced_tactics"][0]["state_before"] == "x : ℝ\n⊢ -x ^ 2 + x ^ 2 = 0"
    rec = record("y ** (x ** 0) == y ** 1 | x != 0", ["pow_zero -> 3"])
    assert rec["traced_tactics"][0]["state_before"] == "x y : ℝ\nh₀ : x ≠ 0\n⊢ y ^ x ^ 0 = y ^ 1"
    assert rec["traced_tactics"][0]["state_after"] == "x y : ℝ\nh₀ : x ≠ 0\n⊢ y ^ 1 = y ^ 1"
