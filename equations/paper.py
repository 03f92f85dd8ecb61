"""Worked examples from the HTPS paper, as data (used by the docs, the demo, examples and tests).

``FIGURE8`` is the statement of figure 8 and ``FIGURE8_TACTICS`` a proof of it with this library's
default rules, one rewrite a step (20 steps; the paper's own sequence has 22 because its rule set
differs slightly). ``eq.Proof.chain(FIGURE8_TACTICS)`` is accepted by ``eq.check_proof``.
"""

from __future__ import annotations

FIGURE8 = "(x - y) - (x + y) + 2*y == 0"
FIGURE8_TACTICS: tuple[str, ...] = (
    "sub_eq_add_neg -> 2", "neg_add -> 6", "add_assoc -> 2", "sub_eq_add_neg <- 2", "sub_eq_add_neg <- 3",
    "int_add <- 10 with A := 1", "mul_comm -> 9", "mul_add -> 9", "mul_one -> 10", "add_assoc -> 1",
    "sub_eq_add_neg -> 3", "add_assoc <- 2", "add_comm -> 8", "sub_eq_add_neg <- 8", "sub_self -> 8",
    "add_zero -> 2", "mul_one -> 7", "sub_eq_add_neg -> 3", "add_sub_cancel_left -> 2", "neg_add_cancel -> 1",
)
