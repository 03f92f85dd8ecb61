"""Our expressions as Coq terms, and our rules as Coq lemma statements.

Domains map to Coq types: ``real`` to ``R`` (the standard library's Reals), ``nat`` to ``N`` (binary
naturals: truncated subtraction and floor division as ours, and big literals stay cheap, unlike unary
``nat``), ``int`` to ``Z`` (floor division, as ours for positive divisors).

Terms are printed fully parenthesised, with functions applied by name, so no Coq notation or precedence
can reparse them differently. A negation in our tree is ``(- a)``, and ``(- (1))`` when it negates a literal:
Coq would read ``- 1`` as the negative literal ``IZR (-1)``, not as the negation ``Ropp 1``.
Operators without a standard-library counterpart are defined in ``EquationsBase.v`` (``epow``,
``easinh``, ``eacosh``, ``eatanh``).
"""

from __future__ import annotations

import re

from equations import Expr, Rule

from .trace import ExportError

COQ_TYPE = {"real": "R", "nat": "N", "int": "Z"}
COQ_SCOPE = {"real": "R_scope", "nat": "N_scope", "int": "Z_scope"}
#: the preamble module holding the rule lemmas of each domain's bundled rule set
RULE_MODULE = {"real": "EquationsReal", "nat": "EquationsNat", "int": "EquationsInt"}
#: prefix of the lemma for rule ``id`` (``r_add_comm``, ``n_add_comm``, ``z_add_comm``)
LEMMA_PREFIX = {"real": "r_", "nat": "n_", "int": "z_"}

_REAL_UNARY = {
    "exp": "exp", "ln": "ln", "sqrt": "sqrt", "abs": "Rabs", "sin": "sin", "cos": "cos", "tan": "tan",
    "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "asinh": "easinh", "acosh": "eacosh", "atanh": "eatanh",
}
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_RELATIONS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_INT_FUNCS = {
    "nat": {"mod": "N.modulo", "gcd": "N.gcd", "lcm": "N.lcm", "dvd": "N.divide", "pow": "N.pow", "div": "N.div"},
    "int": {"mod": "Z.modulo", "gcd": "Z.gcd", "lcm": "Z.lcm", "dvd": "Z.divide", "pow": "Z.pow", "div": "Z.div",
            "abs": "Z.abs"},
}

#: names a variable must not shadow in the generated files
COQ_RESERVED = frozenset(
    """R N Z nat exp ln sqrt Rabs sin cos tan asin acos atan sinh cosh tanh easinh eacosh eatanh epow PI
    IZR INR Rpower powerRZ pow up Rinv Rdiv Rminus Rplus Rmult Ropp Prop Type Set forall fun exists match
    with end as in let if then else fix cofix struct Proof Qed Lemma Theorem Definition Require Import
    Export Open Scope Section End Variable Hypothesis at by using is return Type0 SProp""".split()
)


#: the variable name (unreachable from the parser) standing for the hole of a rewrite's context
HOLE = "\x00hole"
_GENERATED = re.compile(r"^(?:[HS]\d+|[rnz]_.*|v_.*|hole__)$")


def coq_ident(name: str) -> str:
    """A Coq identifier for our variable ``name``: unchanged unless it would clash with a Coq name or with
    the names the exporter generates (hypotheses ``H0``, side conditions ``S1``, lemmas ``r_...``)."""
    if name == HOLE:
        return "hole__"
    if name in COQ_RESERVED or _GENERATED.match(name):
        return f"v_{name}"
    return name


def coq_term(e: Expr, domain: str = "real") -> str:
    """``e`` as a Coq term of type ``R`` / ``N`` / ``Z``."""
    op = e.op
    if op == "int":
        v = int(e.value)
        if v < 0 and domain == "nat":
            raise ExportError(f"negative literal {v} over the naturals")
        return f"({v})" if v < 0 else str(v)
    if op == "var":
        return coq_ident(str(e.value))
    if op == "pi":
        if domain != "real":
            raise ExportError("pi is not an integer")
        return "PI"
    args = e.args
    if op == "neg":
        if domain == "nat":
            raise ExportError("negation over the naturals")
        inner = coq_term(args[0], domain)
        # Coq reads "- 1" as the negative literal IZR (-1); our tree says "negation of 1": keep it one
        return f"(- ({inner}))" if args[0].op == "int" else f"(- {inner})"
    if domain == "real":
        if op in _INFIX:
            return f"({coq_term(args[0], domain)} {_INFIX[op]} {coq_term(args[1], domain)})"
        if op == "inv":
            return f"(/ {coq_term(args[0], domain)})"
        if op == "pow":
            return f"(epow {coq_term(args[0], domain)} {coq_term(args[1], domain)})"
        if op in _REAL_UNARY:
            return f"({_REAL_UNARY[op]} {coq_term(args[0], domain)})"
        raise ExportError(f"operator {op} has no Coq counterpart over the reals")
    funcs = _INT_FUNCS[domain]
    if op in ("add", "sub", "mul"):
        return f"({coq_term(args[0], domain)} {_INFIX[op]} {coq_term(args[1], domain)})"
    if op == "abs" and domain == "nat":
        return coq_term(args[0], domain)
    if op in funcs:
        return f"({funcs[op]} " + " ".join(coq_term(a, domain) for a in args) + ")"
    raise ExportError(f"operator {op} has no Coq counterpart over {domain}")


def coq_prop(e: Expr, domain: str = "real") -> str:
    """A comparison (our statement) as a Coq proposition."""
    if e.op == "dvd":
        return f"({_INT_FUNCS[domain]['dvd']} {coq_term(e.args[0], domain)} {coq_term(e.args[1], domain)})"
    if e.op not in _RELATIONS:
        raise ExportError(f"{e} is not a statement")
    return f"{coq_term(e.args[0], domain)} {_RELATIONS[e.op]} {coq_term(e.args[1], domain)}"


def lemma_name(rule: Rule) -> str:
    """The preamble lemma proving ``rule`` (stable: derived from the rule's id and domain)."""
    return LEMMA_PREFIX[rule.domain] + rule.id


def rule_variables(rule: Rule) -> list[str]:
    """The lemma's arguments, in order: the rule's pattern variables sorted by name."""
    return sorted(rule.variables())


def rule_statement(rule: Rule) -> str:
    """The Coq statement of ``rule``: ``forall (A B : R), H1 -> H2 -> L = R`` (``<->`` between the two
    comparisons of a relational rewrite; the conclusion of an assertion)."""
    if rule.kind == "arith":
        raise ExportError(f"{rule.id} is built-in integer arithmetic; exported steps prove it by computation",
                          rule.id)
    d = rule.domain
    if rule.kind == "assert":
        assert rule.concl is not None
        body = coq_prop(rule.concl, d)
    elif rule.relational:
        assert rule.lhs is not None and rule.rhs is not None
        body = f"({coq_prop(rule.lhs, d)}) <-> ({coq_prop(rule.rhs, d)})"
    else:
        assert rule.lhs is not None and rule.rhs is not None
        body = f"{coq_term(rule.lhs, d)} = {coq_term(rule.rhs, d)}"
    hyps = "".join(f"{coq_prop(h, d)} -> " for h in rule.hyps)
    names = rule_variables(rule)
    binder = f"forall ({' '.join(coq_ident(n) for n in names)} : {COQ_TYPE[d]}), " if names else ""
    return f"{binder}{hyps}{body}"
