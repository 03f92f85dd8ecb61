"""The token vocabulary of the environments' ``observation="tokens"`` mode.

A :class:`Vocab` maps the core's prefix tokens (:meth:`equations.Theorem.prefix_tokens`: operator names,
``pi``, variable names, integers in the digit-level encoding ``INT+ 1 2``, and ``|`` before each hypothesis)
to integer ids and back. Id 0 is the padding token ``<pad>``; there is no "unknown" token: encoding a token
that is not in the vocabulary raises :class:`UnknownTokenError` (a ``ValueError``) naming the token, never
silently maps it.

:meth:`Vocab.build` is deterministic (the same rule set and variables give the same ids) and covers:
the special tokens, the digits, every operator of the core (all domains, so one vocabulary serves every
rule set), every token of the rule set's patterns, the single-letter variable names ``a``-``z`` and
``A``-``Z``, a few Greek names, and any ``variables`` given. Save it with :meth:`Vocab.save` (JSON) and load
it with :meth:`Vocab.load` so that a trained model keeps its ids.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..expr import ARITY
from ..printing import prefix_tokens
from ..rules import RuleSet

PAD = "<pad>"
#: tokens every vocabulary starts with, in this order (``<pad>`` is id 0)
SPECIALS = (PAD, "|", "INT+", "INT-", "pi")
GREEK = ("alpha", "beta", "gamma", "delta", "theta", "phi", "psi", "omega", "lambda", "mu")
FORMAT = "equations-vocab-1"


class UnknownTokenError(ValueError):
    """A token that is not in the vocabulary (the message names it and says how to add it)."""


class Vocab:
    """Token <-> id. ``vocab[token]`` is the id, ``vocab.tokens[id]`` the token, ``len(vocab)`` the size."""

    __slots__ = ("index", "tokens")

    def __init__(self, tokens: Sequence[str]):
        tokens = list(tokens)
        if not tokens or tokens[0] != PAD:
            raise ValueError(f"a vocabulary starts with the padding token {PAD!r} (id 0)")
        index: dict[str, int] = {}
        for i, t in enumerate(tokens):
            if not isinstance(t, str) or not t or " " in t:
                raise ValueError(f"vocabulary entry {i} is not a token: {t!r}")
            if t in index:
                raise ValueError(f"token {t!r} appears twice in the vocabulary (ids {index[t]} and {i})")
            index[t] = i
        self.tokens: tuple[str, ...] = tuple(tokens)
        self.index = index

    @classmethod
    def build(cls, rules: RuleSet | Iterable[RuleSet] | None = None, variables: Iterable[str] = ()) -> Vocab:
        """The vocabulary of the core's prefix tokens, the rule sets' pattern tokens and ``variables``."""
        seen: dict[str, None] = dict.fromkeys(SPECIALS)
        seen.update(dict.fromkeys(string.digits))
        seen.update(dict.fromkeys(sorted(op for op in ARITY if op not in ("int", "var"))))
        seen.update(dict.fromkeys(string.ascii_lowercase))
        seen.update(dict.fromkeys(string.ascii_uppercase))
        seen.update(dict.fromkeys(GREEK))
        rule_sets = [] if rules is None else [rules] if isinstance(rules, RuleSet) else list(rules)
        extra: set[str] = set()
        for rs in rule_sets:
            for rule in rs:
                for e in (rule.lhs, rule.rhs, rule.concl, *rule.hyps):
                    if e is not None:
                        extra.update(prefix_tokens(e))
        extra.update(variables)
        seen.update(dict.fromkeys(sorted(extra - set(seen))))
        return cls(list(seen))

    # -- lookup -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self.index

    def __getitem__(self, token: str) -> int:
        try:
            return self.index[token]
        except KeyError:
            raise self._unknown(token) from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.tokens == other.tokens

    def __hash__(self) -> int:
        return hash(self.tokens)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens)"

    def _unknown(self, token: str) -> UnknownTokenError:
        return UnknownTokenError(
            f"token {token!r} is not in the vocabulary ({len(self)} tokens); build one that has it, e.g. "
            f"gym.make(..., vocab_variables=[{token!r}]) or Vocab.build(rules, variables=[{token!r}])")

    def encode(self, tokens: Sequence[str], length: int) -> tuple[np.ndarray, bool]:
        """``(ids, truncated)``: the ids of the first ``length`` tokens, padded with 0 to ``length``
        (an int64 array); ``truncated`` when there were more. Unknown tokens raise :class:`UnknownTokenError`,
        also in the part cut off."""
        out = np.zeros(length, dtype=np.int64)
        index = self.index
        try:
            ids = [index[t] for t in tokens]
        except KeyError:
            raise self._unknown(next(t for t in tokens if t not in index)) from None
        n = min(len(ids), length)
        out[:n] = ids[:n]
        return out, len(ids) > length

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The tokens of ``ids``, padding dropped."""
        toks = self.tokens
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(toks):
                raise ValueError(f"id {i} is out of the vocabulary's range 0..{len(toks) - 1}")
            if i:
                out.append(toks[i])
        return out

    # -- JSON -----------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "tokens": list(self.tokens)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vocab:
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("tokens"), list):
            raise ValueError(f"not a vocabulary: expected {{'format': {FORMAT!r}, 'tokens': [...]}}")
        return cls(data["tokens"])

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=0) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
