"""``equations train supervised|online``: training of the learned agent (:mod:`.supervised`, :mod:`.online`).
This module does not import torch or Ray: :func:`add_parser` only declares the arguments, and each command
imports its trainer when run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    from equations.cli import _DefaultsFormatter

    p = subparsers.add_parser("train", help="train the policy+critic model (agent extra; online: train extra)",
                              formatter_class=_DefaultsFormatter)
    sub = p.add_subparsers(dest="train_mode", metavar="MODE", required=True)
    configure(sub.add_parser("supervised", help="on (goal, tactic) pairs of generated theorems",
                             formatter_class=_DefaultsFormatter))
    configure_online(sub.add_parser("online", help="HTPS provers and a trainer on Ray, on the Identities train split",
                                    formatter_class=_DefaultsFormatter))


def configure_online(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="run folder: config.json, checkpoint/, metrics.jsonl, proofs.jsonl, "
                                                "progress.png (resumed when it holds a checkpoint)")
    p.add_argument("--minutes", type=float, default=2.0, help="wall-clock length of the run")
    p.add_argument("--rules", default="paper")
    p.add_argument("--preset", default="cpu-tiny", help="model size of a fresh model: cpu-tiny, cpu-small, paper")
    p.add_argument("--init", default=None,
                   help="start from this checkpoint folder ('bundled': the package's model for --rules); "
                        "default: a fresh model, which starts as the non-learned prover")
    p.add_argument("--data", nargs="*", default=[], help="pairs files or dataset folders mixed into the batches")
    p.add_argument("--provers", type=int, default=1, help="prover actors (one CPU each)")
    p.add_argument("--set", default=None, dest="theorem_set",
                   help="a file of theorems to train on (one a line) instead of the Identities train split")
    p.add_argument("--max-searches", type=int, default=None, help="stop after this many searches (default: none)")
    p.add_argument("--baseline", default=None,
                   help="an `equations evaluate` results file of the non-learned prover, drawn in progress.png")
    p.add_argument("--budget", type=int, default=500, help="expansions per search")
    p.add_argument("--max-seconds", type=float, default=60.0, help="wall-clock limit per search")
    p.add_argument("--prune", action="store_true", help="numeric pruning in every search (see `prove --help`)")
    p.add_argument("--fixed-params", action="store_true",
                   help="default search hyper-parameters instead of drawing them from appendix C")
    p.add_argument("--sample-revisits", action="store_true",
                   help="with --fixed-params: appendix C's parameters for a theorem's second and later searches "
                        "(first searches keep the defaults, comparable with the non-learned prover)")
    p.add_argument("--no-cover-first", action="store_true",
                   help="draw theorems at random from the start instead of searching each once first")
    p.add_argument("--supervised-limit", type=int, default=4000,
                   help="at most this many --data pairs are prepared (preparing costs time on the trainer)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--supervised-fraction", type=float, default=0.5, help="share of a batch from --data")
    p.add_argument("--queue-size", type=int, default=20000, help="capacity of each FIFO sample queue")
    p.add_argument("--reload-seconds", type=float, default=10.0, help="how often provers fetch new weights")
    p.add_argument("--address", default=None,
                   help="HOST:PORT of a running Ray cluster to join (default: start Ray on this machine)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-resume", action="store_true", help="start over even if --out holds a checkpoint")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(fn=cmd_online)


def cmd_online(args: argparse.Namespace) -> int:
    from equations.cli import UsageError

    for mod, extra in (("torch", "agent"), ("safetensors", "agent"), ("ray", "train")):
        if importlib.util.find_spec(mod) is None:
            raise UsageError(f"train online needs {mod}: pip install 'equations[{extra}]'")
    if args.minutes <= 0 or args.provers < 1 or args.budget < 1:
        raise UsageError("--minutes, --provers and --budget must be positive")
    from .learner import LearnerConfig
    from .neural import bundled_checkpoint
    from .online import OnlineConfig, TrainerLost, run_online

    init = str(bundled_checkpoint(args.rules)) if args.init == "bundled" else args.init
    cfg = OnlineConfig(minutes=args.minutes, rules=args.rules, preset=args.preset, init=init, provers=args.provers,
                       budget=args.budget, max_seconds=args.max_seconds, sample_params=not args.fixed_params,
                       sample_revisits=args.sample_revisits, cover_first=not args.no_cover_first,
                       prune=args.prune, theorems=args.theorem_set, max_searches=args.max_searches,
                       baseline=args.baseline,
                       reload_seconds=args.reload_seconds, seed=args.seed, supervised=tuple(args.data),
                       supervised_limit=args.supervised_limit,
                       learner=LearnerConfig(batch_size=args.batch_size, lr=args.lr, queue_size=args.queue_size,
                                             supervised_fraction=args.supervised_fraction, seed=args.seed))
    bar: Any = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=round(args.minutes * 60), unit="s", desc="online", dynamic_ncols=True)

    def progress(r: Any) -> None:
        if bar is not None:
            bar.n = min(bar.total, round(r.seconds))
            bar.set_postfix(searches=r.searches, proved=f"{len(r.proved)}/{r.tasks}")
            bar.refresh()

    try:
        res = run_online(cfg, args.out, address=args.address, progress=progress, resume=not args.no_resume)
    except TrainerLost as err:
        print(f"equations train online: {err}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    print(json.dumps({"searches": res.searches, "proved": len(res.proved), "train_theorems": res.tasks,
                      "proved_fraction": round(res.proved_fraction, 4), "trainer_steps": res.trainer_steps,
                      "samples": res.samples_received, "prover_reloads": res.prover_reloads,
                      "provers_lost": res.provers_lost,
                      "minutes": round(res.seconds / 60, 2), "checkpoint": f"{args.out}/checkpoint"}))
    return 0


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pairs", nargs="*", default=[],
                   help="pairs-*.jsonl files, dataset shards, or dataset folders (`equations generate --pairs`); "
                        "without any, --generate walks are generated in-process")
    p.add_argument("--generate", type=int, default=2000, help="random-walk theorems to generate without --pairs")
    p.add_argument("--walk-steps", type=int, default=6, help="steps of the generated walks")
    p.add_argument("--rules", default="paper")
    p.add_argument("--preset", default="cpu-tiny", help="model size: cpu-tiny, cpu-small, paper")
    p.add_argument("--design", default="scorer", choices=["scorer", "decoder"],
                   help="policy of a fresh model: scorer (design (b): scores the engine's tactics, starts as the "
                        "non-learned prover) or decoder (design (a): generates tactic text)")
    p.add_argument("--init", default=None, help="start from this checkpoint (fine-tuning) instead of a fresh model")
    p.add_argument("--out", required=True, help="run folder: metrics.jsonl, train_state.pt, model/ (resumable)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--schedule", default="constant", choices=["constant", "inverse_sqrt"])
    p.add_argument("--critic-weight", type=float, default=1.0)
    p.add_argument("--max-candidates", type=int, default=48, help="tactics scored per training goal")
    p.add_argument("--negatives-per-goal", type=float, default=1.0, help="false variants per goal (critic)")
    p.add_argument("--val-fraction", type=float, default=0.05)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--save-every", type=int, default=200)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-resume", action="store_true", help="start over even if --out holds a saved state")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(fn=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("safetensors") is None:
        print("equations train: needs the agent extra: pip install 'equations[agent]'", file=sys.stderr)
        return 2
    import torch

    import equations as eq

    from . import supervised as sv
    from .neural import NeuralAgent, load_agent

    if args.threads:
        torch.set_num_threads(args.threads)
    rules = eq.load_rules(args.rules)
    from .decoder import DecoderAgent

    agent: NeuralAgent | DecoderAgent
    if args.init:
        agent = load_agent(args.init, rules)
    elif args.design == "decoder":
        agent = DecoderAgent(rules, args.preset, seed=args.seed)
    else:
        agent = NeuralAgent(rules, args.preset, seed=args.seed)

    def say(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr)

    if args.pairs:
        pairs = sv.read_pairs(args.pairs)
    else:
        say(f"generating {args.generate} random-walk theorems ({args.walk_steps} steps)")
        pairs = sv.generate_pairs(args.generate, seed=args.seed, rules=args.rules, steps=args.walk_steps)
    train, val = sv.split_ids(pairs, args.val_fraction, seed=args.seed)
    say(f"{len(pairs)} pairs: {len(train)} train, {len(val)} validation; preparing examples")
    tr = sv.prepare(train, agent, args.max_candidates, args.negatives_per_goal, args.seed)
    va = sv.prepare(val, agent, args.max_candidates, args.negatives_per_goal, args.seed) if val else None
    say(f"{len(tr.policy)} policy examples, {len(tr.negatives)} critic negatives; device {agent.device}")
    cfg = sv.TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, warmup=args.warmup,
                         schedule=args.schedule, critic_weight=args.critic_weight, seed=args.seed,
                         eval_every=args.eval_every, save_every=args.save_every, progress=not args.quiet)
    res = sv.train(agent, tr, va, cfg, out=args.out, resume=not args.no_resume)
    print(json.dumps({"step": res.step, "resumed_from": res.resumed_from, "val": res.val,
                      "model": f"{args.out}/model"}))
    return 0


