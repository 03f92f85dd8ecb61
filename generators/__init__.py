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

Importing this package registers the gym theorem sources ``walk`` and ``graph``
(``env.reset(options={"source": "walk", "params": {"steps": 5}})``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equations.theorem import Theorem

from .common import Generated, canonical_key, derive_seed
from .dataset import read_records, supervised_pairs, to_record, write_dataset
from .expressions import ExprConfig, random_expression, random_tree
from .graph import GraphConfig, GraphGenerator
from .screening import FloatChecker
from .walk import RandomWalkGenerator, WalkConfig

__all__ = [
    "ExprConfig",
    "FloatChecker",
    "Generated",
    "GraphConfig",
    "GraphGenerator",
    "RandomWalkGenerator",
    "WalkConfig",
    "canonical_key",
    "derive_seed",
    "random_expression",
    "random_tree",
    "read_records",
    "supervised_pairs",
    "to_record",
    "write_dataset",
]

def _source(kind: str) -> Any:
    def fn(np_random: np.random.Generator, rules: str = "default", **params: Any) -> tuple[str, Theorem]:
        # A fresh generator per call: the theorem depends only on the seed drawn from np_random.
        gen: Any = RandomWalkGenerator(rules, **params) if kind == "walk" else GraphGenerator(rules, **params)
        seed = int(np_random.integers(0, 2**62))
        for g in gen.generate(1, seed):
            return f"{kind}-{seed}", g.theorem
        raise RuntimeError(f"the {kind} generator produced no theorem with parameters {params}")

    return fn


def _register_sources() -> None:
    try:
        from equations.envs.sources import register_source
    except ImportError:  # pragma: no cover - the envs package is part of the core
        return
    register_source("walk", _source("walk"))
    register_source("graph", _source("graph"))


_register_sources()
