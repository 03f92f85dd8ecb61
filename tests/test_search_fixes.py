"""Regression tests for the HTPS review fixes, each on a small hand-built hypergraph with hand-computed numbers:

1. solved nodes are leaves of value 1 (selection stops there, backup uses 1; section 4.3);
2. priors are renormalised over the tactics kept at expansion (duplicates give theirs to the kept one);
3. critic targets under RP use RP's own choice of t*;
4. the first simulations through a node follow the prior (sqrt(max(1, sum N)); RP samples from pi_RP);
5. a wall-clock limit per search / per theorem (``max_seconds``, ``--max-seconds``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from equations.agents import HTPS, Hypergraph, SearchParams, Suggestion, prove
from equations.agents.evaluate import EvalConfig, Task, evaluate, read_results, summary
from equations.agents.policy import ConstantCritic
from equations.agents.proofs import critic_samples
from equations.agents.search import puct_scores, rp_lambda, rp_policy, sample_index
from test_search import TableEnv, TablePolicy  # the synthetic table environment of the search tests


def chain(goal: str, depth: int = 6) -> dict[str, list[tuple[str, float, list[str]]]]:
    """``goal -> goal1 -> goal2 -> ...``: one tactic each, never solved (value 0.5 from the constant critic)."""
    names = [goal] + [f"{goal}{i}" for i in range(1, depth + 1)]
    return {a: [(f"to_{b}", 1.0, [b])] for a, b in itertools.pairwise(names)}


def search(table: dict[str, list[tuple[str, float, list[str]]]], root: str = "R", **kw: Any) -> HTPS[str]:
    params = SearchParams(**{"expansions": 100, "batch_size": 1, **kw})
    return HTPS(root, TableEnv(), TablePolicy(table), ConstantCritic(0.5), params)


def edge(s: HTPS[str], goal: str, tactic: str) -> Any:
    return next(e for e in s.graph.nodes[goal].edges if e.tactic == tactic)


def check_clean(s: HTPS[str]) -> None:
    for n in s.graph:
        assert n.vc_sum == 0 and all(e.vc == 0 for e in n.edges)
    s.graph.check_invariants()


class FixedRandom(random.Random):
    """A seeded-RNG stand-in whose ``random()`` cycles through given values (hand-computable sampling)."""

    def __init__(self, values: list[float]):
        super().__init__(0)
        self.values = values
        self.calls = 0

    def random(self) -> float:
        v = self.values[self.calls % len(self.values)]
        self.calls += 1
        return v


# --- 1. solved nodes are leaves of value 1 -------------------------------------------------------------

def test_solved_node_is_a_leaf_of_value_one() -> None:
    # R -t-> {S, U}; S is solved by s_close but keeps an open tactic s_open -> S2; U -> U2 -> U3
    table = {"R": [("t", 1.0, ["S", "U"])],
             "S": [("s_close", 0.5, []), ("s_open", 0.5, ["S2"])], "S2": [("s2", 1.0, ["S3"])],
             "U": [("u", 1.0, ["U2"])], "U2": [("u2", 1.0, ["U3"])]}
    s = search(table)
    s.step()  # {R}
    s.step()  # R -t-> {S, U}: S solved (1) and U (critic 0.5) are expanded: W = 1 * 0.5
    t = edge(s, "R", "t")
    assert s.graph.nodes["S"].solved and t.n == 1 and t.w == 0.5
    s.step()  # R -t-> {S (solved leaf: 1), U -u-> U2 (0.5)}: W += 0.5 (was 0.25: S was descended into)
    assert t.n == 2 and t.w == 1.0
    assert edge(s, "S", "s_open").n == 0 and not s.graph.nodes["S2"].expanded  # never descended into S
    assert edge(s, "U", "u").n == 1 and edge(s, "U", "u").w == 0.5
    assert s.stats.expansions == 4  # R, S, U, U2 (S2 was expanded too before the fix)
    check_clean(s)


def test_solved_child_does_not_make_a_tactic_expandable() -> None:
    # R -t-> {S} with S solved but still open: t is solving, so only t2 is left to select
    g: Hypergraph[str] = Hypergraph("R")
    t, t2 = g.expand(g.root, [("t", 0.9, ["S"]), ("t2", 0.1, ["V"])])
    assert t.expandable and t2.expandable
    g.expand(g.nodes["S"], [("s_close", 0.5, []), ("s_open", 0.5, ["S2"])])
    assert g.nodes["S"].solved and g.root.solved and g.nodes["S"].expandable
    assert not t.expandable and t2.expandable and g.root.expandable  # t was expandable through S before
    g.recompute_expandable()  # the incremental flags agree with the from-scratch fixpoint
    assert not t.expandable and t2.expandable and g.root.expandable
    s = search({})
    s.graph = g
    assert s.select_edge(g.root) is t2  # PUCT would pick t (prior 0.9, Q = 1) if it were selectable
    g.check_invariants()


def test_node_solved_during_the_batch_backs_up_one() -> None:
    # R -t-> A; A -a1 (0.6)-> C (closes), A -a2 (0.4)-> D -> D1 ...
    table: dict[str, list[tuple[str, float, list[str]]]] = {
        "R": [("t", 1.0, ["A"])], "A": [("a1", 0.6, ["C"]), ("a2", 0.4, ["D"])], "C": [("c", 1.0, [])], **chain("D")}
    s = search(table, batch_size=3)
    s.step()  # {R}
    s.step()  # three simulations R -t-> A (leaf, 0.5): W(R, t) = 1.5
    t = edge(s, "R", "t")
    assert t.n == 3 and t.w == 1.5
    # at A (sum N = 0, c = 1, FPU 0.5): a1 1.1 > a2 0.9; then a1 0.5 + 0.6/2 = 0.8 < a2 0.9; then a1 0.8 > a2 0.7
    s.step()
    a1, a2 = edge(s, "A", "a1"), edge(s, "A", "a2")
    assert (a1.n, a2.n) == (2, 1)
    assert a1.w == 2.0 and a2.w == 0.5  # C is solved; D is worth 0.5
    # A is solved once C is expanded: every simulation of the batch passes 1 on to R (the a2 one gave 0.5)
    assert s.graph.nodes["A"].solved and t.n == 6 and t.w == 1.5 + 3.0
    check_clean(s)


# --- 2. priors are renormalised over the kept tactics -------------------------------------------------

def test_priors_renormalised_over_kept_tactics() -> None:
    g: Hypergraph[str] = Hypergraph("A")
    kept = g.expand(g.root, [("loop", 0.1, ["A"]), ("t", 0.3, ["B", "C"]), ("t'", 0.1, ["C", "B"]),
                             ("u", 0.4, ["D"]), ("u'", 0.1, ["D", "D"])])
    # t absorbs t' (0.3 + 0.1), u absorbs u' (0.4 + 0.1), the self-loop's 0.1 is dropped: /0.9
    assert [e.tactic for e in kept] == ["t", "u"]
    assert [e.prior for e in kept] == pytest.approx([0.4 / 0.9, 0.5 / 0.9])
    assert sum(e.prior for e in kept) == pytest.approx(1.0)
    g2: Hypergraph[str] = Hypergraph("A")
    assert [e.prior for e in g2.expand(g2.root, [("x", 0.0, ["B"]), ("y", 0.0, ["C"])])] == [0.5, 0.5]


def test_search_priors_sum_to_one_after_dropping() -> None:
    table = {"R": [("loop", 0.1, ["R"]), ("t", 0.3, ["B", "C"]), ("t'", 0.1, ["C", "B"]), ("u", 0.4, ["D"]),
                   ("u'", 0.1, ["D"])]}
    s = search(table)
    s.step()
    assert [(e.tactic, e.prior) for e in s.graph.root.edges] == [("t", pytest.approx(4 / 9)),
                                                                   ("u", pytest.approx(5 / 9))]


# --- 3. critic targets under RP ------------------------------------------------------------------------

def test_critic_target_uses_the_search_policy() -> None:
    g: Hypergraph[str] = Hypergraph("A")
    e1, e2 = g.expand(g.root, [("t1", 0.9, ["B"]), ("t2", 0.1, ["C"])])
    e1.n, e1.w = 1, 0.2  # Q = 0.2
    e2.n, e2.w = 9, 8.1  # Q = 0.9
    g.root.n_sum = 10
    # PUCT (c = 1): t1 0.2 + sqrt(10) * 0.9 / 2 = 1.623 > t2 0.9 + sqrt(10) * 0.1 / 10 = 0.932 -> W/N = 0.2
    assert puct_scores([0.9, 0.1], [0.2, 0.9], [1, 9], 10, 1.0) == pytest.approx([1.6230249, 0.9316228])
    (puct,) = critic_samples(g, SearchParams(policy="puct"), visit_threshold=2)
    assert puct.kind == "internal" and puct.target == pytest.approx(0.2)
    # RP: lambda = sqrt(10) / 12 = 0.2635, pi_RP = (0.321, 0.679): t* = t2 -> W/N = 8.1 / 9 = 0.9
    pi = rp_policy([0.9, 0.1], [0.2, 0.9], rp_lambda(1.0, [1, 9]))
    assert pi == pytest.approx([0.3210167, 0.6789833], abs=1e-6)
    (rp,) = critic_samples(g, SearchParams(policy="rp"), visit_threshold=2)
    assert rp.kind == "internal" and rp.target == pytest.approx(0.9)


# --- 4. the first simulations follow the prior ---------------------------------------------------------

def test_puct_first_batch_follows_the_prior() -> None:
    table = {"R": [("t1", 0.5, ["B"]), ("t2", 0.3, ["C"]), ("t3", 0.2, ["D"])], **chain("B"), **chain("C"),
             **chain("D")}
    s = search(table, batch_size=4)
    s.step()  # {R}
    # sum N = 0, sqrt(max(1, 0)) = 1, FPU 0.5, C = virtual counts within the batch:
    # t1 0.5+0.5=1.0 | t2 0.5+0.3=0.8 vs t1 0.5+0.25=0.75 | t1 0.75 vs t2 0.5+0.15=0.65, t3 0.7
    # | t3 0.7 vs t1 0.25+0.5/3=0.417, t2 0.65  ->  N = (2, 1, 1)  (was (2, 2, 0): each tactic twice)
    s.step()
    assert [e.n for e in s.graph.root.edges] == [2, 1, 1]
    check_clean(s)


def test_rp_samples_from_the_regularised_policy() -> None:
    assert rp_lambda(1.0, [0, 0]) == 0.5  # sqrt(max(1, 0)) / (0 + 2): pi_RP is the prior, not greedy
    assert rp_policy([0.6, 0.4], [0.5, 0.5], 0.5) == pytest.approx([0.6, 0.4])
    assert [sample_index([0.6, 0.4], FixedRandom([u])) for u in (0.0, 0.59, 0.6, 0.99)] == [0, 0, 1, 1]
    assert sample_index([0.0, 1.0, 0.0], FixedRandom([0.999999])) == 1
    table = {"R": [("t1", 0.6, ["B"]), ("t2", 0.4, ["C"])], **chain("B"), **chain("C")}
    s = search(table, policy="rp")
    rng = FixedRandom([0.1, 0.7])
    s.rng = rng
    s.step()  # {R}
    for _ in range(4):
        s.step()
    # a constant critic keeps every Q at 0.5, so pi_RP = prior (0.6, 0.4) at each visit; draws 0.1, 0.7, 0.1, 0.7
    # pick t1, t2, t1, t2 (argmax picked t1 forever: (4, 0))
    assert [e.n for e in s.graph.root.edges] == [2, 2] and rng.calls == 4
    check_clean(s)


def test_rp_search_is_deterministic_for_a_seed() -> None:
    table = {"R": [("t1", 0.6, ["B"]), ("t2", 0.3, ["C"]), ("t3", 0.1, ["D"])], **chain("B", 30),
             **chain("C", 30), **chain("D", 30)}

    def visits(seed: int) -> list[int]:
        s = search(table, policy="rp", expansions=40, batch_size=4, seed=seed).run()
        return [e.n for e in s.graph.root.edges]

    first = visits(5)
    assert first == visits(5) and sum(first[1:]) > 0


# --- 5. wall-clock limit -------------------------------------------------------------------------------

class EndlessSlowPolicy:
    """Goals are integers; every goal has two tactics to two fresh goals; each batch takes 2 ms."""

    def __init__(self) -> None:
        self.next = 1

    def propose(self, goals: Sequence[Any], params: SearchParams, rng: random.Random) -> list[list[Suggestion]]:
        time.sleep(0.002)
        out = []
        for _ in goals:
            out.append([Suggestion("a", 0.5, (self.next,)), Suggestion("b", 0.5, (self.next + 1,))])
            self.next += 2
        return out


def test_max_seconds_stops_a_long_search() -> None:
    with pytest.raises(ValueError):
        SearchParams(max_seconds=0)
    params = SearchParams(expansions=10**7, batch_size=1, max_seconds=0.05)
    s: HTPS[int] = HTPS(0, TableEnv(), EndlessSlowPolicy(), ConstantCritic(0.5), params)
    t0 = time.perf_counter()
    s.run()
    assert s.stats.timed_out and not s.solved
    assert 0 < s.stats.expansions < 10**7 and time.perf_counter() - t0 < 2.0
    unlimited: HTPS[int] = HTPS(0, TableEnv(), EndlessSlowPolicy(), ConstantCritic(0.5),
                                SearchParams(expansions=5, batch_size=1)).run()
    assert not unlimited.stats.timed_out and unlimited.stats.expansions == 5


def test_prove_and_evaluate_record_the_timeout(tmp_path: Path) -> None:
    res = prove("x == x + 1", params=SearchParams(expansions=10**7), policy="fast", max_seconds=0.2)
    assert not res.proved and res.timed_out and res.stats.expansions < 10**7 and res.stats.seconds < 5.0
    tasks = [Task("never", "file", "x == x + 1"), Task("easy", "file", "x + 0 == x")]
    out = tmp_path / "res.jsonl"
    t0 = time.perf_counter()
    records = evaluate(tasks, out, EvalConfig(budget=10**7, attempts=3, max_seconds=0.3))
    assert time.perf_counter() - t0 < 10.0
    never = json.loads(out.read_text().splitlines()[0])
    assert never["id"] == "never" and not never["proved"] and never["timed_out"] is True
    assert never["attempts"] == 1 and never["max_seconds"] == 0.3  # the limit is per theorem, all attempts
    assert records["easy"]["proved"] and records["easy"]["timed_out"] is False
    assert "1 timed out" in summary(tasks, read_results(out), "file")


def _parser() -> argparse.ArgumentParser:
    from equations.agents.cli import add_parsers

    ap = argparse.ArgumentParser()
    add_parsers(ap.add_subparsers(dest="command"))
    return ap


def test_cli_max_seconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from equations.cli import UsageError

    ap = _parser()
    assert ap.parse_args(["evaluate"]).max_seconds == 120.0 and ap.parse_args(["prove", "x == x"]).max_seconds is None
    args = ap.parse_args(["prove", "x == x + 1", "--budget", "10000000", "--max-seconds", "0.2"])
    assert args.fn(args) == 1
    assert "timed out after 0.2 s" in capsys.readouterr().out
    theorems = tmp_path / "set.txt"
    theorems.write_text("never\tx == x + 1\n", encoding="utf-8")
    out = tmp_path / "r.jsonl"
    args = ap.parse_args(["evaluate", "--set", str(theorems), "--budget", "10000000", "--max-seconds", "0.2",
                          "--out", str(out), "-q"])
    assert args.fn(args) == 0
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["timed_out"] is True and "1 timed out" in capsys.readouterr().out
    for argv in (["prove", "x == x", "--max-seconds", "0"], ["evaluate", "--max-seconds", "-1"]):
        args = ap.parse_args(argv)
        with pytest.raises(UsageError):
            args.fn(args)
