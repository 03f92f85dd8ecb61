"""Environment steps per second of a masked random agent (one core).

Run: python benchmarks/bench_env.py [--steps 20000] [--repeats 3]
     python benchmarks/bench_env.py --size 30 --max-steps 30      (one configuration)

Random rewrites grow the goals (a 33-token theorem reaches about 150 tokens after 30 random steps, with 13
goals open), so the goal size the agent works on depends on the episode length. Each configuration prints
the mean prefix-token length of the current goal it stepped on. The default table runs:

* the default configuration, as ``gym.make("equations/Equations-v0")`` gives it (the bundled identities,
  100-step episodes): random rewrites grow the goals to about 300 tokens on average;
* goals of about 30 tokens (the issue's reference size): random theorems of about 20 positions, episodes of
  4 steps;
* the same start size as the original benchmark (about 33 tokens) with 30-step episodes (goals of about 90
  tokens on average, about 7 open goals);
* the bundled identities, 30-step episodes.

Also printed: the share of the time spent in the garbage collector (timed with ``gc.callbacks``). Every
figure is the best of ``--repeats`` runs (the machine's other load only slows runs down).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

import equations as eq

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import random_goal


@dataclass
class Result:
    steps_per_s: float
    episodes: int
    proved: int
    invalid: int
    tokens: float
    open_goals: float
    gc_share: float


def run(size: int | None, max_steps: int, steps: int, seed: int) -> Result:
    """One timed run: ``size`` is the random theorems' size in prefix positions (None: the identities)."""
    rng = random.Random(seed)
    theorems = [eq.Theorem(random_goal(rng, size)) for _ in range(200)] if size is not None else None
    env = gym.make("equations/Equations-v0", theorems=theorems, max_steps=max_steps).unwrapped
    np_rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    episodes = proved = invalid = 0
    tokens = np.zeros(steps, dtype=np.int32)
    opened = np.zeros(steps, dtype=np.int32)
    gc_time = 0.0
    gc_start = 0.0

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        nonlocal gc_time, gc_start
        if phase == "start":
            gc_start = time.perf_counter()
        else:
            gc_time += time.perf_counter() - gc_start

    gc.collect()
    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    for k in range(steps):
        valid = np.flatnonzero(obs["action_mask"])
        a = int(valid[np_rng.integers(len(valid))]) if len(valid) else 0
        obs, reward, terminated, truncated, info = env.step(a)
        toks = info["prefix_tokens"]
        tokens[k] = len(toks[0]) if toks else 0
        opened[k] = len(toks)
        if "error" in info:
            invalid += 1
        if terminated or truncated:
            episodes += 1
            proved += bool(terminated)
            obs, info = env.reset()
    dt = time.perf_counter() - t0
    gc.callbacks.remove(on_gc)
    return Result(steps / dt, episodes, proved, invalid, float(tokens.mean()), float(opened.mean()), gc_time / dt)


def best(size: int | None, max_steps: int, steps: int, seed: int, repeats: int) -> Result:
    results = [run(size, max_steps, steps, seed) for _ in range(repeats)]
    return max(results, key=lambda r: r.steps_per_s)


def report(name: str, r: Result) -> None:
    print(f"{name:<44} {r.steps_per_s:>8,.0f} {r.tokens:>7.1f} {r.open_goals:>6.1f} {r.gc_share:>5.0%} "
          f"{r.invalid:>8} {r.proved:>7}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, help="one configuration: random theorems of this many positions")
    ap.add_argument("--max-steps", type=int, default=30, help="episode length (with --size)")
    args = ap.parse_args()
    print(f"{'configuration (masked random agent)':<44} {'steps/s':>8} {'tokens':>7} {'open':>6} {'gc':>5} "
          f"{'invalid':>8} {'proved':>7}")
    if args.size is not None:
        report(f"random, {args.size} positions, {args.max_steps}-step episodes",
               best(args.size, args.max_steps, args.steps, args.seed, args.repeats))
        return
    report("default (identities, 100-step episodes)", best(None, 100, args.steps, args.seed, args.repeats))
    report("30-token goals (20 positions, 4-step episodes)", best(20, 4, args.steps, args.seed, args.repeats))
    report("33-token start, 30-step episodes", best(30, 30, args.steps, args.seed, args.repeats))
    report("identities, 30-step episodes", best(None, 30, args.steps, args.seed, args.repeats))
    print("tokens: mean prefix tokens of the current goal (with its hypotheses); open: mean open goals; "
          "gc: share of the time in the garbage collector")


if __name__ == "__main__":
    main()
