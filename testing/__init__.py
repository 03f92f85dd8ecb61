"""Hypothesis strategies and assertions for your own soundness tests (installed as ``equations.testing``).

``hypothesis`` is needed only here (``pip install hypothesis``)::

    from hypothesis import given
    import equations as eq
    from equations.testing import assert_proof_sound, rule_applications, true_theorems

    @given(true_theorems("default", steps=(2, 6)))
    def test_generated_theorems_are_true(pair):
        thm, proof = pair
        assert_proof_sound(thm, proof, eq.load_rules("default"))

Strategies: :func:`expressions`, :func:`statements`, :func:`theorems` (by domain, operators, variables and
size), :func:`true_theorems` (generated with their proofs), :func:`rule_applications` (a theorem and a tactic
that applies to it), :func:`rules` (the rules of a set). Assertions: :func:`assert_rule_sound`,
:func:`assert_proof_sound` (numeric checks at 50 digits under partial, Lean and Coq semantics). Hypothesis
shrinks failures to small, readable expressions: leaves shrink to ``x`` and ``0``, trees to few nodes.
"""

from __future__ import annotations

from .checks import assert_proof_sound, assert_rule_sound, assert_theorem_true
from .strategies import (
    DEFAULT_BINARY,
    DEFAULT_UNARY,
    expressions,
    rule_applications,
    rules,
    statements,
    theorems,
    true_theorems,
)

__all__ = [
    "DEFAULT_BINARY",
    "DEFAULT_UNARY",
    "assert_proof_sound",
    "assert_rule_sound",
    "assert_theorem_true",
    "expressions",
    "rule_applications",
    "rules",
    "statements",
    "theorems",
    "true_theorems",
]
