"""The rule library: counts (paper table 6), the elementary trigonometry of table 7, file format errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import equations as eq
from equations.rules import bundled_rule_sets

TABLE7 = {
    "sin_zero", "cos_zero", "sin_pi_div_two", "cos_pi_div_two", "sin_neg", "cos_neg", "tan_eq_sin_div_cos",
    "sin_add", "cos_add", "abs_cos_le_one", "abs_sin_le_one", "abs_sin_le_abs", "sin_congr", "cos_congr",
    "ne_of_sin_ne", "ne_of_cos_ne", "tan_congr", "ne_of_tan_ne",
}


TABLE6 = {"basic": (74, 90), "exponential": (18, 11), "trigonometry": (9, 9), "hyperbolic": (8, 0)}


def test_paper_set_is_table6() -> None:
    paper = eq.load_rules("paper")
    assert paper.domain == "real" and "paper" in bundled_rule_sets()
    counts = {c: (n["transformation"], n["assertion"]) for c, n in paper.counts().items()}
    assert counts == TABLE6 and len(paper) == 219
    assert {r.id for r in paper if r.category == "trigonometry"} == TABLE7


def test_paper_set_is_default_without_extended(rules: eq.RuleSet) -> None:
    """Every paper rule is the default rule of that id, word for word (so the exporters' per-rule tables
    serve both sets), and none of them is an `extended` (composite) rule."""
    paper = eq.load_rules("paper")
    for r in paper:
        assert str(rules[r.id]) == str(r), r.id
        assert rules[r.id].category != "extended", r.id


def test_composite_rules_are_extended(rules: eq.RuleSet) -> None:
    extended = {r.id for r in rules if r.category == "extended"}
    assert {"add_sq", "sub_sq", "sq_sub_sq", "div_add_div", "asin_neg", "two_mul_le_add_sq", "cosh_neg"} <= extended
    assert len(extended) == 45
    assert not extended & set(eq.load_rules("paper").rules)
    # the default set still holds every rule of the paper's table 6 categories, and more
    counts = rules.counts()
    for cat in ("basic", "exponential"):
        assert counts[cat]["transformation"] >= TABLE6[cat][0] and counts[cat]["assertion"] >= TABLE6[cat][1]
    assert len(rules) == 395


def test_paper_examples_are_proofs_in_the_paper_set() -> None:
    """Figure 8, and appendix B.8's proof sizes: cosh(-x) == cosh(x) in 4 steps, 2 ln sqrt x == ln x in 3."""
    from equations.paper import FIGURE8, FIGURE8_TACTICS

    paper = eq.load_rules("paper")
    assert eq.check_proof(eq.parse(FIGURE8), eq.Proof.chain(FIGURE8_TACTICS), paper)
    assert eq.check_proof(eq.parse("cosh(-x) == cosh(x)"),
                          eq.Proof.chain(["cosh_eq -> 1", "cosh_eq -> 11", "neg_neg -> 7", "add_comm -> 2"]), paper)
    assert eq.check_proof(eq.parse("2*ln(sqrt(x)) == ln(x) | x > 0"),
                          eq.Proof.chain(["ln_sqrt -> 3", "mul_div_assoc <- 1", "mul_div_cancel_left -> 1"]), paper)
    with pytest.raises(eq.InvalidTactic):  # no one-step shortcut: cosh_neg is not a paper rule
        eq.apply(eq.parse("cosh(-x) == cosh(x)"), "cosh_neg -> 1", paper)


def test_trigonometry_is_exactly_table7(rules: eq.RuleSet) -> None:
    trig = {r.id for r in rules if r.category == "trigonometry"}
    assert trig == TABLE7
    statements = {r.statement() for r in rules}
    assert "cos(A)**2 + sin(A)**2 == 1" not in statements and "sin(pi) == 0" not in statements
    # no rule anywhere states sin^2 + cos^2 = 1 or sin(pi) = 0
    for r in rules:
        text = r.statement()
        assert "sin(pi)" not in text and "sin(A)**2 + cos(A)**2" not in text, r.id


def test_domain_conditions_are_hypotheses(rules: eq.RuleSet) -> None:
    assert rules["div_self"].statement() == "A/A == 1 | A != 0"
    assert rules["sq_sqrt"].statement() == "sqrt(A)**2 == A | A >= 0"
    assert rules["exp_ln"].statement() == "exp(ln(A)) == A | A > 0"


def test_integer_rule_sets() -> None:
    nat, integers = eq.load_rules("nat"), eq.load_rules("int")
    assert nat.domain == "nat" and integers.domain == "int" and len(nat) >= 30 and len(integers) >= 30
    assert "int_sub" in nat
    thm = eq.parse("nat: a + 0 == a")
    assert eq.applicable(thm, nat)


def test_symmetric_rules_are_enumerated_once(rules: eq.RuleSet) -> None:
    assert rules["add_comm"].symmetric and rules["mul_comm"].symmetric
    assert not rules["add_assoc"].symmetric and not rules["sub_eq_add_neg"].symmetric
    triples = eq.applicable_triples(eq.parse("x + y == z"), rules)
    assert [(r.id, d, p) for r, d, p in triples if r.id == "add_comm"] == [("add_comm", "fwd", 1)]


def test_user_rule_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.rules"
    f.write_text("@domain real\n@category custom\nrewrite double: A + A == 2*A\nassert sq_pos1: A**2 + 1 > 0\n")
    rs = eq.load_rules(str(f))
    assert len(rs) == 2 and rs["double"].category == "custom"
    assert str(eq.apply(eq.parse("x + x == y"), "double -> 1", rs)[0]) == "2*x == y"
    assert eq.is_closed(eq.parse("(x - 1)**2 + 1 > 0"), rs)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rewrite r1: A + B\n", "line 1"),
        ("@domain real\nrewrite r1: A == A\n", "same"),
        ("rewrite r1: A + 0 == A\nrewrite r1: A * 1 == A\n", "duplicate rule id 'r1'"),
        ("frobnicate r1: A == A\n", "line 1"),
        ("@colour blue\n", "unknown directive"),
        ("rewrite r1: A + 0 == A\n@domain nat\n", "before the first rule"),
        ("arith r1: /\n", "operator must be one of"),
        ("rewrite r1: A == B\n", "bare variable"),
        ("assert r2: A + B\n", "comparison"),
    ],
)
def test_rule_file_errors(text: str, fragment: str) -> None:
    with pytest.raises(eq.RuleError) as info:
        eq.parse_rules_text(text, "x.rules")
    assert fragment in str(info.value)


def test_unknown_rule_set() -> None:
    with pytest.raises(FileNotFoundError, match="no rule set"):
        eq.load_rules("nonexistent")


def test_subset_and_versions(rules: eq.RuleSet) -> None:
    trig = rules.subset(categories=["trigonometry"])
    assert len(trig) == 18 and trig.domain == "real"
    assert len(rules.version) == 12 and rules.version == eq.load_rules("default").version


def test_cli_lists_the_paper_set(capsys: pytest.CaptureFixture[str]) -> None:
    from equations.cli import main

    assert main(["rules"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("paper "))
    assert line.split()[:3] == ["paper", "real", "219"]
    assert main(["rules", "--set", "paper", "--category", "hyperbolic"]) == 0
    out = capsys.readouterr().out
    assert "asinh_eq" in out and "cosh_neg" not in out


def test_an_edited_rule_file_is_read_again(tmp_path: Path) -> None:
    """User rule files are cached until they change on disk: same object while unchanged (indexes keyed by
    the rule set stay valid), the new rules once edited."""
    import os

    f = tmp_path / "mine.rules"
    f.write_text("@domain real\nrewrite my_add_zero: A + 0 == A\n", "utf-8")
    first = eq.load_rules(f)
    assert eq.load_rules(str(f)) is first and list(first.rules) == ["my_add_zero"]
    f.write_text("@domain real\nrewrite my_add_zero: A + 0 == A\nrewrite my_mul_one: A * 1 == A\n", "utf-8")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a coarse clock may not tick between writes
    second = eq.load_rules(f)
    assert second is not first and list(second.rules) == ["my_add_zero", "my_mul_one"]
    assert eq.load_rules(f) is second
