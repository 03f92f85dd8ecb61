"""Tokens for the learned agent (pure Python, no torch): the goal and hypotheses of a theorem as the core's
prefix tokens (:meth:`equations.Theorem.prefix_tokens`), and the rule-and-direction vocabulary that the
policy scores tactics with.

* :class:`Vocab`: the environments' vocabulary (:class:`equations.envs.tokens.Vocab`, so the gym's token
  observations and the model use the same ids) followed by the model's markers ``<cls>`` and ``<sub>``.
  Built deterministically from the rule set (:meth:`Vocab.for_rules`) and saved with a model as a JSON
  list. An unknown token raises :class:`UnknownToken` (an ``UnknownTokenError``) naming it: it is never
  mapped silently to a catch-all id.
* :class:`RuleVocab`: one id per (rule, direction) of the rule set (``rule``, ``rule ->``, ``rule <-``).
* :func:`encode_theorem`: ``[<cls>] + prefix tokens``, cut at ``max_len`` when ``truncate`` (else
  :class:`SequenceTooLong`), together with the token index of every node of the goal (positions of tactics
  are prefix node positions; an integer literal ``INT+ 1 2`` spans several tokens).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import equations as eq
from equations.envs.tokens import UnknownTokenError
from equations.envs.tokens import Vocab as EnvVocab
from equations.expr import Expr

CLS, SUB = "<cls>", "<sub>"
#: the markers the model adds after the environments' vocabulary: the critic's summary slot, a substitution
MODEL_SPECIALS = (CLS, SUB)
SEPARATOR = "|"


class UnknownToken(UnknownTokenError):
    """A token outside the vocabulary (a variable name the model was not built for, a new operator)."""

    def __init__(self, token: str, context: str = ""):
        self.token = token
        where = f" in {context}" if context else ""
        super().__init__(f"unknown token {token!r}{where}: not in the model's vocabulary "
                         f"(variables must be single letters a-z/A-Z, Greek names, or appear in the rule set)")


class SequenceTooLong(ValueError):
    """A theorem longer than the model's ``max_len`` while truncation is off."""


class Vocab(EnvVocab):
    """The environments' vocabulary (:class:`equations.envs.tokens.Vocab`: the same token ids, so a model
    and the ``observation="tokens"`` environments agree) followed by ``<cls>`` and ``<sub>``.
    ``tokens[0]`` is ``<pad>`` (id 0)."""

    def __init__(self, tokens: Sequence[str]):
        super().__init__(tokens)
        for s in MODEL_SPECIALS:
            if s not in self.index:
                raise ValueError(f"a model vocabulary needs the special token {s!r}")
        self.pad_id = 0
        self.cls_id = self.index[CLS]
        self.sub_id = self.index[SUB]

    @staticmethod
    def for_rules(rules: eq.RuleSet) -> Vocab:
        """:meth:`equations.envs.tokens.Vocab.build` of ``rules``, then the model's markers."""
        return Vocab([*EnvVocab.build(rules).tokens, *MODEL_SPECIALS])

    def ids(self, tokens: Iterable[str], context: str = "") -> list[int]:
        """The ids of ``tokens``, unpadded (:class:`UnknownToken` names the first unknown one)."""
        index = self.index
        out = []
        for t in tokens:
            i = index.get(t)
            if i is None:
                raise UnknownToken(t, context)
            out.append(i)
        return out

    def to_json_text(self) -> str:
        return json.dumps(list(self.tokens))

    @staticmethod
    def from_json_text(text: str) -> Vocab:
        return Vocab(json.loads(text))


def rule_key(rule: str, direction: str | None) -> str:
    return rule if direction is None else f"{rule} {'->' if direction == 'fwd' else '<-'}"


class RuleVocab:
    """One id per (rule, direction) of a rule set, in the rule set's order; saved with the model."""

    def __init__(self, keys: Sequence[str]):
        self.keys = list(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}
        # (rule, direction) -> id, the lookup of the hot path (no string formatting)
        self._fast: dict[tuple[str, str | None], int] = {}
        for k, i in self.index.items():
            rule, _, arrow = k.partition(" ")
            self._fast[(rule, None if not arrow else "fwd" if arrow == "->" else "bwd")] = i

    @staticmethod
    def for_rules(rules: eq.RuleSet) -> RuleVocab:
        keys: list[str] = []
        for rid, r in rules.rules.items():
            if r.kind == "assert":
                keys.append(rule_key(rid, None))
            else:
                keys.extend((rule_key(rid, "fwd"), rule_key(rid, "bwd")))
        return RuleVocab(keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleVocab) and self.keys == other.keys

    __hash__ = None  # type: ignore[assignment]

    def id_of(self, tactic: eq.Tactic) -> int:
        i = self._fast.get((tactic.rule, tactic.direction))
        if i is not None:
            return i
        k = rule_key(tactic.rule, tactic.direction)
        i = self.index.get(k)
        if i is None:
            raise UnknownToken(k, "the rule vocabulary (was the model built for another rule set?)")
        return i

    def to_json(self) -> str:
        return json.dumps(self.keys)

    @staticmethod
    def from_json(text: str) -> RuleVocab:
        return RuleVocab(json.loads(text))


def node_token_offsets(goal: Expr) -> list[int]:
    """The index, among ``prefix_tokens(goal)``, of the first token of each node in prefix order (the
    node at tactic position ``p`` starts at token ``offsets[p]``)."""
    offsets: list[int] = []
    k = 0
    stack = [goal]
    while stack:
        e = stack.pop()
        offsets.append(k)
        if e.op == "int":
            k += 1 + len(str(e.value))  # "INT+ d d d" (the printer's digit-level encoding)
        else:
            k += 1
            if e.args:
                stack.extend(reversed(e.args))
    return offsets


@dataclass(frozen=True)
class Encoded:
    """A theorem as ids: ``ids[0]`` is ``<cls>``; ``node_tok[p]`` is the index in ``ids`` of the first token
    of goal node ``p`` (0, the ``<cls>`` slot, for a node cut off by truncation)."""

    ids: tuple[int, ...]
    node_tok: tuple[int, ...]
    truncated: bool


def encode_theorem(thm: eq.Theorem, vocab: Vocab, max_len: int, truncate: bool = True) -> Encoded:
    toks = thm.prefix_tokens()
    ids = [vocab.cls_id, *vocab.ids(toks, context=f"theorem {str(thm)[:80]!r}")]
    truncated = len(ids) > max_len
    if truncated:
        if not truncate:
            raise SequenceTooLong(f"theorem of {len(ids)} tokens (with <cls>) is longer than max_len={max_len}")
        ids = ids[:max_len]
    node_tok = tuple(o + 1 if o + 1 < max_len else 0 for o in node_token_offsets(thm.goal))
    return Encoded(tuple(ids), node_tok, truncated)


def substitution_tokens(tactic: eq.Tactic, vocab: Vocab, max_tokens: int,
                        cache: dict[Any, tuple[int, ...]] | None = None) -> tuple[int, ...]:
    """``<sub> NAME prefix(value) ...`` for each substitution of ``tactic`` (empty without any), cut at
    ``max_tokens``. ``cache`` (keyed by the substitutions, whose expressions are interned) saves
    re-tokenising the same substitution at every position it is proposed at."""
    subs = tactic.subs
    if not subs:
        return ()
    if cache is not None:
        hit = cache.get(subs)
        if hit is not None:
            return hit
    toks: list[str] = []
    for name, value in subs:
        toks.append(SUB)
        toks.append(name)
        toks.extend(eq.prefix_tokens(value))
        if len(toks) >= max_tokens:
            break
    index = vocab.index
    try:
        out = tuple([index[t] for t in toks[:max_tokens]])
    except KeyError:
        vocab.ids(toks[:max_tokens], context=f"tactic {str(tactic)[:80]!r}")  # raises UnknownToken, named
        raise
    if cache is not None:
        if len(cache) > 200_000:
            cache.clear()
        cache[subs] = out
    return out


class TacticFeatures(NamedTuple):
    """What the policy head reads of a tactic: its (rule, direction) id, the token index of its position
    in the goal's encoding, the ids of its substitutions, and the heuristic score the learned logit is
    added to (``base``). A tuple: hundreds are built per goal on the search's hot path."""

    rule_id: int
    tok: int
    subs: tuple[int, ...]
    base: float = 0.0


def tactic_features(tactic: eq.Tactic, enc: Encoded, vocab: Vocab, rvocab: RuleVocab,
                    max_sub_tokens: int, base: float = 0.0,
                    cache: dict[Any, tuple[int, ...]] | None = None) -> TacticFeatures:
    pos = tactic.position if tactic.position is not None else 0
    node_tok = enc.node_tok
    tok = node_tok[pos] if 0 <= pos < len(node_tok) else 0
    return TacticFeatures(rvocab.id_of(tactic), tok, substitution_tokens(tactic, vocab, max_sub_tokens, cache),
                          base)


def distinct(tactics: Iterable[eq.Tactic]) -> list[eq.Tactic]:
    """The tactics without repeats, in their first order."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for t in tactics:
        key = (t.rule, t.direction, t.position, t.subs)  # a plain tuple hashes in C (the dataclass's hash does not)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def vocab_summary(vocab: Vocab, rvocab: RuleVocab) -> dict[str, Any]:
    return {"tokens": len(vocab), "rule_directions": len(rvocab)}
