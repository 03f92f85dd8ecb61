"""Theorems: a goal (a comparison) together with the hypotheses it may use, over one domain."""

from __future__ import annotations

from typing import NamedTuple

from .expr import Expr
from .printing import prefix_tokens, to_infix, to_latex


class Theorem(NamedTuple):
    """``goal`` holds wherever every hypothesis holds (and the goal is defined).

    A named tuple: construction, equality and hashing run in C, and are structural because expressions
    are interned. Subgoals produced by tactics carry the hypotheses of the theorem they came from.
    """

    goal: Expr
    hyps: tuple[Expr, ...] = ()
    domain: str = "real"

    def __str__(self) -> str:
        text = to_infix(self.goal)
        if self.hyps:
            text += " | " + "; ".join(to_infix(h) for h in self.hyps)
        if self.domain != "real":
            text = f"{self.domain}: {text}"
        return text

    def __repr__(self) -> str:
        return f"Theorem({str(self)!r})"

    def with_goal(self, goal: Expr) -> Theorem:
        """A theorem with the same hypotheses and domain and another goal (what tactics produce)."""
        return Theorem(goal, self.hyps, self.domain)

    def variables(self) -> frozenset[str]:
        out = self.goal.variables()
        for h in self.hyps:
            out = out | h.variables()
        return out

    def prefix_tokens(self) -> list[str]:
        """Model input tokens: the goal, then each hypothesis after a ``|`` separator token."""
        toks = prefix_tokens(self.goal)
        for h in self.hyps:
            toks.append("|")
            toks.extend(prefix_tokens(h))
        return toks

    def to_latex(self) -> str:
        body = to_latex(self.goal)
        if self.hyps:
            return ", ".join(to_latex(h) for h in self.hyps) + r" \implies " + body
        return body
