"""Proofs: trees of tactic steps, their JSON form, the one replay of a proof, and the proof checker.

The checker is the single authority on proofs: generators, the search, exporters and the gym
environment all produce this format and call :func:`check_proof`. A proof step holds one tactic and one
entry per subgoal that tactic produces: a sub-proof, or ``None`` when the subgoal closes automatically.

:func:`replay` is the only place that walks a proof against a theorem (applying each tactic to the goal
it meets): the checker, :meth:`Proof.to_dict`, dataset records, training pairs, the exporters' traces and
the viewer are all built on it, so what a step's goal and subgoals are is decided once. The proof-editing
helpers used by minimality checks (:func:`step_paths`, :func:`drop_step`, :func:`droppable_steps`,
:func:`minimize`) live here too, next to the tree they edit.
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
        """JSON-ready dict; with ``theorem`` and ``rules`` each step also records its goal (for humans).
        Raises :class:`~equations.tactics.InvalidTactic` when a tactic does not apply."""
        if theorem is None or rules is None:
            return self._plain_dict()
        # The last sub-proof first, as this method always went: of two tactics that do not apply, the one
        # it reports stays the same.
        steps: list[Step] = []
        _walk(theorem, self, rules, strict=False, last_child_first=True, judge=False, steps=steps)
        return step_dicts(steps)[0]

    def _plain_dict(self) -> dict[str, Any]:
        """The tree alone (tactics and sub-proofs), iteratively: a proof may be deeper than the stack."""
        root: dict[str, Any] = {}
        stack: list[tuple[Proof, dict[str, Any]]] = [(self, root)]
        while stack:
            p, d = stack.pop()
            d["tactic"] = str(p.tactic)
            subs: list[dict[str, Any] | None] = []
            for c in p.children:
                if c is None:
                    subs.append(None)
                    continue
                child: dict[str, Any] = {}
                subs.append(child)
                stack.append((c, child))
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


class Step(NamedTuple):
    """One step of a replayed proof: ``proof`` (a :class:`Proof` node: the tactic and its entries) applied
    to ``goal`` gives ``subgoals`` (the list :func:`apply` returned, not copied). ``path`` lists the child
    indices from the root to this step, as :class:`ProofError` does; ``parent`` is the position in the
    replay of the step whose subgoal ``path[-1]`` this one proves (-1 for the root), so that trees can be
    rebuilt from the steps by position instead of by path. With ``replay(..., strict=False)`` a tactic
    that does not apply gives a step with ``invalid`` set (why) and no subgoals; :func:`replay` does not
    descend below it."""

    path: tuple[int, ...]
    goal: Theorem
    proof: Proof
    subgoals: Sequence[Theorem]
    invalid: InvalidTactic | None = None
    parent: int = -1

    @property
    def tactic(self) -> Tactic:
        return self.proof.tactic

    def entry(self, i: int) -> Proof | None:
        """The proof's entry for subgoal ``i``: a sub-proof, or ``None`` (also for the trailing entries a
        proof may leave out, see :func:`check_proof`)."""
        children = self.proof.children
        return children[i] if i < len(children) else None

    def leaves(self) -> list[tuple[int, Theorem]]:
        """``(i, subgoal)`` for each subgoal the proof leaves to close automatically (no sub-proof)."""
        children = self.proof.children
        n = len(children)
        return [(i, sub) for i, sub in enumerate(self.subgoals) if i >= n or children[i] is None]


def replay(thm: Theorem, proof: Proof | None, rules: RuleSet, *, strict: bool = True) -> list[Step]:
    """Every step of ``proof`` applied from ``thm``, depth first, each step before its sub-proofs and the
    first subgoal's sub-proof before the second's (the order of :meth:`Proof.steps`); ``None`` (the empty
    proof) has no steps.

    Iterative (an explicit stack), so proofs as deep as :data:`MAX_PROOF_DEPTH` and beyond replay without
    touching Python's recursion limit. It does not judge: leaves are not checked to close (see
    :meth:`Step.leaves`; :func:`check_proof` does that) and the theorem is not validated. ``strict``
    (the default): a tactic that does not apply, or a step with more entries than subgoals, raises
    :class:`ProofError` with :func:`check_proof`'s message. ``strict=False``: the first is kept with
    ``invalid`` set and nothing below it, the second as it is, its extra entries skipped (a viewer shows a
    broken proof where it breaks). A step that is not a :class:`Proof` always raises :class:`ProofError`.
    (:func:`check_proof` walks a step's sub-proofs last first: of two faulty ones it names the later.)"""
    steps: list[Step] = []
    if proof is not None:
        _walk(thm, proof, rules, strict=strict, last_child_first=False, judge=False, steps=steps)
    return steps


def _walk(thm: Theorem, proof: Proof, rules: RuleSet, *, strict: bool, last_child_first: bool, judge: bool,
          steps: list[Step] | None) -> None:
    """The walk behind :func:`replay` and :func:`check_proof`, appending each step to ``steps`` (when
    given). ``judge`` (the checker): a leaf that does not close raises :class:`ProofError`.
    ``last_child_first`` visits a step's sub-proofs last to first: the checker has always walked so, and
    keeps it so that of two faulty sub-proofs it names the same one as before. A plain loop rather than a
    generator, and no :class:`Step` made for the checker: this is the generators' hot loop."""
    stack: list[tuple[tuple[int, ...], Theorem, Proof, int]] = [((), thm, proof, -1)]
    pop, push = stack.pop, stack.append
    here = -1  # this step's position in ``steps``
    while stack:
        path, goal, p, parent = pop()
        if not isinstance(p, Proof) or not isinstance(p.children, (tuple, list)):
            raise ProofError(f"a proof step is a Proof(tactic, children), not {type(p).__name__}", path)
        try:
            subgoals = apply(goal, p.tactic, rules)
        except InvalidTactic as err:
            if strict:
                raise ProofError(f"tactic '{p.tactic}' does not apply to {goal}: {err.reason}", path) from None
            if steps is not None:
                steps.append(Step(path, goal, p, (), err, parent))
            continue
        children = p.children
        n = len(children)
        m = len(subgoals)
        if n > m and strict:
            raise ProofError(f"tactic '{p.tactic}' gives {m} subgoals but the proof has {n} entries", path)
        if steps is not None:
            here = len(steps)
            steps.append(Step(path, goal, p, subgoals, None, parent))
        for i in range(m) if last_child_first else range(m - 1, -1, -1):
            c = children[i] if i < n else None
            if c is not None:
                push(((*path, i), subgoals[i], c, here))
            elif judge and not is_closed(subgoals[i], rules):
                raise ProofError(f"subgoal {i} ({subgoals[i]}) is left open", path)


def step_dicts(steps: Sequence[Step]) -> list[dict[str, Any]]:
    """The :meth:`Proof.to_dict` form (with goals) of each step of a replay, by position: the first is the
    whole proof's, and each holds its sub-proofs'. A dataset record takes both the proof's dict and every
    step's tactic text from one replay (printing tactics is a good part of the cost). Raises the
    :class:`~equations.tactics.InvalidTactic` of a step that does not apply; entries beyond a step's
    subgoals (not replayed) are written without goals."""
    made: list[dict[str, Any]] = []
    for step in steps:  # every step comes after its parent
        if step.invalid is not None:
            raise step.invalid
        n = len(step.subgoals)
        d = {"goal": to_infix(step.goal.goal), "tactic": str(step.tactic),
             "subproofs": [None if c is None or i < n else c.to_dict() for i, c in enumerate(step.proof.children)]}
        if step.parent >= 0:
            made[step.parent]["subproofs"][step.path[-1]] = d
        made.append(d)
    return made


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
    _walk(thm, proof, rules, strict=True, last_child_first=True, judge=True, steps=None)
    return True


# --- editing proofs (minimality) ---------------------------------------------------------------------------

def step_paths(proof: Proof) -> Iterator[tuple[int, ...]]:
    """Paths (child indices) of every step of a proof, in the order of :meth:`Proof.steps`."""
    stack: list[tuple[Proof, tuple[int, ...]]] = [(proof, ())]
    while stack:
        p, path = stack.pop()
        yield path
        for i in range(len(p.children) - 1, -1, -1):
            c = p.children[i]
            if c is not None:
                stack.append((c, (*path, i)))


def drop_step(proof: Proof, path: tuple[int, ...]) -> Proof | None:
    """The proof with the step at ``path`` removed: replaced by the proof of its first subgoal (a chain
    loses one link) or by nothing (``None``) when that subgoal had no proof. Rebuilds only the steps on the
    way to ``path``, without recursion (a walk's chain is as deep as it is long)."""
    spine: list[Proof] = []
    p = proof
    for i in path:
        spine.append(p)
        child = p.children[i]
        if child is None:
            raise ValueError(f"no step at {path}: entry {i} is closed automatically")
        p = child
    new = p.children[0] if p.children else None
    k = len(spine)
    while k:
        k -= 1
        p = spine[k]
        kids = list(p.children)
        kids[path[k]] = new
        new = Proof(p.tactic, tuple(kids))
    return new


def droppable_steps(thm: Theorem, proof: Proof, rules: RuleSet) -> list[tuple[int, ...]]:
    """Steps whose removal still leaves a valid proof (empty for a minimal proof)."""
    out = []
    for path in step_paths(proof):
        try:
            check_proof(thm, drop_step(proof, path), rules)
        except ProofError:
            continue
        out.append(path)
    return out


def minimize(thm: Theorem, proof: Proof, rules: RuleSet, max_rounds: int = 20) -> Proof:
    """Remove droppable steps one at a time until none is left."""
    for _ in range(max_rounds):
        bad = droppable_steps(thm, proof, rules)
        if not bad:
            return proof
        shorter = drop_step(proof, bad[0])
        if shorter is None:
            return proof
        proof = shorter
    return proof
