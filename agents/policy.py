"""Guidance for the search: the :class:`Policy` and :class:`Critic` interfaces, the environment interface,
and non-learned implementations over the engine (enumeration policy, constant critic).

A policy returns, for each goal of a batch, candidate tactics with prior probabilities; it may also return
their subgoals when it had to compute them anyway (the enumeration policy applies every tactic to score
it), which saves the search from applying them again. A critic returns values in [0, 1].
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

import equations as eq

G = TypeVar("G", bound=Hashable)


@dataclass(frozen=True)
class SamplingParams:
    """What a policy is told by the search: how many tactics to propose per goal and the softmax
    temperature of their priors (the rest of :class:`~equations.agents.search.SearchParams` is the
    search's own business; ``SearchParams.sampling`` gives these two)."""

    num_samples: int | None = None
    """Tactics kept per goal (None: every candidate)."""
    temperature: float = 1.0
    """Softmax temperature of the priors."""


class Suggestion(NamedTuple):
    """A candidate tactic with its prior. ``subgoals``: ``None`` when the search must apply the tactic
    itself, else the subgoals in order with ``None`` for those that close automatically."""

    tactic: Any
    prior: float
    subgoals: tuple[Any, ...] | None = None


class Policy(Protocol):
    def propose(self, goals: Sequence[Any], params: SamplingParams, rng: random.Random) -> list[list[Suggestion]]:
        """Candidate tactics for each goal (at most ``params.num_samples`` each when that is set)."""
        ...


class Critic(Protocol):
    def evaluate(self, goals: Sequence[Any]) -> list[float]:
        """The estimated probability that each goal can be proved, in [0, 1]."""
        ...


class Environment(Protocol):
    def apply(self, goal: Any, tactic: Any) -> list[Any] | None:
        """The subgoals of ``tactic`` on ``goal``, or ``None`` when it does not apply."""
        ...

    def is_closed(self, goal: Any) -> bool:
        """True when ``goal`` closes automatically (a leaf that needs no tactic)."""
        ...


class EngineEnv:
    """The Equations engine as a search environment."""

    def __init__(self, rules: eq.RuleSet):
        self.rules = rules

    def apply(self, goal: Any, tactic: Any) -> list[Any] | None:
        try:
            return list(eq.apply(goal, tactic, self.rules))
        except eq.InvalidTactic:
            return None

    def is_closed(self, goal: Any) -> bool:
        return eq.is_closed(goal, self.rules)

    def refuted(self, goal: Any) -> bool:
        """True when ``goal`` is false at some random point where its hypotheses hold and both sides are
        defined (mpmath at 30 digits, a failure rechecked at up to 16 times that so that cancellation is not
        mistaken for falsity; at most 20 sampled points): it cannot be proved with sound rules, so numeric
        pruning may drop it. A goal it cannot test is not refuted. A float-only check refuted
        ``cosh(x)**2 - sinh(x)**2 == 1`` at x = -274; ``tests/test_prune.py`` runs every identity."""
        from equations.numeric import check_theorem

        res = check_theorem(goal, n_points=3, dps=30, seed=0, max_tries=20)
        return not res.ok and res.message.startswith("false at")


class ConstantCritic:
    """The same value for every goal (0.5: the search is then guided by the policy alone, section 7.2.2)."""

    def __init__(self, value: float = 0.5):
        if not 0.0 <= value <= 1.0:
            raise ValueError("a critic value must be in [0, 1]")
        self.value = value

    def evaluate(self, goals: Sequence[Any]) -> list[float]:
        return [self.value] * len(goals)


class SizeCritic:
    """A non-learned heuristic critic: smaller goals are more likely provable, ``exp(-size / scale)``
    clipped to [floor, 1]."""

    def __init__(self, scale: float = 40.0, floor: float = 0.05):
        self.scale = scale
        self.floor = floor

    def evaluate(self, goals: Sequence[Any]) -> list[float]:
        out = []
        for g in goals:
            size = g.goal.size + sum(h.size for h in g.hyps) // 4
            out.append(max(self.floor, math.exp(-size / self.scale)))
        return out


def softmax(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    if not scores:
        return []
    t = max(temperature, 1e-6)
    m = max(scores)
    ex = [math.exp((s - m) / t) for s in scores]
    z = sum(ex)
    return [e / z for e in ex]


def sample_without_replacement(priors: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """Indices of ``k`` draws without replacement proportional to ``priors`` (Gumbel top-k), in the order
    drawn; all indices by decreasing prior when ``k`` covers them."""
    n = len(priors)
    if k >= n:
        return sorted(range(n), key=lambda i: -priors[i])
    keys = []
    for i, p in enumerate(priors):
        u = rng.random()
        g = -math.log(-math.log(u)) if 0.0 < u < 1.0 else 0.0
        keys.append((math.log(p) + g if p > 0 else -math.inf, -i))
    order = sorted(range(n), key=lambda i: keys[i], reverse=True)
    return order[:k]


class EnumerationPolicy:
    """Every applicable tactic from the engine's enumeration (``equations.applicable``, substitutions drawn
    from subterms of the goal), with priors:

    * ``"uniform"``: equal priors;
    * ``"size"`` (default): ``softmax(score / temperature)`` with ``score = (size(goal) - sum of the sizes of
      the open subgoals) / scale``, so tactics that shrink the goal or close it are preferred.

    When ``params.num_samples`` is smaller than the number of tactics, that many are drawn without
    replacement from the priors (seeded ``rng``); ``max_tactics`` caps the tactics scored per goal (in
    enumeration order) to bound the cost per expansion. ``prefilter`` keeps only that many tactics before
    applying them, ranked by a static score of the rule (pattern size change, number of hypotheses), which
    makes an expansion several times cheaper.
    """

    def __init__(self, rules: eq.RuleSet, prior: str = "size", max_per_triple: int = 1, scale: float = 2.0,
                 max_tactics: int | None = None, prefilter: int | None = None):
        if prior not in ("uniform", "size"):
            raise ValueError(f"unknown prior {prior!r}: expected 'uniform' or 'size'")
        self.rules = rules
        self.prior = prior
        self.max_per_triple = max_per_triple
        self.scale = scale
        self.max_tactics = max_tactics
        self.prefilter = prefilter
        self._static: dict[tuple[str, str | None], float] = {}
        self._neg_scores: dict[tuple[eq.Rule, str | None], float] = {}  # -rule_score by rule object (hot loop)

    def static_score(self, tac: eq.Tactic) -> float:
        """Cheap a-priori score of a tactic from its rule: shrinking patterns and few hypotheses first."""
        return self.rule_score(tac.rule, tac.direction)

    def rule_score(self, rule_id: str, direction: str | None) -> float:
        """:meth:`static_score` of every tactic of this rule and direction (memoised)."""
        key = (rule_id, direction)
        v = self._static.get(key)
        if v is None:
            rule = self.rules.get(rule_id)
            v = 0.0
            if rule is not None:
                nh = len(rule.hyps)
                if rule.kind == "arith":
                    v = 1.0 if direction == "fwd" else -1.0
                elif rule.kind == "assert":
                    v = -1.0 * nh
                elif rule.lhs is not None and rule.rhs is not None:
                    src, dst = (rule.lhs, rule.rhs) if direction == "fwd" else (rule.rhs, rule.lhs)
                    v = float(src.size - dst.size) - 1.0 * nh
            self._static[key] = v
        return v

    def candidates(self, thm: eq.Theorem) -> list[eq.Tactic]:
        """The tactics this policy applies to ``thm``: the enumeration (cut at ``max_tactics``), and with
        ``prefilter`` only the best ``prefilter`` by :meth:`static_score` (ties in enumeration order),
        ranked on the enumeration's triples so that only the kept tactics are built."""
        tl = eq.applicable(thm, self.rules, max_per_triple=self.max_per_triple)
        n = len(tl) if self.max_tactics is None else min(len(tl), self.max_tactics)
        if self.prefilter is None or n <= self.prefilter:
            return tl[:n]
        neg = self._neg_scores
        score = self.rule_score
        for r, d, _ in tl.triples:
            if (r, d) not in neg:
                neg[(r, d)] = -score(r.id, d)
        if len(tl) == len(tl.triples):  # one tactic per triple
            keys = [neg[(r, d)] for r, d, _ in tl.triples]
        else:
            keys = []
            for (r, d, _), c in zip(tl.triples, tl.counts(), strict=True):
                keys.extend([neg[(r, d)]] * c)
        del keys[n:]
        order = sorted(range(n), key=keys.__getitem__)
        return [tl[i] for i in sorted(order[: self.prefilter])]

    def outcome(self, thm: eq.Theorem, tactic: eq.Tactic) -> tuple[tuple[eq.Theorem | None, ...], float] | None:
        """``(subgoals with None for those that close, size score)`` of applying ``tactic``, or ``None`` when
        it does not apply. The size score is ``(size(goal) - sizes of the open subgoals) / scale``."""
        rules = self.rules
        try:
            subs = eq.apply(thm, tactic, rules)
        except eq.InvalidTactic:
            return None
        out: list[eq.Theorem | None] = []
        open_size = 0
        for sg in subs:
            if eq.is_closed(sg, rules):
                out.append(None)
            else:
                out.append(sg)
                open_size += sg.goal.size
        return tuple(out), (thm.goal.size - open_size) / self.scale

    def _one(self, thm: eq.Theorem, params: SamplingParams, rng: random.Random) -> list[Suggestion]:
        tactics = self.candidates(thm)
        cands: list[tuple[Any, tuple[Any, ...]]] = []
        scores: list[float] = []
        for tac in tactics:
            res = self.outcome(thm, tac)
            if res is None:
                continue
            cands.append((tac, res[0]))
            scores.append(res[1])
        if not cands:
            return []
        if self.prior == "uniform":
            priors = [1.0 / len(cands)] * len(cands)
        else:
            priors = softmax(scores, params.temperature)
        k = params.num_samples if params.num_samples is not None else len(cands)
        idx = sample_without_replacement(priors, k, rng)
        return [Suggestion(cands[i][0], priors[i], cands[i][1]) for i in idx]

    def propose(self, goals: Sequence[Any], params: SamplingParams, rng: random.Random) -> list[list[Suggestion]]:
        return [self._one(g, params, rng) for g in goals]
