"""Tokens for the learned agent (pure Python, no torch): the goal and hypotheses of a theorem as the core's
prefix tokens (:meth:`equations.Theorem.prefix_tokens`), and the rule-and-direction vocabulary that the
policy scores tactics with.

* :class:`Vocab`: special tokens, then every operator of the language, the integer markers, the ten digits,
  the hypothesis separator ``|``, a fixed variable alphabet (``a``-``z``, ``A``-``Z``) and any further
  variable of the rule set's patterns. Built deterministically from the rule set (:meth:`Vocab.for_rules`)
  and saved with a model as a JSON list. An unknown token raises :class:`UnknownToken` naming it: it is
  never mapped silently to a catch-all id.
* :class:`RuleVocab`: one id per (rule, direction) of the rule set (``rule``, ``rule ->``, ``rule <-``).
* :func:`encode_theorem`: ``[<cls>] + prefix tokens``, cut at ``max_len`` when ``truncate`` (else
  :class:`SequenceTooLong`), together with the token index of every node of the goal (positions of tactics
  are prefix node positions; an integer literal ``INT+ 1 2`` spans several tokens).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import equations as eq
from equations.expr import ARITY, Expr

PAD, CLS, SUB = "<pad>", "<cls>", "<sub>"
SPECIALS = (PAD, CLS, SUB)
SEPARATOR = "|"
INT_TOKENS = ("INT+", "INT-")
DIGITS = tuple(string.digits)
#: the fixed variable alphabet every vocabulary has (goal variables and pattern variables)
VARIABLE_ALPHABET = tuple(string.ascii_lowercase) + tuple(string.ascii_uppercase)


class UnknownToken(KeyError):
    """A token outside the vocabulary (a variable name the model was not built for, a new operator)."""

    def __init__(self, token: str, context: str = ""):
        self.token = token
        where = f" in {context}" if context else ""
        super().__init__(f"unknown token {token!r}{where}: not in the model's vocabulary "
                         f"(variables must be single letters a-z/A-Z or appear in the rule set)")

    def __str__(self) -> str:
        return str(self.args[0])


class SequenceTooLong(ValueError):
    """A theorem longer than the model's ``max_len`` while truncation is off."""


def _operator_tokens() -> list[str]:
    return sorted(op for op in ARITY if op not in ("int", "var", "pi"))


def _pattern_variables(rules: eq.RuleSet) -> list[str]:
    names: set[str] = set()
    for r in rules.rules.values():
        for e in (r.lhs, r.rhs, r.concl, *r.hyps):
            if e is not None:
                names |= e.variables()
    return sorted(names)


class Vocab:
    """Token <-> id. ``tokens[0]`` is ``<pad>`` (id 0), ``tokens[1]`` is ``<cls>``."""

    def __init__(self, tokens: Sequence[str]):
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ValueError("duplicate tokens in a vocabulary")
        for s in SPECIALS:
            if s not in self.index:
                raise ValueError(f"a vocabulary needs the special token {s!r}")
        self.pad_id = self.index[PAD]
        self.cls_id = self.index[CLS]
        self.sub_id = self.index[SUB]

    @staticmethod
    def for_rules(rules: eq.RuleSet) -> Vocab:
        toks: list[str] = [*SPECIALS, SEPARATOR, *INT_TOKENS, "pi", *DIGITS, *_operator_tokens()]
        seen = set(toks)
        for v in (*VARIABLE_ALPHABET, *_pattern_variables(rules)):
            if v not in seen:
                seen.add(v)
                toks.append(v)
        return Vocab(toks)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.tokens == other.tokens

    __hash__ = None  # type: ignore[assignment]

    def encode(self, tokens: Iterable[str], context: str = "") -> list[int]:
        index = self.index
        out = []
        for t in tokens:
            i = index.get(t)
            if i is None:
                raise UnknownToken(t, context)
            out.append(i)
        return out

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def to_json(self) -> str:
        return json.dumps(self.tokens)

    @staticmethod
    def from_json(text: str) -> Vocab:
        return Vocab(json.loads(text))


def rule_key(rule: str, direction: str | None) -> str:
    return rule if direction is None else f"{rule} {'->' if direction == 'fwd' else '<-'}"


class RuleVocab:
    """One id per (rule, direction) of a rule set, in the rule set's order; saved with the model."""

    def __init__(self, keys: Sequence[str]):
        self.keys = list(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}

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
    ids = [vocab.cls_id, *vocab.encode(toks, context=f"theorem {str(thm)[:80]!r}")]
    truncated = len(ids) > max_len
    if truncated:
        if not truncate:
            raise SequenceTooLong(f"theorem of {len(ids)} tokens (with <cls>) is longer than max_len={max_len}")
        ids = ids[:max_len]
    node_tok = tuple(o + 1 if o + 1 < max_len else 0 for o in node_token_offsets(thm.goal))
    return Encoded(tuple(ids), node_tok, truncated)


def substitution_tokens(tactic: eq.Tactic, vocab: Vocab, max_tokens: int) -> tuple[int, ...]:
    """``<sub> NAME prefix(value) ...`` for each substitution of ``tactic`` (empty without any), cut at
    ``max_tokens``."""
    if not tactic.subs:
        return ()
    toks: list[str] = []
    for name, value in tactic.subs:
        toks.append(SUB)
        toks.append(name)
        toks.extend(eq.prefix_tokens(value))
        if len(toks) >= max_tokens:
            break
    return tuple(vocab.encode(toks[:max_tokens], context=f"tactic {str(tactic)[:80]!r}"))


@dataclass(frozen=True)
class TacticFeatures:
    """What the policy head reads of a tactic: its (rule, direction) id, the token index of its position
    in the goal's encoding, the ids of its substitutions."""

    rule_id: int
    tok: int
    subs: tuple[int, ...]


def tactic_features(tactic: eq.Tactic, enc: Encoded, vocab: Vocab, rvocab: RuleVocab,
                    max_sub_tokens: int) -> TacticFeatures:
    pos = tactic.position if tactic.position is not None else 0
    tok = enc.node_tok[pos] if 0 <= pos < len(enc.node_tok) else 0
    return TacticFeatures(rvocab.id_of(tactic), tok, substitution_tokens(tactic, vocab, max_sub_tokens))


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
