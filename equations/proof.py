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
from .expr import domain_error
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


#: Deepest proof the JSON reader and writer accept (a 10-step walk is 10 deep); Python's JSON modules
#: recurse once per level.
MAX_PROOF_DEPTH = 400


def _validate_theorem(thm: Theorem) -> None:
    if not isinstance(thm, Theorem):
        raise ProofError(f"expected a Theorem (eq.parse), not {type(thm).__name__}")
    if not isinstance(thm.hyps, tuple):
        raise ProofError(f"a theorem's hypotheses are a tuple, not {type(thm.hyps).__name__}")
    for what, e in (("goal", thm.goal), *((f"hypothesis {i}", h) for i, h in enumerate(thm.hyps))):
        why = domain_error(e, thm.domain, statement=True)
        if why is not None:
            raise ProofError(f"the theorem's {what} is not a statement over {thm.domain}: {why}")


class Proof(NamedTuple):
    """A proof step: ``tactic`` applied to the current goal, then one entry per resulting subgoal
    (``None`` when that subgoal closes automatically). A named tuple: cheap to build and compare."""

    tactic: Tactic
    children: tuple[Proof | None, ...] = ()

    @property
    def size(self) -> int:
        """Number of tactic steps."""
        return sum(1 for _ in self.steps())

    @property
    def depth(self) -> int:
        """Length of the longest chain of tactic steps."""
        best = 0
        stack: list[tuple[Proof, int]] = [(self, 1)]
        while stack:
            p, d = stack.pop()
            best = max(best, d)
            stack.extend((c, d + 1) for c in p.children if c is not None)
        return best

    def steps(self) -> Iterator[Proof]:
        """The steps in depth-first order."""
        stack: list[Proof] = [self]
        while stack:
            p = stack.pop()
            yield p
            stack.extend(c for c in reversed(p.children) if c is not None)

    def to_dict(self, theorem: Theorem | None = None, rules: RuleSet | None = None) -> dict[str, Any]:
        """JSON-ready dict; with ``theorem`` and ``rules`` each step also records its goal (for humans)."""
        root: dict[str, Any] = {}
        stack: list[tuple[Proof, Theorem | None, dict[str, Any]]] = [(self, theorem, root)]
        while stack:
            p, goal, d = stack.pop()
            subgoals: list[Theorem] | None = None
            if goal is not None and rules is not None:
                d["goal"] = to_infix(goal.goal)
                subgoals = apply(goal, p.tactic, rules)
            d["tactic"] = str(p.tactic)
            subs: list[dict[str, Any] | None] = []
            for i, c in enumerate(p.children):
                if c is None:
                    subs.append(None)
                    continue
                child: dict[str, Any] = {}
                subs.append(child)
                stack.append((c, subgoals[i] if subgoals and i < len(subgoals) else None, child))
            d["subproofs"] = subs
        return root

    def to_json(self, theorem: Theorem | None = None, rules: RuleSet | None = None) -> str:
        if self.depth > MAX_PROOF_DEPTH:
            raise ProofError(f"the proof is {self.depth} steps deep; JSON holds at most {MAX_PROOF_DEPTH}")
        return json.dumps(self.to_dict(theorem, rules))

    @staticmethod
    def from_dict(d: dict[str, Any], domain: str | None = None) -> Proof:
        """The proof of a :meth:`to_dict` dict; :class:`ProofError` naming the step for a malformed one.
        ``domain``: as in :meth:`Tactic.parse` (the checker validates tactics in the goal's domain anyway)."""
        # Built bottom-up with an explicit stack: a proof may be deeper than Python's recursion limit.
        order: list[tuple[dict[str, Any], tuple[int, ...]]] = []
        stack: list[tuple[Any, tuple[int, ...]]] = [(d, ())]
        while stack:
            node, path = stack.pop()
            if not isinstance(node, dict) or "tactic" not in node:
                raise ProofError("a proof step must be an object with a 'tactic' field", path)
            if not isinstance(node["tactic"], str):
                raise ProofError(f"'tactic' must be text, not {type(node['tactic']).__name__}", path)
            subs = node.get("subproofs", [])
            if not isinstance(subs, list):
                raise ProofError("'subproofs' must be a list", path)
            if len(path) >= MAX_PROOF_DEPTH:
                raise ProofError(f"the proof is more than {MAX_PROOF_DEPTH} steps deep")
            order.append((node, path))
            stack.extend((c, (*path, i)) for i, c in enumerate(subs) if c is not None)
        built: dict[int, Proof] = {}
        for node, path in reversed(order):  # children come after their parent in ``order``
            try:
                tactic = Tactic.parse(node["tactic"], domain)
            except InvalidTactic as err:
                raise ProofError(err.reason, path) from None
            children = tuple(None if c is None else built[id(c)] for c in node.get("subproofs", []))
            built[id(node)] = Proof(tactic, children)
        return built[id(d)]

    @staticmethod
    def from_json(data: str | dict[str, Any], domain: str | None = None) -> Proof:
        """The proof of JSON text (or its decoded dict); :class:`ProofError` for anything malformed."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as err:
                raise ProofError(f"the proof is not JSON: {err}") from None
            except RecursionError:
                raise ProofError("the proof JSON is nested too deeply") from None
        return Proof.from_dict(data, domain)  # type: ignore[arg-type]

    @staticmethod
    def chain(tactics: Sequence[Tactic | str], domain: str | None = None) -> Proof:
        """A linear proof: each tactic applies to the first subgoal of the previous one, every other
        subgoal closing automatically (the shape of a random walk, or figure 8 of the paper).
        ``domain``: as in :meth:`Tactic.parse`."""
        if isinstance(tactics, (str, Tactic)):
            raise ProofError("Proof.chain takes a list of tactics, not a single tactic")
        tacs: list[Tactic] = []
        for i, t in enumerate(tactics):
            if isinstance(t, str):
                try:
                    t = Tactic.parse(t, domain)
                except InvalidTactic as err:
                    raise ProofError(f"tactic {i}: {err.reason}") from None
            elif not isinstance(t, Tactic):
                raise ProofError(f"tactic {i} is a {type(t).__name__}, not a Tactic or tactic text")
            tacs.append(t)
        if not tacs:
            raise ProofError("an empty chain is not a proof")
        proof: Proof | None = None
        for t in reversed(tacs):
            proof = Proof(t, (proof,))
        assert proof is not None
        return proof


def check_proof(thm: Theorem, proof: Proof | None, rules: RuleSet) -> bool:
    """Replay ``proof`` from ``thm``; True when every step applies and every leaf subgoal is closed
    automatically. Raises :class:`ProofError` naming the failing step otherwise.

    Nothing it is given is trusted: the theorem must be well formed in its domain (every operator defined
    there, variables of its type), and every tactic, however it was built, is validated by :func:`apply`
    in the domain of the goal it is applied to (a substitution ``B := 2 + -1`` cannot enter an ℕ goal).

    A transformation's first subgoal may be omitted from ``children`` beyond the given entries: missing
    trailing entries count as ``None`` (closed automatically), so chains can stay short.
    """
    _validate_theorem(thm)
    if not isinstance(rules, RuleSet):
        raise ProofError(f"rules must be a RuleSet (eq.load_rules), not {type(rules).__name__}")
    if proof is None:
        if is_closed(thm, rules):
            return True
        raise ProofError(f"{thm} is not closed automatically and has no proof")
    stack: list[tuple[Theorem, Proof, tuple[int, ...]]] = [(thm, proof, ())]
    while stack:
        goal, p, path = stack.pop()
        if not isinstance(p, Proof) or not isinstance(p.children, (tuple, list)):
            raise ProofError(f"a proof step is a Proof(tactic, children), not {type(p).__name__}", path)
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
