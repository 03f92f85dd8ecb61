"""Generator throughput: random-walk theorems/s (10 and 20 steps), graph nodes/s and graph theorems/s, and
scaling of dataset generation with 1 vs 2 worker processes.

Run: python benchmarks/bench_generators.py [--n 1500] [--seed 0] [--no-workers] [--shards 8]

Every figure includes building the proof (Proof objects) and replaying it through the proof checker, as the
generators always do; generation runs under ``quiet_gc`` (fewer garbage-collector passes), as the dataset
writer does. "records" adds dataset record conversion (proof JSON with goals, steps, prefix tokens)
and JSONL writing. The original implementation (HTPS paper) on one core: 113 walk theorems/s (10 steps),
55/s (20 steps), 60 graph theorems/s, 618 graph nodes/s.

Scaling: the 1- and 2-worker runs write the same ``--shards`` shards (their contents are compared), so they do
the same work; the ratio only approaches x2 on a machine with two idle cores. "workers busy" (shard seconds
summed over workers, divided by the wall time) tells idle workers (few or unbalanced shards, start-up) from
workers slowed down by other load.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import tempfile
import time
from pathlib import Path

from equations.generators import GraphGenerator, RandomWalkGenerator, write_dataset
from equations.generators.common import quiet_gc
from equations.generators.dataset import ShardResult


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


def _digest(d: str) -> str:
    h = hashlib.sha256()
    for f in sorted(Path(d).rglob("shard-*.jsonl")):
        h.update(f.read_bytes())
    return h.hexdigest()


def bench_workers(method: str, n: int, workers: int, seed: int, shard_size: int) -> tuple[float, float, str]:
    """(theorems/s, shard seconds summed over workers / wall seconds, digest of the shards).

    The second figure separates the two causes of poor scaling: close to ``workers`` when every worker was
    busy all along (a lower theorems/s ratio then means the workers ran slower, e.g. a busy machine), lower
    when workers idled (too few shards, an unbalanced last shard, pool start-up)."""
    busy = 0.0

    def progress(res: ShardResult) -> None:
        nonlocal busy
        busy += res.seconds

    with tempfile.TemporaryDirectory() as d:
        summary = write_dataset(method, n, d, params={"steps": 10} if method == "walk" else {}, seed=seed,
                                workers=workers, shard_size=shard_size, progress=progress)
        digest = _digest(d)
    return float(summary["theorems_per_second"]), busy / float(summary["seconds"]), digest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1500, help="theorems per measurement")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-workers", action="store_true", help="skip the multi-process scaling measurement")
    ap.add_argument("--shards", type=int, default=8,
                    help="shards in the scaling measurement (the same shards for 1 and 2 workers)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="one-core figures are the best of this many runs (other load only slows runs down)")
    args = ap.parse_args()
    w10 = max(bench_walk(10, args.n, args.seed) for _ in range(args.repeats))
    w20 = max(bench_walk(20, args.n // 2, args.seed) for _ in range(args.repeats))
    nodes, gthm = max((bench_graph(args.n, args.seed) for _ in range(args.repeats)), key=lambda r: r[0])
    print(f"{'figure (one core, best of ' + str(args.repeats) + ' runs)':48s} {'ours':>10s} {'target':>8s} "
          f"{'original':>9s}")
    print(f"{'walk theorems/s, 10 steps (proof checked)':48s} {w10:10.0f} {'>= 560':>8s} {113:9d}")
    print(f"{'walk theorems/s, 20 steps (proof checked)':48s} {w20:10.0f} {'':>8s} {55:9d}")
    print(f"{'graph nodes/s (with theorem extraction)':48s} {nodes:10.0f} {'>= 3000':>8s} {618:9d}")
    print(f"{'graph theorems/s (proofs checked, minimal)':48s} {gthm:10.0f} {'':>8s} {60:9d}")
    if not args.no_workers:
        # The same shards for both runs (the output must not depend on the number of workers, and this checks
        # it), and enough of them that the last one does not leave a worker idle for long.
        shard_size = max(1, args.n // args.shards)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"load average before the scaling runs: {os.getloadavg()[0]:.2f} on {cores} cores "
              f"(2-worker scaling needs two idle cores)")
        for method in ("walk", "graph"):
            r1, b1, d1 = bench_workers(method, args.n, 1, args.seed, shard_size)
            r2, b2, d2 = bench_workers(method, args.n, 2, args.seed, shard_size)
            if d1 != d2:
                raise SystemExit(f"{method}: the shards differ between 1 and 2 workers")
            print(f"{method} dataset (records + JSONL, {args.shards} shards of {shard_size}) theorems/s: "
                  f"1 worker {r1:.0f}, 2 workers {r2:.0f} (x{r2 / r1:.2f}; workers busy x{b1:.2f} / x{b2:.2f}; "
                  f"identical shards)")


if __name__ == "__main__":
    main()
