"""HyperTree Proof Search (Lample et al. 2022, section 4 and appendix A) over the Equations engine.

* :mod:`.graph`: the proof hypergraph (shared goal nodes, tactic hyperedges, incremental statuses);
* :mod:`.search`: HTPS (selection with virtual counts, PUCT / RP, expansion, backup), :class:`SearchParams`;
* :mod:`.policy`: the ``Policy`` / ``Critic`` / ``Environment`` interfaces, the enumeration policy;
* :mod:`.proofs`: minimal proofs (size or depth) as :class:`equations.Proof`, training samples;
* :mod:`.prover`: :func:`prove`, one checked proof search on a theorem;
* :mod:`.evaluate`, :mod:`.cli`: the evaluation harness and the ``prove`` / ``evaluate`` commands.
"""

from __future__ import annotations

from .hypergraph import Edge, Hypergraph, Node
from .policy import ConstantCritic, EngineEnv, EnumerationPolicy, SamplingParams, SizeCritic, Suggestion
from .proofs import critic_samples, extract_proof, minimal_proofs, tactic_samples
from .prover import ProofResult, prove
from .search import HTPS, SearchParams, SearchStats

__all__ = [
    "HTPS",
    "ConstantCritic",
    "Edge",
    "EngineEnv",
    "EnumerationPolicy",
    "Hypergraph",
    "Node",
    "ProofResult",
    "SamplingParams",
    "SearchParams",
    "SearchStats",
    "SizeCritic",
    "Suggestion",
    "critic_samples",
    "extract_proof",
    "minimal_proofs",
    "prove",
    "tactic_samples",
]
