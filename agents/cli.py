"""``equations prove``, ``evaluate`` and ``prove-lean``: wired into :mod:`equations.cli` by :func:`add_parsers`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parsers(subparsers: Any) -> None:
    """Add the ``prove``, ``evaluate`` and ``prove-lean`` sub-commands to an argparse sub-parser collection."""
    from .prover import CRITICS, POLICIES

    p = subparsers.add_parser("prove", help="search for a proof with HyperTree Proof Search")
    p.add_argument("goal", help="e.g. 'cos(x)**2 + sin(x)**2 == 1'")
    p.add_argument("--budget", type=int, default=2000, help="maximum number of expansions")
    p.add_argument("--policy", default="fast", help=POLICY_HELP.format(", ".join(POLICIES)))
    p.add_argument("--checkpoint", default=None, help=CHECKPOINT_HELP)
    p.add_argument("--critic", default=None, help=CRITIC_HELP.format(", ".join(CRITICS)))
    p.add_argument("--search", default="puct", choices=["puct", "rp"], help="search policy")
    p.add_argument("--prune", action="store_true", help=PRUNE_HELP)
    p.add_argument("--exploration", type=float, default=1.0, help="exploration constant c")
    p.add_argument("--samples", type=int, default=None, help="tactics kept per expansion (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rules", default=None,
                   help="rule set name or file (default: 'default'; with --checkpoint, the checkpoint's)")
    p.add_argument("--objective", default="size", choices=["size", "depth"], help="minimal proof criterion")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="wall-clock limit of the search in seconds (default: none)")
    p.add_argument("--json", action="store_true", help="also print the proof as JSON (for `equations check`)")
    p.add_argument("--save-search", metavar="FILE", help="write the explored hypergraph as JSON (equations show)")
    p.set_defaults(fn=cmd_prove)

    p = subparsers.add_parser("evaluate", help="prove every theorem of a set; per-category table")
    p.add_argument("--set", default="identities", help="'identities' or a file of theorems (one a line)")
    p.add_argument("--category", help="only this category of the identities")
    p.add_argument("--split", default="all", choices=["all", "train", "held-out"],
                   help="the Identities split (equations.identities.split: 20%% held out, seed 0); online "
                        "training samples only 'train'")
    p.add_argument("--budget", type=int, default=2000)
    p.add_argument("--attempts", type=int, default=1)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", default="results.jsonl", help="results file (resumable: done ids are skipped)")
    p.add_argument("--policy", default="fast", help=POLICY_HELP.format(", ".join(POLICIES)))
    p.add_argument("--checkpoint", default=None, help=CHECKPOINT_HELP)
    p.add_argument("--critic", default=None, help=CRITIC_HELP.format(", ".join(CRITICS)))
    p.add_argument("--search", default="puct", choices=["puct", "rp"])
    p.add_argument("--prune", action="store_true", help=PRUNE_HELP)
    p.add_argument("--exploration", type=float, default=1.0)
    p.add_argument("--samples", type=int, default=None)
    p.add_argument("--sample-params", action="store_true", help="draw search hyper-parameters from appendix C")
    p.add_argument("--limit", type=int, default=None, help="only the first N theorems")
    p.add_argument("--max-seconds", type=float, default=120.0,
                   help="wall-clock limit per theorem, all attempts together (default 120; 0: none); a theorem "
                        "that hits it counts as not proved and is recorded with \"timed_out\": true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rules", default=None,
                   help="rule set name or file (default: 'default'; with --checkpoint, the checkpoint's)")
    p.add_argument("--save-searches", metavar="DIR",
                   help="write each theorem's explored hypergraph to DIR/ID.search.json (equations show)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(fn=cmd_evaluate)

    p = subparsers.add_parser(
        "prove-lean", help="prove Lean theorems through LeanDojo: translate the goal, search, replay in Lean",
        description="Open a Lean theorem with lean_dojo.Dojo, translate its goal state into our language, prove it "
                    "with our search and replay the exported Lean tactics through dojo.run_tac. Outcomes: proved, "
                    "rejected by Lean, untranslatable, not proved. Needs lean-dojo (pip install lean-dojo) and what "
                    "it needs (a Lean toolchain, the repository traced).")
    p.add_argument("repo_url", nargs="?", metavar="REPO_URL", help="git URL of the Lean repository")
    p.add_argument("commit", nargs="?", metavar="COMMIT", help="its commit")
    p.add_argument("file", nargs="?", metavar="FILE", help="the file declaring the theorem, relative to the repository")
    p.add_argument("theorem", nargs="?", metavar="THEOREM_NAME", help="its full name (namespace included)")
    p.add_argument("--benchmark", metavar="JSON",
                   help="batch form: a LeanDojo benchmark JSON (a list of records with url, commit, file_path, "
                        "full_name), instead of the four arguments")
    p.add_argument("--limit", type=int, default=None, help="with --benchmark: only its first N theorems")
    p.add_argument("--out", default=None,
                   help="results file, one JSON line per theorem (required with --benchmark; resumable: theorems "
                        "already there are skipped, except those that ended in a LeanDojo error)")
    p.add_argument("--budget", type=int, default=2000, help="maximum number of expansions per theorem")
    p.add_argument("--max-seconds", type=float, default=60.0,
                   help="wall-clock limit of the search per theorem (default 60; 0: none)")
    p.add_argument("--policy", default="fast", help=POLICY_HELP.format(", ".join(POLICIES)))
    p.add_argument("--checkpoint", default=None, help=CHECKPOINT_HELP)
    p.add_argument("--critic", default=None, help=CRITIC_HELP.format(", ".join(CRITICS)))
    p.add_argument("--search", default="puct", choices=["puct", "rp"], help="search policy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rules", default=None,
                   help="rule set name or file (default: the bundled set of the goal's type, ℝ default, ℕ nat, "
                        "ℤ int; with --checkpoint, the checkpoint's)")
    p.add_argument("--domain", default=None, choices=["real", "nat", "int"],
                   help="the type of a goal without variables (default: the rule set's, else real)")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-theorem lines (the summary only)")
    p.set_defaults(fn=cmd_prove_lean)

    from .train_cli import add_parser as add_train  # no torch at import: the command loads the trainer

    add_train(subparsers)


POLICY_HELP = ("tactic policy: {}, or 'neural' (the learned model: the bundled one, or --checkpoint; "
               "the agent extra)")
CHECKPOINT_HELP = ("with --policy neural: a checkpoint folder, or a training run folder holding checkpoint/ "
                   "(online) or model/ (supervised); default: the package's bundled checkpoint of the rule set "
                   "(default and paper are bundled)")
PRUNE_HELP = ("numeric pruning: a goal false at a random point where its hypotheses hold is marked invalid "
              "instead of being expanded (sound: it never closes a goal)")
CRITIC_HELP = "critic: {}, or 'neural' (default: 'neural' with a neural policy, else 'constant')"


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    from equations.cli import UsageError

    if name == "policy" and (value == "neural" or value.startswith("neural:")):
        return  # a trained checkpoint: neural, neural:DIR[:TOPK] (equations train; the agent extra)
    if name == "critic" and value == "neural":
        return  # the critic head of the --policy neural checkpoint
    if value not in allowed:
        raise UsageError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")


def _resolve_neural(args: argparse.Namespace) -> None:
    """Fill in ``args.policy`` (``neural`` + ``--checkpoint`` -> ``neural:DIR``), ``args.critic`` and
    ``args.rules`` (a neural policy defaults to its learned critic and to its checkpoint's rule set)."""
    from equations.cli import UsageError

    neural = args.policy == "neural" or args.policy.startswith("neural:")
    if args.checkpoint is not None:
        if args.policy != "neural":
            raise UsageError("--checkpoint goes with --policy neural")
        args.policy = f"neural:{args.checkpoint}"
    if args.critic is None:
        args.critic = "neural" if neural else "constant"
    if args.rules is None:
        spec = args.policy[len("neural:"):] if args.policy.startswith("neural:") else None
        if spec:  # a checkpoint of your own: its rule set (the bundled ones: one per rule set, default first)
            from .neural import checkpoint_rules

            head, _, tail = spec.rpartition(":")
            spec = head if head and tail.isdigit() else spec
            try:
                args.rules = checkpoint_rules(spec)
            except (FileNotFoundError, ValueError) as err:
                raise UsageError(f"neural policy: {err}") from None
        else:
            args.rules = "default"


def cmd_prove(args: argparse.Namespace) -> int:
    import equations as eq
    from equations.cli import UsageError

    from .proofs import proof_steps
    from .prover import CRITICS, POLICIES, prove
    from .search import SearchParams

    _resolve_neural(args)
    _check_choice("policy", args.policy, POLICIES)
    _check_choice("critic", args.critic, CRITICS)
    if args.budget < 1:
        raise UsageError("--budget must be positive")
    if args.max_seconds is not None and not args.max_seconds > 0:
        raise UsageError("--max-seconds must be positive")
    try:
        rules = eq.load_rules(args.rules)
    except (FileNotFoundError, eq.RuleError) as err:
        raise UsageError(str(err)) from None
    try:
        thm = eq.parse(args.goal)
    except eq.ParseError as err:
        raise UsageError(f"cannot parse goal: {err}") from None
    try:
        params = SearchParams(expansions=args.budget, policy=args.search, exploration=args.exploration,
                              num_samples=args.samples, seed=args.seed, max_seconds=args.max_seconds,
                              prune=args.prune)
    except ValueError as err:
        raise UsageError(str(err)) from None
    try:
        res = prove(thm, rules, params=params, policy=args.policy, critic=args.critic, objective=args.objective,
                    keep_search=args.save_search is not None)
    except (FileNotFoundError, ValueError, KeyError, ImportError) as err:
        if not (args.policy.startswith("neural") or args.critic == "neural"):
            raise
        # a missing or mismatched checkpoint, an unknown token, torch not installed
        raise UsageError(f"neural policy: {err}") from None
    if args.save_search is not None:  # failed searches too: they are the ones worth looking at
        from .search_json import save_search

        try:
            save_search(args.save_search, res, rules, args.objective)
        except OSError as err:
            raise UsageError(f"cannot write {args.save_search}: {err.strerror or err}") from None
    st = res.stats
    info = (f"{st.expansions} expansions, {st.nodes} nodes, {st.edges} tactics, {st.simulations} simulations, "
            f"{st.seconds:.2f} s")
    if not res.proved:
        why = f" (timed out after {args.max_seconds:g} s)" if st.timed_out else ""
        print(f"failed: no proof of {thm}{why} ({info})")
        return 1
    if res.proof is None:
        print(f"{thm} closes automatically ({eq.closed_by(thm, rules)}): no step needed")
        return 0
    print(f"proved {thm}: {res.size} steps, depth {res.depth} ({info}; first proof after {st.solved_at} "
          "expansions)")
    for i, (goal, tactic) in enumerate(proof_steps(thm, res.proof, rules), start=1):
        print(f"{i:3d}. {goal}")
        print(f"       {tactic}")
    if args.json:
        import json

        print(json.dumps({"theorem": str(thm), "proof": res.proof.to_dict()}))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from equations.cli import UsageError

    from .evaluate import EvalConfig, evaluate, load_tasks, summary
    from .prover import CRITICS, POLICIES

    _resolve_neural(args)
    _check_choice("policy", args.policy, POLICIES)
    _check_choice("critic", args.critic, CRITICS)
    if args.budget < 1 or args.attempts < 1 or args.workers < 1:
        raise UsageError("--budget, --attempts and --workers must be positive")
    if args.max_seconds < 0:
        raise UsageError("--max-seconds must be non-negative (0: no limit)")
    try:
        tasks = load_tasks(args.set, args.category, args.split)
    except (ValueError, FileNotFoundError) as err:
        raise UsageError(str(err)) from None
    if args.limit is not None:
        tasks = tasks[: args.limit]
    if not tasks:
        raise UsageError("no theorems to evaluate")
    cfg = EvalConfig(budget=args.budget, attempts=args.attempts, policy=args.policy, critic=args.critic,
                     search_policy=args.search, exploration=args.exploration, num_samples=args.samples,
                     rules=args.rules, seed=args.seed, sample_params=args.sample_params, prune=args.prune,
                     max_seconds=args.max_seconds if args.max_seconds > 0 else None,
                     save_searches=args.save_searches)
    n_done = [0]

    def progress(rec: dict[str, Any]) -> None:
        n_done[0] += 1
        if not args.quiet:
            status = "proved" if rec["proved"] else "timed out" if rec.get("timed_out") else "failed"
            extra = f" size {rec['proof_size']}" if rec["proved"] else ""
            print(f"[{n_done[0]}] {rec['id']}: {status}{extra} ({rec['expansions']} expansions, "
                  f"{rec['seconds']:.1f} s)", file=sys.stderr, flush=True)

    records = evaluate(tasks, Path(args.out), cfg, workers=args.workers, progress=progress)
    print(summary(tasks, records, "identities" if args.set == "identities" else "file"))
    return 0


def cmd_prove_lean(args: argparse.Namespace) -> int:
    import equations as eq
    from equations.cli import UsageError

    from . import lean_dojo as ld
    from .prover import CRITICS, POLICIES
    from .search import SearchParams

    positional = [args.repo_url, args.commit, args.file, args.theorem]
    given = [a for a in positional if a is not None]
    if args.benchmark is None and len(given) != 4:
        raise UsageError("give REPO_URL COMMIT FILE THEOREM_NAME, or --benchmark JSON")
    if args.benchmark is not None and given:
        raise UsageError("--benchmark replaces REPO_URL COMMIT FILE THEOREM_NAME: give one or the other")
    if args.benchmark is not None and args.out is None:
        raise UsageError("--benchmark needs --out (the resumable results file)")
    if args.limit is not None and (args.benchmark is None or args.limit < 1):
        raise UsageError("--limit goes with --benchmark and must be positive")
    if args.budget < 1:
        raise UsageError("--budget must be positive")
    if args.max_seconds < 0:
        raise UsageError("--max-seconds must be non-negative (0: no limit)")
    rules_given = args.rules
    _resolve_neural(args)
    neural = args.policy.startswith("neural")
    if not neural and rules_given is None:
        args.rules = None  # the bundled set of each goal's type
    _check_choice("policy", args.policy, POLICIES)
    _check_choice("critic", args.critic, CRITICS)
    rules = None
    if args.rules is not None:
        try:
            rules = eq.load_rules(args.rules)
        except (FileNotFoundError, eq.RuleError) as err:
            raise UsageError(str(err)) from None
    if neural and rules is not None:
        from .neural import make_neural

        try:  # a missing or mismatched checkpoint, torch not installed: said once, before any theorem
            make_neural(args.policy, rules)
        except (FileNotFoundError, ValueError, KeyError, ImportError) as err:
            raise UsageError(f"neural policy: {err}") from None
    params = SearchParams(expansions=args.budget, policy=args.search, seed=args.seed,
                          max_seconds=args.max_seconds if args.max_seconds > 0 else None)
    kw: dict[str, Any] = {"rules": rules, "policy": args.policy, "critic": args.critic, "params": params,
                          "domain": args.domain}
    entries: list[ld.BenchmarkEntry] = []
    if args.benchmark is not None:
        try:
            entries = ld.read_benchmark(Path(args.benchmark))
        except (OSError, ValueError, UnicodeDecodeError) as err:
            raise UsageError(str(err)) from None
        entries = entries[: args.limit] if args.limit is not None else entries
        if not entries:
            raise UsageError(f"{args.benchmark}: no theorems")
    try:
        api = ld.load_lean_dojo()
    except ld.LeanDojoMissing as err:
        raise UsageError(str(err)) from None

    if args.benchmark is None:
        entry = ld.BenchmarkEntry(args.repo_url, args.commit, args.file, args.theorem)
        res = ld.prove_entry(api, entry, **kw)
        rec = res.to_dict()
        print(f"{entry.full_name}: {ld.describe(rec)}")
        if res.theorem is not None:
            print(f"  goal: {res.theorem}")
        for i, tactic in enumerate(res.tactics):
            mark = "x" if i == res.failed_index else "+" if i < res.tactics_run else " "
            print(f"  {mark} {i + 1:3d}. " + tactic.replace("\n", "\n         "))
        if res.lean_error:
            print("  Lean: " + res.lean_error.replace("\n", "\n        "))
        if args.out is not None:
            ld.append_record(Path(args.out), rec)
        return 0 if res.proved else 1

    out = Path(args.out)
    done_before = ld.read_results(out)
    skipped = sum(1 for e in entries if e.id in done_before and done_before[e.id].get("outcome") != "error")
    if skipped and not args.quiet:
        print(f"{skipped} of {len(entries)} theorems already in {out}: skipped", flush=True)

    def progress(k: int, n: int, rec: dict[str, Any]) -> None:
        if not args.quiet:
            print(f"[{k}/{n}] {rec['id']}: {ld.describe(rec)}", flush=True)

    try:
        records = ld.run_benchmark(entries, out, lambda e: ld.prove_entry(api, e, **kw), progress)
    except OSError as err:
        raise UsageError(f"cannot write {out}: {err.strerror or err}") from None
    print(ld.summary(records.values()))
    return 0
