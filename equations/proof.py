"""Proofs: trees of tactic steps, their JSON form, and the proof checker.

The checker is the single authority on proofs: generators, the search, exporters and the gym
environment all produce this format and call :func:`check_proof`. A proof step holds one tactic and one
entry per subgoal that tactic produces: a sub-proof, or ``None`` when the subgoal closes automatically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from .closing import is_closed
from .printing import to_infix
from .rules import RuleSet
from .tactics import InvalidTactic, Tactic, apply
from .theorem import Theorem


class ProofError(ValueError):
    """A proof that does not check; ``path`` lists the child indices from the root to the failing step."""

    def __init__(self, message: str, path: tuple[int, ...] = ()):
        where = "root" if not path else "step " + ".".join(map(str, path))
        super().__init__(f"{where}: {message}")
        self.path = path
        self.reason = message


class Proof(NamedTuple):
    """A proof step: ``tactic`` applied to the current goal, then one entry per resulting subgoal
    (``None`` when that subgoal closes automatically). A named tuple: cheap to build and compare."""

    tactic: Tactic
    children: tuple[Proof | None, ...] = ()

    @property
    def size(self) -> int:
        """Number of tactic steps."""
        return 1 + sum(c.size for c in self.children if c is not None)

    @property
    def depth(self) -> int:
        """Length of the longest chain of tactic steps."""
        return 1 + max((c.depth for c in self.children if c is not None), default=0)

    def steps(self) -> Iterator[Proof]:
        """The steps in depth-first order."""
        stack: list[Proof] = [self]
        while stack:
            p = stack.pop()
            yield p
            stack.extend(c for c in reversed(p.children) if c is not None)

    def to_dict(self, theorem: Theorem | None = None, rules: RuleSet | None = None) -> dict[str, Any]:
        """JSON-ready dict; with ``theorem`` and ``rules`` each step also records its goal (for humans)."""
        goals: list[Theorem | None] = [theorem]

        def go(p: Proof, goal: Theorem | None) -> dict[str, Any]:
            d: dict[str, Any] = {}
            subgoals: list[Theorem] | None = None
            if goal is not None and rules is not None:
                d["goal"] = to_infix(goal.goal)
                subgoals = apply(goal, p.tactic, rules)
            d["tactic"] = str(p.tactic)
            d["subproofs"] = [
                None if c is None else go(c, subgoals[i] if subgoals and i < len(subgoals) else None)
                for i, c in enumerate(p.children)
            ]
            return d

        return go(self, goals[0])

    def to_json(self, theorem: Theorem | None = None, rules: RuleSet | None = None) -> str:
        return json.dumps(self.to_dict(theorem, rules))

    @staticmethod
    def from_dict(d: dict[str, Any], domain: str = "real") -> Proof:
        if not isinstance(d, dict) or "tactic" not in d:
            raise ProofError("a proof step must be an object with a 'tactic' field")
        subs = d.get("subproofs", [])
        if not isinstance(subs, list):
            raise ProofError("'subproofs' must be a list")
        return Proof(
            Tactic.parse(d["tactic"], domain),
            tuple(None if c is None else Proof.from_dict(c, domain) for c in subs),
        )

    @staticmethod
    def from_json(data: str | dict[str, Any], domain: str = "real") -> Proof:
        return Proof.from_dict(json.loads(data) if isinstance(data, str) else data, domain)

    @staticmethod
    def chain(tactics: Sequence[Tactic | str], domain: str = "real") -> Proof:
        """A linear proof: each tactic applies to the first subgoal of the previous one, every other
        subgoal closing automatically (the shape of a random walk, or figure 8 of the paper)."""
        tacs = [Tactic.parse(t, domain) if isinstance(t, str) else t for t in tactics]
        if not tacs:
            raise ValueError("an empty chain is not a proof")
        proof: Proof | None = None
        for t in reversed(tacs):
            proof = Proof(t, (proof,))
        assert proof is not None
        return proof


def check_proof(thm: Theorem, proof: Proof | None, rules: RuleSet) -> bool:
    """Replay ``proof`` from ``thm``; True when every step applies and every leaf subgoal is closed
    automatically. Raises :class:`ProofError` naming the failing step otherwise.

    A transformation's first subgoal may be omitted from ``children`` beyond the given entries: missing
    trailing entries count as ``None`` (closed automatically), so chains can stay short.
    """
    if proof is None:
        if is_closed(thm, rules):
            return True
        raise ProofError(f"{thm} is not closed automatically and has no proof")
    stack: list[tuple[Theorem, Proof, tuple[int, ...]]] = [(thm, proof, ())]
    while stack:
        goal, p, path = stack.pop()
        try:
            subgoals = apply(goal, p.tactic, rules)
        except InvalidTactic as err:
            raise ProofError(f"tactic '{p.tactic}' does not apply to {goal}: {err.reason}", path) from None
        if len(p.children) > len(subgoals):
            raise ProofError(
                f"tactic '{p.tactic}' gives {len(subgoals)} subgoals but the proof has {len(p.children)} entries",
                path,
            )
        for i, sub in enumerate(subgoals):
            child = p.children[i] if i < len(p.children) else None
            if child is None:
                if not is_closed(sub, rules):
                    raise ProofError(f"subgoal {i} ({sub}) is left open", path)
            else:
                stack.append((sub, child, (*path, i)))
    return True
