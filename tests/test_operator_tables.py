"""Every operator the core defines is known to every place that gives operators a meaning, and no place
knows an operator the core does not.

An operator's meaning is spread over several tables (arities and domains in ``equations.expr``, the infix,
prefix and LaTeX printers and parsers, the mpmath and exact evaluators, the sympy bridge, the Coq and Lean
term printers, the generators' numpy screening). Adding an operator to ``expr.ARITY`` without the others
used to surface only when some generated theorem happened to use it; this test makes it one failing test
that names the missing table.
"""

from __future__ import annotations

import random

import mpmath
import pytest
from equations.exporters import coq_syntax, lean_syntax
from equations.exporters.trace import ExportError
from equations.generators import screening

import equations as eq
from equations import exact, numeric, printing, sympy_bridge
from equations.expr import ARITY, COMPARISON_OPS, DOMAIN_OPS, DOMAINS, Expr, make, num, var
from equations.patterns import substitute

#: operators that are leaves (their meaning is a value, not a function)
LEAVES = frozenset(("int", "var", "pi"))


def _sample(op: str, domain: str) -> Expr:
    """A small well-formed statement of ``domain`` whose only non-trivial operator is ``op``."""
    x, y = var("x", domain), var("y", domain)
    if op in COMPARISON_OPS:
        return make(op, x, y)
    if op == "pi":
        return make("le", eq.PI, x)
    if op in ("int", "var"):
        return make("eq", x, num(3))
    args = (x, num(2) if op == "pow" else y)[: ARITY[op]]  # Lean's ^ over ℤ/ℕ takes a ℕ exponent
    return make("eq", make(op, *args), y)


CASES = [(d, op) for d in DOMAINS for op in sorted(DOMAIN_OPS[d])]


@pytest.mark.parametrize(("domain", "op"), CASES)
def test_printers_and_parsers_cover_every_operator(domain: str, op: str) -> None:
    stmt = _sample(op, domain)
    thm = eq.Theorem(stmt, (), domain)
    assert eq.parse(str(thm), domain=domain).goal is stmt, "infix printer/parser"
    assert eq.parse_prefix(eq.to_prefix(stmt), domain) is stmt, "prefix printer/parser"
    assert eq.to_latex(stmt), "LaTeX printer"


@pytest.mark.parametrize(("domain", "op"), CASES)
def test_evaluators_cover_every_operator(domain: str, op: str) -> None:
    stmt = _sample(op, domain)
    point = {"x": 2, "y": 3} if domain != "real" else {"x": mpmath.mpf("0.5"), "y": mpmath.mpf("0.25")}
    for sem in ("partial", "lean", "coq"):
        try:
            numeric.holds(stmt, point, sem, domain)  # any other exception: an operator it does not know
        except numeric.Undefined:
            assert sem == "partial"
    const = substitute(stmt, {"x": num(2), "y": num(3)})
    exact.decide(const, domain)  # None (not decidable exactly) is fine; an error is not


#: what an exporter refuses, on purpose and with a reason (its ExportError names it)
REFUSED = {("lean", "nat", "abs"): "abs over the naturals"}  # Mathlib's |x| needs a negation, which ℕ lacks


@pytest.mark.parametrize(("domain", "op"), CASES)
def test_exporters_cover_every_operator(domain: str, op: str) -> None:
    stmt = _sample(op, domain)
    for name, printer in (("coq", coq_syntax.coq_prop), ("lean", lean_syntax.lean_prop)):
        reason = REFUSED.get((name, domain, op))
        if reason is None:
            assert printer(stmt, domain), f"{name} term printer"
        else:
            with pytest.raises(ExportError, match=reason):
                printer(stmt, domain)


@pytest.mark.parametrize("op", sorted(DOMAIN_OPS["real"]))
def test_sympy_bridge_covers_every_real_operator(op: str) -> None:
    stmt = _sample(op, "real")
    back = sympy_bridge.from_sympy(sympy_bridge.to_sympy(stmt))
    assert back is stmt or back.op == stmt.op, f"sympy bridge: {stmt} came back as {back}"


@pytest.mark.parametrize(("domain", "op"), CASES)
def test_float_screening_covers_every_operator(domain: str, op: str) -> None:
    stmt = _sample(op, domain)
    checker = screening.FloatChecker(["x", "y"], domain, random.Random(0))
    assert len(checker.values(stmt.args[0])) == checker.n_points


def test_no_table_knows_an_operator_the_core_does_not() -> None:
    tables = {
        "printing._PREC": printing._PREC,
        "printing._LATEX_FUNCS": printing._LATEX_FUNCS,
        "printing._LATEX_CMP": printing._LATEX_CMP,
        "sympy_bridge._UNARY_TO": sympy_bridge._UNARY_TO,
        "sympy_bridge._REL_TO": sympy_bridge._REL_TO,
        "coq_syntax._REAL_UNARY": coq_syntax._REAL_UNARY,
        "coq_syntax._INFIX": coq_syntax._INFIX,
        "coq_syntax._RELATIONS": coq_syntax._RELATIONS,
        "coq_syntax._INT_FUNCS[nat]": coq_syntax._INT_FUNCS["nat"],
        "coq_syntax._INT_FUNCS[int]": coq_syntax._INT_FUNCS["int"],
        "lean_syntax.REAL_FUNCS": lean_syntax.REAL_FUNCS,
        "lean_syntax._BIN": lean_syntax._BIN,
        "lean_syntax.RELATIONS": lean_syntax.RELATIONS,
        "screening._UNARY_NP": screening._UNARY_NP,
    }
    for name, table in tables.items():
        unknown = set(table) - set(ARITY)
        assert not unknown, f"{name} has operators the core does not define: {sorted(unknown)}"
    # functions of the reals written f(x) are exactly the real-only unary functions, plus abs
    assert set(lean_syntax.REAL_FUNCS) <= set(eq.expr.FUNCTIONS)
    assert {op for op in ARITY if op not in LEAVES} == set(DOMAIN_OPS["real"] | DOMAIN_OPS["int"]) - LEAVES
