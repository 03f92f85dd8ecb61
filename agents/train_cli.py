"""``equations train``: supervised training of the learned agent (:mod:`.supervised`). This module does not
import torch: :func:`add_parser` only declares the arguments, and the command imports the trainer when run.

Wire it into :func:`equations.agents.cli.add_parsers` with ``train_cli.add_parser(subparsers)``; until then
``python -m equations.agents.train_cli ...`` runs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Sequence
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("train", help="train the policy+critic model on (goal, tactic) pairs (agent extra)")
    configure(p)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pairs", nargs="*", default=[],
                   help="pairs-*.jsonl files, dataset shards, or dataset folders (`equations generate --pairs`); "
                        "without any, --generate walks are generated in-process")
    p.add_argument("--generate", type=int, default=2000, help="random-walk theorems to generate without --pairs")
    p.add_argument("--walk-steps", type=int, default=6, help="steps of the generated walks")
    p.add_argument("--rules", default="default")
    p.add_argument("--preset", default="cpu-tiny", help="model size: cpu-tiny, cpu-small, paper")
    p.add_argument("--init", default=None, help="start from this checkpoint (fine-tuning) instead of a fresh model")
    p.add_argument("--out", required=True, help="run folder: metrics.jsonl, train_state.pt, model/ (resumable)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--schedule", default="constant", choices=["constant", "inverse_sqrt"])
    p.add_argument("--critic-weight", type=float, default=1.0)
    p.add_argument("--max-candidates", type=int, default=128, help="tactics scored per training goal")
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
    agent = load_agent(args.init, rules) if args.init else NeuralAgent(rules, args.preset, seed=args.seed)

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


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="equations train")
    configure(ap)
    args = ap.parse_args(argv)
    code: int = args.fn(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
