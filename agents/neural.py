"""The learned policy and critic as the search's :class:`~equations.agents.policy.Policy` and
:class:`~equations.agents.policy.Critic` (torch; the ``agent`` extra), and their checkpoints.

:class:`NeuralAgent` holds the model, its vocabularies and the rule set; :class:`NeuralPolicy` scores the
engine's enumeration (``equations.applicable``) of every goal of an expansion batch in one model call, so it
never proposes an invalid tactic; :class:`NeuralCritic` evaluates a batch of goals in one call. Both run
the model in eval mode under ``torch.inference_mode`` and are deterministic given the search's seed.

A checkpoint is a directory: ``model.safetensors`` (the weights) and ``config.json`` (model config, rule
set name and version, token and rule vocabularies). :func:`load_agent` refuses a checkpoint made for
another version of the rule set (:class:`RuleSetMismatch`), since its rule vocabulary would not line up.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

import equations as eq

from .model import Batch, ModelConfig, PolicyCritic, autocast, collate, default_device, preset, split_logits
from .policy import Suggestion, sample_without_replacement, softmax
from .tokenizer import Encoded, RuleVocab, TacticFeatures, Vocab, distinct, encode_theorem, tactic_features

if TYPE_CHECKING:
    from .search import SearchParams

CHECKPOINT_FORMAT = 1
WEIGHTS = "model.safetensors"
CONFIG = "config.json"


class RuleSetMismatch(ValueError):
    """A checkpoint made for another rule set (or another version of it)."""


class NeuralAgent:
    """A :class:`PolicyCritic` model with its vocabularies, for one rule set."""

    def __init__(self, rules: eq.RuleSet, config: ModelConfig | str = "cpu-tiny", seed: int = 0,
                 device: torch.device | str | None = None, vocab: Vocab | None = None,
                 rule_vocab: RuleVocab | None = None, max_per_triple: int = 4, truncate: bool = True):
        self.rules = rules
        self.config = preset(config) if isinstance(config, str) else config
        self.vocab = vocab if vocab is not None else Vocab.for_rules(rules)
        self.rule_vocab = rule_vocab if rule_vocab is not None else RuleVocab.for_rules(rules)
        self.device = torch.device(device) if device is not None else default_device()
        self.max_per_triple = max_per_triple
        self.truncate = truncate
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = PolicyCritic(self.config, len(self.vocab), len(self.rule_vocab))
        self.model.to(self.device)
        self.model.eval()

    # --- encoding ----------------------------------------------------------------------------------

    def encode(self, thm: eq.Theorem) -> Encoded:
        return encode_theorem(thm, self.vocab, self.config.max_len, self.truncate)

    def features(self, tactic: eq.Tactic, enc: Encoded) -> TacticFeatures:
        return tactic_features(tactic, enc, self.vocab, self.rule_vocab, self.config.max_sub_tokens)

    def tactics(self, thm: eq.Theorem) -> list[eq.Tactic]:
        """The distinct applicable tactics of ``thm`` (the engine's enumeration)."""
        return distinct(eq.applicable(thm, self.rules, max_per_triple=self.max_per_triple))

    # --- inference ---------------------------------------------------------------------------------

    def _run(self, batch: Batch, tactics: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        model = self.model
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode(), autocast(self.device):
                b = batch.to(self.device)
                h = model.encode(b.ids, b.pad)
                crit = model.critic_logits(h).float().cpu()
                logits = model.tactic_logits(h, b).float().cpu() if tactics else None
        finally:
            model.train(was_training)
        return crit, logits

    def score(self, goals: Sequence[eq.Theorem], max_batch: int = 64
              ) -> list[tuple[list[eq.Tactic], list[float], float]]:
        """For each goal: its distinct applicable tactics, their logits, and the critic's P(provable)."""
        out: list[tuple[list[eq.Tactic], list[float], float]] = []
        for start in range(0, len(goals), max_batch):
            chunk = goals[start:start + max_batch]
            encs = [self.encode(g) for g in chunk]
            tacs = [self.tactics(g) for g in chunk]
            feats = [[self.features(t, e) for t in ts] for ts, e in zip(tacs, encs, strict=True)]
            crit, logits = self._run(collate(encs, feats, self.vocab.pad_id), tactics=True)
            assert logits is not None
            values = torch.sigmoid(crit).tolist()
            for ts, lg, v in zip(tacs, split_logits(logits, [len(t) for t in tacs]), values, strict=True):
                out.append((ts, lg.tolist(), float(v)))
        return out

    def values(self, goals: Sequence[eq.Theorem], max_batch: int = 64) -> list[float]:
        """P(provable) of each goal."""
        out: list[float] = []
        for start in range(0, len(goals), max_batch):
            encs = [self.encode(g) for g in goals[start:start + max_batch]]
            crit, _ = self._run(collate(encs, None, self.vocab.pad_id), tactics=False)
            out.extend(float(v) for v in torch.sigmoid(crit).tolist())
        return out

    def priors(self, thm: eq.Theorem, temperature: float = 1.0) -> list[tuple[eq.Tactic, float]]:
        """Every distinct applicable tactic of ``thm`` with its prior (they sum to 1)."""
        tacs, logits, _ = self.score([thm])[0]
        return list(zip(tacs, softmax(logits, temperature), strict=True))

    # --- checkpoints -------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` into the directory ``path`` (each written to a
        temporary file, then renamed)."""
        from safetensors.torch import save_file

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to("cpu").contiguous() for k, v in self.model.state_dict().items()}
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=".safetensors")
        os.close(fd)
        try:
            save_file(state, tmp, metadata={"format": str(CHECKPOINT_FORMAT), "rules_version": self.rules.version})
            os.replace(tmp, out / WEIGHTS)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        write_json_atomic(out / CONFIG, self.manifest())
        return out

    def manifest(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "model": self.config.to_dict(),
            "rules": self.rules.name,
            "rules_version": self.rules.version,
            "rules_domain": self.rules.domain,
            "max_per_triple": self.max_per_triple,
            "truncate": self.truncate,
            "vocab": self.vocab.tokens,
            "rule_vocab": self.rule_vocab.keys,
        }


def write_json_atomic(path: Path, obj: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_manifest(path: str | Path) -> dict[str, Any]:
    p = Path(path) / CONFIG
    if not p.exists():
        raise FileNotFoundError(f"{p}: not a checkpoint directory (no {CONFIG})")
    manifest: dict[str, Any] = json.loads(p.read_text())
    if manifest.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{p}: checkpoint format {manifest.get('format')!r}, expected {CHECKPOINT_FORMAT}")
    return manifest


def load_agent(path: str | Path, rules: eq.RuleSet | str | None = None,
               device: torch.device | str | None = None) -> NeuralAgent:
    """The agent saved at ``path``. ``rules`` defaults to the bundled rule set the checkpoint names; it must
    have the checkpoint's version (:class:`RuleSetMismatch` otherwise)."""
    from safetensors.torch import load_file

    manifest = read_manifest(path)
    rs = eq.load_rules(rules if isinstance(rules, str) else manifest["rules"]) if not isinstance(
        rules, eq.RuleSet) else rules
    if rs.version != manifest["rules_version"]:
        raise RuleSetMismatch(
            f"checkpoint {path} was trained on rule set {manifest['rules']!r} version {manifest['rules_version']}, "
            f"but rule set {rs.name!r} has version {rs.version}: the rule vocabulary would not line up; "
            "retrain (or fine-tune) the model for this rule set")
    agent = NeuralAgent(rs, ModelConfig.from_dict(manifest["model"]), device=device,
                        vocab=Vocab(manifest["vocab"]), rule_vocab=RuleVocab(manifest["rule_vocab"]),
                        max_per_triple=int(manifest.get("max_per_triple", 4)),
                        truncate=bool(manifest.get("truncate", True)))
    state = load_file(str(Path(path) / WEIGHTS))
    agent.model.load_state_dict(state)
    agent.model.to(agent.device)
    agent.model.eval()
    return agent


class NeuralPolicy:
    """The learned policy: priors over the distinct applicable tactics of each goal (softmax of the model's
    logits at ``params.temperature``), all goals of a batch in one model call.

    With ``params.num_samples`` set, that many tactics are drawn without replacement from the priors with
    the search's seeded ``rng``; ``top_k`` (when given) first keeps the ``top_k`` most likely tactics, to
    bound the tactics the search must apply per expansion. Subgoals are left to the search (``None``)."""

    def __init__(self, agent: NeuralAgent, top_k: int | None = None, max_batch: int = 64):
        self.agent = agent
        self.top_k = top_k
        self.max_batch = max_batch

    def propose(self, goals: Sequence[Any], params: SearchParams, rng: random.Random) -> list[list[Suggestion]]:
        scored = self.agent.score(list(goals), self.max_batch)
        out: list[list[Suggestion]] = []
        for tacs, logits, _ in scored:
            if not tacs:
                out.append([])
                continue
            idx = list(range(len(tacs)))
            if self.top_k is not None and len(idx) > self.top_k:
                idx = sorted(sorted(idx, key=lambda i: -logits[i])[: self.top_k])
            priors = softmax([logits[i] for i in idx], params.temperature)
            k = params.num_samples if params.num_samples is not None else len(idx)
            chosen = sample_without_replacement(priors, k, rng)
            out.append([Suggestion(tacs[idx[j]], priors[j], None) for j in chosen])
        return out


class NeuralCritic:
    """The learned critic: P(provable) of each goal, all goals of a batch in one model call."""

    def __init__(self, agent: NeuralAgent, max_batch: int = 64):
        self.agent = agent
        self.max_batch = max_batch

    def evaluate(self, goals: Sequence[Any]) -> list[float]:
        return self.agent.values(list(goals), self.max_batch) if goals else []


_CACHE: dict[tuple[str, str], NeuralAgent] = {}


def cached_agent(path: str | Path, rules: eq.RuleSet) -> NeuralAgent:
    """:func:`load_agent`, once per (checkpoint, rule set version) in a process: a ``neural:PATH`` policy and
    critic then share one model."""
    key = (str(Path(path).resolve()), rules.version)
    agent = _CACHE.get(key)
    if agent is None:
        agent = _CACHE[key] = load_agent(path, rules)
    return agent


def make_neural(spec: str, rules: eq.RuleSet) -> tuple[NeuralPolicy, NeuralCritic]:
    """The policy and critic of a ``neural:PATH`` (or ``neural:PATH:TOPK``) specification, sharing a model."""
    if not spec.startswith("neural:"):
        raise ValueError(f"not a neural specification: {spec!r} (expected 'neural:CHECKPOINT_DIR[:TOPK]')")
    body = spec[len("neural:"):]
    top_k: int | None = None
    head, _, tail = body.rpartition(":")
    if head and tail.isdigit():
        body, top_k = head, int(tail)
    agent = cached_agent(body, rules)
    return NeuralPolicy(agent, top_k=top_k), NeuralCritic(agent)
