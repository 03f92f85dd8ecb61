"""``equations import-mathlib`` (issue 13, section 2) on fixtures written by us in Mathlib's style
(tests/data/lean_import): each binder form, the notation, the types a typeclass-generic lemma is kept for,
every rejection reason, the files written (loadable rules, the exporter's table), and a round trip: walk
theorems generated with the imported rules export to Lean naming only the imported lemmas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from equations.exporters.common import ExportItem
from equations.exporters.lean import STEP_NAMES, export_theorem, render_files
from equations.exporters.mathlib_import import (
    ImportReport,
    declarations,
    import_files,
    lean_files,
    load_imported,
    strip_comments,
    write_output,
)

import equations as eq
from equations.cli import main

DATA = Path(__file__).parent / "data" / "lean_import"


@pytest.fixture(scope="module")
def report() -> ImportReport:
    return import_files(lean_files(DATA))


def kept(report: ImportReport, domain: str) -> dict[str, str]:
    """Lean name -> the rule's statement, for one type."""
    return {i.lean_name: i.rule.statement() for i in report.imported[domain]}


def template(report: ImportReport, domain: str, name: str) -> str:
    return next(i.template for i in report.imported[domain] if i.lean_name == name)


def rejected(report: ImportReport) -> dict[str, str]:
    return {name: why for name, _, why in report.rejected}


def test_binder_forms(report: ImportReport) -> None:
    real = kept(report, "real")
    # explicit binders; section `variable {a b c : R}` (implicit); a statement across lines
    assert real["fx_mul_comm"] == "A*B == B*A"
    assert real["fx_add_mul_self"] == "(A + B)*C == A*C + B*C"
    assert template(report, "real", "fx_add_mul_self") == "fx_add_mul_self (R := ℝ) (a := {A}) (b := {B}) (c := {C})"
    # a leading ∀ is binders; ⦃⦄ strict-implicit; a named instance binder
    assert real["fx_add_comm"] == "A + B == B + A"
    assert template(report, "real", "fx_add_comm") == "fx_add_comm (R := ℝ) (x := {A}) (y := {B})"
    assert real["fx_neg_mul"] == "-A*B == -(A*B)"
    assert real["fx_le_trans"] == "A <= C | A <= B; B <= C"
    # hypotheses: named binders by name, arrows by position
    assert real["fx_div_le_iff₀"] == "A/C <= B <=> A <= B*C | 0 < C"
    assert template(report, "real", "fx_div_le_iff₀").endswith("(hc := {h1})")
    assert real["fx_div_pos_of"] == "0 < A/B | 0 < A; 0 < B"
    assert template(report, "real", "fx_div_pos_of").endswith("(b := {B}) {h1} {h2}")
    # an equation whose side is a variable missing from the other side is an assertion
    assert real["fx_eq_of_sub_eq_zero'"] == "A == B | A - B == 0"
    assert next(i.rule.kind for i in report.imported["real"] if i.lean_name == "fx_eq_of_sub_eq_zero'") == "assert"


def test_notation_namespaces_and_locations(report: ImportReport) -> None:
    real = kept(report, "real")
    assert real["Real.fx_exp_log"] == "exp(ln(A)) == A | 0 < A"  # `exp`/`log` inside `namespace Real`
    assert real["Real.fx_sqrt_sq"] == "sqrt(A**2) == A | 0 <= A"  # `√`
    assert real["Real.fx_abs_sq"] == "abs(A)**2 == A**2"  # `|x|`
    assert real["Real.fx_sin_sq_add_cos_sq"] == "sin(A)**2 + cos(A)**2 == 1"
    assert real["fx_rexp_pos"] == "0 < exp(A)"  # `open Real in` + `rexp`
    assert real["fx_sqrt_mul_self"] == "sqrt(A)*sqrt(A) == A | 0 <= A"  # `_root_.`, `Real.sqrt`
    assert real["fx_inv_mul_cancel"] == "inv(A)*A == 1 | A != 0"  # `⁻¹`
    rpow = {i.lean_name: i.rpow for i in report.imported["real"]}
    assert rpow["Real.fx_rpow_two"] and not rpow["Real.fx_abs_sq"]  # `x ^ (2 : ℝ)` is Real.rpow
    nat = kept(report, "nat")
    assert nat["Nat.fx_sub_add_cancel"] == "A - B + B == A | B <= A"  # `protected`, namespaced name
    assert nat["Nat.fx_gcd_comm"] == "gcd(A, B) == gcd(B, A)"
    assert nat["Nat.fx_lcm_self"] == "lcm(A, A) == A"  # `m.lcm m`
    assert nat["Nat.fx_mod_mod_self"] == "A % B % B == A % B | B != 0"
    assert nat["Nat.fx_dvd_mul_right"] == "divides(A, A*B)"
    assert kept(report, "int")["Int.fx_neg_neg"] == "-(-A) == A"
    where = {i.lean_name: (i.file, i.line) for i in report.imported["real"]}
    assert where["Real.fx_exp_log"] == ("RealFunctions.lean", 15)


def test_types_of_generic_lemmas(report: ImportReport) -> None:
    def types(name: str) -> set[str]:
        return {d for d in ("nat", "int", "real") if name in kept(report, d)}

    assert types("fx_mul_comm") == {"nat", "int", "real"}  # commutative semiring
    assert types("fx_neg_mul") == {"int", "real"}  # commutative ring
    assert types("fx_sq_nonneg'") == {"int", "real"}  # ordered ring
    assert types("fx_div_le_iff₀") == {"real"}  # ordered field
    assert types("Real.fx_exp_log") == {"real"}
    # the class admits ℕ, whose truncated `-` makes the statement false: the numeric check drops it there
    assert types("fx_sub_add_truncated") == {"int", "real"}
    assert rejected(report)["fx_sub_add_truncated"].startswith("unsound numerically nat")


@pytest.mark.parametrize(("name", "reason"), [
    ("fx_forall_inside", "∀"),
    ("fx_exists", "∃"),
    ("fx_smul", "• (scalar action)"),
    ("fx_sum", "sums/products"),
    ("fx_unknown", "unknown function or notation"),
    ("fx_cast", "casts"),
    ("fx_and", "connectives (∧ ∨ ¬)"),
    ("fx_bogus", "unsound numerically"),
    ("fx_unknown_class", "typeclass TopologicalSpace"),
    ("fx_numeral_only", "no variables (a numeral fact)"),  # bare numerals: Lean's default ℕ, not guessed
    ("fx_add_left_comm''", "to_additive: guessed name not used"),
    ("fx_inv_mul_cancel'", "typeclass CommGroup"),
    ("fx_private", "private"),
    ("fx_units", "typeclass with several arguments"),
    ("fx_cast_comm", "casts"),
    ("Complex.fx_cos_pi", "unknown function or notation"),
    ("fx_included", "hypothesis outside our language"),
    ("fx_deprecated", "deprecated"),  # a multiplicative group: none of our types
    ("Nat.fx_div_mul_le", "undefined where the hypotheses hold"),  # b = 0: our ℕ `/` is partial
    ("Real.fx_log_mul", "unsound numerically real: coq"),  # Coq's ln x = 0 for x ≤ 0
])
def test_rejections_say_why(report: ImportReport, name: str, reason: str) -> None:
    assert rejected(report)[name].startswith(reason)
    assert not any(name in kept(report, d) for d in ("nat", "int", "real"))


def test_to_additive_twins(report: ImportReport) -> None:
    for d in ("nat", "int", "real"):
        assert kept(report, d)["fx_add_zero'"] == "A + 0 == A"  # guessed, and used in the sources
        assert kept(report, d)["fx_add_right_comm"] == "A + B + C == A + C + B"  # named in the attribute
    assert template(report, "nat", "fx_add_zero'") == "fx_add_zero' (M := ℕ) (a := {A})"
    # the multiplicative lemma is over a group (none of ours); its additive twin over ℤ and ℝ
    assert "fx_neg_add_cancel'" not in kept(report, "nat")
    assert kept(report, "int")["fx_neg_add_cancel'"] == kept(report, "real")["fx_neg_add_cancel'"] == "-A + A == 0"


def test_numeral_statements_take_their_type_from_context(report: ImportReport) -> None:
    real = kept(report, "real")
    assert real["Real.fx_cos_pi_div_two"] == "cos(pi/2) == 0"  # `π`, the `Real` namespace
    assert real["fx_exp_zero_root"] == "exp(0) == 1"


def test_every_declaration_is_kept_or_rejected(report: ImportReport) -> None:
    names = {d.name for f, text in lean_files(DATA) for d in declarations(text, f)}
    assert "fx_add_zero'" in names and "fx_add_left_comm''" in names  # the to_additive twins
    accounted = {n for d in report.imported.values() for n in (i.lean_name for i in d)} | set(rejected(report))
    assert names == accounted
    assert sum(report.skipped.values()) == len(report.rejected)


def test_an_unreadable_command_is_passed_over() -> None:
    text = "@[simp ( theorem fx_broken (a : ℝ) : a = a := rfl\n\ntheorem fx_ok (a : ℝ) : a + 0 = a := sorry\n"
    assert [(d.name, d.line) for d in declarations(text, "x.lean")] == [("fx_ok", 3)]


def test_comments_keep_line_numbers() -> None:
    text = "/- a /- nested -/\ncomment -/ theorem x -- tail\nlemma y"
    out = strip_comments(text)
    assert out.count("\n") == text.count("\n")
    assert "nested" not in out and "tail" not in out and "theorem x" in out


def test_written_files_load_and_carry_the_table(report: ImportReport, tmp_path: Path) -> None:
    written = write_output(report, tmp_path, "fixtures")
    expected = {f"mathlib_{d}.{x}" for d in ("nat", "int", "real") for x in ("rules", "lean.tsv")}
    assert {p.name for p in written} == expected
    for d in ("nat", "int", "real"):
        rules = eq.load_rules(tmp_path / f"mathlib_{d}.rules")
        assert rules.domain == d
        assert len(rules) == len(report.imported[d]) + 1  # and Lean core's Eq.refl, which closes every walk
        assert str(rules["eq_refl"]) == "assert eq_refl: A == A"
        rows = [ln.split("\t") for ln in (tmp_path / f"mathlib_{d}.lean.tsv").read_text().splitlines()
                if not ln.startswith("#")]
        assert {r[0] for r in rows} == set(rules.rules)
        assert all(r[1].split()[0] == r[3] for r in rows)  # the template names the imported lemma
    text = (tmp_path / "mathlib_real.rules").read_text()
    assert "# Real.fx_exp_log  RealFunctions.lean:15" in text


def test_cli_prints_table8_and_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-mathlib", str(DATA), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"ℝ\s+\d+\s+\d+\s+799\s+407", out)
    assert "unsound numerically" in out and "sums/products" in out
    assert (tmp_path / "out" / "mathlib_real.rules").is_file()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-mathlib", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such directory" in err
    (tmp_path / "empty").mkdir()
    assert main(["import-mathlib", str(tmp_path / "empty"), "--out", str(tmp_path)]) == 2
    assert "no .lean files" in capsys.readouterr().err


_FUNCTIONS = frozenset({"hole", "Nat.gcd", "Nat.lcm", "gcd", "lcm"})  # terms of statements, not lemmas
_LEAN_WORDS = frozenset("""theorem by refine show from fun hole exact have norm_num Eq.mpr congrArg symm mpr mp
    ring simp simpa only using le_refl rfl at this""".split())


@pytest.mark.parametrize("domain", ["real", "nat", "int"])
def test_round_trip_exports_only_imported_names(report: ImportReport, tmp_path: Path, domain: str) -> None:
    from equations.generators import RandomWalkGenerator

    write_output(report, tmp_path, "fixtures")
    path = tmp_path / f"mathlib_{domain}.rules"
    rules = load_imported(path)
    gens = list(RandomWalkGenerator(str(path), steps=4).generate(12, seed=3))
    assert gens
    imported = {i.lean_name for i in report.imported[domain]} | {"Eq.refl"}
    by_id = {i.rule.id: i.lean_name for i in report.imported[domain]}
    used: set[str] = set()
    for k, g in enumerate(gens):
        lean = export_theorem(ExportItem(f"t{k}", g.theorem, g.proof), rules)
        text = "\n".join(line for t in lean.tactics for line in t.lines)
        names = {n for n in re.findall(r"(?<![\w.])([A-Za-z_][\w.'₀-₉]*)\s+\(", text)}
        lemma_names = {n for n in names if n not in _LEAN_WORDS and not n.startswith("Real.")} - _FUNCTIONS
        assert lemma_names <= imported | set(STEP_NAMES), lemma_names - imported
        used |= {by_id[r] for r in by_id if by_id[r] in text}
    assert used  # the proofs do use imported lemmas
    files = list(render_files([ExportItem(f"t{k}", g.theorem, g.proof) for k, g in enumerate(gens)], rules))
    assert files and not any(skipped for _, _, _, skipped in files)


def test_export_cli_reads_the_table_beside_the_rules(report: ImportReport, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``equations export --rules PATH.rules`` proves the imported rules with the imported lemmas."""
    import json

    from equations.generators import RandomWalkGenerator

    write_output(report, tmp_path / "rules", "fixtures")
    path = tmp_path / "rules" / "mathlib_nat.rules"
    gens = list(RandomWalkGenerator(str(path), steps=3).generate(5, seed=1))
    src = tmp_path / "thms.jsonl"
    src.write_text("".join(json.dumps({"theorem": str(g.theorem), "proof": g.proof.to_json()}) + "\n"
                           for g in gens))
    assert main(["export", "--to", "lean", str(src), str(tmp_path / "lean"), "--rules", str(path)]) == 0
    assert f"exported {len(gens)} theorems" in capsys.readouterr().out
    text = "".join(p.read_text() for p in (tmp_path / "lean").glob("*.lean"))
    assert "Eq.refl" in text and ("(M := ℕ)" in text or "(R := ℕ)" in text)


def test_bare_git_directory_at_a_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--rev`` reads a bare git directory (no work tree), as the real mirror is read."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "work"
    shutil.copytree(DATA, work / "Mathlib")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "fixtures"]):
        subprocess.run(["git", *cmd], cwd=work, check=True, env=env, capture_output=True)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True, capture_output=True,
                         text=True).stdout.strip()
    git_dir = work / ".git"
    assert main(["import-mathlib", str(git_dir), "--rev", rev, "--under", "Mathlib/Nat.lean",
                 "--out", str(tmp_path / "out")]) == 0
    assert "read 8 theorems/lemmas in 1 files" in capsys.readouterr().out
    assert "Nat.fx_gcd_comm" in (tmp_path / "out" / "mathlib_nat.rules").read_text()
    assert main(["import-mathlib", str(git_dir), "--rev", "0" * 40, "--out", str(tmp_path / "o2")]) == 2
    assert "git ls-tree" in capsys.readouterr().err
