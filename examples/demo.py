"""End-to-end demo of the core engine on small defaults (``make demo``).

Parses theorems, enumerates tactics, replays the paper's figure 8 proof step by step, checks it with the
proof checker, writes it as a JSONL proof file and re-checks that file through the CLI, shows the exact
verifier refusing the paper's B.5 exploits, checks a sample of rules numerically, generates and exports a
dataset, proves a few identities with HTPS, and ends with a short online training run (Ray provers and a
trainer) that starts from the bundled model and exports the proofs it finds to Coq.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import equations as eq
from equations.cli import main as cli
from equations.paper import FIGURE8, FIGURE8_TACTICS
from equations.soundness import check_rule


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and a rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="runs/demo", help="output directory")
    ap.add_argument("--prove", type=int, default=8, help="identities to prove with HTPS")
    ap.add_argument("--generate", type=int, default=200, help="theorems per generator in the demo dataset")
    ap.add_argument("--online-minutes", type=float, default=2.0,
                    help="length of the online training run at the end (0: skip it)")
    args = ap.parse_args()
    out = Path(args.out)
    rules = eq.load_rules("default")
    print(f"rule set {rules.name} v{rules.version}: {len(rules)} rules {rules.counts()}")

    thm = eq.parse(FIGURE8)
    t0 = time.perf_counter()
    tactics = eq.applicable(thm, rules)
    print(f"\n{thm}\n  {len(tactics)} applicable tactics ({(time.perf_counter() - t0) * 1e3:.2f} ms)")

    print("\nFigure 8, step by step:")
    goal = thm
    for text in FIGURE8_TACTICS:
        subgoals = eq.apply(goal, text, rules)
        goal = subgoals[0]
        print(f"  {text:28s} {goal}")
    print(f"  closed automatically: {eq.closed_by(goal, rules)}")
    proof = eq.Proof.chain(FIGURE8_TACTICS)
    assert eq.check_proof(thm, proof, rules)
    print(f"proof checker: accepted ({proof.size} steps)")

    path = out / "figure8.jsonl"
    write_atomic(path, json.dumps({"id": "figure8", "theorem": FIGURE8, "proof": proof.to_dict(thm, rules)}) + "\n")
    print(f"\nwrote {path}; `equations check {path}`:")
    if cli(["check", str(path)]) != 0:
        return 1

    print("\nB.5 exploits are not closed (exact rational evaluation only):")
    for text in ["exp(-exp(exp(2))) == exp(-exp(exp(3)))", "0 != 0", "1/10**1000 == 1/(10**1000 + 1)"]:
        print(f"  {text:45s} closed: {eq.is_closed(eq.parse(text), rules)}")
    print("and exact ones are:", ", ".join(t for t in ["5 < (-3)**2", "1 - 7/4 == -6/8"]
                                          if eq.is_closed(eq.parse(t), rules)))

    print("\nNumeric soundness of the trigonometry rules (mpmath, 50 digits, partial/Lean/Coq semantics):")
    for r in rules.subset(categories=["trigonometry"]):
        res = check_rule(r)
        print(f"  {'ok ' if res.ok else 'BAD'} {r.id:22s} {r.statement()}")
    from equations.agents import SearchParams, prove

    print("\nGenerating a small dataset (random walks and theorem graphs), then re-checking it:")
    for method in ("walk", "graph"):
        if cli(["generate", "--method", method, "--n", str(args.generate), "--out", str(out / method), "--quiet"]):
            return 1
        for shard in sorted((out / method).rglob("shard-*.jsonl")):
            if cli(["check", str(shard)]) != 0:
                return 1

    print("\nExporting the dataset to Coq, step for step, and checking every proof with coqc:")
    for method in ("walk", "graph"):
        if cli(["export", "--to", "coq", str(out / method), str(out / "coq"), "--check"]) != 0:
            return 1

    from equations import identities

    items = identities.load()
    print(f"\nIdentities evaluation set: {len(items)} statements in {len(identities.CATEGORIES)} categories")
    print("HyperTree Proof Search (non-learned policy, 300 expansions each) on a few of them:")
    results = {}
    found: list[dict[str, object]] = []
    for it in [i for i in items if i.difficulty == "easy"][:: 12][: args.prove]:
        res = prove(it.theorem, rules, SearchParams(expansions=300, seed=0), policy="fast", critic="size")
        results[it.id] = res.proved
        if res.proved:
            found.append({"id": it.id, "theorem": str(it.theorem), "proof": res.proof.to_dict(), "rules": rules.name})
        status = f"proved, {res.size} steps" if res.proved else "not proved"
        print(f"  {it.id:16s} {it.text:50s} {status} ({res.stats.expansions} expansions)")
    print(identities.results_table(results, [i for i in items if i.id in results]))
    if found:
        path = out / "htps_proofs.jsonl"
        write_atomic(path, "".join(json.dumps(r) + "\n" for r in found))
        print(f"\nThe {len(found)} proofs HTPS found, exported to Coq and checked:")
        if cli(["export", "--to", "coq", str(path), str(out / "coq"), "--check"]) != 0:
            return 1
    if args.online_minutes > 0:
        return online(out, args.online_minutes)
    return 0


def online(out: Path, minutes: float) -> int:
    """``equations train online`` from the bundled checkpoint, then its proofs checked and exported to Coq."""
    run = out / "online"
    print(f"\nOnline training for {minutes:g} minutes from the bundled model (Ray: HTPS provers, a trainer; "
          f"the Identities train split, paper rule set):")
    if cli(["train", "online", "--init", "bundled", "--out", str(run), "--minutes", str(minutes), "--budget", "300",
            "--max-seconds", "30", "--no-resume", "-q"]) != 0:
        return 1
    print(f"metrics: {run / 'metrics.jsonl'}, plot: {run / 'progress.png'}, checkpoint: {run / 'checkpoint'}")
    proofs = run / "proofs.jsonl"
    if not proofs.read_text().strip():
        print("no proof found in this short run")
        return 0
    print("\nThe proofs the online run found, re-checked, exported to Coq and checked by coqc:")
    if cli(["check", str(proofs)]) != 0:
        return 1
    return 1 if cli(["export", "--to", "coq", str(proofs), str(out / "coq-online"), "--check"]) != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
