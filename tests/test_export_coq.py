"""The Coq exporter: term printing, rule lemmas, step-for-step proofs, and coqc accepting them.

The coqc tests need Coq 8.16 (``make test`` installs it with apt-get); they are skipped without it so the
pure-Python part still runs anywhere. The preamble is compiled once per session into a shared directory.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from equations.exporters.common import ExportItem, identifier
from equations.exporters.coq import check_coq, export_theorem, write_coq
from equations.exporters.coq_check import split_blocks
from equations.exporters.coq_preamble import DATA, RULE_SETS, exportable_rules, preamble_files, unexportable
from equations.exporters.coq_syntax import coq_ident, coq_prop, coq_term, rule_statement
from equations.exporters.trace import ExportError

import equations as eq
from equations.paper import FIGURE8, FIGURE8_TACTICS

needs_coq = pytest.mark.skipif(shutil.which("coqc") is None, reason="coqc not installed (make test installs it)")


def test_terms_are_explicit() -> None:
    assert coq_term(eq.parse_expr("-1 * x")) == "((- (1)) * x)"  # a negation, not Coq's literal -1
    assert coq_term(eq.num(-3)) == "(- (3))"  # literals are naturals, signs are negations
    assert coq_term(eq.parse_expr("-(x + 1)")) == "(- (x + 1))"
    assert coq_term(eq.parse_expr("x ** 2 + sqrt(x) / pi")) == "((epow x 2) + ((sqrt x) / PI))"
    assert coq_term(eq.parse_expr("abs(inv(x)) - asinh(x)")) == "((Rabs (/ x)) - (easinh x))"
    nat = eq.parse("nat: x - y <= x % (y + 1)")
    assert coq_prop(nat.goal, "nat") == "(x - y) <= (N.modulo x (y + 1))"
    z = eq.parse("int: divides(x, x * gcd(x, y))")
    assert coq_prop(z.goal, "int") == "(Z.divide x (x * (Z.gcd x y)))"


def test_identifiers_never_clash() -> None:
    assert coq_ident("x") == "x"
    assert [coq_ident(n) for n in ("R", "exp", "H0", "S12", "r_x", "v_x", "hole__")] == [
        "v_R", "v_exp", "v_H0", "v_S12", "v_r_x", "v_v_x", "v_hole__"]
    assert identifier("walk-0-12") == "thm_walk_0_12"


def test_rule_statements() -> None:
    rules = eq.load_rules("default")
    assert rule_statement(rules["add_comm"]) == "forall (A B : R), (A + B) = (B + A)"
    stmt = rule_statement(rules["div_eq_iff"])
    assert stmt.startswith("forall (A B C : R), B <> 0 -> (") and "<->" in stmt
    with pytest.raises(ExportError):
        rule_statement(rules["int_add"])


def test_committed_preamble_is_current() -> None:
    """The shipped .v modules are exactly what the generator writes from the rules and proof scripts."""
    for name, text in preamble_files().items():
        assert (DATA / name).read_text() == text, f"{name} is stale: python -m equations.exporters.coq_preamble --write"


def test_every_rule_has_a_lemma_or_a_reason() -> None:
    for domain, set_name in RULE_SETS.items():
        rules = eq.load_rules(set_name)
        module = preamble_files()[f"Equations{domain.capitalize()}.v"]
        lemmas = set(re.findall(r"^Lemma (\w+) :", module, re.M))
        skip = unexportable(set_name)
        for r in rules:
            if r.kind == "arith":
                continue
            prefix = {"real": "r_", "nat": "n_", "int": "z_"}[domain]
            assert (prefix + r.id in lemmas) != (r.id in skip), r.id
            if r.id in skip:
                assert len(skip[r.id]) > 10, f"{r.id} needs a reason"
        assert len(exportable_rules(rules)) == len(lemmas)


def _figure8() -> ExportItem:
    return ExportItem("figure8", eq.parse(FIGURE8), eq.Proof.chain(FIGURE8_TACTICS))


def test_figure8_export_follows_our_steps() -> None:
    text = export_theorem(_figure8(), eq.load_rules("default"))
    assert text.startswith("Theorem thm_figure8 (x y : R) : (((x - y) - (x + y)) + (2 * y)) = 0.\nProof.\n")
    # one explicit congruence step per tactic, the rule lemma applied to explicit arguments
    assert text.count("refine (@eq_ind") == len(FIGURE8_TACTICS)  # int_add too, with a computed equation
    assert ("refine (@eq_ind_r R ((- x) + (- y)) (fun hole__ : R => (((x - y) + hole__) + (2 * y)) = 0) "
            "(_ : (((x - y) + ((- x) + (- y))) + (2 * y)) = 0) (- (x + y)) (r_neg_add x y)).") in text
    assert "assert (S1 : 2 = (1 + 1)) by eqn_const." in text  # int_add <- : literal arithmetic, computed
    assert text.rstrip().endswith("eqn_const.\nQed.")
    assert "lra" not in text and "ring" not in text  # no search on Coq's side


def test_side_conditions_and_assertions() -> None:
    rules = eq.load_rules("default")
    thm = eq.parse("x / x + 1 == 2 | x > 0")
    steps = eq.Proof(eq.Tactic.parse("div_self -> 2"), (eq.Proof(eq.Tactic.parse("int_add -> 1")),
                                                      eq.Proof(eq.Tactic.parse("ne_of_gt"))))
    assert eq.check_proof(thm, steps, rules)
    text = export_theorem(ExportItem("t", thm, steps), rules)
    assert text.startswith("Theorem thm_t (x : R) (H0 : x > 0) : ((x / x) + 1) = 2.")
    assert "assert (S1 : x <> 0)." in text
    assert "exact (r_ne_of_gt x 0 H0)." in text or "exact (r_ne_of_gt" in text
    assert "(r_div_self x S1)" in text


def test_extra_variables_are_bound() -> None:
    """A substitution may bring in a variable the theorem lacks; the proof holds for all its values."""
    rules = eq.load_rules("default")
    thm = eq.parse("x == x")
    back = eq.Proof(eq.Tactic.parse("add_sub_cancel <- 1"))
    proof = eq.Proof(eq.Tactic.parse("add_sub_cancel -> 1 with B := y"), (back,))
    assert eq.check_proof(thm, proof, rules)
    text = export_theorem(ExportItem("t", thm, proof), rules)
    assert "enough (Hall : forall (y : R), x = x) by exact (Hall 0)." in text


def test_unexportable_rules_skip_the_theorem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import equations.exporters.coq as coq

    monkeypatch.setattr(coq, "unexportable", lambda name: {"neg_add": "test: pretend it has no lemma"})
    with pytest.raises(ExportError, match="neg_add"):
        coq.export_theorem(_figure8(), eq.load_rules("default"))
    report = coq.write_coq([_figure8()], tmp_path, eq.load_rules("default"))
    assert report.exported == [] and "neg_add" in report.skipped["figure8"]


def test_bad_proofs_are_not_exported(tmp_path: Path) -> None:
    rules = eq.load_rules("default")
    bad = ExportItem("bad", eq.parse("x + 0 == x + 1"), eq.Proof.chain(["add_zero -> 2"]))
    with pytest.raises(eq.ProofError):
        export_theorem(bad, rules)
    report = write_coq([bad, _figure8()], tmp_path, rules)
    assert report.exported == ["figure8"] and report.skipped["bad"].startswith("proof rejected by the checker")
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps({"id": "bad", "theorem": "x + 0 == x + 1", "proof": {"tactic": "add_zero -> 2"}}) + "\n")
    from equations.cli import main

    assert main(["export", "--to", "coq", str(src), str(tmp_path / "out")]) == 1
    assert main(["export", "--to", "lean", str(src), str(tmp_path / "lean")]) == 1


def test_paper_set_uses_the_default_lemmas(tmp_path: Path) -> None:
    """``paper`` has no preamble of its own: each of its rules is the default rule of that id, stated the
    same, so its proofs apply the lemmas of EquationsReal.v (one lemma per rule, no duplicate data)."""
    paper, default = eq.load_rules("paper"), eq.load_rules("default")
    lemmas = set(exportable_rules(default))
    for r in paper:
        if r.kind != "arith":
            assert r.id in lemmas and rule_statement(r) == rule_statement(default[r.id]), r.id
    assert export_theorem(_figure8(), paper) == export_theorem(_figure8(), default)
    report = write_coq([_figure8()], tmp_path, paper, stem="Fig8")
    assert report.exported == ["figure8"] and [f.name for f in report.files] == ["Fig8_real_paper_0000.v"]


def test_a_rule_stated_differently_has_no_lemma() -> None:
    """A set of another name may use the default lemmas only for rules it states exactly as default does."""
    mine = eq.parse_rules_text("rewrite add_zero: A + 0 == A\nrewrite add_comm: A + B == B + A + 0\n"
                               "assert eq_refl: A == A\n", name="mine")
    ok = ExportItem("ok", eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"]))
    assert "(r_add_zero x)" in export_theorem(ok, mine)
    bad = ExportItem("bad", eq.parse("x + y == y + x + 0"), eq.Proof.chain(["add_comm -> 1"]))
    with pytest.raises(ExportError, match="add_comm") as err:
        export_theorem(bad, mine)
    assert err.value.rule == "add_comm"


# --- coqc ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def coq_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the compiled preamble (compiled once; later checks reuse the .vo files)."""
    d = tmp_path_factory.mktemp("coq")
    report = write_coq([_figure8()], d, eq.load_rules("default"), stem="Fig8")
    check_coq(report, d)  # raises if a preamble lemma does not compile
    assert report.failures == {}
    return d


def _generated(method: str, rule_set: str, n: int, seed: int) -> list[ExportItem]:
    from equations.generators import GraphGenerator, RandomWalkGenerator

    gen = RandomWalkGenerator(rule_set) if method == "walk" else GraphGenerator(rule_set)
    return [ExportItem(f"{method}-{rule_set}-{g.meta.get('index')}", g.theorem, g.proof)
            for g in gen.generate(n, seed=seed)]


@needs_coq
def test_preamble_compiles(coq_dir: Path) -> None:
    for name in preamble_files():
        assert (coq_dir / name).with_suffix(".vo").exists(), name


@needs_coq
@pytest.mark.parametrize("method", ["walk", "graph"])
def test_500_generated_theorems_are_accepted_by_coq(coq_dir: Path, method: str) -> None:
    items = _generated(method, "default", 500, seed=11)
    report = write_coq(items, coq_dir, eq.load_rules("default"), stem=f"Gen_{method}")
    assert report.skipped == {}
    check_coq(report, coq_dir)
    assert report.failures == {}, list(report.failures.items())[:3]
    assert report.accepted == 500


@needs_coq
@pytest.mark.parametrize("rule_set", ["nat", "int"])
def test_integer_theorems_are_accepted_by_coq(coq_dir: Path, rule_set: str) -> None:
    items = _generated("walk", rule_set, 60, seed=3) + _generated("graph", rule_set, 60, seed=3)
    report = write_coq(items, coq_dir, eq.load_rules(rule_set), stem=f"Gen_{rule_set}")
    check_coq(report, coq_dir)
    assert report.failures == {} and report.accepted == 120


@needs_coq
def test_paper_theorems_are_accepted_by_coq(coq_dir: Path) -> None:
    """Random walks (and a few graph theorems) over the paper's elementary rules, checked by coqc."""
    from equations.generators import GraphGenerator, RandomWalkGenerator

    paper = eq.load_rules("paper")
    gens = [g for g in RandomWalkGenerator("paper", steps=5).generate(30, seed=4)]
    gens += [g for g in GraphGenerator("paper").generate(10, seed=4)]
    items = [ExportItem(f"paper-{k}", g.theorem, g.proof) for k, g in enumerate(gens)]
    assert {r for g in gens for r in g.rules_used} <= set(paper.rules)
    report = write_coq(items, coq_dir, paper, stem="Gen_paper")
    assert report.skipped == {} and all("_real_paper_" in f.name for f in report.files)
    check_coq(report, coq_dir)
    assert report.failures == {}, list(report.failures.items())[:3]
    assert report.accepted == len(items) == 40


@needs_coq
def test_constant_goals_are_accepted_by_coq(coq_dir: Path) -> None:
    """Goals closed by exact rational evaluation: negative and computed exponents, nested |.|, inverses."""
    rules = eq.load_rules("default")
    texts = ["2 ** -2 == 1/4", "2 ** (1 + 1) + abs(-3) == 7", "abs(abs(-2) - 3) < 2", "(-1/2) ** 3 < 0",
             "inv(3) + 1 != 1", "(2/3) ** (4 - 6) == 9/4", "-(1) * -(1) == 1", "1/(1/2 + 1/3) >= 6/5"]
    items = [ExportItem(f"c{i}", eq.parse(t), None) for i, t in enumerate(texts)]
    assert all(eq.is_closed(it.theorem, rules) for it in items)
    report = write_coq(items, coq_dir, rules, stem="Const")
    check_coq(report, coq_dir)
    assert report.failures == {} and report.accepted == len(texts)


@needs_coq
def test_htps_proofs_are_accepted_by_coq(coq_dir: Path) -> None:
    from equations.agents import SearchParams, prove

    from equations import identities

    rules = eq.load_rules("default")
    items = []
    for it in [i for i in identities.load() if i.difficulty == "easy"][:40]:
        res = prove(it.theorem, rules, SearchParams(expansions=200, seed=0), policy="fast", critic="size")
        if res.proved:
            items.append(ExportItem(it.id, it.theorem, res.proof))
    assert len(items) >= 10
    report = write_coq(items, coq_dir, rules, stem="Htps")
    check_coq(report, coq_dir)
    assert report.failures == {} and report.accepted == len(items)


@needs_coq
def test_coq_rejects_a_tampered_proof_and_names_every_failure(coq_dir: Path) -> None:
    """The check can fail: two theorems whose Coq text is altered are both reported, by name."""
    items = _generated("walk", "default", 6, seed=5)
    report = write_coq(items, coq_dir, eq.load_rules("default"), stem="Tampered")
    path = report.files[0]
    header, blocks = split_blocks(path.read_text())
    victims = [blocks[1][0], blocks[4][0]]
    text = path.read_text()
    for name in victims:  # claim something else than what the steps prove
        text = re.sub(rf"(Theorem {name} [^\n]*?)\.\n", r"\1 /\\ 1 = 2.\n", text, count=1)
    path.write_text(text)
    from equations.exporters.coq_check import compile_blocks

    header, blocks = split_blocks(text)
    res = compile_blocks(coq_dir, "Tampered_check", header, blocks)
    assert not res.ok and sorted(res.failures) == sorted(victims)


@needs_coq
def test_export_cli(tmp_path: Path, coq_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative output paths work too
    rules = eq.load_rules("default")
    thm = eq.parse(FIGURE8)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "fig8", "theorem": FIGURE8,
                               "proof": eq.Proof.chain(FIGURE8_TACTICS).to_dict(thm, rules)}) + "\n")
    out = tmp_path / "coq"
    for name in preamble_files():  # reuse the compiled preamble
        for ext in (".v", ".vo", ".vos", ".vok", ".glob"):
            p = (coq_dir / name).with_suffix(ext)
            if p.exists():
                out.mkdir(exist_ok=True)
                shutil.copy2(p, out / p.name)
    from equations.cli import main

    assert main(["export", "--to", "coq", "in.jsonl", "coq", "--check"]) == 0
    report = json.loads((out / "export_report.json").read_text())
    assert report["accepted"] == 1 and report["failures"] == {}
    assert main(["export", "--to", "coq", str(tmp_path / "missing.jsonl"), str(out)]) == 2
