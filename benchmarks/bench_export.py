"""Export generated theorems to Coq (and Lean), check them with coqc, and print the figures.

Run: python benchmarks/bench_export.py [--n 500] [--rules default] [--out runs/bench_export]

Generates ``n`` random-walk and ``n`` graph theorems, exports them to Coq, compiles the preamble and the
theorem files, and prints: how many were exported / accepted, coqc seconds per theorem, export speed, and
how many rules of each bundled set have a Coq lemma (and a Lean mapping, when the Lean exporter is there).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from equations.exporters.common import ExportItem
from equations.exporters.coq import check_coq, write_coq
from equations.exporters.coq_preamble import RULE_SETS, exportable_rules
from equations.generators import GraphGenerator, RandomWalkGenerator

import equations as eq


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=500, help="theorems per generator")
    ap.add_argument("--rules", default="default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/bench_export")
    args = ap.parse_args()
    rules = eq.load_rules(args.rules)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)

    for set_name in RULE_SETS.values():
        rs = eq.load_rules(set_name)
        total = sum(1 for r in rs if r.kind != "arith")
        line = f"rule set {set_name:8s}: {len(exportable_rules(rs))}/{total} rules have a Coq lemma"
        try:
            from equations.exporters.lean import mapped_rules

            line += f", {len(mapped_rules(set_name))}/{len(rs)} (arithmetic rules included) a Lean mapping"
        except ImportError:
            pass
        print(line)

    items: list[ExportItem] = []
    for name, gen in (("walk", RandomWalkGenerator(args.rules)), ("graph", GraphGenerator(args.rules))):
        for g in gen.generate(args.n, seed=args.seed):
            items.append(ExportItem(f"{name}-{g.meta.get('index')}", g.theorem, g.proof))
    t0 = time.perf_counter()
    report = write_coq(items, out, rules)
    t_export = time.perf_counter() - t0
    check_coq(report, out)
    n = len(report.exported)
    print(f"exported {n}/{len(items)} theorems ({len(report.skipped)} skipped) in {t_export:.1f} s "
          f"({len(items) / t_export:,.0f} theorems/s)")
    print(f"coqc: preamble {report.preamble_seconds:.1f} s; theorems {report.seconds:.1f} s "
          f"= {1000 * report.seconds / max(n, 1):.0f} ms per theorem; accepted {report.accepted}/{n} "
          f"({100 * report.accepted / max(n, 1):.1f}%)")
    for name, msg in list(report.failures.items())[:10]:
        print(f"  FAILED {name}: {msg[:200]}")


if __name__ == "__main__":
    main()
