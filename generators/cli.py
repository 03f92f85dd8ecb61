"""``equations generate``: synthetic theorem datasets from the command line.

    equations generate --method walk|graph --n N --out DIR [--steps ..] [--ops ..] [--rules ..]
                       [--workers W] [--backend local|ray] [--address HOST:PORT] [--seed S]
                       [--format jsonl|parquet]

``--steps`` and ``--ops`` take ``K`` or ``LO-HI``; ``--rules`` is a rule set (default, nat, int or a file) and
``--categories`` restricts the rules the generator samples. Prints a progress bar (tqdm when installed, a
counter on stderr otherwise; it starts at the theorems a ``--resume`` keeps and moves per theorem) and a
summary: theorems/s, mean proof size, rule coverage histogram (also written as ``coverage.png`` when
matplotlib is installed). ``DIR`` gets the layout of :mod:`equations.generators.dataset`: shards in
``DIR/data/``, the data card ``DIR/README.md``, ``manifest.json`` and ``coverage.png`` beside them.
``--backend ray`` runs the shards as Ray tasks (extra ``train``), on this machine or, with ``--address``, on a
running cluster; the files are the same bytes as with the default pool of ``--workers`` processes.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

from .dataset import GENERATORS


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


def _shown(v: Any) -> str:
    """A configuration default as the command line writes it: ``K`` or ``LO-HI``."""
    if isinstance(v, (tuple, list)):
        return f"{v[0]}-{v[1]}" if v[0] != v[1] else str(v[0])
    return str(v)


def _defaults() -> tuple[dict[str, Any], dict[str, Any]]:
    """The walk and graph configurations' defaults, read from the dataclasses so that the help cannot drift
    from what a run without the option does."""
    from dataclasses import MISSING, fields

    from .graph import GraphConfig
    from .walk import WalkConfig

    def of(cls: Any) -> dict[str, Any]:
        return {f.name: f.default for f in fields(cls) if f.default is not MISSING}

    return of(WalkConfig), of(GraphConfig)


def add_parser(subparsers: Any) -> None:
    """Add the ``generate`` subcommand to the ``equations`` command line. Options whose default depends on
    the method say both defaults in their help."""
    walk, graph = _defaults()
    p = subparsers.add_parser("generate", help="generate a dataset of synthetic theorems with proofs")
    p.add_argument("--method", choices=tuple(GENERATORS), default="walk", help="random walk or theorem graph")
    p.add_argument("--n", type=int, required=True, help="number of theorems")
    p.add_argument("--out", required=True,
                   help="output folder: data/ (shards), pairs/, manifest.json, README.md (data card)")
    p.add_argument("--steps", help=f"walk length K or LO-HI (walk, default {_shown(walk['steps'])}); proof depth "
                                   f"K (maximum) or LO-HI (graph, default {graph['min_depth']}-{graph['max_depth']})")
    p.add_argument("--ops", help="operators of the start expression (walk, default "
                                 f"{_shown(walk['ops'])}) or of each hypothesis side (graph, default "
                                 f"{_shown(graph['hyp_ops'])}), K or LO-HI")
    p.add_argument("--rules", default="default", help="rule set: a bundled one (equations rules lists them) or a "
                                                      "rule file")
    p.add_argument("--categories", help="comma-separated rule categories the generator samples from "
                                        "(default: every category of the rule set)")
    p.add_argument("--hyps", help=f"number of initial hypotheses, K or LO-HI (walk, default {_shown(walk['n_hyps'])}; "
                                  f"graph, default {_shown(graph['n_hyps'])})")
    p.add_argument("--nodes", type=int, help=f"derived nodes per graph (graph, default {graph['nodes']})")
    bias = (str(walk["bias"]) if walk["bias"] == graph["bias"]
            else f"{walk['bias']} (walk), {graph['bias']} (graph)")
    p.add_argument("--bias", type=float, help=f"rule rarity exponent b, sampling weight 1/count^b (default: {bias})")
    p.add_argument("--workers", type=int, default=1,
                   help="shards generated at once: worker processes, or the CPUs of a Ray started here")
    p.add_argument("--backend", choices=("local", "ray"), default=None,
                   help="local (the default): a pool of --workers processes; ray: each shard a Ray task "
                        "(pip install 'equations[train]'), on a Ray started here or the cluster of --address")
    p.add_argument("--address", metavar="HOST:PORT",
                   help="join the running Ray cluster at HOST:PORT and use all its CPUs (implies --backend ray); "
                        "every node needs this version of equations installed")
    p.add_argument("--seed", type=int, default=0, help="the output depends only on it and the parameters")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl", help="shard file format")
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

    from .dataset import RayUnavailable, ResumeMismatch, check_ray_backend, make_generator, write_dataset

    if args.n < 1:
        raise UsageError("--n must be at least 1")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.address is not None and args.backend == "local":
        raise UsageError("--address joins a Ray cluster: use it with --backend ray (or alone)")
    backend = "ray" if args.address is not None else args.backend or "local"
    if backend == "ray":
        try:  # ray installed, and a cluster answering at --address: checked before any work
            check_ray_backend(args.address)
        except RayUnavailable as err:
            raise UsageError(str(err)) from None
        except ValueError as err:
            raise UsageError(f"--address: {err}") from None
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
    use_tqdm = importlib.util.find_spec("tqdm") is not None
    shown = [-1.0]  # when the plain counter was last printed

    def progress(done: int) -> None:
        """Called with the theorems done so far, first with those a resumed run keeps: the bar starts there
        (and its rate counts this run's theorems only) and moves per theorem."""
        nonlocal bar
        if use_tqdm:
            if bar is None:
                from tqdm import tqdm

                bar = tqdm(total=args.n, initial=done, unit="thm", file=sys.stderr)
            elif done > bar.n:
                bar.update(done - bar.n)
            return
        now = time.monotonic()
        if now - shown[0] >= 0.2 or done >= args.n:
            shown[0] = now
            print(f"\r{done}/{args.n} theorems", end="", file=sys.stderr, flush=True)

    try:
        summary = write_dataset(args.method, args.n, out, rules=args.rules, params=params, seed=args.seed,
                                workers=args.workers, shard_size=args.shard_size, fmt=args.format,
                                pairs=args.pairs, resume=args.resume, backend=backend, address=args.address,
                                theorems_done=None if args.quiet else progress)
    except RayUnavailable as err:
        raise UsageError(str(err)) from None
    except OSError as err:
        raise UsageError(f"writing the dataset under {out} failed: {err.strerror or err}") from None
    except ResumeMismatch as err:
        raise UsageError(str(err)) from None
    if bar is not None:
        bar.close()
    elif not args.quiet and not use_tqdm:
        print(file=sys.stderr)
    _print_summary(summary, rs.name)
    if summary.get("data_card") is None:
        print(f"{out / 'README.md'} is not a data card written by equations: left as it was, no data card")
    _plot(summary, out)
    return 0


def _print_summary(summary: dict[str, Any], rules_name: str) -> None:
    cov: dict[str, int] = summary["rule_coverage"]
    ran_on = f"{summary['workers']} {'Ray CPU(s)' if summary.get('backend') == 'ray' else 'worker(s)'}"
    print(f"{summary['generated']} theorems ({summary['method']}, rules {rules_name}) in {summary['seconds']:.1f} s: "
          f"{summary['theorems_per_second']:.0f} theorems/s with {ran_on}; "
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
