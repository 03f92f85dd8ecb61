"""Replay a proof and record, for every step, everything an exporter needs to restate it elsewhere.

A proof in our format (:class:`equations.Proof`) only names tactics; the goals, the rule's full
instantiation and the place of a rewrite are implicit. Exporters to Coq and Lean must write all of them
explicitly (a lemma applied to explicit arguments, a rewrite under an explicit context), so this module
replays the proof once with the core's :func:`equations.replay` and keeps the lot. It never judges a
proof: it runs :func:`equations.check_proof` first, so a traced proof is one the core accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from equations import Expr, Proof, Rule, RuleSet, Tactic, Theorem, check_proof, closed_by, make, replay
from equations import proof as core


class ExportError(ValueError):
    """A theorem or proof that an exporter cannot translate; ``reason`` says why (for example an
    unmapped rule), ``rule`` names the rule at fault when there is one."""

    def __init__(self, reason: str, rule: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.rule = rule


@dataclass(frozen=True)
class Closed:
    """A goal that closes with no tactic: ``how`` is ``"hypothesis"`` (then ``hyp_index`` is set),
    ``"exact"`` (a constant statement decided by exact rational evaluation) or ``"rule"`` (a hypothesis-free
    assertion, with ``rule`` and its ``bindings``)."""

    goal: Theorem
    how: str
    hyp_index: int | None = None
    rule: Rule | None = None
    bindings: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class Step:
    """One tactic step. ``bindings`` gives a value to every pattern variable of ``rule`` (sorted by name);
    for a rewrite, ``path`` is the child-index path from the goal's root to the rewritten node, ``old`` and
    ``new`` the node before and after. ``subgoals[i]`` is proved by ``children[i]``."""

    goal: Theorem
    tactic: Tactic
    rule: Rule
    bindings: tuple[tuple[str, Expr], ...]
    path: tuple[int, ...]
    old: Expr | None
    new: Expr | None
    subgoals: tuple[Theorem, ...]
    children: tuple[Step | Closed, ...]

    @property
    def is_rewrite(self) -> bool:
        return self.tactic.direction is not None

    @property
    def forward(self) -> bool:
        return self.tactic.direction == "fwd"

    def side_goals(self) -> tuple[Step | Closed, ...]:
        """Proofs of the rule's instantiated hypotheses, in the rule's order."""
        return self.children[1:] if self.is_rewrite else self.children


Node = Step | Closed


def position_path(e: Expr, pos: int) -> tuple[int, ...]:
    """The child indices leading from ``e`` to its node at prefix position ``pos``."""
    if pos < 0 or pos >= e.size:
        raise IndexError(f"position {pos} out of range 0..{e.size - 1}")
    path: list[int] = []
    while pos:
        pos -= 1
        for i, a in enumerate(e.args):
            if pos < a.size:
                path.append(i)
                e = a
                break
            pos -= a.size
    return tuple(path)


def replace_path(e: Expr, path: tuple[int, ...], new: Expr) -> Expr:
    """``e`` with its node at ``path`` (child indices, as :func:`position_path` gives) replaced by ``new``."""
    if not path:
        return new
    i = path[0]
    args = list(e.args)
    args[i] = replace_path(args[i], path[1:], new)
    return make(e.op, *args)


def _bindings(rule: Rule, tactic: Tactic, node: Expr) -> tuple[tuple[str, Expr], ...]:
    b = rule.match[tactic.direction](node)
    if b is None:  # check_proof ran first, so this cannot happen
        raise ExportError(f"rule {rule.id} does not match {node}", rule.id)
    out = dict(b)
    out.update(tactic.subs)
    return tuple(sorted(out.items()))


def _closed(goal: Theorem, rules: RuleSet) -> Closed:
    how = closed_by(goal, rules)
    if how is None:
        raise ExportError(f"subgoal {goal} is not closed")
    if how == "hypothesis":
        return Closed(goal, "hypothesis", hyp_index=goal.hyps.index(goal.goal))
    if how == "exact":
        return Closed(goal, "exact")
    rule = rules[how]
    return Closed(goal, "rule", rule=rule, bindings=_bindings(rule, Tactic(rule.id), goal.goal))


def _step(step: core.Step, children: tuple[Node, ...], rules: RuleSet) -> Step:
    """The traced form of one replayed step whose sub-proofs are already traced (``children``)."""
    goal, tactic, subgoals = step.goal, step.tactic, tuple(step.subgoals)
    rule = rules[tactic.rule]
    if tactic.direction is None:
        return Step(goal, tactic, rule, _bindings(rule, tactic, goal.goal), (), None, None, subgoals, children)
    pos = tactic.position
    assert pos is not None
    old = goal.goal.at(pos)
    new = subgoals[0].goal.at(pos)
    if rule.kind == "arith":
        bindings: tuple[tuple[str, Expr], ...] = ()
    else:
        bindings = _bindings(rule, tactic, old)
    return Step(goal, tactic, rule, bindings, position_path(goal.goal, pos), old, new, subgoals, children)


def trace(theorem: Theorem, proof: Proof | None, rules: RuleSet) -> Node:
    """The traced proof of ``theorem``. Raises :class:`equations.ProofError` when the core rejects it."""
    check_proof(theorem, proof, rules)
    if proof is None:
        return _closed(theorem, rules)
    # Built bottom-up from the replay's steps, without recursion: long random walks are deep proofs.
    steps = replay(theorem, proof, rules)
    # below[k][i]: the traced proof of subgoal i of step k, filled in by that sub-proof's step
    below: list[list[Node | None]] = [[None] * len(s.subgoals) for s in steps]
    node: Step | None = None
    for k in range(len(steps) - 1, -1, -1):  # every step after its sub-proofs
        step = steps[k]
        done = below[k]
        # no sub-proof: the subgoal closes automatically
        kids = tuple(_closed(sub, rules) if c is None else c for sub, c in zip(step.subgoals, done, strict=True))
        node = _step(step, kids, rules)
        if step.parent >= 0:
            below[step.parent][step.path[-1]] = node
    assert node is not None
    return node


def rules_used(node: Node) -> list[str]:
    """Ids of the rules a traced proof uses (closing assertions included), in first-use order."""
    seen: dict[str, None] = {}
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Closed):
            if n.rule is not None:
                seen[n.rule.id] = None
            continue
        seen[n.rule.id] = None
        stack.extend(reversed(n.children))
    return list(seen)


def proof_variables(node: Node) -> frozenset[str]:
    """Every variable occurring in the goals of a traced proof (a substitution may bring in variables the
    theorem does not have: ``add_sub_cancel <- 1 with B := y``; exporters must bind them)."""
    out: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        out |= n.goal.goal.variables()
        for _, v in n.bindings:
            out |= v.variables()
        if isinstance(n, Step):
            stack.extend(n.children)
    return frozenset(out)
