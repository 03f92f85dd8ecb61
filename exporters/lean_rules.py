"""Rules in Lean: an instance of a rule stated over its type and proved by the template of its Mathlib table
entry (:class:`Instances`, what every exported step uses), and the rule check ``RuleCheck<Set>.lean``
(:func:`rule_check_text`): every rule of a set stated over its type with its pattern variables as binders and
proved by exactly that template, so compiling it validates every template at once.

Rules flagged ``rpow`` in the table are stated by Mathlib for ``Real.rpow``; when an instance prints some of
its powers with a literal exponent as ℕ powers, the proof proves the all-``rpow`` instance with the lemma and
bridges with :data:`.lean_table.RPOW_BRIDGE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from equations import Expr, RuleSet
from equations.expr import var
from equations.patterns import substitute
from equations.rules import Rule

from .lean_project import HEADER, rule_check_stem
from .lean_syntax import LEAN_TYPE, LeanPrinter, lean_ident
from .lean_table import MATHLIB_PIN, RPOW_BRIDGE, bridge_names, lean_rule, template_names
from .trace import ExportError

# ---------------------------------------------------------------------------------------------------------
# rule instances
# ---------------------------------------------------------------------------------------------------------


def _show(stmt: str, body: str, tactic: bool) -> str:
    return f"(show {stmt} {body})" if tactic else f"(show {stmt} from {body})"


@dataclass
class Proved:
    """A term proving a rule instance: ``stmt`` its statement (oriented as the rule), ``term`` the proof as
    ``(show S from t)`` / ``(show S by tac)``, ``bare`` the form after ``exact`` (no ``show`` where none is
    needed), ``names`` the constants it uses."""

    stmt: str
    term: str
    bare: str
    names: list[str]


class Instances:
    """Rule instances as Lean terms, for one domain and rule set (``nat_vars``: variables of type ℕ, the
    pattern variables in a ℤ power's exponent)."""

    def __init__(self, domain: str, rules: RuleSet, nat_vars: frozenset[str] = frozenset()):
        self.domain = domain
        self.rules = rules
        self.nat_vars = nat_vars

    def printer(self, rpow_all: bool = False, domain: str | None = None) -> LeanPrinter:
        return LeanPrinter(domain or self.domain, rpow_all=rpow_all, nat_vars=self.nat_vars)

    def statement(self, rule: Rule, bindings: dict[str, Expr], rpow_all: bool = False,
                  domain: str | None = None) -> str:
        """The instance's statement, oriented as the rule is written."""
        p = self.printer(rpow_all, domain)
        if rule.kind == "assert":
            assert rule.concl is not None
            return p.prop(substitute(rule.concl, bindings))
        assert rule.lhs is not None and rule.rhs is not None
        if rule.relational:
            q = self.printer(rpow_all, domain)
            return f"{p.prop(substitute(rule.lhs, bindings))} ↔ {q.prop(substitute(rule.rhs, bindings))}"
        return p.equation(substitute(rule.lhs, bindings), substitute(rule.rhs, bindings))

    def body(self, rule: Rule, bindings: dict[str, Expr], hyp_proofs: dict[int, str], rpow_all: bool = False,
             domain: str | None = None) -> str:
        entry = lean_rule(rule, self.rules)

        def fill(m: re.Match[str]) -> str:
            key = m.group(1)
            if key.startswith("h") and key[1:].isdigit():
                return hyp_proofs[int(key[1:])]
            if key not in bindings:
                raise ExportError(f"template of {rule.id} names unknown variable {key}", rule.id)
            return self.printer(rpow_all, domain).arg(bindings[key])

        return re.sub(r"\{([A-Za-z0-9]+)\}", fill, entry.template)

    def prove(self, rule: Rule, bindings: dict[str, Expr], hyp_proofs: dict[int, str],
              domain: str | None = None) -> Proved:
        """The instance's proof, bridged from ``Real.rpow`` when the table says so."""
        entry = lean_rule(rule, self.rules)
        names = template_names(entry.template)
        stmt = self.statement(rule, bindings, domain=domain)
        body = self.body(rule, bindings, hyp_proofs, domain=domain)
        if entry.rpow:
            stmt_r = self.statement(rule, bindings, rpow_all=True, domain=domain)
            if stmt_r != stmt:
                inner = _show(stmt_r, self.body(rule, bindings, hyp_proofs, rpow_all=True, domain=domain),
                              entry.tactic)
                term = f"(show {stmt} by {RPOW_BRIDGE} {inner})"
                return Proved(stmt, term, term, [*names, *bridge_names()])
        term = _show(stmt, body, entry.tactic)
        return Proved(stmt, term, term if entry.tactic else body, names)


# ---------------------------------------------------------------------------------------------------------
# the rule check
# ---------------------------------------------------------------------------------------------------------


def _exponent_vars(e: Expr, domain: str, inside: bool = False) -> set[str]:
    """Variables of a pattern that occur in a ℤ power's exponent (they are ℕ terms there)."""
    if e.op == "var":
        return {str(e.value)} if inside else set()
    out: set[str] = set()
    for i, a in enumerate(e.args):
        out |= _exponent_vars(a, domain, inside or (e.op == "pow" and i == 1 and domain == "int"))
    return out


def rule_check_theorem(rule: Rule, rules: RuleSet) -> str:
    """``theorem rule_<id> (A B : ℝ) (h1 : ...) : STATEMENT := TEMPLATE``: the rule, over its domain's type,
    proved by exactly the exporter's template (ExportError when the rule has none, or cannot be stated)."""
    if rule.kind == "arith":
        raise ExportError(f"{rule.id} is built-in arithmetic (proved by norm_num on each instance)", rule.id)
    entry = lean_rule(rule, rules)
    parts = [p for p in (rule.lhs, rule.rhs, rule.concl, *rule.hyps) if p is not None]
    nat = set().union(*(_exponent_vars(p, rule.domain) for p in parts))
    inst = Instances(rule.domain, rules, frozenset(nat))
    names = sorted(rule.variables())
    bindings = {n: var(n, rule.domain) for n in names}
    ty = LEAN_TYPE[rule.domain]
    binders = []
    plain = [lean_ident(n) for n in names if n not in nat]
    if plain:
        binders.append(f"({' '.join(plain)} : {ty})")
    if nat:
        binders.append(f"({' '.join(lean_ident(n) for n in names if n in nat)} : ℕ)")
    p = inst.printer(entry.rpow)
    binders += [f"(h{i} : {p.prop(h)})" for i, h in enumerate(rule.hyps, start=1)]
    stmt = inst.statement(rule, bindings, rpow_all=entry.rpow)
    body = inst.body(rule, bindings, {i: f"h{i}" for i in range(1, len(rule.hyps) + 1)}, rpow_all=entry.rpow)
    head = " ".join([f"theorem rule_{rule.id}", *binders, ":"])
    return f"{head}\n    {stmt} :=\n  {body}\n"


def rule_check_text(rules: RuleSet) -> str:
    """``RuleCheck<Set>.lean``: one theorem per mapped rule of ``rules`` (see :func:`rule_check_theorem`);
    the rules it cannot state are listed in a comment with the reason."""
    stem = rule_check_stem(rules)
    blocks: list[str] = []
    skipped: list[str] = []
    for rule in rules:
        try:
            blocks.append(rule_check_theorem(rule, rules))
        except ExportError as err:
            skipped.append(f"  {rule.id}: {err.reason}")
    head = (HEADER + f"\n/-! Every rule of set {rules.name} (version {rules.version}) stated over its type and "
            f"proved by the\nexporter's template, for Mathlib {MATHLIB_PIN.commit[:12]}: this file compiles "
            f"exactly when every template does.\nNot stated here:\n" + "\n".join(skipped) + "\n-/\n\n"
            f"namespace {stem}\n\n")
    return head + "\n".join(blocks) + f"\nend {stem}\n"


__all__ = ["Instances", "Proved", "rule_check_text", "rule_check_theorem"]
