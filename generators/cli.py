"""``equations generate``: synthetic theorem datasets from the command line.

    equations generate --method walk|graph --n N --out DIR [--steps ..] [--ops ..] [--rules ..]
                       [--workers W] [--seed S] [--format jsonl|parquet]

``--steps`` and ``--ops`` take ``K`` or ``LO-HI``; ``--rules`` is a rule set (default, nat, int or a file) and
``--categories`` restricts the rules the generator samples. Prints a progress bar (tqdm when installed, a
counter on stderr otherwise) and a summary: theorems/s, mean proof size, rule coverage histogram (also
written as ``coverage.png`` when matplotlib is installed).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any


def _range(text: str) -> int | tuple[int, int]:
    from equations.cli import UsageError

    try:
        if "-" in text.strip("-"):
            lo, hi = text.split("-", 1)
            a, b = int(lo), int(hi)
            if a > b or a < 0:
                raise ValueError
            return (a, b)
        v = int(text)
        if v < 0:
            raise ValueError
        return v
    except ValueError:
        raise UsageError(f"expected K or LO-HI (non-negative integers), got {text!r}") from None


def add_parser(subparsers: Any) -> None:
    """Add the ``generate`` subcommand to the ``equations`` command line."""
    p = subparsers.add_parser("generate", help="generate a dataset of synthetic theorems with proofs")
    p.add_argument("--method", choices=("walk", "graph"), default="walk", help="random walk or theorem graph")
    p.add_argument("--n", type=int, required=True, help="number of theorems")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--steps", help="walk length K or LO-HI (walk); maximum proof depth (graph)")
    p.add_argument("--ops", help="operators of the start expression / hypothesis sides, K or LO-HI")
    p.add_argument("--rules", default="default", help="rule set: default, nat, int or a rule file")
    p.add_argument("--categories", help="comma-separated rule categories the generator samples from")
    p.add_argument("--hyps", help="number of initial hypotheses, K or LO-HI")
    p.add_argument("--nodes", type=int, help="derived nodes per graph (graph)")
    p.add_argument("--bias", type=float, help="rule rarity exponent b (sampling weight 1/count^b)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    p.add_argument("--shard-size", type=int, default=None,
                   help="theorems per shard file (default: 1000, or n/8 but at least 100 for smaller runs)")
    p.add_argument("--pairs", action="store_true", help="also write supervised (goal, tactic) pairs")
    p.add_argument("--resume", action="store_true", help="keep finished shards of an interrupted run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(fn=cmd_generate)


def _params(args: argparse.Namespace) -> dict[str, Any]:
    from equations.cli import UsageError

    params: dict[str, Any] = {}
    if args.method == "walk":
        if args.steps is not None:
            params["steps"] = _range(args.steps)
        if args.ops is not None:
            params["ops"] = _range(args.ops)
        if args.hyps is not None:
            params["n_hyps"] = _range(args.hyps)
        if args.nodes is not None:
            raise UsageError("--nodes is a graph parameter")
    else:
        if args.steps is not None:
            s = _range(args.steps)
            params["max_depth"] = s if isinstance(s, int) else s[1]
            if not isinstance(s, int):
                params["min_depth"] = s[0]
        if args.ops is not None:
            params["hyp_ops"] = _range(args.ops)
        if args.hyps is not None:
            params["n_hyps"] = _range(args.hyps)
        if args.nodes is not None:
            if args.nodes < 1:
                raise UsageError("--nodes must be positive")
            params["nodes"] = args.nodes
    if args.categories:
        params["categories"] = [c.strip() for c in args.categories.split(",") if c.strip()]
    if args.bias is not None:
        params["bias"] = args.bias
    return params


def cmd_generate(args: argparse.Namespace) -> int:
    from equations.cli import UsageError
    from equations.rules import RuleError, load_rules

    from .dataset import ResumeMismatch, ShardResult, make_generator, write_dataset

    if args.n < 1:
        raise UsageError("--n must be at least 1")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.shard_size is not None and args.shard_size < 1:
        raise UsageError("--shard-size must be at least 1")
    if args.format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise UsageError("--format parquet needs pyarrow: pip install 'equations[data]'")
    try:
        rs = load_rules(args.rules)
    except (FileNotFoundError, RuleError) as err:
        raise UsageError(str(err)) from None
    params = _params(args)
    if "categories" in params:
        unknown = [c for c in params["categories"] if c not in rs.categories()]
        if unknown:
            raise UsageError(f"unknown categories {', '.join(unknown)}; {rs.name} has {', '.join(rs.categories())}")
    try:
        make_generator(args.method, args.rules, params)
    except (TypeError, ValueError) as err:
        raise UsageError(f"bad generator parameters: {err}") from None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    try:  # fail before any work when the folder cannot be made or written
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise UsageError(f"cannot write to --out {out}: {err.strerror or err}") from None

    bar: Any = None
    done = [0]
    if not args.quiet:
        if importlib.util.find_spec("tqdm") is not None:
            from tqdm import tqdm

            bar = tqdm(total=args.n, unit="thm", file=sys.stderr)

    def progress(res: ShardResult) -> None:
        done[0] += res.count
        if args.quiet:
            return
        if bar is not None:
            bar.update(res.count)
        else:
            print(f"\r{done[0]}/{args.n} theorems", end="", file=sys.stderr, flush=True)

    try:
        summary = write_dataset(args.method, args.n, out, rules=args.rules, params=params, seed=args.seed,
                                workers=args.workers, shard_size=args.shard_size, fmt=args.format,
                                pairs=args.pairs, resume=args.resume, progress=progress)
    except OSError as err:
        raise UsageError(f"writing the dataset under {out} failed: {err.strerror or err}") from None
    except ResumeMismatch as err:
        raise UsageError(str(err)) from None
    if bar is not None:
        bar.close()
    elif not args.quiet:
        print(file=sys.stderr)
    _print_summary(summary, rs.name)
    _plot(summary, out)
    return 0


def _print_summary(summary: dict[str, Any], rules_name: str) -> None:
    cov: dict[str, int] = summary["rule_coverage"]
    print(f"{summary['generated']} theorems ({summary['method']}, rules {rules_name}) in {summary['seconds']:.1f} s: "
          f"{summary['theorems_per_second']:.0f} theorems/s with {summary['workers']} worker(s); "
          f"mean proof size {summary['mean_proof_size']:.2f}; {summary['skipped_shards']} shard(s) resumed")
    print(f"rule coverage: {len(cov)} rules used")
    if cov:
        top = max(cov.values())
        for rule, c in list(cov.items())[:20]:
            print(f"  {rule:32s} {c:8d} {'#' * max(1, round(30 * c / top))}")
        if len(cov) > 20:
            print(f"  ... {len(cov) - 20} more (manifest.json has all)")


def _plot(summary: dict[str, Any], out: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None or not summary["rule_coverage"]:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cov = summary["rule_coverage"]
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.bar(range(len(cov)), list(cov.values()))
    ax.set_xlabel("rules (by frequency)")
    ax.set_ylabel("theorems using the rule")
    ax.set_title(f"rule coverage: {len(cov)} rules")
    fig.tight_layout()
    fig.savefig(out / "coverage.png")
    plt.close(fig)
