"""Synthetic theorem generators and datasets (HTPS paper, appendix B.6): "unlimited synthetic proofs".

Public API::

    from equations.generators import RandomWalkGenerator, GraphGenerator, random_expression, write_dataset

    gen = RandomWalkGenerator("default", steps=10, ops=(2, 6))      # or WalkConfig(...)
    for g in gen.generate(100, seed=0):                             # Generated(theorem, proof, rules_used, meta)
        assert eq.check_proof(g.theorem, g.proof, gen.rules)
    GraphGenerator("default", nodes=150).generate(100, seed=0)      # or GraphConfig(...)
    random_expression(random.Random(0), 5, ExprConfig())            # uniform unary-binary trees
    write_dataset("walk", 10_000, "out/", workers=2, fmt="jsonl")   # sharded, atomic, resumable

Modules: :mod:`.expressions` (Lample & Charton tree sampling), :mod:`.screening` (float screening of
candidate statements before proof checking), :mod:`.walk` (random walks), :mod:`.graph` (theorem graphs),
:mod:`.dataset` (records, JSONL/Parquet writers, supervised pairs), :mod:`.cli` (``equations generate``),
:mod:`.common` (canonical forms, seeds, side-condition prover).

The gym theorem sources ``walk`` and ``graph`` (``env.reset(options={"source": "walk", "params": {"steps":
5}})``) are :data:`walk_source` / :data:`graph_source`, found by the environments through the entry-point
group ``equations.sources``; every generator is named once, in :data:`GENERATORS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equations.theorem import Theorem

from .common import Generated, canonical_key, derive_seed
from .dataset import GENERATORS, make_generator, read_records, supervised_pairs, to_record, write_dataset
from .expressions import ExprConfig, random_expression, random_tree
from .graph import GraphConfig, GraphGenerator
from .screening import FloatChecker
from .walk import RandomWalkGenerator, WalkConfig

__all__ = [
    "GENERATORS",
    "ExprConfig",
    "FloatChecker",
    "Generated",
    "GraphConfig",
    "GraphGenerator",
    "RandomWalkGenerator",
    "WalkConfig",
    "canonical_key",
    "derive_seed",
    "graph_source",
    "make_generator",
    "random_expression",
    "random_tree",
    "read_records",
    "supervised_pairs",
    "to_record",
    "walk_source",
    "write_dataset",
]

def _source(kind: str) -> Any:
    def fn(np_random: np.random.Generator, rules: str = "default", **params: Any) -> tuple[str, Theorem]:
        # A fresh generator per call: the theorem depends only on the seed drawn from np_random.
        gen = make_generator(kind, rules, params)
        seed = int(np_random.integers(0, 2**62))
        for g in gen.generate(1, seed):
            return f"{kind}-{seed}", g.theorem
        raise RuntimeError(f"the {kind} generator produced no theorem with parameters {params}")

    return fn


#: gym theorem sources (entry points of the group ``equations.sources``: see pyproject.toml)
walk_source = _source("walk")
graph_source = _source("graph")
