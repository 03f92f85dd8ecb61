"""Design (a) of the learned policy (the paper's, section 5.1): a decoder that *generates* tactic text,
sharing the encoder and the critic with design (b) (torch; the ``agent`` extra).

The issue asks to choose between (a) and (b) by proved fraction per CPU-minute; the package's default
(the bundled models, online training) is design (b), :mod:`equations.agents.neural`, and this module exists
so the comparison can be rerun: ``equations train supervised --design decoder`` trains one, and
``--policy neural --checkpoint RUN`` searches with it (README, "Design (a) against design (b)").

* :class:`TacticCodec`: a tactic as decoder tokens, ``R:<rule> <direction>``, ``@<position>`` (a prefix
  node index of the goal), then ``<sub> NAME prefix(value)`` per substitution, then ``<eos>``. Decoding text
  back is strict: a malformed sequence gives ``None`` (the engine would reject it anyway).
* :class:`Seq2SeqPolicyCritic`: the encoder and critic of :class:`~equations.agents.model.EncoderCritic`
  plus a pre-norm transformer decoder with cross-attention on the encoder's outputs.
* :class:`DecoderAgent`: at search time, samples ``k`` sequences per goal at the search's temperature (all
  goals of an expansion batch and all their samples decoded together, one encoder pass per goal), keeps the
  distinct ones that parse and apply (``equations.apply`` judges them: an invalid sample is dropped), and
  gives each the prior ``p(sequence)`` normalised over the distinct valid tactics. Unlike design (b) it can
  propose a substitution that is not a subterm of the goal (``A := 3*z``), at the price of samples that are
  invalid or repeated, and it starts from noise instead of from the non-learned prover.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import equations as eq

from .model import EncoderCritic, ModelConfig, autocast, collate, default_device, preset
from .policy import EnumerationPolicy, SamplingParams, Suggestion
from .tokenizer import SUB, Encoded, RuleVocab, UnknownToken, Vocab, encode_theorem

DESIGN = "decoder"
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
RULE_PREFIX = "R:"
POS_PREFIX = "@"


class TacticCodec:
    """Tactics as decoder token ids and back. The output vocabulary: ``<pad> <bos> <eos>``, one token per
    (rule, direction) of the rule vocabulary, one per goal position below ``max_positions``, then the
    expression tokens of the model's :class:`~equations.agents.tokenizer.Vocab` (without its ``<pad>``)."""

    def __init__(self, rule_vocab: RuleVocab, vocab: Vocab, max_positions: int):
        self.rule_vocab = rule_vocab
        self.max_positions = max_positions
        tokens = [PAD, BOS, EOS, *(RULE_PREFIX + k for k in rule_vocab.keys),
                  *(f"{POS_PREFIX}{i}" for i in range(max_positions)), *vocab.tokens[1:]]
        self.tokens = tokens
        self.index = {t: i for i, t in enumerate(tokens)}
        if len(self.index) != len(tokens):
            raise ValueError("decoder vocabulary has duplicate tokens")
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2
        self.rule_ids = range(3, 3 + len(rule_vocab))
        self.pos_start = 3 + len(rule_vocab)
        # token id -> (rule, direction) for the rule tokens
        self._rules: dict[int, tuple[str, str | None]] = {}
        for k in rule_vocab.keys:
            rule, _, arrow = k.partition(" ")
            self._rules[self.index[RULE_PREFIX + k]] = (rule, None if not arrow else "fwd" if arrow == "->" else "bwd")

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tactic: eq.Tactic) -> tuple[int, ...]:
        """The ids of ``tactic`` followed by ``<eos>`` (no ``<bos>``). :class:`UnknownToken` names a token
        outside the vocabulary; a position at or past ``max_positions`` raises ``ValueError``."""
        from .tokenizer import rule_key

        key = RULE_PREFIX + rule_key(tactic.rule, tactic.direction)
        ids = [self._id(key, tactic)]
        if tactic.position is not None:
            if tactic.position >= self.max_positions:
                raise ValueError(f"position {tactic.position} of {tactic} is past the decoder's "
                                 f"{self.max_positions} positions")
            ids.append(self.pos_start + tactic.position)
        for name, value in tactic.subs:
            ids.append(self._id(SUB, tactic))
            ids.append(self._id(name, tactic))
            ids.extend(self._id(t, tactic) for t in eq.prefix_tokens(value))
        ids.append(self.eos_id)
        return tuple(ids)

    def _id(self, token: str, tactic: eq.Tactic) -> int:
        i = self.index.get(token)
        if i is None:
            raise UnknownToken(token, f"tactic {str(tactic)[:80]!r}")
        return i

    def decode(self, ids: Sequence[int], domain: str = "real") -> eq.Tactic | None:
        """The tactic of ``ids`` (up to the first ``<eos>``, without ``<bos>``), or ``None`` when they do not
        spell one (a missing position, a substitution that does not parse, ...)."""
        ids = list(ids)
        if self.eos_id in ids:
            ids = ids[: ids.index(self.eos_id)]
        if not ids or ids[0] not in self._rules:
            return None
        rule, direction = self._rules[ids[0]]
        i = 1
        position: int | None = None
        if direction is not None:
            if i >= len(ids) or not self.pos_start <= ids[i] < self.pos_start + self.max_positions:
                return None
            position = ids[i] - self.pos_start
            i += 1
        subs: list[tuple[str, Any]] = []
        sub_id = self.index[SUB]
        while i < len(ids):
            if ids[i] != sub_id or i + 2 >= len(ids):
                return None
            name = self.tokens[ids[i + 1]]
            j = i + 2
            while j < len(ids) and ids[j] != sub_id:
                j += 1
            body = [self.tokens[k] for k in ids[i + 2:j]]
            if any(k < self.pos_start + self.max_positions for k in ids[i + 1:j]):
                return None  # a special, rule or position token inside a substitution
            try:
                subs.append((name, eq.parse_prefix(body, domain)))
            except (ValueError, eq.ParseError):
                return None
            i = j
        try:
            return eq.Tactic(rule, direction, position, tuple(subs))
        except eq.InvalidTactic:
            return None


class Seq2SeqPolicyCritic(EncoderCritic):
    """The shared encoder and critic, and a decoder generating tactic tokens (``max_dec_len`` at most)."""

    def __init__(self, config: ModelConfig, n_tokens: int, n_out: int, max_dec_len: int):
        super().__init__(config, n_tokens)
        d = config.d_model
        self.max_dec_len = max_dec_len
        self.dec_emb = nn.Embedding(n_out, d)
        self.dec_pos = nn.Embedding(max_dec_len, d)
        layer = nn.TransformerDecoderLayer(d, config.n_heads, config.d_ff, config.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, config.n_layers)
        self.dec_norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, n_out)
        self._init_weights(self.dec_emb, self.dec_pos)

    def decode_logits(self, memory: torch.Tensor, mem_pad: torch.Tensor, inp: torch.Tensor) -> torch.Tensor:
        """``[N, T, n_out]`` next-token logits for the decoder inputs ``inp`` ``[N, T]`` (``<bos>`` first),
        each row attending to its goal's encoder outputs ``memory`` ``[N, L, d]``."""
        t = inp.shape[1]
        positions = torch.arange(t, device=inp.device)
        x = self.drop(self.dec_emb(inp) + self.dec_pos(positions)[None])
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=inp.device), diagonal=1)
        h = self.decoder(x, memory, tgt_mask=causal, memory_key_padding_mask=mem_pad)
        out: torch.Tensor = self.out(self.dec_norm(h))
        return out


@dataclass(frozen=True)
class DecoderExample:
    """A training goal and its target tactic as decoder ids (``<eos>`` last)."""

    enc: Encoded
    target: tuple[int, ...]

    def key(self) -> tuple[Any, ...]:
        return (self.enc.ids, self.target)


class DecoderAgent:
    """A :class:`Seq2SeqPolicyCritic` with its vocabularies, for one rule set (see the module docstring)."""

    design = DESIGN

    def __init__(self, rules: eq.RuleSet, config: ModelConfig | str = "cpu-tiny", seed: int = 0,
                 device: torch.device | str | None = None, vocab: Vocab | None = None,
                 rule_vocab: RuleVocab | None = None, truncate: bool = True, samples: int = 32,
                 max_dec_len: int = 40):
        self.rules = rules
        self.config = preset(config) if isinstance(config, str) else config
        self.vocab = vocab if vocab is not None else Vocab.for_rules(rules)
        self.rule_vocab = rule_vocab if rule_vocab is not None else RuleVocab.for_rules(rules)
        self.codec = TacticCodec(self.rule_vocab, self.vocab, self.config.max_len)
        self.device = torch.device(device) if device is not None else default_device()
        self.truncate = truncate
        self.samples = samples
        self.max_dec_len = max_dec_len
        self.heuristic = EnumerationPolicy(rules, prior="size")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = Seq2SeqPolicyCritic(self.config, len(self.vocab), len(self.codec), max_dec_len)
        self.model.to(self.device)
        self.model.eval()

    def encode(self, thm: eq.Theorem) -> Encoded:
        return encode_theorem(thm, self.vocab, self.config.max_len, self.truncate)

    # --- training ----------------------------------------------------------------------------------

    def examples(self, pairs: Iterable[dict[str, str]], max_candidates: int = 48, seed: int = 0
                 ) -> list[DecoderExample]:
        """One example per (goal, tactic) pair; pairs whose target cannot be written in ``max_dec_len``
        tokens or points past the encoded goal are left out (the model could not produce them)."""
        from .supervised import theorem_tactic

        out: list[DecoderExample] = []
        for pair in pairs:
            thm, tactic = theorem_tactic(pair, self.rules)
            enc = self.encode(thm)
            try:
                target = self.codec.encode(tactic)
            except ValueError:
                continue
            if len(target) + 1 > self.max_dec_len or (tactic.position or 0) >= len(enc.node_tok):
                continue
            out.append(DecoderExample(enc, target))
        return out

    def supervised_losses(self, pol: Sequence[DecoderExample], neg: Sequence[Encoded]
                          ) -> tuple[torch.Tensor, torch.Tensor, float, torch.Tensor, torch.Tensor]:
        """(policy loss: token cross-entropy under teacher forcing, critic loss, policy examples whose every
        target token is the argmax, critic logits, critic labels)."""
        from .model import critic_loss

        dev = self.device
        encs = [e.enc for e in pol] + list(neg)
        batch = collate(encs, None, self.vocab.pad_id).to(dev)
        labels = torch.tensor([1.0] * len(pol) + [0.0] * len(neg), device=dev)
        with autocast(dev):
            h = self.model.encode(batch.ids, batch.pad)
            crit = self.model.critic_logits(h)
            cl = critic_loss(crit, labels)
            if not pol:
                return torch.zeros((), device=dev), cl, 0.0, crit, labels
            n = len(pol)
            width = max(len(e.target) for e in pol)
            inp = torch.full((n, width), self.codec.pad_id, dtype=torch.long)
            tgt = torch.full((n, width), -100, dtype=torch.long)
            for i, e in enumerate(pol):
                inp[i, 0] = self.codec.bos_id
                inp[i, 1:len(e.target)] = torch.tensor(e.target[:-1])
                tgt[i, : len(e.target)] = torch.tensor(e.target)
            inp, tgt = inp.to(dev), tgt.to(dev)
            logits = self.model.decode_logits(h[:n], batch.pad[:n], inp).float()
        pl = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100)
        ok = (logits.argmax(-1) == tgt) | (tgt == -100)
        return pl, cl, float(ok.all(-1).sum()), crit.float(), labels

    # --- inference ---------------------------------------------------------------------------------

    def values(self, goals: Sequence[eq.Theorem], max_batch: int = 64) -> list[float]:
        """P(provable) of each goal (:meth:`EncoderCritic.values`)."""
        return self.model.values([self.encode(g) for g in goals], self.vocab.pad_id, self.device, max_batch)

    @torch.inference_mode()
    def sample(self, goals: Sequence[eq.Theorem], k: int, temperature: float, generator: torch.Generator
               ) -> list[list[tuple[tuple[int, ...], float]]]:
        """``k`` sampled sequences per goal with their log-probabilities (at temperature 1, whatever the
        sampling temperature: the prior is the model's probability), all goals decoded together."""
        model = self.model
        was = model.training
        model.eval()
        try:
            encs = [self.encode(g) for g in goals]
            b = collate(encs, None, self.vocab.pad_id).to(self.device)
            with autocast(self.device):
                h = model.encode(b.ids, b.pad)
            n = len(goals) * k
            mem, pad = h, b.pad  # rows of goals; a sample reads its goal's row
            seq = torch.full((n, 1), self.codec.bos_id, dtype=torch.long, device=self.device)
            logp = torch.zeros(n, device=self.device)
            done = torch.zeros(n, dtype=torch.bool, device=self.device)
            # the first token is a rule, the second (after a rule with a direction) a position of the goal
            n_out = len(self.codec)
            first_mask = torch.full((n_out,), float("-inf"), device=self.device)
            first_mask[self.codec.rule_ids.start:self.codec.rule_ids.stop] = 0.0
            n_nodes = torch.tensor([len(e.node_tok) for e in encs], device=self.device).repeat_interleave(k)
            directed = torch.zeros(n_out, dtype=torch.bool, device=self.device)
            for tid, (_, d) in self.codec._rules.items():
                directed[tid] = d is not None
            pos_ids = torch.arange(n_out, device=self.device) - self.codec.pos_start
            is_pos = (pos_ids >= 0) & (pos_ids < self.codec.max_positions)
            # after the first two tokens: substitution text or <eos>, never a rule, a position, <bos> or <pad>
            later = torch.arange(n_out, device=self.device) >= self.codec.pos_start + self.codec.max_positions
            later[self.codec.eos_id] = True
            later_mask = torch.where(later, 0.0, float("-inf"))
            goal_of = torch.arange(len(goals), device=self.device).repeat_interleave(k)
            for step in range(self.max_dec_len - 1):
                # only the unfinished rows, and each distinct (goal, prefix) once: the k samples of a goal
                # share their first tokens, so most of them need no decoder pass of their own
                act = (~done).nonzero().squeeze(-1)
                keys = torch.cat([goal_of[act, None], seq[act]], 1)
                uniq, inverse = torch.unique(keys, dim=0, return_inverse=True)
                with autocast(self.device):
                    u_logits = model.decode_logits(mem[uniq[:, 0]], pad[uniq[:, 0]], uniq[:, 1:])[:, -1].float()
                logits = u_logits[inverse]
                if step == 0:
                    logits = logits + first_mask
                elif step == 1:
                    need_pos = directed[seq[act, 1]]
                    allowed_pos = is_pos[None, :] & (pos_ids[None, :] < n_nodes[act, None])
                    mask = torch.where(need_pos[:, None], allowed_pos, later[None, :])
                    logits = logits.masked_fill(~mask, float("-inf"))
                else:
                    logits = logits + later_mask
                lp = torch.log_softmax(logits, -1)
                probs = torch.softmax(logits / max(temperature, 1e-3), -1)
                tok_act = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
                tok = torch.full((n,), self.codec.pad_id, dtype=torch.long, device=self.device)
                tok[act] = tok_act
                logp[act] += lp.gather(1, tok_act[:, None]).squeeze(-1)
                seq = torch.cat([seq, tok[:, None]], 1)
                done = done | (tok == self.codec.eos_id)
                if bool(done.all()):
                    break
        finally:
            model.train(was)
        rows = seq[:, 1:].tolist()
        lps = logp.tolist()
        out: list[list[tuple[tuple[int, ...], float]]] = []
        for g in range(len(goals)):
            out.append([(tuple(rows[i]), lps[i]) for i in range(g * k, (g + 1) * k)])
        return out

    def expand(self, goals: Sequence[eq.Theorem], temperature: float = 1.0, k: int | None = None,
               seed: int = 0) -> list[list[tuple[eq.Tactic, float, tuple[eq.Theorem | None, ...]]]]:
        """For each goal, the distinct sampled tactics that apply, with priors (the model's sequence
        probabilities, normalised over them) and subgoals."""
        if not goals:
            return []
        gen = torch.Generator(device=self.device)
        gen.manual_seed(seed)
        sampled = self.sample(goals, k or self.samples, temperature, gen)
        out: list[list[tuple[eq.Tactic, float, tuple[eq.Theorem | None, ...]]]] = []
        for g, seqs in zip(goals, sampled, strict=True):
            seen: dict[tuple[int, ...], float] = {}
            for ids, lp in seqs:
                if self.codec.eos_id in ids:
                    ids = ids[: ids.index(self.codec.eos_id) + 1]
                else:
                    continue  # ran out of length: not a tactic
                seen.setdefault(ids, lp)
            kept: list[tuple[eq.Tactic, float, tuple[eq.Theorem | None, ...]]] = []
            for ids, lp in seen.items():
                tac = self.codec.decode(ids, g.domain)
                if tac is None:
                    continue
                res = self.heuristic.outcome(g, tac)
                if res is None:
                    continue
                kept.append((tac, lp, res[0]))
            if kept:
                m = max(lp for _, lp, _ in kept)
                z = sum(math.exp(lp - m) for _, lp, _ in kept)
                kept = [(t, math.exp(lp - m) / z, sg) for t, lp, sg in kept]
            out.append(kept)
        return out

    # --- checkpoints -------------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        from .neural import CHECKPOINT_FORMAT

        return {
            "format": CHECKPOINT_FORMAT,
            "design": DESIGN,
            "model": self.config.to_dict(),
            "rules": self.rules.name,
            "rules_version": self.rules.version,
            "rules_domain": self.rules.domain,
            "truncate": self.truncate,
            "samples": self.samples,
            "max_dec_len": self.max_dec_len,
            "vocab": list(self.vocab.tokens),
            "rule_vocab": self.rule_vocab.keys,
        }

    def save(self, path: str | Path) -> Path:
        """``model.safetensors`` and ``config.json`` in the directory ``path``, each written atomically."""
        from .neural import save_checkpoint

        return save_checkpoint(path, self.model, self.manifest(), self.rules.version)


def agent_from_manifest(manifest: dict[str, Any], rules: eq.RuleSet,
                        device: torch.device | str | None = None) -> DecoderAgent:
    return DecoderAgent(rules, ModelConfig.from_dict(manifest["model"]), device=device,
                        vocab=Vocab(manifest["vocab"]), rule_vocab=RuleVocab(manifest["rule_vocab"]),
                        truncate=bool(manifest["truncate"]), samples=int(manifest["samples"]),
                        max_dec_len=int(manifest["max_dec_len"]))


class DecoderPolicy:
    """Design (a) as the search's policy: ``params.num_samples`` sequences sampled per goal (else
    ``samples``, else the agent's) at ``params.temperature``, seeded from the search's ``rng``; the distinct
    valid tactics with their normalised priors."""

    def __init__(self, agent: DecoderAgent, samples: int | None = None, max_batch: int = 64):
        self.agent = agent
        self.samples = samples
        self.max_batch = max_batch

    def propose(self, goals: Sequence[Any], params: SamplingParams, rng: random.Random) -> list[list[Suggestion]]:
        out: list[list[Suggestion]] = []
        goals = list(goals)
        for start in range(0, len(goals), self.max_batch):
            chunk = goals[start:start + self.max_batch]
            k = params.num_samples or self.samples or self.agent.samples
            expanded = self.agent.expand(chunk, params.temperature, k, rng.randrange(2**63))
            for cands in expanded:
                cands = sorted(cands, key=lambda c: -c[1])
                out.append([Suggestion(t, p, sg) for t, p, sg in cands])
        return out
