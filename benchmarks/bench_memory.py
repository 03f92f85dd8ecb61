"""Memory of a long generation run: resident memory of ``equations generate`` against theorems written.

Run: python benchmarks/bench_memory.py [--n 1000000] [--method walk] [--workers 1] [--out runs/memory]

Starts ``equations generate`` as a subprocess, samples the resident set size (VmRSS, summed over the process
and its worker children, from /proc) every ``--every`` seconds together with the number of theorems
already written (finished shards), prints a line per sample, and writes ``memory.csv`` and ``memory.png``
(RSS in MiB against theorems). Streaming writes and the weak intern table should keep the curve flat.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path


def _rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants, in KiB (Linux /proc)."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        stack.extend(int(c) for c in children)
    return total


def _written(out: Path) -> int:
    """Theorems in finished shards (each shard's line count, from the shard files present)."""
    n = 0
    for p in out.rglob("shard-*.jsonl"):
        with p.open("rb") as f:
            n += sum(1 for _ in f)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--method", default="walk", choices=("walk", "graph"))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--shard-size", type=int, default=10_000)
    ap.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    ap.add_argument("--out", default="runs/memory")
    args = ap.parse_args()
    out = Path(args.out)
    data = out / "data"
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "equations.cli", "generate", "--method", args.method, "--n", str(args.n),
           "--out", str(data), "--workers", str(args.workers), "--shard-size", str(args.shard_size),
           "--quiet", "--resume"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    rows: list[tuple[float, int, float]] = []
    while proc.poll() is None:
        time.sleep(args.every)
        rss = _rss_kib(proc.pid) / 1024
        done = _written(data) if data.exists() else 0
        rows.append((time.perf_counter() - t0, done, rss))
        print(f"{rows[-1][0]:8.0f} s  {done:>9,} theorems  {rss:8.1f} MiB", flush=True)
        with (out / "memory.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["seconds", "theorems", "rss_mib"])
            w.writerows(rows)
    if proc.returncode:
        raise SystemExit(f"equations generate exited with {proc.returncode}")
    rows.append((time.perf_counter() - t0, _written(data), 0.0))
    done = rows[-1][1]
    peak = max(r[2] for r in rows)
    print(f"done: {done:,} theorems in {rows[-1][0]:.0f} s ({done / rows[-1][0]:,.0f}/s), peak RSS {peak:.1f} MiB")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        pts = [r for r in rows if r[2] > 0]
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([r[1] for r in pts], [r[2] for r in pts], marker=".")
        ax.set_xlabel("theorems written")
        ax.set_ylabel("resident memory (MiB)")
        ax.set_ylim(bottom=0)
        ax.set_title(f"equations generate --method {args.method} --workers {args.workers}")
        fig.tight_layout()
        fig.savefig(out / "memory.png", dpi=120)
        print(f"wrote {out / 'memory.png'}")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
