"""equations: the Equations theorem-proving environment (HTPS paper, appendix B) as a library.

Expressions over ℝ, ℕ and ℤ, rules as data, tactics, exact verification and a proof checker::

    import equations as eq
    thm = eq.parse("2*ln(sqrt(x)) == ln(x) | x > 0")
    rules = eq.load_rules("default")
    tactics = eq.applicable(thm, rules)
    subgoals = eq.apply(thm, tactics[0], rules)
    eq.check_proof(thm, proof, rules)
"""

from __future__ import annotations

from .closing import closed_by, is_closed
from .exact import decide, exact_value
from .expr import PI, Expr, make, num, var
from .parse import ParseError, parse, parse_expr, parse_prefix
from .printing import prefix_tokens, to_infix, to_latex, to_prefix
from .proof import Proof, ProofError, check_proof, replay
from .rules import Rule, RuleError, RuleSet, load_rules, parse_rule, parse_rules_text
from .tactics import InvalidTactic, Tactic, TacticGroup, TacticList, applicable, applicable_triples, apply
from .theorem import Theorem

__version__ = "0.1.0"


def _register_gym_envs() -> None:
    """Register the gymnasium environments when the ``rl`` extra is installed (a no-op otherwise)."""
    import importlib.util

    if importlib.util.find_spec("gymnasium") is None:
        return
    from .envs import register_envs

    register_envs()


_register_gym_envs()

__all__ = [
    "PI",
    "Expr",
    "InvalidTactic",
    "ParseError",
    "Proof",
    "ProofError",
    "Rule",
    "RuleError",
    "RuleSet",
    "Tactic",
    "TacticGroup",
    "TacticList",
    "Theorem",
    "__version__",
    "applicable",
    "applicable_triples",
    "apply",
    "check_proof",
    "closed_by",
    "decide",
    "exact_value",
    "is_closed",
    "load_rules",
    "make",
    "num",
    "parse",
    "parse_expr",
    "parse_prefix",
    "parse_rule",
    "parse_rules_text",
    "prefix_tokens",
    "replay",
    "to_infix",
    "to_latex",
    "to_prefix",
    "var",
]
