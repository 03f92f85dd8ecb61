"""The policy+critic transformer (torch; the ``agent`` extra): one encoder with shared weights.

* the **encoder** reads ``<cls>`` + the theorem's prefix tokens (token + learned position embeddings, pre-norm
  transformer layers, a final layer norm);
* the **critic** is ``sigmoid(w . h[<cls>])``: the estimated probability that the goal is provable;
* the **policy** scores each applicable tactic of the engine's enumeration: ``MLP(h[tok] + E[rule, dir] +
  S) + base``, with ``h[tok]`` the encoder output at the first token of the tactic's position, ``E`` an
  embedding per (rule, direction), ``S`` a projection of the mean of the (token + position) embeddings of the
  substitutions' tokens (zero without any) and ``base`` the engine's heuristic score of the tactic (see
  :mod:`equations.agents.neural`). The priors of a goal are a softmax over its distinct tactics.

The output layers of both heads start at zero: an untrained model gives every tactic its heuristic score
and every goal the value 0.5, i.e. it *is* the non-learned prover (enumeration policy, constant critic), and
training learns a correction to it. A model can then only be compared with the baseline it starts from, and
a short training run on two CPU cores starts from a prover that already works instead of from noise.

One encoder pass serves all the tactics of a goal, and goals are batched with padding and key masks.
Presets (:data:`PRESETS`): ``cpu-tiny``, ``cpu-small``, ``paper`` (appendix C's 12-layer, 1600-wide
encoder; design (b) has no decoder). :func:`default_device` picks CUDA when available (bf16 autocast
there), else the CPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .tokenizer import Encoded, TacticFeatures


@dataclass(frozen=True)
class ModelConfig:
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 512
    dropout: float = 0.1
    max_len: int = 256
    """Longest input in tokens, ``<cls>`` included (longer theorems are cut, see ``encode_theorem``)."""
    max_sub_tokens: int = 32
    """Tokens of a tactic's substitutions read by the policy head."""

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not a multiple of n_heads={self.n_heads}")
        if self.max_len < 2 or self.max_sub_tokens < 1:
            raise ValueError("max_len must be at least 2 and max_sub_tokens at least 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ModelConfig:
        names = {f.name for f in fields(ModelConfig)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown model config fields: {sorted(unknown)}")
        return ModelConfig(**d)


PRESETS: dict[str, ModelConfig] = {
    # trains usefully on 2 CPU cores in minutes (about 0.5 M parameters)
    "cpu-tiny": ModelConfig(d_model=128, n_layers=2, n_heads=4, d_ff=256, dropout=0.1, max_len=256),
    "cpu-small": ModelConfig(d_model=256, n_layers=4, n_heads=8, d_ff=1024, dropout=0.1, max_len=512),
    # appendix C: 12 encoder layers of width 1600, dropout 0.2 (layer-dropout 0.1 is not implemented)
    "paper": ModelConfig(d_model=1600, n_layers=12, n_heads=16, d_ff=6400, dropout=0.2, max_len=1024,
                         max_sub_tokens=64),
}


def preset(name: str) -> ModelConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown model preset {name!r}; expected one of {', '.join(PRESETS)}") from None


def default_device() -> torch.device:
    """CUDA when available, else the CPU (never hard-coded by callers)."""
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA; nothing on the CPU (float32 keeps CPU results deterministic and exact)."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@dataclass
class Batch:
    """Goals and their tactics as tensors. Tactic ``t`` belongs to goal ``tac_goal[t]``; its
    substitution tokens are the entries ``s`` of ``sub_ids`` with ``sub_seg[s] == t``."""

    ids: torch.Tensor  # [B, L] long
    pad: torch.Tensor  # [B, L] bool, True at padding
    tac_goal: torch.Tensor  # [T] long
    tac_tok: torch.Tensor  # [T] long
    tac_rule: torch.Tensor  # [T] long
    tac_base: torch.Tensor  # [T] float: the heuristic score added to the learned logit
    sub_ids: torch.Tensor  # [S] long
    sub_pos: torch.Tensor  # [S] long
    sub_seg: torch.Tensor  # [S] long
    n_tactics: list[int]  # tactics per goal (in order: goal 0's first, ...)

    def to(self, device: torch.device) -> Batch:
        return Batch(*(getattr(self, f.name).to(device) if isinstance(getattr(self, f.name), torch.Tensor)
                       else getattr(self, f.name) for f in fields(self)))


def collate(encoded: Sequence[Encoded], tactics: Sequence[Sequence[TacticFeatures]] | None = None,
            pad_id: int = 0) -> Batch:
    """Pad ``encoded`` into one batch, with the flattened tactics of each goal (none when ``tactics`` is
    ``None``, for the critic alone)."""
    b = len(encoded)
    length = max((len(e.ids) for e in encoded), default=1)
    ids = torch.full((b, length), pad_id, dtype=torch.long)
    for i, e in enumerate(encoded):
        ids[i, : len(e.ids)] = torch.tensor(e.ids, dtype=torch.long)
    pad = ids == pad_id
    tg: list[int] = []
    tt: list[int] = []
    tr: list[int] = []
    tb: list[float] = []
    si: list[int] = []
    sp: list[int] = []
    ss: list[int] = []
    counts: list[int] = []
    if tactics is not None:
        k = 0
        for g, tacs in enumerate(tactics):
            counts.append(len(tacs))
            for f in tacs:
                tg.append(g)
                tt.append(f.tok)
                tr.append(f.rule_id)
                tb.append(f.base)
                if f.subs:
                    si.extend(f.subs)
                    sp.extend(range(len(f.subs)))
                    ss.extend([k] * len(f.subs))
                k += 1

    def lt(x: list[int]) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.long)

    return Batch(ids, pad, lt(tg), lt(tt), lt(tr), torch.tensor(tb, dtype=torch.float32), lt(si), lt(sp), lt(ss),
                 counts)


class EncoderCritic(nn.Module):
    """The shared encoder and the critic head, common to both policy designs (:class:`PolicyCritic`, which
    scores the engine's tactics, and :class:`~equations.agents.decoder.Seq2SeqPolicyCritic`, which generates
    tactic text). Subclasses add their policy's modules, then call :meth:`_init_weights`."""

    def __init__(self, config: ModelConfig, n_tokens: int):
        super().__init__()
        self.config = config
        d = config.d_model
        self.tok_emb = nn.Embedding(n_tokens, d)
        self.pos_emb = nn.Embedding(config.max_len, d)
        layer = nn.TransformerEncoderLayer(d, config.n_heads, config.d_ff, config.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.critic_head = nn.Linear(d, 1)
        self.drop = nn.Dropout(config.dropout)

    def _init_weights(self, *embeddings: nn.Embedding, zero: Sequence[nn.Linear] = ()) -> None:
        """Small normal embeddings; the critic's output layer (and ``zero``) at exactly zero, so an untrained
        critic says 0.5 everywhere (the non-learned prover's constant critic)."""
        for emb in (self.tok_emb, self.pos_emb, *embeddings):
            nn.init.normal_(emb.weight, std=0.02)
        for lin in (self.critic_head, *zero):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def encode(self, ids: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """``[B, L, d]`` encoder outputs (padding keys are masked)."""
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.drop(self.tok_emb(ids) + self.pos_emb(positions)[None])
        h = self.encoder(x, src_key_padding_mask=pad)
        out: torch.Tensor = self.norm(h)
        return out

    def critic_logits(self, h: torch.Tensor) -> torch.Tensor:
        """``[B]`` logits of P(provable) from the ``<cls>`` output."""
        out: torch.Tensor = self.critic_head(h[:, 0]).squeeze(-1)
        return out

    def values(self, encoded: Sequence[Encoded], pad_id: int, device: torch.device,
               max_batch: int = 64) -> list[float]:
        """P(provable) of each encoded goal, in batches, in eval mode (no dropout), the mode restored after:
        the critic of both designs, as the search asks it."""
        was_training = self.training
        self.eval()
        out: list[float] = []
        try:
            for start in range(0, len(encoded), max_batch):
                b = collate(encoded[start:start + max_batch], None, pad_id).to(device)
                with torch.inference_mode(), autocast(device):
                    crit = self.critic_logits(self.encode(b.ids, b.pad)).float().cpu()
                out.extend(float(v) for v in torch.sigmoid(crit).tolist())
        finally:
            self.train(was_training)
        return out


class PolicyCritic(EncoderCritic):
    """Design (b): the shared encoder with its critic and a policy head that scores the engine's own
    enumeration of a goal's tactics."""

    def __init__(self, config: ModelConfig, n_tokens: int, n_rules: int):
        super().__init__(config, n_tokens)
        d = config.d_model
        self.rule_emb = nn.Embedding(n_rules, d)
        self.sub_proj = nn.Linear(d, d)
        self.policy_head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))
        # the heads' output layers start at zero: the untrained model is the heuristic baseline (see above)
        last = self.policy_head[-1]
        assert isinstance(last, nn.Linear)
        self._init_weights(self.rule_emb, zero=(last,))

    def tactic_logits(self, h: torch.Tensor, batch: Batch) -> torch.Tensor:
        """``[T]`` logits, one per tactic of the batch: the learned correction plus ``batch.tac_base``."""
        t = batch.tac_goal.shape[0]
        z = h[batch.tac_goal, batch.tac_tok] + self.rule_emb(batch.tac_rule)
        if batch.sub_ids.numel():
            e = self.tok_emb(batch.sub_ids) + self.pos_emb(batch.sub_pos)
            pooled = torch.zeros(t, e.shape[-1], dtype=e.dtype, device=e.device).index_add_(0, batch.sub_seg, e)
            counts = torch.zeros(t, dtype=e.dtype, device=e.device).index_add_(
                0, batch.sub_seg, torch.ones_like(batch.sub_seg, dtype=e.dtype))
            pooled = pooled / counts.clamp(min=1.0)[:, None]
            has = (counts > 0).to(z.dtype)[:, None]
            z = z + has * self.sub_proj(pooled).to(z.dtype)
        out: torch.Tensor = self.policy_head(z).squeeze(-1).float() + batch.tac_base
        return out

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(critic logits ``[B]``, tactic logits ``[T]``)."""
        h = self.encode(batch.ids, batch.pad)
        return self.critic_logits(h), self.tactic_logits(h, batch)


def split_logits(logits: torch.Tensor, counts: Sequence[int]) -> Iterator[torch.Tensor]:
    """The tactic logits of each goal in turn."""
    start = 0
    for c in counts:
        yield logits[start:start + c]
        start += c


def padded_logits(logits: torch.Tensor, counts: Sequence[int]) -> torch.Tensor:
    """``[B, max count]`` with ``-inf`` past each goal's tactics (for a cross-entropy per goal)."""
    b = len(counts)
    width = max(counts, default=1)
    out = torch.full((b, max(width, 1)), float("-inf"), dtype=logits.dtype, device=logits.device)
    rows = torch.repeat_interleave(torch.arange(b, device=logits.device),
                                   torch.tensor(list(counts), device=logits.device))
    starts = torch.tensor([0, *list(counts)[:-1]], device=logits.device).cumsum(0)
    cols = torch.arange(logits.shape[0], device=logits.device) - starts[rows]
    out[rows, cols] = logits
    return out


def policy_loss(logits: torch.Tensor, counts: Sequence[int], targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over goals of the softmax over each goal's tactics (``targets``: the index of
    the right tactic among a goal's)."""
    return F.cross_entropy(padded_logits(logits.float(), counts), targets)


def critic_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits.float(), labels)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
