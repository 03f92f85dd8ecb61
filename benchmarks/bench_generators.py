"""Generator throughput: random-walk theorems/s (10 and 20 steps), graph nodes/s and graph theorems/s, and
scaling of dataset generation with 1 vs 2 worker processes.

Run: python benchmarks/bench_generators.py [--n 1500] [--seed 0] [--no-workers]

Every figure includes building the proof (Proof objects) and replaying it through the proof checker, as the
generators always do; generation runs under ``quiet_gc`` (fewer garbage-collector passes), as the dataset
writer does. "records" adds dataset record conversion (proof JSON with goals, steps, prefix tokens)
and JSONL writing. The original implementation (HTPS paper) on one core: 113 walk theorems/s (10 steps),
55/s (20 steps), 60 graph theorems/s, 618 graph nodes/s.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time

from equations.generators import GraphGenerator, RandomWalkGenerator, write_dataset
from equations.generators.common import quiet_gc


def bench_walk(steps: int, n: int, seed: int) -> float:
    gen = RandomWalkGenerator("default", steps=steps)
    for _ in gen.generate(50, seed + 1000):  # warm caches (rule signatures, compiled patterns)
        pass
    gc.collect()
    with quiet_gc():
        t0 = time.perf_counter()
        made = sum(1 for _ in gen.generate(n, seed))
        return made / (time.perf_counter() - t0)


def bench_graph(n: int, seed: int) -> tuple[float, float]:
    gen = GraphGenerator("default")
    for _ in gen.generate(20, seed + 1000):
        pass
    nodes0 = gen.stats.nodes
    gc.collect()
    with quiet_gc():
        t0 = time.perf_counter()
        made = sum(1 for _ in gen.generate(n, seed))
        dt = time.perf_counter() - t0
    return (gen.stats.nodes - nodes0) / dt, made / dt


def bench_workers(method: str, n: int, workers: int, seed: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        summary = write_dataset(method, n, d, params={"steps": 10} if method == "walk" else {}, seed=seed,
                                workers=workers, shard_size=max(1, n // (4 * workers)))
    return float(summary["theorems_per_second"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1500, help="theorems per measurement")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-workers", action="store_true", help="skip the multi-process scaling measurement")
    args = ap.parse_args()
    w10 = bench_walk(10, args.n, args.seed)
    w20 = bench_walk(20, args.n // 2, args.seed)
    nodes, gthm = bench_graph(args.n, args.seed)
    print(f"{'figure (one core)':48s} {'ours':>10s} {'target':>8s} {'original':>9s}")
    print(f"{'walk theorems/s, 10 steps (proof checked)':48s} {w10:10.0f} {'>= 560':>8s} {113:9d}")
    print(f"{'walk theorems/s, 20 steps (proof checked)':48s} {w20:10.0f} {'':>8s} {55:9d}")
    print(f"{'graph nodes/s (with theorem extraction)':48s} {nodes:10.0f} {'>= 3000':>8s} {618:9d}")
    print(f"{'graph theorems/s (proofs checked, minimal)':48s} {gthm:10.0f} {'':>8s} {60:9d}")
    if not args.no_workers:
        for method in ("walk", "graph"):
            r1 = bench_workers(method, args.n, 1, args.seed)
            r2 = bench_workers(method, args.n, 2, args.seed)
            print(f"{method} dataset (records + JSONL) theorems/s: 1 worker {r1:.0f}, 2 workers {r2:.0f} "
                  f"(x{r2 / r1:.2f})")


if __name__ == "__main__":
    main()
