"""Automatic closing of goals (paper B.4): what needs no tactic.

A goal is closed when (1) it is one of the theorem's hypotheses, (2) it has no variables and exact
rational evaluation proves it, or (3) it matches an assertion rule that has no hypotheses. Nothing else:
no floats, no approximate evaluation (paper B.5).
"""

from __future__ import annotations

from .exact import decide
from .rules import RuleSet
from .theorem import Theorem


def closed_by(thm: Theorem, rules: RuleSet | None = None) -> str | None:
    """Why ``thm`` is closed automatically (``"hypothesis"``, ``"exact"``, or an assertion rule id), or
    ``None`` when it is not."""
    goal = thm.goal
    if goal in thm.hyps:
        return "hypothesis"
    if goal.const and decide(goal, thm.domain) is True:
        return "exact"
    if rules is not None and rules.domain == thm.domain:
        for r, t in rules.asserts.get(goal.op, ()):
            if not r.hyps and t(goal):
                return r.id
    return None


def is_closed(thm: Theorem, rules: RuleSet | None = None) -> bool:
    """True when ``thm`` is closed automatically (see :func:`closed_by`)."""
    goal = thm.goal
    if goal in thm.hyps:
        return True
    if goal.const and decide(goal, thm.domain) is True:
        return True
    if rules is not None and rules.domain == thm.domain:
        for t in rules.closers.get(goal.op, ()):
            if t(goal):
                return True
    return False
