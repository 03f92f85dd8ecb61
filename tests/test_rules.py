"""The rule library: counts (paper table 6), the elementary trigonometry of table 7, file format errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import equations as eq

TABLE7 = {
    "sin_zero", "cos_zero", "sin_pi_div_two", "cos_pi_div_two", "sin_neg", "cos_neg", "tan_eq_sin_div_cos",
    "sin_add", "cos_add", "abs_cos_le_one", "abs_sin_le_one", "abs_sin_le_abs", "sin_congr", "cos_congr",
    "ne_of_sin_ne", "ne_of_cos_ne", "tan_congr", "ne_of_tan_ne",
}


def test_default_library_covers_table6(rules: eq.RuleSet) -> None:
    counts = rules.counts()
    assert counts["basic"]["transformation"] >= 74 and counts["basic"]["assertion"] >= 90
    assert counts["exponential"]["transformation"] >= 18 and counts["exponential"]["assertion"] >= 11
    assert counts["hyperbolic"]["transformation"] >= 8
    total_t = sum(c["transformation"] for c in counts.values())
    total_a = sum(c["assertion"] for c in counts.values())
    assert total_t >= 109 and total_a >= 110 and len(rules) >= 219


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
