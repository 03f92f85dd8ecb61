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
from equations.atomic import write_atomic

from .model import Batch, ModelConfig, PolicyCritic, autocast, collate, default_device, preset, split_logits
from .policy import SamplingParams, Suggestion, sample_without_replacement, softmax
from .tokenizer import Encoded, RuleVocab, TacticFeatures, Vocab, distinct, encode_theorem, tactic_features

if TYPE_CHECKING:
    from .decoder import DecoderAgent, DecoderPolicy

CHECKPOINT_FORMAT = 1
WEIGHTS = "model.safetensors"
CONFIG = "config.json"


class RuleSetMismatch(ValueError):
    """A checkpoint made for another rule set (or another version of it)."""


class NeuralAgent:
    """A :class:`PolicyCritic` model with its vocabularies, for one rule set.

    The policy is a learned correction ``r`` to the non-learned prover's heuristic
    (:class:`~equations.agents.policy.EnumerationPolicy`, the ``fast`` policy) in its two stages:

    1. **selection**: every distinct applicable tactic (``max_per_triple`` per rule, direction and position)
       is scored ``static + r``, where ``static`` is the heuristic's cheap score of the rule, and the
       ``prefilter`` best are kept (all of them when there are fewer);
    2. **priors**: the kept tactics are applied; a tactic that fails is dropped, and the prior of the others
       is ``softmax((size + r) / temperature)``, ``size`` being the heuristic's score of the subgoals
       (the goal's size minus the sizes of the open subgoals, over ``scale``).

    Since ``r`` starts at exactly 0 (the heads' output layers are zero-initialised) an untrained agent *is*
    the ``fast`` prover with the constant critic 0.5; training moves it away only where the data says so.
    """

    def __init__(self, rules: eq.RuleSet, config: ModelConfig | str = "cpu-tiny", seed: int = 0,
                 device: torch.device | str | None = None, vocab: Vocab | None = None,
                 rule_vocab: RuleVocab | None = None, max_per_triple: int = 1, truncate: bool = True,
                 prefilter: int | None = 48, scale: float = 2.0):
        from .policy import EnumerationPolicy

        self.rules = rules
        self.config = preset(config) if isinstance(config, str) else config
        self.vocab = vocab if vocab is not None else Vocab.for_rules(rules)
        self.rule_vocab = rule_vocab if rule_vocab is not None else RuleVocab.for_rules(rules)
        self.device = torch.device(device) if device is not None else default_device()
        self.max_per_triple = max_per_triple
        self.truncate = truncate
        self.prefilter = prefilter
        self.scale = scale
        self._sub_cache: dict[Any, tuple[int, ...]] = {}
        self.heuristic = EnumerationPolicy(rules, prior="size", max_per_triple=max_per_triple, scale=scale)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = PolicyCritic(self.config, len(self.vocab), len(self.rule_vocab))
        self.model.to(self.device)
        self.model.eval()

    # --- encoding ----------------------------------------------------------------------------------

    def encode(self, thm: eq.Theorem) -> Encoded:
        return encode_theorem(thm, self.vocab, self.config.max_len, self.truncate)

    def features(self, tactic: eq.Tactic, enc: Encoded, base: float = 0.0) -> TacticFeatures:
        return tactic_features(tactic, enc, self.vocab, self.rule_vocab, self.config.max_sub_tokens, base,
                               self._sub_cache)

    def tactics(self, thm: eq.Theorem) -> list[eq.Tactic]:
        """The distinct applicable tactics of ``thm`` (the engine's enumeration)."""
        return distinct(eq.applicable(thm, self.rules, max_per_triple=self.max_per_triple))

    def static(self, tactic: eq.Tactic) -> float:
        """The heuristic's cheap score of ``tactic`` (stage 1's base)."""
        return self.heuristic.static_score(tactic)

    def outcome(self, thm: eq.Theorem, tactic: eq.Tactic) -> tuple[tuple[eq.Theorem | None, ...], float] | None:
        """``(subgoals with None for those that close, size score)`` of applying ``tactic``, or ``None``
        when it does not apply: the heuristic's (stage 2's base)."""
        return self.heuristic.outcome(thm, tactic)

    # --- training (:mod:`equations.agents.supervised`) ---------------------------------------------

    design = "scorer"

    def examples(self, pairs: Any, max_candidates: int = 48, seed: int = 0) -> list[Any]:
        """:func:`~equations.agents.supervised.policy_examples` of ``pairs``."""
        from .supervised import policy_examples

        return policy_examples(pairs, self, max_candidates, seed)

    def supervised_losses(self, pol: Sequence[Any], neg: Sequence[Encoded]) -> tuple[Any, ...]:
        """:func:`~equations.agents.supervised.supervised_losses` of one batch."""
        from .supervised import supervised_losses

        return supervised_losses(self, pol, neg)

    # --- inference ---------------------------------------------------------------------------------

    def _run(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        model = self.model
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode(), autocast(self.device):
                b = batch.to(self.device)
                h = model.encode(b.ids, b.pad)
                crit = model.critic_logits(h).float().cpu()
                logits = model.tactic_logits(h, b).float().cpu()
        finally:
            model.train(was_training)
        return crit, logits

    def corrections(self, goals: Sequence[eq.Theorem], tactics: Sequence[Sequence[eq.Tactic]],
                    max_batch: int = 64) -> tuple[list[list[float]], list[float]]:
        """The learned correction ``r`` of each tactic of each goal, and each goal's P(provable)."""
        rs: list[list[float]] = []
        values: list[float] = []
        for start in range(0, len(goals), max_batch):
            chunk = goals[start:start + max_batch]
            tacs = tactics[start:start + max_batch]
            encs = [self.encode(g) for g in chunk]
            feats = [[self.features(t, e) for t in ts] for ts, e in zip(tacs, encs, strict=True)]
            crit, logits = self._run(collate(encs, feats, self.vocab.pad_id))
            values.extend(float(v) for v in torch.sigmoid(crit).tolist())
            rs.extend(lg.tolist() for lg in split_logits(logits, [len(t) for t in tacs]))
        return rs, values

    def expand(self, goals: Sequence[eq.Theorem], temperature: float = 1.0, max_batch: int = 64,
               prefilter: int | None = None) -> list[list[tuple[eq.Tactic, float, tuple[eq.Theorem | None, ...]]]]:
        """For each goal, the kept tactics that apply, with their priors (summing to 1) and subgoals: the
        two stages of the class docstring, all goals in one model call per ``max_batch``. ``prefilter``
        overrides the agent's for this call."""
        keep = prefilter if prefilter is not None else self.prefilter
        tactics = [self.tactics(g) for g in goals]
        rs, _ = self.corrections(goals, tactics, max_batch)
        out: list[list[tuple[eq.Tactic, float, tuple[eq.Theorem | None, ...]]]] = []
        for g, tacs, r in zip(goals, tactics, rs, strict=True):
            idx = list(range(len(tacs)))
            if keep is not None and len(idx) > keep:
                score = [self.static(t) + x for t, x in zip(tacs, r, strict=True)]
                order = sorted(idx, key=lambda i: -score[i])
                idx = sorted(order[:keep])
            kept: list[tuple[eq.Tactic, tuple[eq.Theorem | None, ...]]] = []
            logits: list[float] = []
            for i in idx:
                res = self.outcome(g, tacs[i])
                if res is None:
                    continue
                kept.append((tacs[i], res[0]))
                logits.append(res[1] + r[i])
            priors = softmax(logits, temperature)
            out.append([(t, p, sg) for (t, sg), p in zip(kept, priors, strict=True)])
        return out

    def score(self, goals: Sequence[eq.Theorem], max_batch: int = 64
              ) -> list[tuple[list[eq.Tactic], list[float], float]]:
        """For each goal: its distinct applicable tactics, their stage-1 logits (``static + r``), and the
        critic's P(provable)."""
        tactics = [self.tactics(g) for g in goals]
        rs, values = self.corrections(goals, tactics, max_batch)
        return [(ts, [self.static(t) + x for t, x in zip(ts, r, strict=True)], v)
                for ts, r, v in zip(tactics, rs, values, strict=True)]

    def values(self, goals: Sequence[eq.Theorem], max_batch: int = 64) -> list[float]:
        """P(provable) of each goal (:meth:`EncoderCritic.values`)."""
        return self.model.values([self.encode(g) for g in goals], self.vocab.pad_id, self.device, max_batch)

    def priors(self, thm: eq.Theorem, temperature: float = 1.0) -> list[tuple[eq.Tactic, float]]:
        """The kept tactics of ``thm`` that apply, with their priors (they sum to 1)."""
        return [(t, p) for t, p, _ in self.expand([thm], temperature)[0]]

    # --- checkpoints -------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` into the directory ``path`` (each written to a
        temporary file, then renamed)."""
        return save_checkpoint(path, self.model, self.manifest(), self.rules.version)

    def manifest(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "model": self.config.to_dict(),
            "rules": self.rules.name,
            "rules_version": self.rules.version,
            "rules_domain": self.rules.domain,
            "max_per_triple": self.max_per_triple,
            "truncate": self.truncate,
            "prefilter": self.prefilter,
            "scale": self.scale,
            "vocab": list(self.vocab.tokens),
            "rule_vocab": self.rule_vocab.keys,
        }


def save_checkpoint(path: str | Path, model: torch.nn.Module, manifest: dict[str, Any], rules_version: str) -> Path:
    """``model.safetensors`` (the weights) and ``config.json`` (``manifest``) in the directory ``path``, each
    written to a temporary file, then renamed: the checkpoint of either design."""
    from safetensors.torch import save_file

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=".safetensors")
    os.close(fd)
    try:
        save_file(state, tmp, metadata={"format": str(CHECKPOINT_FORMAT), "rules_version": rules_version})
        os.replace(tmp, out / WEIGHTS)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    write_json_atomic(out / CONFIG, manifest)
    return out


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=1))


def read_manifest(path: str | Path) -> dict[str, Any]:
    p = Path(path) / CONFIG
    if not p.exists():
        raise FileNotFoundError(f"{p}: not a checkpoint directory (no {CONFIG})")
    manifest: dict[str, Any] = json.loads(p.read_text())
    if manifest.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{p}: checkpoint format {manifest.get('format')!r}, expected {CHECKPOINT_FORMAT}")
    return manifest


def load_agent(path: str | Path, rules: eq.RuleSet | str | None = None,
               device: torch.device | str | None = None) -> NeuralAgent | DecoderAgent:
    """The agent saved at ``path`` (design (b), or (a) when the checkpoint says ``"design": "decoder"``).
    ``rules`` defaults to the bundled rule set the checkpoint names; it must
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
    agent: NeuralAgent | DecoderAgent
    if manifest.get("design", "scorer") == "decoder":
        from .decoder import agent_from_manifest

        agent = agent_from_manifest(manifest, rs, device)
    else:
        agent = NeuralAgent(rs, ModelConfig.from_dict(manifest["model"]), device=device,
                            vocab=Vocab(manifest["vocab"]), rule_vocab=RuleVocab(manifest["rule_vocab"]),
                            max_per_triple=int(manifest["max_per_triple"]), truncate=bool(manifest["truncate"]),
                            prefilter=manifest["prefilter"], scale=float(manifest["scale"]))
    state = load_file(str(Path(path) / WEIGHTS))
    agent.model.load_state_dict(state)
    agent.model.to(agent.device)
    agent.model.eval()
    return agent


class NeuralPolicy:
    """The learned policy (:meth:`NeuralAgent.expand`): priors over the kept applicable tactics of each goal,
    with their subgoals (so the search does not apply them again), all goals of a batch in one model call.

    With ``params.num_samples`` set, that many tactics are drawn without replacement from the priors with
    the search's seeded ``rng``. ``top_k`` (when given) overrides the agent's ``prefilter``."""

    def __init__(self, agent: NeuralAgent, top_k: int | None = None, max_batch: int = 64):
        self.agent = agent
        self.top_k = top_k
        self.max_batch = max_batch

    def propose(self, goals: Sequence[Any], params: SamplingParams, rng: random.Random) -> list[list[Suggestion]]:
        expanded = self.agent.expand(list(goals), params.temperature, self.max_batch, self.top_k)
        out: list[list[Suggestion]] = []
        for cands in expanded:
            k = params.num_samples if params.num_samples is not None else len(cands)
            chosen = sample_without_replacement([p for _, p, _ in cands], k, rng)
            out.append([Suggestion(cands[j][0], cands[j][1], cands[j][2]) for j in chosen])
        return out


class NeuralCritic:
    """The learned critic: P(provable) of each goal, all goals of a batch in one model call."""

    def __init__(self, agent: NeuralAgent | DecoderAgent, max_batch: int = 64):
        self.agent = agent
        self.max_batch = max_batch

    def evaluate(self, goals: Sequence[Any]) -> list[float]:
        return self.agent.values(list(goals), self.max_batch) if goals else []


_CACHE: dict[tuple[str, str], NeuralAgent | DecoderAgent] = {}


def cached_agent(path: str | Path, rules: eq.RuleSet) -> NeuralAgent | DecoderAgent:
    """:func:`load_agent`, once per (checkpoint, rule set version) in a process: a ``neural:PATH`` policy and
    critic then share one model."""
    key = (str(Path(path).resolve()), rules.version)
    agent = _CACHE.get(key)
    if agent is None:
        agent = _CACHE[key] = load_agent(path, rules)
    return agent


BUNDLED = Path(__file__).resolve().parent / "data" / "models"
"""The checkpoints shipped inside the package, one folder per rule set (``--policy neural`` loads the one of
the rule set in use); README, "Learned prover", says how each was trained."""


def bundled_models() -> list[str]:
    """The rule sets with a bundled checkpoint."""
    return sorted(p.name for p in BUNDLED.iterdir() if (p / CONFIG).exists()) if BUNDLED.is_dir() else []


def bundled_checkpoint(rules: str = "default") -> Path:
    """The bundled checkpoint of rule set ``rules`` (a bundled rule set's name)."""
    path = BUNDLED / rules
    if not (path / CONFIG).exists():
        have = bundled_models()
        if not have:
            raise FileNotFoundError(f"the bundled checkpoints are missing from this installation ({BUNDLED})")
        raise FileNotFoundError(f"no bundled checkpoint for rule set {rules!r} (bundled: {', '.join(have)}); "
                                f"train one with 'equations train online --rules {rules}' and pass --checkpoint")
    return path


def resolve_checkpoint(path: str | Path | None, rules: str = "default") -> Path:
    """The checkpoint folder of ``path``: the folder itself, a training run's ``checkpoint/`` (online) or
    ``model/`` (supervised); the bundled checkpoint of rule set ``rules`` when ``path`` is ``None``."""
    if path is None:
        return bundled_checkpoint(rules)
    p = Path(path)
    for cand in (p / "checkpoint", p / "model", p):  # a run folder's own config.json is not a checkpoint's
        if (cand / CONFIG).exists():
            return cand
    raise FileNotFoundError(f"{p}: no checkpoint there (expected {CONFIG} in it, or in its checkpoint/ or model/)")


def checkpoint_rules(path: str | Path) -> str:
    """The name of the rule set a checkpoint was trained on."""
    return str(read_manifest(resolve_checkpoint(path))["rules"])


def make_neural(spec: str, rules: eq.RuleSet) -> tuple[NeuralPolicy | DecoderPolicy, NeuralCritic]:
    """The policy and critic of ``neural`` (the bundled checkpoint of ``rules``), ``neural:PATH`` or
    ``neural:PATH:TOPK`` (``PATH`` as :func:`resolve_checkpoint` reads it), sharing a model. A design (a)
    checkpoint (:mod:`equations.agents.decoder`) gives a :class:`~equations.agents.decoder.DecoderPolicy`
    (``TOPK``: how many tactic texts it samples per goal, unless the search's ``num_samples`` is set)."""
    if spec != "neural" and not spec.startswith("neural:"):
        raise ValueError(f"not a neural specification: {spec!r} (expected 'neural' or 'neural:CHECKPOINT[:TOPK]')")
    body = spec[len("neural:"):] if spec != "neural" else ""
    top_k: int | None = None
    head, _, tail = body.rpartition(":")
    if head and tail.isdigit():
        body, top_k = head, int(tail)
    agent = cached_agent(resolve_checkpoint(body or None, rules.name), rules)
    if isinstance(agent, NeuralAgent):
        return NeuralPolicy(agent, top_k=top_k), NeuralCritic(agent)
    from .decoder import DecoderPolicy

    return DecoderPolicy(agent, samples=top_k), NeuralCritic(agent)
