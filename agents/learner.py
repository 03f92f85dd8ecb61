"""The trainer's side of online training (paper, section 5.2), without any distribution: two bounded FIFO
queues of samples sent by the provers, uniform sampling from them, optional supervised batches mixed in,
AdamW steps, and versioned weights for the provers (torch; the ``agent`` extra).

* **tactic samples** ``(goal, tactic)``: the steps of the minimal proofs the searches found. Each becomes a
  policy example on arrival (:func:`equations.agents.supervised.policy_example`: the target among the
  goal's candidates, with the heuristic scores the learned correction is added to), so sampling it again
  costs nothing.
* **critic samples** ``(goal, target)``: 1 for solved nodes, 0 for invalid ones, the soft target
  ``W/N`` of the search's chosen tactic for the other visited nodes; binary cross-entropy on soft targets.

Ray actors (:mod:`.online`) wrap a :class:`Learner`; tests drive one directly.
"""

from __future__ import annotations

import io
import random
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

import equations as eq

from .model import autocast, collate, critic_loss, policy_loss
from .neural import NeuralAgent
from .supervised import Data, PolicyExample, policy_example
from .tokenizer import Encoded, TacticFeatures, UnknownToken


@dataclass(frozen=True)
class LearnerConfig:
    batch_size: int = 32
    """Policy examples per step (and as many critic samples)."""
    lr: float = 3e-4
    weight_decay: float = 0.01
    clip: float = 1.0
    critic_weight: float = 1.0
    queue_size: int = 20_000
    """Capacity of each FIFO queue: the oldest samples leave first."""
    supervised_fraction: float = 0.25
    """Share of each batch drawn from the supervised data (when the learner has some)."""
    max_candidates: int = 48
    """Tactics scored per training goal (the target, the heuristic's best, and random others)."""
    min_samples: int = 8
    """Policy samples needed before the first step."""
    seed: int = 0


class Learner:
    """A :class:`NeuralAgent` being trained on samples that arrive while it trains."""

    def __init__(self, agent: NeuralAgent, config: LearnerConfig | None = None, supervised: Data | None = None):
        self.agent = agent
        self.config = config if config is not None else LearnerConfig()
        self.supervised = supervised if supervised is not None and supervised.policy else None
        self.policy_queue: deque[PolicyExample] = deque(maxlen=self.config.queue_size)
        self.critic_queue: deque[tuple[Encoded, float]] = deque(maxlen=self.config.queue_size)
        self.opt = torch.optim.AdamW(agent.model.parameters(), lr=self.config.lr,
                                     weight_decay=self.config.weight_decay)
        self.rng = random.Random(f"learner:{self.config.seed}")
        self.steps = 0
        self.version = 0
        self.received = {"tactic": 0, "critic": 0, "skipped": 0}
        self._seq = 0

    # --- samples ----------------------------------------------------------------------------------------

    def add(self, tactic: Sequence[tuple[str, str]], critic: Sequence[tuple[str, float]]) -> None:
        """Queue samples given as text (``(goal, tactic)`` and ``(goal, target)``): what travels between
        processes. A sample the model cannot encode (an unknown variable name) is counted and skipped."""
        agent = self.agent
        for goal, tac in tactic:
            self._seq += 1
            try:
                thm = eq.parse(goal)
                ex = policy_example(thm, eq.Tactic.parse(tac), agent, self.config.max_candidates,
                                    random.Random(f"{self.config.seed}:{self._seq}"))
            except (UnknownToken, eq.ParseError, eq.InvalidTactic, ValueError):
                self.received["skipped"] += 1
                continue
            self.policy_queue.append(ex)
            self.received["tactic"] += 1
        for goal, target in critic:
            try:
                enc = agent.encode(eq.parse(goal))
            except (UnknownToken, eq.ParseError):
                self.received["skipped"] += 1
                continue
            self.critic_queue.append((enc, float(target)))
            self.received["critic"] += 1

    def ready(self) -> bool:
        return len(self.policy_queue) >= self.config.min_samples or self.supervised is not None

    # --- training ---------------------------------------------------------------------------------------

    def _draw(self) -> tuple[list[PolicyExample], list[tuple[Encoded, float]]]:
        cfg = self.config
        rng = self.rng
        n_sup = 0
        if self.supervised is not None:
            n_sup = cfg.batch_size if not self.policy_queue else round(cfg.batch_size * cfg.supervised_fraction)
        pol: list[PolicyExample] = []
        if self.policy_queue:
            q = self.policy_queue
            pol = [q[rng.randrange(len(q))] for _ in range(cfg.batch_size - n_sup)]
        crit: list[tuple[Encoded, float]] = []
        if self.critic_queue:
            cq = self.critic_queue
            crit = [cq[rng.randrange(len(cq))] for _ in range(cfg.batch_size - n_sup)]
        if n_sup and self.supervised is not None:
            sp = self.supervised.policy
            neg = self.supervised.negatives
            for _ in range(n_sup):
                ex = sp[rng.randrange(len(sp))]
                pol.append(ex)
                crit.append((ex.enc, 1.0))
                if neg:
                    crit.append((neg[rng.randrange(len(neg))], 0.0))
        return pol, crit

    def step(self, n: int = 1) -> dict[str, float]:
        """Run ``n`` optimiser steps (fewer if there is nothing to learn from yet); mean losses."""
        agent = self.agent
        model = agent.model
        dev = agent.device
        cfg = self.config
        totals = {"policy_loss": 0.0, "critic_loss": 0.0}
        done = 0
        model.train()
        try:
            for _ in range(n):
                if not self.ready():
                    break
                pol, crit = self._draw()
                if not pol and not crit:
                    break
                encs = [e.enc for e in pol] + [c[0] for c in crit]
                tacs: list[Sequence[TacticFeatures]] = [*(e.cands for e in pol), *(() for _ in crit)]
                batch = collate(encs, tacs, agent.vocab.pad_id).to(dev)
                with autocast(dev):
                    crit_logits, logits = model(batch)
                counts = batch.n_tactics[: len(pol)]
                pl = (policy_loss(logits, counts, torch.tensor([e.target for e in pol], device=dev))
                      if pol else torch.zeros((), device=dev))
                cl = (critic_loss(crit_logits[len(pol):], torch.tensor([c[1] for c in crit], device=dev))
                      if crit else torch.zeros((), device=dev))
                loss = pl + cfg.critic_weight * cl
                self.opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                if cfg.clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
                self.opt.step()
                self.steps += 1
                done += 1
                totals["policy_loss"] += float(pl.detach())
                totals["critic_loss"] += float(cl.detach())
        finally:
            model.eval()
        if done:
            self.version += 1
        return {"steps": float(done), **{k: v / max(1, done) for k, v in totals.items()}}

    # --- weights ----------------------------------------------------------------------------------------

    def weights(self) -> bytes:
        """The model's weights (a torch state dict, serialised), for the provers."""
        buf = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in self.agent.model.state_dict().items()}, buf)
        return buf.getvalue()

    def stats(self) -> dict[str, Any]:
        return {"steps": self.steps, "version": self.version, "policy_queue": len(self.policy_queue),
                "critic_queue": len(self.critic_queue), **{f"received_{k}": v for k, v in self.received.items()},
                "time": time.time()}


def load_weights(agent: NeuralAgent, blob: bytes) -> None:
    """Load weights published by :meth:`Learner.weights` into ``agent`` (a prover's copy)."""
    state = torch.load(io.BytesIO(blob), map_location=agent.device, weights_only=True)
    agent.model.load_state_dict(state)
    agent.model.eval()
