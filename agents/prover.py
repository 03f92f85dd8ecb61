"""The prover: HTPS over the Equations engine, returning a checked proof."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import equations as eq

from .policy import ConstantCritic, Critic, EngineEnv, EnumerationPolicy, Policy, SizeCritic
from .proofs import extract_proof
from .search import HTPS, SearchParams, SearchStats

POLICIES = ("enumeration", "fast", "uniform")
CRITICS = ("constant", "size")


@dataclass
class ProofResult:
    theorem: eq.Theorem
    proved: bool
    proof: eq.Proof | None
    """The minimal proof by size (``None`` when not proved, or when the theorem closes automatically)."""
    stats: SearchStats
    search: HTPS[Any] | None = field(default=None, repr=False)

    @property
    def timed_out(self) -> bool:
        """The search stopped on its wall-clock limit (``SearchParams.max_seconds``)."""
        return self.stats.timed_out

    @property
    def size(self) -> int:
        return self.proof.size if self.proof is not None else 0

    @property
    def depth(self) -> int:
        return self.proof.depth if self.proof is not None else 0


def make_policy(name: str, rules: eq.RuleSet, **kw: Any) -> Policy:
    if name == "enumeration":
        return EnumerationPolicy(rules, prior="size", **kw)
    if name == "fast":
        kw.setdefault("prefilter", 48)
        return EnumerationPolicy(rules, prior="size", **kw)
    if name == "uniform":
        return EnumerationPolicy(rules, prior="uniform", **kw)
    raise ValueError(f"unknown policy {name!r}; expected one of {', '.join(POLICIES)}")


def make_critic(name: str) -> Critic:
    if name == "constant":
        return ConstantCritic(0.5)
    if name == "size":
        return SizeCritic()
    raise ValueError(f"unknown critic {name!r}; expected one of {', '.join(CRITICS)}")


def prove(thm: eq.Theorem | str, rules: eq.RuleSet | str = "default", params: SearchParams | None = None,
          policy: Policy | str = "enumeration", critic: Critic | str = "constant",
          objective: str = "size", keep_search: bool = False, max_seconds: float | None = None) -> ProofResult:
    """Search for a proof of ``thm``; a returned proof has been re-checked by :func:`equations.check_proof`.

    ``max_seconds`` (when given) overrides ``params.max_seconds``: the search stops after that much wall-clock
    time (checked between batches) and ``result.timed_out`` is set."""
    if max_seconds is not None:
        params = replace(params if params is not None else SearchParams(), max_seconds=max_seconds)
    rs = eq.load_rules(rules) if isinstance(rules, str) else rules
    theorem = eq.parse(thm) if isinstance(thm, str) else thm
    neural_critic: Critic | None = None
    pol: Policy
    if isinstance(policy, str) and (policy == "neural" or policy.startswith("neural:")):
        from .neural import make_neural  # torch: the agent extra

        pol, neural_critic = make_neural(policy, rs)
    else:
        pol = make_policy(policy, rs) if isinstance(policy, str) else policy
    if critic == "neural":
        if neural_critic is None:
            raise ValueError("critic 'neural' is the critic of a --policy neural[:CHECKPOINT] model")
        cri: Critic = neural_critic
    else:
        cri = make_critic(critic) if isinstance(critic, str) else critic
    search: HTPS[eq.Theorem] = HTPS(theorem, EngineEnv(rs), pol, cri, params)
    search.run()
    proof = extract_proof(search.graph, objective=objective) if search.solved else None
    if search.solved:
        # the checker is the judge: a proof that does not check is a bug in the search
        eq.check_proof(theorem, proof, rs)
    if not keep_search:
        search.graph.release()  # freed now, not left as cyclic garbage (Hypergraph.release says why)
    return ProofResult(theorem, search.solved, proof, search.stats, search if keep_search else None)
