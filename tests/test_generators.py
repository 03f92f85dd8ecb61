"""Tests of the theorem generators (equations.generators): every emitted proof checks, theorems pass the
50-digit numeric check, proofs are minimal, output is deterministic, datasets are written atomically."""

from __future__ import annotations

import collections
import json
import random
from pathlib import Path

import numpy as np
import pytest
from equations.generators import (
    ExprConfig,
    GraphGenerator,
    RandomWalkGenerator,
    canonical_key,
    random_expression,
    random_tree,
    read_records,
    supervised_pairs,
    to_record,
    write_dataset,
)
from equations.generators.common import SideProver
from equations.generators.expressions import _Choice
from equations.generators.screening import FloatChecker, PointPool, extra_points

import equations as eq
from equations.cli import main as cli_main
from equations.numeric import check_theorem
from equations.proof import drop_step, droppable_steps, step_paths

RULES = eq.load_rules("default")


@pytest.fixture(scope="module")
def walks() -> list:
    gen = RandomWalkGenerator("default", steps=10)
    out = list(gen.generate(1000, seed=11))
    assert not gen.stats.failures
    return out


@pytest.fixture(scope="module")
def graph_thms() -> list:
    gen = GraphGenerator("default")
    out = list(gen.generate(500, seed=5))
    assert not gen.stats.failures
    return out


# --- random expressions -----------------------------------------------------------------------------------

def _shapes(n: int) -> list[tuple[int, ...]]:
    """Every unary-binary tree with n operators, as prefix arity sequences."""
    if n == 0:
        return [(0,)]
    out = [(1, *s) for s in _shapes(n - 1)]
    for k in range(n):
        out += [(2, *a, *b) for a in _shapes(k) for b in _shapes(n - 1 - k)]
    return out


def test_random_tree_is_uniform_over_shapes() -> None:
    rng = random.Random(0)
    shapes = _shapes(4)
    assert len(shapes) == 90  # unary-binary trees with 4 internal nodes (large Schröder numbers)
    counts = collections.Counter(tuple(random_tree(rng, 4, 1, 1)) for _ in range(20_000))
    assert set(counts) == set(shapes)
    expected = 20_000 / len(shapes)
    assert all(abs(c - expected) < 5 * expected**0.5 for c in counts.values())


def test_random_tree_weights_unary_binary() -> None:
    rng = random.Random(1)
    only_binary = random_tree(rng, 6, 0, 1)
    assert only_binary.count(2) == 6 and 1 not in only_binary
    only_unary = random_tree(rng, 6, 1, 0)
    assert only_unary == [1] * 6 + [0]


def _ops(e: eq.Expr) -> int:
    if not e.args:
        return 0
    if e.op == "pow" and e.args[1].op == "int":
        return 1 + _ops(e.args[0])
    if e.op == "neg" and e.args[0].op == "int" and not e.args[0].args:
        return 0  # a negative integer leaf
    return 1 + sum(_ops(a) for a in e.args)


def test_random_expression_size_and_validity() -> None:
    rng = random.Random(2)
    unary = {k: v for k, v in ExprConfig().unary.items() if k != "neg"}
    cfg = ExprConfig(int_range=(0, 5), unary=unary)
    checker = FloatChecker(cfg.variables, "real", random.Random(3))
    for n in range(0, 9):
        for _ in range(20):
            e = random_expression(rng, n, cfg, checker)
            assert _ops(e) == n
            assert checker.defined_count(e) >= checker.min_points
            if n:
                assert e.variables()


def test_validity_filter_rejects_undefined() -> None:
    checker = FloatChecker(("x",), "real", random.Random(0))
    assert checker.defined_count(eq.parse_expr("ln(-3)")) == 0
    assert checker.defined_count(eq.parse_expr("1/(x - x)")) == 0
    assert checker.defined_count(eq.parse_expr("sqrt(-exp(x))")) == 0
    assert checker.defined_count(eq.parse_expr("ln(x)")) > 0


def test_float_screen_pow_of_undefined_is_undefined() -> None:
    checker = FloatChecker(("x",), "real", random.Random(0))
    # IEEE pow has NaN**0 == 1**NaN == 1; the partial semantics keep an undefined operand undefined
    assert checker.defined_count(eq.parse_expr("((-1)**(1/3))**0")) == 0
    assert checker.defined_count(eq.parse_expr("1**ln(-1)")) == 0
    assert checker.defined_count(eq.parse_expr("x**0")) == checker.n_points


def test_float_screen_pole_points() -> None:
    # tan(x) at x = pi/2 is flagged whatever the random points (the numeric check draws pi/2 on purpose); the
    # pole points do not count towards the satisfying points of a hypothesis
    hyp = eq.parse_expr("tan(x) >= 0")
    for seed in range(20):
        checker = FloatChecker(("x", "y"), "real", random.Random(seed), stress=False, pole_points=True)
        assert checker.overflows(hyp, checker.all)
        plain = FloatChecker(("x", "y"), "real", random.Random(seed), stress=False)
        positive = eq.parse_expr("y > 0")
        assert checker.count(checker.satisfying([positive])) == plain.count(plain.satisfying([positive]))


def test_float_screen_pinned_only() -> None:
    checker = FloatChecker(("x", "y"), "real", random.Random(1), n_points=32)
    e = eq.parse_expr("y*y")
    checker.pin("x", e)
    assert bool(np.all(checker.values(eq.parse_expr("x")) >= 0))
    free = checker.pinned_only([])
    assert bool(np.any(free.values(eq.parse_expr("x")) < 0))
    assert bool(np.all(checker.values(eq.parse_expr("x")) >= 0))  # the original keeps its pin
    again = checker.pinned_only([("x", e)])
    assert np.array_equal(again.values(eq.parse_expr("x")), checker.values(eq.parse_expr("x")))


def test_float_screen_memo_is_forgotten_as_a_whole() -> None:
    # everything a checker derives from values lives in its one memo: a pin or unpin forgets all of it (a
    # stale truth mask would screen under the wrong hypothesis), and pinned_only starts from a fresh memo
    checker = FloatChecker(("x", "y"), "real", random.Random(1), n_points=32)
    stmt = eq.parse_expr("x < y")
    assert checker.count(checker.clearly_holds(stmt)) > 0
    assert checker.refutes(stmt, checker.all)
    assert checker.unreliable(eq.parse_expr("1/(y - ln(exp(y))) + exp(x)*exp(x)"), checker.all)
    memo = checker._memo
    assert all(getattr(memo, name) for name in memo.__slots__)  # every cache has entries
    checker.pin("x", eq.parse_expr("y + 1"))
    assert checker._memo is memo and not any(getattr(memo, name) for name in memo.__slots__)
    assert checker.count(checker.clearly_holds(stmt)) == 0
    free = checker.pinned_only([])
    assert free._memo is not memo
    assert free.count(free.clearly_holds(stmt)) > 0
    assert checker.count(checker.clearly_holds(stmt)) == 0  # the original keeps its pin and its memo
    checker.unpin()
    assert not any(getattr(memo, name) for name in memo.__slots__)
    assert checker.count(checker.clearly_holds(stmt)) > 0


def test_point_pool_windows_are_the_extra_points_of_their_rows() -> None:
    # the pool precomputes every window's stress and pole points: they must be exactly what a checker
    # without a pool builds from the same rows
    for domain, names in (("real", ("x", "y", "z")), ("int", ("a", "b", "c"))):
        pool = PointPool(names, domain, 3, size=64)
        for stress in (True, False):
            for poles in (True, False):
                for start in (0, 17, 64 - 16):
                    by_var, counted, everywhere = pool.window(start, 16, stress, poles)
                    vals, n_counted = extra_points(pool.values[start:start + 16], stress, poles)
                    assert np.array_equal(by_var, vals.T)
                    assert everywhere.all() and len(everywhere) == len(vals)
                    assert (counted is None) == (not poles)
                    assert counted is None or int(counted.sum()) == n_counted
                    with pytest.raises(ValueError):
                        everywhere[0] = False  # shared between checkers: read-only


def test_float_screen_refutes_and_near_ties() -> None:
    checker = FloatChecker(("x", "y"), "real", random.Random(2), pole_points=True)
    m = checker.all
    assert checker.refutes(eq.parse_expr("x > x + 1"), m)
    assert not checker.refutes(eq.parse_expr("x*x >= 0"), m)
    assert not checker.refutes(eq.parse_expr("x*3/3 >= x"), m)  # rounding: a near tie, not a refutation
    # sin(pi) is 1.2e-16 in floating point and 0 at 50 digits: "sin(pi) > 0*y" holds in floats everywhere
    # but clearly nowhere, so it cannot count as a satisfiable hypothesis
    tie = eq.parse_expr("sin(pi) > 0*y")
    assert checker.count(checker.satisfying([tie])) > 0
    assert checker.count(checker.satisfying([tie]) & checker.clearly_holds(tie)) == 0
    assert checker.count(checker.clearly_holds(eq.parse_expr("y*y + 1 > 0"))) > 0


def test_float_screen_unreliable_is_inherited() -> None:
    checker = FloatChecker(("x", "y"), "real", random.Random(0))
    risky = eq.parse_expr("ln(exp(x))")  # exp(-400) is tiny but nonzero: ln of a value that may vanish
    assert checker.unreliable(risky, checker.all, overflow=False)
    assert checker.unreliable(eq.parse_expr("y + 2*ln(exp(x))"), checker.all, overflow=False)
    assert not checker.unreliable(eq.parse_expr("y + 2*x"), checker.all)
    assert checker.unreliable(eq.parse_expr("exp(exp(x))"), checker.all)  # overflows at x = 400
    assert not checker.unreliable(eq.parse_expr("exp(exp(x))"), checker.all, overflow=False)


def test_weighted_choice_matches_random_choices() -> None:
    items, weights = ["a", "b", "c", "d"], [0.5, 2.0, 0.0, 1.25]
    choice = _Choice(items, weights)
    r1, r2 = random.Random(5), random.Random(5)
    assert [choice.draw(r1) for _ in range(500)] == [r2.choices(items, weights)[0] for _ in range(500)]


def test_side_prover_shares_variable_free_results() -> None:
    prover = SideProver(RULES)
    goal = eq.parse_expr("2 + 3 != 0")
    x_pos = eq.parse_expr("x > 0")
    assert prover.prove(goal, (), "real") == prover.prove(goal, (x_pos,), "real")
    ok, proof = prover.prove(eq.parse_expr("x != 0"), (x_pos,), "real")
    assert ok and proof is not None
    assert eq.check_proof(eq.Theorem(eq.parse_expr("x != 0"), (x_pos,), "real"), proof, RULES)
    assert not prover.prove(eq.parse_expr("x != 0"), (), "real")[0]


def test_canonical_key_renames_whole_variable_names_only() -> None:
    a = eq.Theorem(eq.parse_expr("exp(x) + x1 == x1 + exp(x)"), (eq.parse_expr("x1 > 0"),), "real")
    b = eq.Theorem(eq.parse_expr("exp(y) + z == z + exp(y)"), (eq.parse_expr("z > 0"),), "real")
    assert canonical_key(a) == canonical_key(b) == "real: exp(v0) + v1 == v1 + exp(v0) | v1 > 0"


def test_expression_operator_weights() -> None:
    rng = random.Random(4)
    cfg = ExprConfig(unary={"exp": 1.0}, binary={"add": 1.0})
    for _ in range(30):
        e = random_expression(rng, 5, cfg)
        assert {n.op for n in e.subterms() if n.args} <= {"exp", "add", "neg"}


# --- random walks -------------------------------------------------------------------------------------------

def test_walk_proofs_check(walks: list) -> None:
    assert len(walks) == 1000
    for g in walks:
        assert eq.check_proof(g.theorem, g.proof, RULES)
        assert g.theorem.goal.op == "eq"
        assert not eq.is_closed(g.theorem, RULES)


def test_walk_proof_roundtrips_json(walks: list) -> None:
    for g in walks[:100]:
        d = g.proof.to_dict(g.theorem, RULES)
        thm = eq.parse(str(g.theorem))
        assert thm == g.theorem
        assert eq.check_proof(thm, eq.Proof.from_json(json.dumps(d)), RULES)


def test_walk_numeric(walks: list) -> None:
    for g in walks[::5]:  # 200 theorems at 50 digits
        res = check_theorem(g.theorem, n_points=20, dps=50, seed=1)
        assert res.ok, f"{g.theorem}: {res.message}"


def test_walk_dropping_any_step_fails(walks: list) -> None:
    for g in walks[:250]:
        for path in step_paths(g.proof):
            with pytest.raises(eq.ProofError):
                eq.check_proof(g.theorem, drop_step(g.proof, path), RULES)


def test_walk_features(walks: list) -> None:
    sizes = [g.proof.size for g in walks]
    assert min(sizes) >= 10
    assert any(g.meta["bidirectional"] for g in walks)
    assert any(g.theorem.hyps for g in walks)
    assert any(s.tactic.direction is None for g in walks for s in g.proof.steps())  # side proofs
    keys = [canonical_key(g.theorem) for g in walks]
    assert len(set(keys)) == len(keys)
    used = collections.Counter(r for g in walks for r in g.rules_used)
    assert len(used) > 120  # the rarity bias spreads rules


def test_walk_rarity_bias_flattens_usage() -> None:
    def spread(bias: float) -> float:
        gen = RandomWalkGenerator("default", steps=6, bias=bias)
        c = collections.Counter(r for g in gen.generate(150, seed=3) for r in g.rules_used)
        return max(c.values()) / (sum(c.values()) / len(c))

    assert spread(2.0) < spread(0.0)


def test_walk_deterministic() -> None:
    a = [str(g.theorem) for g in RandomWalkGenerator(steps=5).generate(30, seed=7)]
    b = [str(g.theorem) for g in RandomWalkGenerator(steps=5).generate(30, seed=7)]
    c = [str(g.theorem) for g in RandomWalkGenerator(steps=5).generate(30, seed=8)]
    assert a == b and a != c


def test_walk_knobs() -> None:
    gen = RandomWalkGenerator("default", steps=(3, 4), ops=2, categories=("exponential",), n_hyps=0,
                              max_hyps=0, bidirectional=0.0)
    cats = {r.id: r.category for r in RULES}
    for g in gen.generate(60, seed=1):
        assert 3 <= g.meta["steps"] <= 4
        assert not g.theorem.hyps
        assert all(cats[r] == "exponential" for r in g.rules_used)
        assert eq.check_proof(g.theorem, g.proof, RULES)


def test_walk_relational_mode() -> None:
    gen = RandomWalkGenerator("default", mode="rel", steps=6)
    out = list(gen.generate(100, seed=2))
    assert len(out) == 100 and not gen.stats.failures
    assert {g.theorem.goal.op for g in out} - {"eq"}
    for g in out:
        assert eq.check_proof(g.theorem, g.proof, RULES)
    for g in out[:40]:
        assert check_theorem(g.theorem, seed=2).ok, str(g.theorem)


@pytest.mark.parametrize("rules", ["int", "nat"])
def test_walk_and_graph_integer_domains(rules: str) -> None:
    rs = eq.load_rules(rules)
    for gen in (RandomWalkGenerator(rules, steps=6), GraphGenerator(rules, nodes=80)):
        out = list(gen.generate(60, seed=3))
        assert len(out) == 60 and not gen.stats.failures
        for g in out:
            assert g.theorem.domain == rs.domain
            assert eq.check_proof(g.theorem, g.proof, rs)
        for g in out[:15]:
            assert check_theorem(g.theorem, n_points=10, seed=4).ok, str(g.theorem)


# --- theorem graphs -----------------------------------------------------------------------------------------

def test_graph_proofs_check(graph_thms: list) -> None:
    assert len(graph_thms) == 500
    for g in graph_thms:
        assert eq.check_proof(g.theorem, g.proof, RULES)
        assert not eq.is_closed(g.theorem, RULES)
        assert g.proof.depth >= 2


def test_graph_numeric(graph_thms: list) -> None:
    for g in graph_thms[::4]:  # 125 theorems
        res = check_theorem(g.theorem, n_points=20, dps=50, seed=1)
        assert res.ok, f"{g.theorem}: {res.message}"


def test_graph_dropping_any_step_fails(graph_thms: list) -> None:
    for g in graph_thms[:250]:
        assert not droppable_steps(g.theorem, g.proof, RULES)


def test_graph_has_inequalities_chains_and_hypotheses(graph_thms: list) -> None:
    ops = collections.Counter(g.theorem.goal.op for g in graph_thms)
    assert ops["lt"] + ops["le"] + ops["gt"] + ops["ge"] > 100
    assert ops["eq"] > 0 and ops["ne"] > 0
    used = collections.Counter(r for g in graph_thms for r in g.rules_used)
    chains = ("le_trans", "lt_trans", "lt_of_lt_of_le", "lt_of_le_of_lt", "le_of_le_of_eq", "lt_of_lt_of_eq",
              "le_of_eq_of_le", "lt_of_eq_of_lt")
    monotone = ("add_le_add", "add_lt_add", "add_le_add_right", "sub_le_sub", "mul_le_mul_of_nonneg_left",
                "mul_le_mul_of_nonneg_right", "exp_le_exp_of_le", "neg_le_neg", "add_lt_add_right")
    assert sum(used[r] for r in chains) > 0
    assert sum(used[r] for r in monotone) > 0
    assert sum(1 for g in graph_thms if g.theorem.hyps) > 100
    # both assertions and transformations occur in graph proofs
    assert any(g.meta["assertion_steps"] and g.meta["rewrite_steps"] for g in graph_thms)
    keys = [canonical_key(g.theorem) for g in graph_thms]
    assert len(set(keys)) == len(keys)


def test_graph_deterministic_and_depth_knob() -> None:
    a = [str(g.theorem) for g in GraphGenerator(nodes=60).generate(20, seed=4)]
    b = [str(g.theorem) for g in GraphGenerator(nodes=60).generate(20, seed=4)]
    assert a == b
    for g in GraphGenerator(nodes=100, min_depth=3, max_depth=5).generate(30, seed=1):
        assert 3 <= g.proof.depth <= 5


# --- datasets -----------------------------------------------------------------------------------------------

def test_record_fields(walks: list) -> None:
    rec = to_record(walks[0], RULES, "default")
    for k in ("id", "theorem", "prefix", "hypotheses", "proof", "steps", "proof_size", "proof_depth", "rules_used",
              "generator", "params", "seed", "rules", "rules_version"):
        assert k in rec
    assert rec["rules_version"] == RULES.version
    assert rec["steps"][0]["goal"] == str(walks[0].theorem)
    assert len(rec["steps"]) == rec["proof_size"]
    pairs = supervised_pairs(rec)
    assert len(pairs) == rec["proof_size"] and pairs[0]["tactic"] == str(walks[0].proof.tactic)
    json.dumps(rec)


def _files(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): p.read_text() for p in sorted(d.rglob("*.jsonl"))}


def test_write_dataset_workers_resume_and_check(tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    s1 = write_dataset("walk", 90, one, params={"steps": 4}, seed=3, workers=1, shard_size=30, pairs=True)
    write_dataset("walk", 90, two, params={"steps": 4}, seed=3, workers=2, shard_size=30, pairs=True)
    assert s1["generated"] == 90 and _files(one) == _files(two) and len(_files(one)) == 6
    assert not list(one.rglob(".*tmp"))
    recs = list(read_records(one))
    assert len(recs) == 90 and len({r["id"] for r in recs}) == 90
    # resume: a lost shard is regenerated identically, finished shards are skipped
    before = _files(one)
    (one / "data" / "shard-00001.jsonl").unlink()
    s2 = write_dataset("walk", 90, one, params={"steps": 4}, seed=3, shard_size=30, pairs=True, resume=True)
    assert s2["skipped_shards"] == 2 and _files(one) == before
    assert cli_main(["check", str(one / "data" / "shard-00000.jsonl")]) == 0


def test_default_shard_size_splits_small_runs(tmp_path: Path) -> None:
    from equations.generators.dataset import default_shard_size

    assert default_shard_size(1_000_000) == 1000 and default_shard_size(1500) == 188
    assert default_shard_size(1000) == 125 and default_shard_size(50) == 100
    summary = write_dataset("walk", 250, tmp_path, params={"steps": 2}, seed=1)
    assert summary["shard_size"] == 100 and summary["shards"] == 3 and summary["generated"] == 250


def test_parquet(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    write_dataset("graph", 40, tmp_path, params={"nodes": 60}, seed=1, shard_size=20, fmt="parquet")
    table = pq.read_table(tmp_path / "data" / "shard-00000.parquet")
    assert table.num_rows == 20 and "theorem" in table.column_names
    for rec in read_records(tmp_path):
        thm = eq.parse(rec["theorem"])
        assert eq.check_proof(thm, eq.Proof.from_dict(rec["proof"], thm.domain), RULES)


def test_huggingface_datasets_loads(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    write_dataset("walk", 20, tmp_path, params={"steps": 3}, seed=1, shard_size=10)
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "data" / "shard-*.jsonl"), split="train",
                               cache_dir=str(tmp_path / "hf_cache"))
    assert len(ds) == 20 and ds[0]["id"] == "walk-1-0-0"
    row = ds[3]  # the proof is JSON text that the checker reads back
    thm = eq.parse(row["theorem"])
    assert eq.check_proof(thm, eq.Proof.from_json(row["proof"], thm.domain), RULES)
    assert [s["tactic"] for s in row["steps"]] == [s["tactic"] for s in list(read_records(tmp_path))[3]["steps"]]
    write_dataset("graph", 20, tmp_path / "pq", params={"nodes": 40}, seed=1, shard_size=10, fmt="parquet")
    pq = datasets.load_dataset("parquet", data_files=str(tmp_path / "pq" / "data" / "shard-*.parquet"), split="train",
                               cache_dir=str(tmp_path / "hf_cache"))
    assert len(pq) == 20


def test_cli_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert cli_main(["generate", "--method", "graph", "--n", "25", "--out", str(out), "--ops", "0-1",
                     "--seed", "2", "--quiet", "--shard-size", "10"]) == 0
    text = capsys.readouterr().out
    assert "theorems/s" in text and "mean proof size" in text and "rule coverage" in text
    assert len(list(read_records(out))) == 25
    assert json.loads((out / "manifest.json").read_text())["generated"] == 25
    for bad in (["--n", "0"], ["--steps", "x"], ["--workers", "0"], ["--rules", "nope"],
                ["--categories", "nope"], ["--nodes", "5"]):
        assert cli_main(["generate", "--method", "walk", "--out", str(out), "--n", "5", *bad]) == 2


def test_gym_sources_registered() -> None:
    from equations.envs.sources import get_source

    for name, params in (("walk", {"steps": 3}), ("graph", {"nodes": 40})):
        tid, thm = get_source(name)(np.random.default_rng(0), **params)
        tid2, thm2 = get_source(name)(np.random.default_rng(0), **params)
        assert isinstance(thm, eq.Theorem) and tid == tid2 and thm == thm2


@pytest.mark.slow
def test_numeric_sweep_large() -> None:
    """Thousands of theorems through the 50-digit check (slow: about ten minutes on one core)."""
    for gen, n in ((RandomWalkGenerator("default"), 1500), (GraphGenerator("default"), 800),
                   (RandomWalkGenerator("default", mode="rel"), 300), (RandomWalkGenerator("default", steps=20), 300)):
        for g in gen.generate(n, seed=123):
            assert eq.check_proof(g.theorem, g.proof, RULES)
            res = check_theorem(g.theorem, seed=3)
            assert res.ok, f"{g.theorem}: {res.message}"


def test_resume_is_safe_and_complete(tmp_path: Path) -> None:
    import os
    import stat

    from equations.generators.dataset import ResumeMismatch

    out = tmp_path / "d"
    first = write_dataset("walk", 60, out, params={"steps": 3}, seed=2, shard_size=20, pairs=True)
    old_mask = os.umask(0o022)
    os.umask(old_mask)
    for f in out.rglob("*.jsonl"):  # published files are readable like any other (mkstemp makes them 0600)
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~old_mask
    # an interrupted run: a lost shard and a temporary that was never renamed into place
    (out / "data" / "shard-00002.jsonl").unlink()
    (out / "data" / ".shard-00002.jsonl.abc123.tmp").write_text("partial")
    again = write_dataset("walk", 60, out, params={"steps": 3}, seed=2, shard_size=20, pairs=True, resume=True)
    assert not list(out.rglob(".*.tmp"))
    # the resumed manifest reports every shard, not only the one generated now
    assert again["generated"] == 60 and again["skipped_shards"] == 2
    assert again["rule_coverage"] == first["rule_coverage"]
    assert again["mean_proof_size"] == first["mean_proof_size"]
    # resuming with other parameters would mix two datasets: refused
    with pytest.raises(ResumeMismatch, match="other parameters"):
        write_dataset("walk", 60, out, params={"steps": 4}, seed=2, shard_size=20, pairs=True, resume=True)
    with pytest.raises(ResumeMismatch):
        write_dataset("walk", 60, out, params={"steps": 3}, seed=3, shard_size=20, pairs=True, resume=True)
    assert cli_main(["generate", "--n", "60", "--steps", "3", "--seed", "9", "--shard-size", "20", "--out", str(out),
                     "--resume", "--quiet"]) == 2


def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    # shards big enough that a worker would run on for many seconds after its parent died
    script = (
        "import sys\n"
        "from equations.generators import write_dataset\n"
        "write_dataset('walk', 40000, sys.argv[1], params={'steps': 6}, seed=1, workers=2, shard_size=20000)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "d")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    children: list[int] = []
    deadline = time.monotonic() + 30
    while len(children) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        children = [int(p) for p in subprocess.run(["pgrep", "-P", str(parent.pid)], capture_output=True,
                                                   text=True).stdout.split()]
    assert len(children) == 2
    time.sleep(1.0)  # the workers are generating
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 4
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [c for c in alive if _state(c) not in ("Z", "gone")]
    for c in alive:
        os.kill(c, signal.SIGKILL)
    assert not alive, f"workers {alive} still running after the parent was killed"


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0]
    except OSError:
        return "gone"
