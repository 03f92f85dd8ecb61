"""Expansions per second of HTPS.

Run: python benchmarks/bench_search.py [--expansions 20000] [--policy puct|rp] [--solving 0.0] [--real]

``synthetic``: the search bookkeeping alone, on an environment that returns random children (8 tactics
per expansion, 1-2 subgoals each, some shared with earlier goals, batches of 32 goals, PUCT by default);
the time of the synthetic policy (random numbers) is included and reported separately. ``--solving P``
makes a fraction P of the tactics solving (no subgoal). The default is 0: nothing is ever solved, so the
search always spends its whole budget. With P > 0 solved status spreads through this random graph
quickly, and since the search never descends into a solved node (section 4.3), a run with
``stop_on_solve=False`` ends as soon as every tactic of the root is solving (the old default, P = 0.05,
ends after about 70 expansions), which measures nothing.
``--real``: the non-learned prover (enumeration policy) on a few identities.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from typing import Any

from equations.agents import HTPS, ConstantCritic, SearchParams, Suggestion


class RandomEnv:
    def apply(self, goal: Any, tactic: Any) -> list[Any] | None:
        return None

    def is_closed(self, goal: Any) -> bool:
        return False


class RandomPolicy:
    """8 tactics per goal; each has 1-2 subgoals (a fraction ``solving`` none), 10% of them an earlier goal."""

    def __init__(self, seed: int = 0, tactics: int = 8, solving: float = 0.0):
        self.rng = random.Random(seed)
        self.tactics = tactics
        self.solving = solving
        self.next_goal = 1
        self.seconds = 0.0

    def propose(self, goals: Sequence[Any], params: SearchParams, rng: random.Random) -> list[list[Suggestion]]:
        t0 = time.perf_counter()
        r = self.rng.random
        out = []
        for _ in goals:
            sugg = []
            for t in range(self.tactics):
                u = r()
                k = 0 if u < self.solving else 1 if u < 0.7 else 2
                subs = []
                for _ in range(k):
                    if r() < 0.1 and self.next_goal > 1:
                        subs.append(int(r() * self.next_goal))
                    else:
                        subs.append(self.next_goal)
                        self.next_goal += 1
                sugg.append(Suggestion(t, r() + 0.01, tuple(subs)))
            out.append(sugg)
        self.seconds += time.perf_counter() - t0
        return out


def synthetic(expansions: int, policy: str, batch: int, seed: int, solving: float = 0.0) -> None:
    pol = RandomPolicy(seed, solving=solving)
    params = SearchParams(expansions=expansions, batch_size=batch, policy=policy, stop_on_solve=False, seed=seed)
    search: HTPS[int] = HTPS(0, RandomEnv(), pol, ConstantCritic(0.5), params)
    t0 = time.perf_counter()
    search.run()
    dt = time.perf_counter() - t0
    st = search.stats
    print(f"synthetic {policy}: {st.expansions} expansions in {dt:.2f} s = {st.expansions / dt:,.0f} expansions/s "
          f"({st.expansions / (dt - pol.seconds):,.0f}/s without the random policy's {pol.seconds:.2f} s); "
          f"{st.nodes} nodes, {st.edges} tactics, {st.simulations} simulations, {st.restarts} cycle restarts, "
          f"root solved: {search.solved}")


def real(expansions: int, policy: str) -> None:
    from equations.agents import prove

    theorems = ["cos(x)**2 + sin(x)**2 == 1", "(x - y) - (x + y) + 2*y == 0", "exp(x + y) == exp(x)*exp(y)",
                "x*y - y*x == 0"]
    for name in ("fast", "enumeration"):
        total_exp = 0
        total_s = 0.0
        for text in theorems:
            res = prove(text, params=SearchParams(expansions=expansions, policy=policy, stop_on_solve=False),
                        policy=name)
            total_exp += res.stats.expansions
            total_s += res.stats.seconds
            print(f"  {name:11s} {text:32s} proved={res.proved!s:5s} size={res.size:3d} "
                  f"{res.stats.expansions} expansions, {res.stats.nodes} nodes, {res.stats.seconds:.2f} s")
        print(f"real prover, policy {name}: {total_exp / total_s:,.0f} expansions/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--expansions", type=int, default=20000)
    ap.add_argument("--policy", choices=["puct", "rp"], default="puct")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solving", type=float, default=0.0, help="fraction of solving tactics (default 0)")
    ap.add_argument("--real", action="store_true", help="also time the real prover (300 expansions per theorem)")
    args = ap.parse_args()
    synthetic(args.expansions, args.policy, args.batch, args.seed, args.solving)
    if args.real:
        real(300, args.policy)


if __name__ == "__main__":
    main()
