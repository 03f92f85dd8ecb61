"""HyperTree Proof Search: synthetic hypergraphs, the two search policies, real theorems, the harness."""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from equations.agents import HTPS, Hypergraph, SearchParams, Suggestion, prove
from equations.agents.evaluate import EvalConfig, Task, evaluate, load_tasks, read_results, summary
from equations.agents.policy import ConstantCritic, EngineEnv, EnumerationPolicy, sample_without_replacement
from equations.agents.proofs import critic_samples, extract_proof, minimal_proofs, proof_steps, tactic_samples
from equations.agents.search import puct_scores, q_value, rp_lambda, rp_policy
from hypothesis import given, settings
from hypothesis import strategies as st

import equations as eq

# --- a synthetic environment: goals are strings, tactics come from a table ----------------------------

CLOSED = "T"  # a subgoal that closes automatically


class TableEnv:
    def apply(self, goal: Any, tactic: Any) -> list[Any] | None:
        return None

    def is_closed(self, goal: Any) -> bool:
        return bool(goal == CLOSED)


class TablePolicy:
    """``table[goal] = [(tactic, prior, [subgoals])]``; goals missing from the table have no tactic."""

    def __init__(self, table: dict[str, list[tuple[str, float, list[str]]]]):
        self.table = table
        self.calls: list[list[str]] = []

    def propose(self, goals: Sequence[Any], params: SearchParams, rng: random.Random) -> list[list[Suggestion]]:
        self.calls.append(list(goals))
        return [
            [Suggestion(t, p, tuple(None if s == CLOSED else s for s in subs)) for t, p, subs in self.table.get(g, [])]
            for g in goals
        ]


def run_table(table: dict[str, list[tuple[str, float, list[str]]]], root: str = "A", **kw: Any) -> HTPS[str]:
    params = SearchParams(**{"expansions": 100, "batch_size": 4, **kw})
    s: HTPS[str] = HTPS(root, TableEnv(), TablePolicy(table), ConstantCritic(0.5), params)
    return s.run()


def assert_no_virtual_counts(graph: Hypergraph[Any]) -> None:
    for n in graph:
        assert n.vc_sum == 0
        for e in n.edges:
            assert e.vc == 0
    graph.check_invariants()


def replay(table: dict[str, list[tuple[str, float, list[str]]]], goal: str, proof: eq.Proof | None,
           path: tuple[str, ...] = ()) -> int:
    """Check a synthetic proof against the table (acyclic, every step exists); returns its size."""
    assert proof is not None
    assert goal not in path, "a proof must not be cyclic"
    subs = {t: s for t, _, s in table[goal]}[proof.tactic]
    assert len(proof.children) == len(subs)
    size = 1
    for s, c in zip(subs, proof.children, strict=True):
        if s == CLOSED:
            assert c is None
        else:
            size += replay(table, s, c, (*path, goal))
    return size


# --- the hypergraph -------------------------------------------------------------------------------------

def test_solved_propagates_through_shared_nodes() -> None:
    g: Hypergraph[str] = Hypergraph("A")
    g.expand(g.root, [("t", 0.5, ["B", "C"]), ("u", 0.5, ["C", "D"])])
    b, c, d = g.nodes["B"], g.nodes["C"], g.nodes["D"]
    assert c.parents == [g.root.edges[0], g.root.edges[1]]  # C is shared by two tactics
    g.expand(b, [("b", 1.0, ["E"])])
    g.expand(c, [("c", 1.0, ["E", "E"])])  # one tactic reaching the same goal twice
    assert c.edges[0].children == (g.nodes["E"],) and len(c.edges[0].subgoals) == 2
    assert not g.root.solved
    g.expand(g.nodes["E"], [("close", 1.0, [])])
    assert g.nodes["E"].solved and b.solved and c.solved and g.root.solved
    assert not d.solved
    assert g.root.edges[0].solving and not g.root.edges[1].solving
    assert not b.expandable and not c.expandable and g.root.expandable  # D is still unexpanded
    g.check_invariants()
    best = minimal_proofs(g)
    assert best[c.id][0] == 3 and best[g.root.id][0] == 6  # E counted once per use, as in Proof.size
    proof = extract_proof(g)
    assert proof is not None and proof.tactic == "t" and proof.size == 6


def test_invalid_propagation() -> None:
    g: Hypergraph[str] = Hypergraph("A")
    g.expand(g.root, [("t1", 0.5, ["B"]), ("t2", 0.5, ["C", "D"])])
    g.expand(g.nodes["B"], [])
    assert g.nodes["B"].invalid and g.root.edges[0].invalid and not g.root.invalid
    assert g.root.expandable and not g.root.edges[0].expandable
    g.expand(g.nodes["C"], [("c", 1.0, ["B"])])  # every tactic of C leads to an invalid node
    assert g.nodes["C"].invalid and g.root.invalid and not g.root.expandable
    g.check_invariants()
    # a new tactic to an invalid node is invalid at once
    g2: Hypergraph[str] = Hypergraph("X")
    g2.expand(g2.root, [("x", 1.0, ["Y"])])
    g2.expand(g2.nodes["Y"], [])
    assert g2.root.invalid


def test_self_loops_and_duplicate_children_are_dropped() -> None:
    g: Hypergraph[str] = Hypergraph("A")
    added = g.expand(g.root, [("loop", 0.3, ["A"]), ("t", 0.3, ["B", "C"]), ("t'", 0.4, ["C", "B"])])
    assert [e.tactic for e in added] == ["t"]


def test_solved_status_never_uses_a_cycle() -> None:
    g: Hypergraph[str] = Hypergraph("A")
    g.expand(g.root, [("a", 1.0, ["B"])])
    g.expand(g.nodes["B"], [("b", 1.0, ["A"])])
    assert not g.root.solved and not g.nodes["B"].solved
    g.check_invariants()


# --- search on synthetic hypergraphs --------------------------------------------------------------------

def test_search_shared_subgoal_of_one_tactic() -> None:
    table = {"A": [("t", 1.0, ["B", "B", CLOSED])], "B": [("u", 0.5, ["C"]), ("v", 0.5, ["D"])],
             "C": [("close", 1.0, [])], "D": [("d", 1.0, ["D2"])]}
    s = run_table(table)
    assert s.solved
    proof = extract_proof(s.graph)
    assert replay(table, "A", proof) == proof.size == 5  # A, then B twice, then C twice
    assert_no_virtual_counts(s.graph)


def test_search_kills_cycles_and_restarts() -> None:
    # B's preferred tactic leads back to A: selecting it closes a cycle, which is killed
    table = {"A": [("a", 1.0, ["B"])], "B": [("back", 0.9, ["A"]), ("fwd", 0.1, ["C"])],
             "C": [("c", 1.0, ["D"])], "D": [("close", 1.0, [])]}
    s = run_table(table, batch_size=1)
    assert s.solved
    assert s.stats.restarts >= 1 and s.graph.n_killed >= 1
    back = s.graph.nodes["B"].edges[0]
    assert back.tactic == "back" and back.killed and not back.expandable
    assert replay(table, "A", extract_proof(s.graph)) == 4
    assert_no_virtual_counts(s.graph)


def test_search_fails_when_everything_is_invalid_or_cyclic() -> None:
    table = {"A": [("a", 0.5, ["B"]), ("a2", 0.5, ["C"])], "B": [("b", 1.0, ["A"])], "C": [("c", 1.0, ["E"])]}
    s = run_table(table)
    assert not s.solved
    assert s.graph.nodes["C"].invalid
    assert s.stats.expansions == 4 and not s.graph.root.expandable
    assert extract_proof(s.graph) is None
    assert_no_virtual_counts(s.graph)


def random_table(rng: random.Random, n_goals: int = 60) -> dict[str, list[tuple[str, float, list[str]]]]:
    table: dict[str, list[tuple[str, float, list[str]]]] = {}
    for i in range(n_goals):
        tactics = []
        for j in range(rng.randint(0, 4)):
            k = rng.choice([0, 1, 1, 1, 2, 2, 3])
            subs = [CLOSED if rng.random() < 0.2 else f"g{rng.randrange(n_goals)}" for _ in range(k)]
            tactics.append((f"t{i}.{j}", rng.random() + 0.01, subs))
        table[f"g{i}"] = tactics
    return table


@pytest.mark.parametrize("policy", ["puct", "rp"])
def test_random_hypergraphs_invariants_and_proofs(policy: str) -> None:
    rng = random.Random(7)
    solved = 0
    for trial in range(40):
        table = random_table(rng)
        params = SearchParams(expansions=60, batch_size=rng.choice([1, 4, 8]), policy=policy,
                              stop_on_solve=trial % 2 == 0, seed=trial)
        s: HTPS[str] = HTPS("g0", TableEnv(), TablePolicy(table), ConstantCritic(0.5), params)
        while s.step():
            assert_no_virtual_counts(s.graph)
            if params.stop_on_solve and s.solved:
                break
        assert_no_virtual_counts(s.graph)
        if s.solved:
            solved += 1
            for objective in ("size", "depth"):
                proof = extract_proof(s.graph, objective=objective)
                replay(table, "g0", proof)
            best = minimal_proofs(s.graph)
            size_proof = extract_proof(s.graph)
            assert size_proof is not None and size_proof.size == best[s.graph.root.id][0]
            depth_proof = extract_proof(s.graph, objective="depth")
            assert depth_proof is not None and depth_proof.depth <= size_proof.depth
    assert solved >= 5


def test_backup_values_products_and_depth_penalty() -> None:
    table = {"A": [("t", 1.0, ["B", "C"])], "B": [("b", 1.0, ["D"])], "C": [("c", 1.0, ["E"])]}
    s = run_table(table, expansions=3, batch_size=1, depth_penalty=0.9)
    # simulations: {A} ; {B, C} ; then the budget (3) is spent
    root_edge = s.graph.root.edges[0]
    assert root_edge.n == 1 and math.isclose(root_edge.w, 0.9 * 0.5 * 0.5)
    assert_no_virtual_counts(s.graph)


# --- the two policies on hand-computed examples ----------------------------------------------------------

def test_q_value_first_play_urgency_and_solving_rule() -> None:
    g: Hypergraph[str] = Hypergraph("A")
    e_solve, e_new, e_seen = g.expand(g.root, [("s", 0.2, []), ("n", 0.3, ["B"]), ("w", 0.5, ["C"])])
    e_solve.n, e_solve.vc = 2, 2
    assert q_value(e_solve) == 2 / 4
    e_solve.n, e_solve.vc = 0, 3
    assert q_value(e_solve) == 1 / 3
    e_new.vc = 2
    assert q_value(e_new) == 0.5 / 2
    assert q_value(e_new, fpu=0.3) == pytest.approx(0.15)
    e_seen.n, e_seen.w, e_seen.vc = 4, 2.0, 1
    assert q_value(e_seen) == 2.0 / 5


def test_puct_hand_computed() -> None:
    # Q + c * P * sqrt(sum N) / (1 + C)
    scores = puct_scores([0.6, 0.4], [0.5, 0.8], [3, 1], n_sum=4, c=2.0)
    assert scores == pytest.approx([0.5 + 2 * 0.6 * 2 / 4, 0.8 + 2 * 0.4 * 2 / 2])
    g: Hypergraph[str] = Hypergraph("A")
    e1, e2 = g.expand(g.root, [("t1", 0.6, ["B"]), ("t2", 0.4, ["C"])])
    e1.n, e1.w = 3, 1.5   # Q = 0.5, score = 0.5 + 2 * 0.6 * 2 / 4 = 1.1
    e2.n, e2.w = 1, 0.8   # Q = 0.8, score = 0.8 + 2 * 0.4 * 2 / 2 = 1.6
    g.root.n_sum = 4
    s: HTPS[str] = HTPS("A", TableEnv(), TablePolicy({}), ConstantCritic(), SearchParams(exploration=2.0))
    s.graph = g
    assert s.select_edge(g.root) is e2
    e2.vc = 3             # virtual loss: C = 4, Q = 0.8/4 = 0.2, score = 0.2 + 2 * 0.4 * 2 / 5 = 0.52
    assert s.select_edge(g.root) is e1
    # no visit yet: every Q is the FPU, the exploration term uses sqrt(max(1, 0)) = 1: the larger prior wins
    g2: Hypergraph[str] = Hypergraph("A")
    g2.expand(g2.root, [("t1", 0.3, ["B"]), ("t2", 0.7, ["C"])])
    s.graph = g2
    assert s.select_edge(g2.root) is g2.root.edges[1]


def test_rp_hand_computed() -> None:
    # priors (1/2, 1/2), Q = (1, 0), lambda = 1: alpha^2 - 2 alpha + 1/2 = 0, alpha = 1 + sqrt(1/2)
    y = rp_policy([0.5, 0.5], [1.0, 0.0], 1.0)
    alpha = 1 + math.sqrt(0.5)
    assert y == pytest.approx([0.5 / (alpha - 1), 0.5 / alpha], abs=1e-9)
    assert sum(y) == pytest.approx(1.0)
    # equal Q: the solution is the prior
    assert rp_policy([0.2, 0.8], [0.3, 0.3], 0.5) == pytest.approx([0.2, 0.8], abs=1e-9)
    # lambda -> 0: greedy on Q (safe fallback), ties by prior
    assert rp_policy([0.2, 0.8], [0.9, 0.1], 0.0) == [1.0, 0.0]
    assert rp_policy([0.2, 0.8], [0.5, 0.5], 0.0) == [0.0, 1.0]
    # tiny lambda and large Q gaps stay finite and normalised
    y = rp_policy([1e-9, 1 - 1e-9, 0.0], [0.0, 1.0, 0.99], 1e-9)
    assert all(math.isfinite(v) and v >= 0 for v in y) and sum(y) == pytest.approx(1.0)
    assert rp_lambda(2.0, [1, 2, 3]) == pytest.approx(2.0 * math.sqrt(6) / 9)


def test_rp_maximises_the_regularised_objective() -> None:
    rng = random.Random(3)
    for _ in range(50):
        n = rng.randint(2, 6)
        p = [rng.random() + 0.01 for _ in range(n)]
        z = sum(p)
        p = [v / z for v in p]
        q = [rng.random() for _ in range(n)]
        lam = 10 ** rng.uniform(-2, 1)

        def objective(y: list[float], p: list[float] = p, q: list[float] = q, lam: float = lam) -> float:
            return sum(a * b for a, b in zip(q, y, strict=True)) - lam * sum(
                pi * math.log(pi / yi) for pi, yi in zip(p, y, strict=True))

        best = rp_policy(p, q, lam)
        for _ in range(20):
            other = [max(1e-12, v + rng.gauss(0, 0.05)) for v in best]
            s = sum(other)
            assert objective(best) >= objective([v / s for v in other]) - 1e-9


def test_search_params_sampling() -> None:
    rng = random.Random(0)
    for _ in range(200):
        p = SearchParams.sample(rng)
        assert p.num_samples in (8, 16, 32, 48)
        assert 0.8 <= p.temperature <= 2.0 and 0.0 <= p.length_penalty <= 1.2
        assert 1000 <= p.expansions <= 10000 and p.depth_penalty in (0.8, 0.9, 0.95, 1.0)
        assert 0.01 <= p.exploration <= 100
    assert SearchParams.sample(random.Random(1), expansions=2000).expansions == 2000
    assert SearchParams.sample(random.Random(5)) == SearchParams.sample(random.Random(5))
    with pytest.raises(ValueError):
        SearchParams(policy="ucb")


def test_sample_without_replacement() -> None:
    rng = random.Random(0)
    idx = sample_without_replacement([0.1, 0.2, 0.7], 2, rng)
    assert len(set(idx)) == 2
    assert sample_without_replacement([0.1, 0.2, 0.7], 5, rng) == [2, 1, 0]


# --- real theorems ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rules() -> eq.RuleSet:
    return eq.load_rules("default")


@pytest.mark.parametrize("text", ["sqrt(x)**2 == x | x >= 0", "2*ln(sqrt(x)) == ln(x) | x > 0", "x + 0 == x"])
@pytest.mark.parametrize("policy", ["puct", "rp"])
def test_real_theorems_with_side_conditions(rules: eq.RuleSet, text: str, policy: str) -> None:
    thm = eq.parse(text)
    res = prove(thm, rules, params=SearchParams(expansions=500, policy=policy), policy="fast")
    assert res.proved and res.proof is not None
    assert eq.check_proof(thm, res.proof, rules)
    assert res.stats.expansions <= 500


def test_figure_8_identity(rules: eq.RuleSet) -> None:
    thm = eq.parse("(x - y) - (x + y) + 2*y == 0")
    res = prove(thm, rules, params=SearchParams(expansions=2000), policy="fast", critic="size")
    assert res.proved and res.proof is not None
    assert eq.check_proof(thm, res.proof, rules)
    json_text = res.proof.to_json(thm, rules)
    assert eq.check_proof(thm, eq.Proof.from_json(json_text), rules)


def test_closed_root_and_failure(rules: eq.RuleSet) -> None:
    res = prove("2 + 2 == 4", rules)
    assert res.proved and res.proof is None and eq.check_proof(eq.parse("2 + 2 == 4"), None, rules)
    res = prove("x == x + 1", rules, params=SearchParams(expansions=30), policy="fast")
    assert not res.proved and res.proof is None and res.stats.expansions == 30


def test_deterministic_for_a_seed(rules: eq.RuleSet) -> None:
    def run(seed: int) -> tuple[Any, ...]:
        params = SearchParams(expansions=150, num_samples=16, seed=seed, stop_on_solve=False)
        r = prove("(x - y) - (x + y) + 2*y == 0", rules, params=params, policy="fast", critic="size",
                  keep_search=True)
        assert r.search is not None
        visits = [(str(n.goal), [(str(e.tactic), e.n, round(e.w, 12)) for e in n.edges]) for n in r.search.graph]
        return r.proved, r.proof, r.stats.expansions, r.stats.nodes, r.stats.simulations, visits

    assert run(3) == run(3)


def test_training_samples(rules: eq.RuleSet) -> None:
    thm = eq.parse("2*ln(sqrt(x)) == ln(x) | x > 0")
    params = SearchParams(expansions=150, stop_on_solve=False)
    search: HTPS[eq.Theorem] = HTPS(thm, EngineEnv(rules), EnumerationPolicy(rules, prefilter=48),
                                    ConstantCritic(), params).run()
    assert search.solved
    proof = extract_proof(search.graph)
    assert proof is not None and eq.check_proof(thm, proof, rules)
    root_samples = tactic_samples(search.graph)
    assert [(g, t) for g, t in root_samples] == proof_steps(thm, proof, rules)
    all_samples = tactic_samples(search.graph, all_solved=True)
    assert len(all_samples) >= len(root_samples)
    for goal, tactic in all_samples:  # each is the first step of a checked minimal proof of its goal
        node = search.graph.nodes[goal]
        sub = extract_proof(search.graph, node)
        assert sub is not None and sub.tactic == tactic and eq.check_proof(goal, sub, rules)
    crit = critic_samples(search.graph, params, visit_threshold=2)
    assert any(c.kind == "solved" and c.goal == thm for c in crit)
    # a false statement: internal nodes with soft targets W/N of the preferred tactic
    bad: HTPS[eq.Theorem] = HTPS(eq.parse("x == x + 1"), EngineEnv(rules), EnumerationPolicy(rules, prefilter=48),
                                 ConstantCritic(), SearchParams(expansions=60)).run()
    crit += critic_samples(bad.graph, visit_threshold=2)
    internal = [c for c in crit if c.kind == "internal"]
    assert internal and any(c.goal == bad.graph.root.goal for c in internal)
    assert all(0.0 <= c.target <= 1.0 for c in crit)
    assert all(c.target == 1.0 for c in crit if c.kind == "solved")
    assert all(c.target == 0.0 for c in crit if c.kind == "invalid")


# --- harness and command line ----------------------------------------------------------------------------

def test_evaluate_is_resumable(tmp_path: Path) -> None:
    theorems = tmp_path / "set.txt"
    theorems.write_text("# two theorems\nsq\tsqrt(x)**2 == x | x >= 0\n\nx == x + 1\n", encoding="utf-8")
    tasks = load_tasks(str(theorems))
    assert [t.id for t in tasks] == ["sq", "set-0004"]
    out = tmp_path / "res.jsonl"
    cfg = EvalConfig(budget=20, attempts=2, policy="fast")
    records = evaluate(tasks[:1], out, cfg)
    assert records["sq"]["proved"] and records["sq"]["attempts"] == 1
    records = evaluate(tasks, out, cfg)  # resumes: only the second theorem runs
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and not records["set-0004"]["proved"] and records["set-0004"]["attempts"] == 2
    assert records["set-0004"]["expansions"] == 40
    evaluate(tasks, out, cfg)
    assert len(out.read_text().splitlines()) == 2
    text = summary(tasks, read_results(out), "file")
    assert "proved 1/2" in text and "within 2 attempt(s): 1/2" in text
    proof = eq.Proof.from_dict(json.loads(lines[0])["proof"])
    assert eq.check_proof(eq.parse("sqrt(x)**2 == x | x >= 0"), proof, eq.load_rules("default"))


def test_evaluate_in_worker_processes(tmp_path: Path) -> None:
    tasks = [Task("a", "file", "x + 0 == x"), Task("b", "file", "sqrt(x)**2 == x | x >= 0"),
             Task("c", "file", "x*1 == x")]
    out = tmp_path / "res.jsonl"
    records = evaluate(tasks, out, EvalConfig(budget=50), workers=2)
    assert set(records) == {"a", "b", "c"} and all(r["proved"] for r in records.values())


def test_evaluate_identities_table(tmp_path: Path) -> None:
    tasks = load_tasks("identities", "algebra")[:2]
    records = evaluate(tasks, tmp_path / "r.jsonl", EvalConfig(budget=10))
    text = summary(tasks, records)
    assert "algebra" in text and "all" in text


def _parser() -> argparse.ArgumentParser:
    from equations.agents.cli import add_parsers

    ap = argparse.ArgumentParser()
    add_parsers(ap.add_subparsers(dest="command"))
    return ap


def test_cli_prove(capsys: pytest.CaptureFixture[str]) -> None:
    ap = _parser()
    args = ap.parse_args(["prove", "2*ln(sqrt(x)) == ln(x) | x > 0", "--budget", "300", "--json"])
    assert args.fn(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("proved") and "1. 2*ln(sqrt(x)) == ln(x) | x > 0" in out
    record = json.loads(out.strip().splitlines()[-1])
    assert eq.check_proof(eq.parse(record["theorem"]), eq.Proof.from_dict(record["proof"]), eq.load_rules("default"))
    args = ap.parse_args(["prove", "x == x + 1", "--budget", "5"])
    assert args.fn(args) == 1
    assert capsys.readouterr().out.startswith("failed")


def test_cli_usage_errors(tmp_path: Path) -> None:
    from equations.cli import UsageError

    ap = _parser()
    for argv in (["prove", "x =="], ["prove", "x == x", "--policy", "oracle"], ["prove", "x == x", "--rules", "nope"],
                 ["evaluate", "--set", str(tmp_path / "missing.txt")], ["evaluate", "--category", "nope"]):
        args = ap.parse_args(argv)
        with pytest.raises(UsageError):
            args.fn(args)


def test_cli_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ap = _parser()
    out = tmp_path / "r.jsonl"
    args = ap.parse_args(["evaluate", "--category", "algebra", "--limit", "2", "--budget", "5", "--out", str(out),
                          "-q"])
    assert args.fn(args) == 0
    text = capsys.readouterr().out
    assert "cumulative proved" in text and len(out.read_text().splitlines()) == 2


@pytest.mark.slow
def test_identities_sample_with_checked_proofs(rules: eq.RuleSet) -> None:
    from equations.identities import load

    proved = 0
    for it in load()[::40]:
        res = prove(it.theorem, rules, params=SearchParams(expansions=300), policy="fast")
        if res.proved:
            proved += 1
            assert eq.check_proof(it.theorem, res.proof, rules)
    assert proved >= 1


@settings(max_examples=60)
@given(st.lists(st.tuples(st.floats(0.01, 1.0), st.integers(0, 6), st.integers(0, 3), st.floats(0.0, 1.0)),
                min_size=2, max_size=6),
       st.floats(0.01, 10.0), st.sampled_from([0, 1]))
def test_selection_inlines_puct_score(edges: list[tuple[float, int, int, float]], c: float, solved: int) -> None:
    """select_edge's inlined PUCT picks the argmax of puct_score(q_value, prior, N + virtual count, scale)
    (ties to the larger prior, then the earlier tactic), with or without a solving tactic."""
    from equations.agents.search import puct_scale, puct_score

    g: Hypergraph[str] = Hypergraph("A")
    made = g.expand(g.root, [(f"t{i}", p, [f"B{i}"]) for i, (p, _, _, _) in enumerate(edges)])
    for e, (_, n, vc, w) in zip(made, edges, strict=True):
        e.n, e.vc, e.w = n, vc, w * n
    if solved:
        made[0].n_unsolved = 0
    g.root.n_sum = sum(e.n for e in made)
    s: HTPS[str] = HTPS("A", TableEnv(), TablePolicy({}), ConstantCritic(), SearchParams(exploration=c))
    s.graph = g
    live = [e for e in made if e.expandable]
    scale = puct_scale(c, g.root.n_sum)
    scores = [puct_score(q_value(e), e.prior, e.n + e.vc, scale) for e in live]
    best = max(range(len(live)), key=lambda i: (scores[i], live[i].prior, -i))
    assert s.select_edge(g.root) is live[best]
