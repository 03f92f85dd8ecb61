"""Supervised training of the policy+critic model (paper, section 5.3 and appendix C) on generated data
(torch; the ``agent`` extra).

Data:

* **policy**: (goal, tactic) pairs, from ``pairs-*.jsonl`` files (``equations generate --pairs``), from
  dataset shards (``shard-*.jsonl``, via :func:`equations.generators.dataset.supervised_pairs`), or generated
  in-process (:func:`generate_pairs`, random walks). The target is scored against the goal's enumeration
  (``equations.applicable``), the set the policy chooses from at search time, plus the target itself when
  the enumeration lacks it (a walk may substitute a term that is not a subterm of the goal). At most
  ``max_candidates`` tactics are kept per goal: the target, the heuristic's best (hard negatives) and a
  seeded random sample of the others, each with the size score the learned correction is added to.
* **critic**: every goal of a proof is provable (label 1). Negatives (label 0) are *false* statements: a
  proof goal with one subterm replaced (by another subterm of the goal, by itself plus or times a small
  integer, or an integer literal changed), kept only when the 30-digit numeric check finds a point where
  its hypotheses hold and it is false. The rules are sound, so such a goal is certainly unprovable: the
  labels are exact, unlike "unsolved by a search" (which the paper finds too pessimistic, section 7.2.2).
  The negatives are close to the positives (one subterm away), so the critic cannot tell them apart from
  surface statistics. Soft targets from proof searches (section 5.2) belong to online training.

Training: AdamW, linear warm-up then constant (or inverse square root) learning rate, gradient clipping;
each step encodes a batch of policy goals and a batch of negatives in one pass, with loss
``CE(policy) + critic_weight * BCE(critic)``. The validation split is by record id (every step of a
theorem on the same side). Metrics go to ``metrics.jsonl`` (one JSON object a line).

Exact resume: ``train_state.pt`` holds the weights, the optimizer, the torch RNG states and the step (the
data order is a function of the seed and the step), written to a temporary file and renamed, so a
``kill -9`` at any moment leaves the previous state intact; resuming replays exactly the same run
(identical parameters, on the same device and torch version).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

import equations as eq
from equations.expr import Expr, make, num

from .decoder import DecoderAgent
from .model import Batch, collate, critic_loss, padded_logits, policy_loss
from .neural import NeuralAgent
from .tokenizer import Encoded, TacticFeatures

Agent = NeuralAgent | DecoderAgent
"""Either design: (b) scores the engine's tactics, (a) generates tactic text."""

# --- data --------------------------------------------------------------------------------------------------


def _generators(sub: str = "") -> Any:
    """``equations.generators`` (or a submodule), imported by name: agents and generators are sibling
    layers over the core."""
    import importlib

    return importlib.import_module("equations.generators" + (f".{sub}" if sub else ""))


def read_pairs(source: str | Path | Sequence[str | Path]) -> list[dict[str, str]]:
    """(goal, tactic) pairs from ``pairs-*.jsonl`` files, dataset shards (``shard-*.jsonl`` records with
    ``steps``), proof records (``equations evaluate`` results: the steps of each proof found), or a dataset
    folder (pairs files preferred; ``pairs/`` and ``data/``, or the older layout with
    both next to ``manifest.json``: :func:`equations.generators.dataset.pair_files`)."""
    dataset = _generators("dataset")
    read_records, supervised_pairs = dataset.read_records, dataset.supervised_pairs
    paths: list[Path] = []
    for s in [source] if isinstance(source, (str, Path)) else source:
        p = Path(s)
        if p.is_dir():
            found: list[Path] = dataset.pair_files(p)
            if found:
                paths.extend(found)
            else:
                out = []
                for rec in read_records(p):
                    out.extend(supervised_pairs(rec))
                return out
        else:
            paths.append(p)
    pairs: list[dict[str, str]] = []
    for p in paths:
        with open(p) as f:
            for line in f:
                if not line.strip():
                    continue
                rec = json.loads(line)
                if "steps" in rec:
                    pairs.extend(supervised_pairs(rec))
                elif "theorem" in rec:  # proof records: evaluate results (proved or not), proofs.jsonl
                    if rec.get("proof") is not None and rec.get("proved", True):
                        pairs.extend(_proof_record_pairs(rec))
                else:
                    pairs.append({"id": str(rec.get("id", "")), "goal": rec["goal"], "tactic": rec["tactic"]})
    return pairs


def _proof_record_pairs(rec: dict[str, Any]) -> list[dict[str, str]]:
    """The steps of a ``{"theorem", "proof", "rules"?}`` record (``equations evaluate`` results, an online
    run's ``proofs.jsonl``), replayed with its bundled rule set (default: ``default``)."""
    from .proofs import proof_steps

    rules = eq.load_rules(rec.get("rules") or "default") if not str(rec.get("rules", "")).endswith(".rules") \
        else eq.load_rules(rec["rules"])
    thm = eq.parse(rec["theorem"])
    proof = eq.Proof.from_dict(rec["proof"]) if isinstance(rec["proof"], dict) else eq.Proof.from_json(rec["proof"])
    rid = str(rec.get("id", ""))
    return [{"id": rid, "goal": str(g), "tactic": str(t)} for g, t in proof_steps(thm, proof, rules)]


def generate_pairs(n: int, seed: int = 0, rules: str = "default", **walk: Any) -> list[dict[str, str]]:
    """(goal, tactic) pairs of ``n`` random-walk theorems generated in-process (keyword arguments go to
    :class:`equations.generators.RandomWalkGenerator`, e.g. ``steps=6``)."""
    gen = _generators().RandomWalkGenerator(rules, **walk)
    proof_steps = _generators("dataset").proof_steps
    rs = gen.rules
    out: list[dict[str, str]] = []
    for i, g in enumerate(gen.generate(n, seed=seed)):
        for s in proof_steps(g.theorem, g.proof, rs):
            out.append({"id": f"walk-{seed}-{i}", "goal": s["goal"], "tactic": s["tactic"]})
    return out


def split_ids(pairs: Sequence[dict[str, str]], val_fraction: float, seed: int = 0
              ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(train, validation) by a hash of the record id, so all steps of a theorem fall on the same side."""
    train: list[dict[str, str]] = []
    val: list[dict[str, str]] = []
    for p in pairs:
        h = int(hashlib.sha1(f"{seed}:{p.get('id', p['goal'])}".encode()).hexdigest()[:8], 16) / 2**32
        (val if h < val_fraction else train).append(p)
    return train, val


@dataclass(frozen=True)
class PolicyExample:
    """A training goal of design (b): its candidate tactics and the index of the right one."""

    enc: Encoded
    cands: tuple[TacticFeatures, ...]
    target: int

    def key(self) -> tuple[Any, ...]:
        return (self.enc.ids, self.target, len(self.cands))


def theorem_tactic(pair: dict[str, str], rules: eq.RuleSet) -> tuple[eq.Theorem, eq.Tactic]:
    """The goal of a pair, read in the rule set's domain, and its tactic."""
    thm = eq.parse(pair["goal"])
    if rules.domain != thm.domain:
        thm = eq.parse(f"{rules.domain}: {pair['goal']}")
    return thm, eq.Tactic.parse(pair["tactic"], thm.domain)


def policy_example(thm: eq.Theorem, target: eq.Tactic, agent: NeuralAgent, max_candidates: int,
                   rng: random.Random) -> PolicyExample:
    """The goal, the target and up to ``max_candidates - 1`` other applicable tactics: half of them the
    heuristic's best (the hard negatives the search will actually weigh the target against), the rest drawn
    at random. Every candidate carries the size score of its subgoals (the base the learned correction is
    added to, as at search time); candidates that do not apply are dropped (the target always applies:
    it comes from a checked proof)."""
    enc = agent.encode(thm)
    others = [t for t in agent.tactics(thm) if t != target]
    k = max_candidates - 1
    if len(others) > k:
        ranked = sorted(range(len(others)), key=lambda i: -agent.static(others[i]))
        top = ranked[: k // 2]
        rest = ranked[k // 2:]
        picked = sorted(top + rng.sample(rest, k - len(top)))
        others = [others[i] for i in picked]
    cands: list[tuple[eq.Tactic, float]] = []
    for t in [target, *others]:
        res = agent.outcome(thm, t)
        if res is None:
            if t is target:
                raise ValueError(f"the target {target} does not apply to {thm}")
            continue
        cands.append((t, res[1]))
    order = list(range(len(cands)))
    rng.shuffle(order)
    feats = tuple(agent.features(cands[i][0], enc, cands[i][1]) for i in order)
    return PolicyExample(enc, feats, order.index(0))


def policy_examples(pairs: Iterable[dict[str, str]], agent: NeuralAgent, max_candidates: int = 48,
                    seed: int = 0) -> list[PolicyExample]:
    """One :func:`policy_example` per pair, with a seeded RNG per pair (so the result does not depend on
    the order)."""
    out: list[PolicyExample] = []
    for k, pair in enumerate(pairs):
        thm, target = theorem_tactic(pair, agent.rules)
        out.append(policy_example(thm, target, agent, max_candidates, random.Random(f"{seed}:{k}:{pair['goal']}")))
    return out


def _mutations(thm: eq.Theorem, rng: random.Random) -> Iterator[Expr]:
    goal = thm.goal
    if goal.size < 2:
        return
    terms = list(goal.subterms())[1:]
    while True:
        pos = rng.randrange(1, goal.size)
        old = goal.at(pos)
        u = rng.random()
        if u < 0.4:
            new = rng.choice(terms)
        elif u < 0.6:
            new = make("add", old, num(rng.randint(1, 3)))
        elif u < 0.8:
            new = make("mul", num(rng.randint(2, 3)), old)
        elif old.op == "int":
            new = num(old.value + rng.randint(1, 3))
        else:
            new = num(rng.randint(0, 4))
        if new is not old:
            yield goal.replace_at(pos, new)


def false_variant(thm: eq.Theorem, rng: random.Random, tries: int = 6) -> eq.Theorem | None:
    """A goal one subterm away from ``thm`` that the numeric check shows false at some point (so it is
    unprovable), or ``None`` when ``tries`` mutations all fail."""
    from equations.numeric import check_theorem

    gen = _mutations(thm, rng)
    for _ in range(tries):
        try:
            cand = thm.with_goal(next(gen))
        except StopIteration:
            return None
        res = check_theorem(cand, n_points=3, dps=30, seed=rng.randrange(2**31), max_tries=60)
        if not res.ok and res.message.startswith("false at"):
            return cand
    return None


def negative_examples(pairs: Iterable[dict[str, str]], agent: Agent, per_goal: float = 1.0,
                      seed: int = 0) -> list[Encoded]:
    """Encodings of false variants of the goals of ``pairs`` (about ``per_goal`` each)."""
    out: list[Encoded] = []
    for k, pair in enumerate(pairs):
        rng = random.Random(f"neg:{seed}:{k}:{pair['goal']}")
        n = int(per_goal) + (1 if rng.random() < per_goal - int(per_goal) else 0)
        if n == 0:
            continue
        thm, _ = theorem_tactic(pair, agent.rules)
        for _ in range(n):
            v = false_variant(thm, rng)
            if v is not None:
                out.append(agent.encode(v))
    return out


@dataclass
class Data:
    """Prepared examples of one split: policy examples (their goals are the critic's positives) and the
    critic's negatives."""

    policy: list[Any]
    """The design's examples: :class:`PolicyExample` (b) or :class:`~equations.agents.decoder.DecoderExample` (a)."""
    negatives: list[Encoded]

    def fingerprint(self) -> str:
        h = hashlib.sha1()
        for ex in self.policy:
            h.update(repr(ex.key()).encode())
        for e in self.negatives:
            h.update(repr(e.ids).encode())
        return h.hexdigest()[:16]


def prepare(pairs: Sequence[dict[str, str]], agent: Agent, max_candidates: int = 48,
            negatives_per_goal: float = 1.0, seed: int = 0) -> Data:
    """The policy examples of the agent's design (``agent.examples``) and the critic's negatives."""
    return Data(agent.examples(pairs, max_candidates, seed), negative_examples(pairs, agent, negatives_per_goal, seed))


# --- training ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    batch_size: int = 32
    """Policy goals per step (each also a critic positive)."""
    negatives: int | None = None
    """Critic negatives per step (default: ``batch_size``)."""
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: int = 50
    schedule: str = "constant"
    """After the warm-up: ``"constant"`` or ``"inverse_sqrt"``."""
    critic_weight: float = 1.0
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 100
    save_every: int = 100
    progress: bool = True

    def lr_at(self, step: int) -> float:
        """Learning rate of step ``step`` (0-based)."""
        s = step + 1
        if s <= self.warmup:
            return self.lr * s / max(1, self.warmup)
        if self.schedule == "inverse_sqrt":
            return self.lr * math.sqrt(max(1, self.warmup) / s)
        return self.lr


def _order(n: int, seed: int, epoch: int) -> list[int]:
    idx = list(range(n))
    random.Random(f"order:{seed}:{epoch}").shuffle(idx)
    return idx


def _take(n: int, seed: int, start: int, count: int, tag: str) -> list[int]:
    """Items ``start .. start + count`` of the endless sequence of seeded epoch permutations of ``range(n)``."""
    out = []
    for g in range(start, start + count):
        epoch, i = divmod(g, n)
        out.append(_order(n, hash_seed(seed, tag), epoch)[i])
    return out


def hash_seed(seed: int, tag: str) -> int:
    return int(hashlib.sha1(f"{seed}:{tag}".encode()).hexdigest()[:12], 16)


def _batch(agent: NeuralAgent, pol: Sequence[PolicyExample], neg: Sequence[Encoded]
           ) -> tuple[Batch, torch.Tensor, torch.Tensor]:
    encs = [e.enc for e in pol] + list(neg)
    tacs: list[Sequence[TacticFeatures]] = [*(e.cands for e in pol), *(() for _ in neg)]
    batch = collate(encs, tacs, agent.vocab.pad_id)
    targets = torch.tensor([e.target for e in pol], dtype=torch.long)
    labels = torch.tensor([1.0] * len(pol) + [0.0] * len(neg))
    return batch, targets, labels


def supervised_losses(agent: NeuralAgent, pol: Sequence[PolicyExample], neg: Sequence[Encoded]
                      ) -> tuple[torch.Tensor, torch.Tensor, float, torch.Tensor, torch.Tensor]:
    """Design (b)'s step: (policy loss, critic loss, policy examples ranked first, critic logits, labels)."""
    batch, targets, labels = _batch(agent, pol, neg)
    pl, cl, padded, crit = _losses(agent, batch, targets, labels, len(pol))
    correct = float((padded.argmax(-1).cpu() == targets).sum()) if pol else 0.0
    return pl, cl, correct, crit, labels


def _losses(agent: NeuralAgent, batch: Batch, targets: torch.Tensor, labels: torch.Tensor, n_pol: int
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(policy loss, critic loss, policy logits padded [n_pol, C], critic logits)."""
    from .model import autocast

    dev = agent.device
    b = batch.to(dev)
    with autocast(dev):
        crit, logits = agent.model(b)
    counts = batch.n_tactics[:n_pol]
    pl = policy_loss(logits, counts, targets.to(dev)) if n_pol else torch.zeros((), device=dev)
    cl = critic_loss(crit, labels.to(dev))
    return pl, cl, padded_logits(logits.float(), counts) if n_pol else logits, crit


def evaluate(agent: Agent, data: Data, batch_size: int = 64) -> dict[str, float]:
    """Validation metrics: policy loss and top-1 accuracy, critic loss and accuracy (threshold 0.5)."""
    model = agent.model
    was = model.training
    model.eval()
    tot = {"policy_loss": 0.0, "policy_acc": 0.0, "critic_loss": 0.0, "critic_acc": 0.0}
    n_pol = n_crit = 0
    try:
        with torch.inference_mode():
            pos = data.policy
            neg = data.negatives
            for start in range(0, max(len(pos), len(neg)), batch_size):
                pb = pos[start:start + batch_size]
                nb = neg[start:start + batch_size]
                if not pb and not nb:
                    break
                pl, cl, correct, crit, labels = agent.supervised_losses(pb, nb)
                if pb:
                    tot["policy_loss"] += float(pl) * len(pb)
                    tot["policy_acc"] += correct
                    n_pol += len(pb)
                tot["critic_loss"] += float(cl) * len(labels)
                tot["critic_acc"] += float(((crit.float().cpu() > 0) == (labels.cpu() > 0.5)).sum())
                n_crit += len(labels)
    finally:
        model.train(was)
    return {
        "policy_loss": tot["policy_loss"] / max(1, n_pol), "policy_acc": tot["policy_acc"] / max(1, n_pol),
        "critic_loss": tot["critic_loss"] / max(1, n_crit), "critic_acc": tot["critic_acc"] / max(1, n_crit),
    }


STATE = "train_state.pt"
METRICS = "metrics.jsonl"


def _save_state(path: Path, obj: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pt")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _trim_metrics(path: Path, step: int) -> None:
    """Drop the metrics lines written after the state being resumed (a killed run wrote them)."""
    if not path.exists():
        return
    keep = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln).get("step", 0) <= step]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".jsonl")
    with os.fdopen(fd, "w") as f:
        f.write("".join(ln + "\n" for ln in keep))
    os.replace(tmp, path)


@dataclass
class TrainResult:
    step: int
    train_loss: list[float] = field(default_factory=list)
    """Training loss of each step run in this call."""
    val: dict[str, float] = field(default_factory=dict)
    resumed_from: int = 0


def train(agent: Agent, train_data: Data, val_data: Data | None, config: TrainConfig,
          out: str | Path | None = None, resume: bool = True, stop_after: int | None = None) -> TrainResult:
    """Train ``agent.model`` for ``config.steps`` steps. With ``out``: metrics in ``out/metrics.jsonl``,
    the resumable state in ``out/train_state.pt`` (every ``save_every`` steps and at the end) and the final
    model as a checkpoint in ``out/model``; ``resume`` continues from the saved state. ``stop_after``
    ends the call after that many steps of this call (as a kill would, but cleanly: for tests)."""
    if not train_data.policy:
        raise ValueError("no training examples")
    outp = Path(out) if out is not None else None
    if outp is not None:
        outp.mkdir(parents=True, exist_ok=True)
    model = agent.model
    dev = agent.device
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    step = 0
    fp = train_data.fingerprint()
    result = TrainResult(0)
    if outp is not None and resume and (outp / STATE).exists():
        st = torch.load(outp / STATE, map_location=dev, weights_only=False)
        if st["data"] != fp:
            raise ValueError(f"{outp / STATE} was saved for other training data (fingerprint {st['data']}, "
                             f"now {fp}); use another output directory or resume=False")
        changed = sorted(k for k, v in asdict(config).items() if k != "progress" and st["config"].get(k) != v)
        if changed:
            raise ValueError(f"{outp / STATE}: the training config differs in {changed}; "
                             "resume with the same config or use resume=False")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["optim"])
        torch.set_rng_state(st["rng"])
        if torch.cuda.is_available() and st.get("cuda_rng") is not None:
            torch.cuda.set_rng_state_all(st["cuda_rng"])
        step = int(st["step"])
        result.resumed_from = step
        _trim_metrics(outp / METRICS, step)
    else:
        torch.manual_seed(hash_seed(config.seed, "torch") % 2**63)
        if outp is not None:
            (outp / METRICS).unlink(missing_ok=True)

    def save() -> None:
        if outp is None:
            return
        _save_state(outp / STATE, {
            "step": step, "model": model.state_dict(), "optim": opt.state_dict(), "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "data": fp, "config": asdict(config),
        })

    metrics = open(outp / METRICS, "a") if outp is not None else None

    def log(rec: dict[str, Any]) -> None:
        if metrics is not None:
            metrics.write(json.dumps(rec) + "\n")
            metrics.flush()

    bar: Any = None
    if config.progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=config.steps, initial=step, desc="train", dynamic_ncols=True)
        except ImportError:
            bar = None
    n_neg = config.negatives if config.negatives is not None else config.batch_size
    n_pol_total = len(train_data.policy)
    n_neg_total = len(train_data.negatives)
    t0 = time.time()
    ran = 0
    model.train()
    try:
        while step < config.steps and (stop_after is None or ran < stop_after):
            pi = _take(n_pol_total, config.seed, step * config.batch_size, config.batch_size, "policy")
            ni = _take(n_neg_total, config.seed, step * n_neg, n_neg, "neg") if n_neg_total and n_neg else []
            pol = [train_data.policy[i] for i in pi]
            neg = [train_data.negatives[i] for i in ni]
            lr = config.lr_at(step)
            for g in opt.param_groups:
                g["lr"] = lr
            pl, cl, _, _, _ = agent.supervised_losses(pol, neg)
            loss = pl + config.critic_weight * cl
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            if config.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            opt.step()
            step += 1
            ran += 1
            lv = float(loss.detach())
            result.train_loss.append(lv)
            log({"step": step, "split": "train", "loss": lv, "policy_loss": float(pl.detach()),
                 "critic_loss": float(cl.detach()), "lr": lr, "seconds": round(time.time() - t0, 3)})
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{lv:.3f}")
            if val_data is not None and val_data.policy and (step % config.eval_every == 0 or step == config.steps):
                result.val = evaluate(agent, val_data)
                log({"step": step, "split": "val", **result.val})
            if step % config.save_every == 0 or step == config.steps:
                save()
    finally:
        if bar is not None:
            bar.close()
        if metrics is not None:
            metrics.close()
        model.eval()
    result.step = step
    if outp is not None and step == config.steps:
        agent.save(outp / "model")
    return result
