"""Environment steps per second of a masked random agent (one core).

Run: python benchmarks/bench_env.py [--steps 20000] [--source identities|random]
``random`` draws 30-token random goals (the issue's reference size); ``identities`` the bundled set.
Also printed: the mean prefix-token length of the goals stepped on, and the share of the time spent in the
garbage collector (timed with ``gc.callbacks``): objects the step allocates and keeps for a while (the
nodes of new goals) make the collector rescan them, which no change to the step's own code removes.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import equations as eq

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import random_goal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--source", choices=["identities", "random"], default="random")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=30, help="episode length (random rewrites grow the goals)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    theorems = [eq.Theorem(random_goal(rng, 30)) for _ in range(200)] if args.source == "random" else None
    env = gym.make("equations/Equations-v0", theorems=theorems, max_steps=args.max_steps).unwrapped
    np_rng = np.random.default_rng(args.seed)
    obs, info = env.reset(seed=args.seed)
    episodes = proved = invalid = 0
    sizes = []
    tokens = []
    gc_time = 0.0
    gc_start = 0.0

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        nonlocal gc_time, gc_start
        if phase == "start":
            gc_start = time.perf_counter()
        else:
            gc_time += time.perf_counter() - gc_start

    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        valid = np.flatnonzero(obs["action_mask"])
        a = int(valid[np_rng.integers(len(valid))]) if len(valid) else 0
        obs, reward, terminated, truncated, info = env.step(a)
        invalid += "error" in info
        sizes.append(env.theorem.goal.size)
        tokens.append(len(info["prefix_tokens"][0]) if info["prefix_tokens"] else 0)
        if terminated or truncated:
            episodes += 1
            proved += bool(terminated)
            obs, info = env.reset()
    dt = time.perf_counter() - t0
    gc.callbacks.remove(on_gc)
    print(f"{args.steps / dt:,.0f} steps/s  ({args.steps} steps, {episodes} episodes, {proved} proved, "
          f"{invalid} invalid; source={args.source}, mean theorem size {np.mean(sizes):.1f} positions, "
          f"current goal {np.mean(tokens):.1f} prefix tokens; garbage collector {gc_time / dt:.0%} of the time)")


if __name__ == "__main__":
    main()
