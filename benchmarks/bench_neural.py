"""Speed of the learned agent (needs the ``agent`` extra): tactic priors per second (goals scored, every
applicable tactic of each), critic values per second, and search expansions per second, batched (one model
call per expansion batch) against unbatched (one call per goal / batch_size=1).

    python benchmarks/bench_neural.py [--preset cpu-tiny] [--checkpoint DIR] [--threads 1]
        [--decoder-checkpoint DIR]

The goals are the Identities statements (the first ``--goals``); an untrained model is as fast as a trained
one, so no checkpoint is needed for the speed figures of design (b). The ``decoder_*`` rows are design (a)
(:mod:`equations.agents.decoder`, tactic text sampled, 32 samples per goal): pass a trained
``--decoder-checkpoint`` for its search rate, since an untrained decoder's samples are mostly invalid.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import torch
from equations.agents import SearchParams
from equations.agents.decoder import DecoderAgent, DecoderPolicy
from equations.agents.neural import NeuralAgent, NeuralCritic, NeuralPolicy, load_agent
from equations.agents.policy import ConstantCritic, EngineEnv, EnumerationPolicy
from equations.agents.search import HTPS
from equations.identities import load

import equations as eq


def goals(n: int, rules: eq.RuleSet, vocab_ok: NeuralAgent) -> list[eq.Theorem]:
    out = []
    for item in load():
        thm = item.theorem if hasattr(item, "theorem") else eq.parse(str(item))
        try:
            vocab_ok.encode(thm)
        except KeyError:
            continue
        out.append(thm)
        if len(out) >= n:
            break
    return out


def timed(fn, min_seconds: float = 2.0) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    n = 0
    t0 = time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return dt / n, n


def search_rate(thms: list[eq.Theorem], rules: eq.RuleSet, policy, critic, batch: int, budget: int  # type: ignore[no-untyped-def]
                ) -> float:
    exp = 0
    t0 = time.perf_counter()
    for i, thm in enumerate(thms):
        s: HTPS[eq.Theorem] = HTPS(thm, EngineEnv(rules), policy, critic,
                                   SearchParams(expansions=budget, batch_size=batch, seed=i, stop_on_solve=False))
        s.run()
        exp += s.stats.expansions
    return exp / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="cpu-tiny")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--goals", type=int, default=32)
    ap.add_argument("--search-theorems", type=int, default=4)
    ap.add_argument("--budget", type=int, default=128)
    ap.add_argument("--rules", default="paper")
    ap.add_argument("--decoder-checkpoint", default=None, help="a trained design (a) checkpoint")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rules = eq.load_rules(args.rules)
    agent = load_agent(args.checkpoint, rules) if args.checkpoint else NeuralAgent(rules, args.preset, seed=0)
    thms = goals(args.goals, rules, agent)
    tactics = sum(len(agent.tactics(t)) for t in thms)
    res: dict[str, object] = {"preset": args.preset, "device": str(agent.device), "threads": args.threads,
                              "goals": len(thms), "mean_tactics_per_goal": round(tactics / len(thms), 1)}

    # enumeration + encoding alone (the engine-side cost included in every figure below)
    dt, _ = timed(lambda: [agent.tactics(t) for t in thms])
    res["enumeration_goals_per_s"] = round(len(thms) / dt, 1)
    # priors as the search gets them: every tactic scored by the model, the kept ones applied
    dt, _ = timed(lambda: agent.expand(thms, max_batch=64))
    res["priors_goals_per_s_batched"] = round(len(thms) / dt, 1)
    res["priors_tactics_per_s_batched"] = round(tactics / dt)
    dt, _ = timed(lambda: [agent.expand([t]) for t in thms])
    res["priors_goals_per_s_unbatched"] = round(len(thms) / dt, 1)
    fast = EnumerationPolicy(rules, prefilter=48)
    dt, _ = timed(lambda: [fast.propose([t], SearchParams(), random.Random(0)) for t in thms])
    res["priors_goals_per_s_fast_enumeration"] = round(len(thms) / dt, 1)
    dt, _ = timed(lambda: agent.values(thms, max_batch=64))
    res["critic_goals_per_s_batched"] = round(len(thms) / dt, 1)
    dt, _ = timed(lambda: [agent.values([t]) for t in thms])
    res["critic_goals_per_s_unbatched"] = round(len(thms) / dt, 1)

    st = thms[: args.search_theorems]
    pol, cri = NeuralPolicy(agent), NeuralCritic(agent)
    in_model = [0.0]
    run = agent._run

    def timed_run(*a, **k):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return run(*a, **k)
        finally:
            in_model[0] += time.perf_counter() - t

    agent._run = timed_run  # type: ignore[method-assign]
    t0 = time.perf_counter()
    res["search_expansions_per_s_batch32"] = round(search_rate(st, rules, pol, cri, 32, args.budget), 1)
    res["search_share_outside_model"] = round(1 - in_model[0] / (time.perf_counter() - t0), 3)
    agent._run = run  # type: ignore[method-assign]
    res["search_expansions_per_s_batch1"] = round(search_rate(st, rules, pol, cri, 1, args.budget), 1)
    res["search_expansions_per_s_batch32_top16"] = round(
        search_rate(st, rules, NeuralPolicy(agent, top_k=16), cri, 32, args.budget), 1)
    res["search_expansions_per_s_fast_enumeration"] = round(
        search_rate(st, rules, EnumerationPolicy(rules, prefilter=48), ConstantCritic(), 32, args.budget), 1)

    # design (a): the decoder samples tactic text (one encoder pass per goal, all samples decoded together)
    dec = load_agent(args.decoder_checkpoint, rules) if args.decoder_checkpoint else DecoderAgent(
        rules, args.preset, seed=0)
    assert isinstance(dec, DecoderAgent)
    dt, _ = timed(lambda: dec.expand(thms, k=32))
    res["decoder_priors_goals_per_s_batched"] = round(len(thms) / dt, 1)
    dt, _ = timed(lambda: [dec.expand([t], k=32) for t in thms])
    res["decoder_priors_goals_per_s_unbatched"] = round(len(thms) / dt, 1)
    valid = sum(len(c) for c in dec.expand(thms, k=32))
    res["decoder_valid_distinct_tactics_per_goal"] = round(valid / len(thms), 1)
    dcri = NeuralCritic(dec)
    res["decoder_search_expansions_per_s_batch32"] = round(
        search_rate(st, rules, DecoderPolicy(dec), dcri, 32, args.budget), 1)
    res["decoder_search_expansions_per_s_batch1"] = round(
        search_rate(st, rules, DecoderPolicy(dec), dcri, 1, args.budget), 1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
