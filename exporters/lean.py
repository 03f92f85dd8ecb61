"""Export theorems and their proofs to Lean 4 with Mathlib, pinned to one Mathlib commit.

Each theorem becomes ``theorem thm_<id> (x y : ℝ) (h₀ : x > 0) : GOAL := by`` followed by one tactic per
proof step, using Mathlib lemmas only (no preamble of our own). Lean searches nothing, so a file that
compiles means Lean accepted *our* steps:

* a **rule** is proved by a Mathlib lemma applied to its instantiated pattern variables and hypothesis
  proofs, or by a short snippet, from the tables in ``data/lean/mathlib_<set>.tsv``; rules Mathlib cannot
  express are listed with the reason in ``data/lean/unmapped.tsv`` and a proof using one is skipped (never
  exported with ``sorry``);
* a **rewrite** of ``OLD`` into ``NEW`` inside goal ``C[OLD]`` is one explicit congruence step, as in the Coq
  export: ``refine Eq.mpr (congrArg (fun hole : ℝ => C[hole]) (show OLD = NEW from LEMMA args)) (?_ : C[NEW])``
  (``(show NEW = OLD from ...).symm``-style for a backward rewrite). The equation is stated in full, so the
  lemma's own statement only needs to be *definitionally* equal to ours, and the ascription of ``?_`` makes
  Lean check that the new goal is exactly ours. Unlike ``rw`` or ``conv``, ``refine`` never tries ``rfl``
  afterwards, so no goal is closed behind our back (``conv``'s ``try rfl`` at default transparency closes
  ``x - 0 = x`` over ℕ, ``a - b = a + -b`` over ℝ ...) and the next tactic never meets "no goals". A
  relational rewrite (at the root) is ``refine (show P ↔ Q from ...).mpr ?_`` (``.mp`` backward);
* a rewrite inside a **literal exponent** over ℝ (``x ^ 2``, a ℕ power, becoming ``x ^ (1 + 1 : ℝ)``) happens at
  the whole power: the exponent equation is proved by the rule's lemma (with its side conditions) and
  carried to the power by ``congrArg (fun hole : ℝ => x ^ (hole : ℝ))``, bridged to ℕ powers by
  ``simpa only [Real.rpow_ofNat, ...]``. Over ℤ the exponent is a ℕ term and the hole goes into it (a ℕ hole,
  the rule's instance stated over ℕ);
* an **assertion** is ``exact LEMMA args``; hypotheses of a rule that need a proof of their own become
  ``have h₃ : H := by ...`` first; hypotheses of the theorem are ``h₀ h₁ ...``; constant goals decided by exact
  rational evaluation are closed with ``norm_num``, reflexive ones by their rule (``exact rfl``, ``le_refl``).

Powers: see :mod:`.lean_syntax`. Rules flagged ``rpow`` in the table are stated by Mathlib for
``Real.rpow``; when an instance prints some of its powers with a literal exponent as ℕ powers, the step
proves the all-``rpow`` instance with the lemma and bridges with the same ``simpa only``.

**Pinned Mathlib.** Templates are written for, and validated against, one Mathlib commit,
:data:`MATHLIB_PIN` (``scripts/validate_lean_templates.py`` checks every name against its source and writes
``data/lean/mathlib_names.tsv``). :func:`write_lean` also writes a Lake project beside the files
(``lakefile.toml`` requiring Mathlib at that commit, ``lean-toolchain``), so ``lake exe cache get && lake
build`` compiles the export; with ``rule_check=True`` it adds ``RuleCheck<Set>.lean``, one ``theorem`` per
rule stating it over the right type and proving it with exactly the exporter's template (compiling it
validates every template at once).

Theorem names are unique across everything one export writes: each rule set's theorems live in their own
namespace (``EquationsNat.thm_walk_1``), and a repeated dataset id gets a suffix (``thm_a_2``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from equations import Expr, ProofError, RuleSet, Theorem, load_rules
from equations.atomic import write_atomic
from equations.expr import make, var
from equations.rules import Rule, bundled_rule_sets

from .common import REJECTED, ExportItem, ExportReport, identifier
from .lean_syntax import HOLE, LEAN_TYPE, LeanPrinter, at_path, lean_ident, motive_path
from .trace import Closed, ExportError, Node, Step, rules_used, trace


@dataclass(frozen=True)
class MathlibPin:
    """The one Mathlib commit the exported files are written for: its hash, its ``lean-toolchain`` and its
    commit date (what the README states and the written ``lakefile.toml`` requires)."""

    commit: str
    toolchain: str
    date: str
    url: str = "https://github.com/leanprover-community/mathlib4"


#: mathlib4 master on 2026-08-03 ("sequential characterizations of hemicontinuity", #40377); every name the
#: templates use is checked against this commit's source by scripts/validate_lean_templates.py
MATHLIB_PIN = MathlibPin(
    commit="93594942ef3b93fae5272d7bf368676ff40f8eb1",
    toolchain="leanprover/lean4:v4.33.0-rc1",
    date="2026-08-03",
)

DATA = Path(__file__).parent / "data" / "lean"
BUNDLED = ("default", "nat", "int")
DOMAIN_SET = {"real": "default", "nat": "nat", "int": "int"}
RPOW_BRIDGE = "simpa only [Real.rpow_ofNat, Real.rpow_one, Real.rpow_zero, pow_one, pow_zero] using"
#: constants the exporter's own step texts use (beside the templates' lemmas)
STEP_NAMES = ("Eq.mpr", "congrArg")
HEADER = "import Mathlib\n"
LIB_NAME = "EquationsExport"


class LeanNotFound(ExportError):
    """No Lean toolchain (``lake``) or no Mathlib project to check the output with."""


# ---------------------------------------------------------------------------------------------------------
# the rule tables
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeanRule:
    """How one rule is proved in Lean: ``template`` is a term or ``by`` tactics proving the rule's instance
    (``{A}`` an instantiated pattern variable, ``{h1}`` a proof of its first hypothesis ...)."""

    id: str
    template: str
    rpow: bool = False

    @property
    def tactic(self) -> bool:
        return self.template.startswith("by ")

    def hyps_used(self) -> set[int]:
        return {int(m) for m in re.findall(r"\{h(\d+)\}", self.template)}


def _rows(path: Path) -> Iterator[list[str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split("\t")


@cache
def _table(set_name: str) -> dict[str, LeanRule]:
    path = DATA / f"mathlib_{set_name}.tsv"
    if not path.is_file():
        return {}
    out: dict[str, LeanRule] = {}
    for row in _rows(path):
        flags = row[2].split(",") if len(row) > 2 else []
        out[row[0]] = LeanRule(row[0], row[1], "rpow" in flags)
    return out


@cache
def _unmapped(set_name: str) -> dict[str, str]:
    return {row[1]: row[2] for row in _rows(DATA / "unmapped.tsv") if row[0] == set_name}


def _shared(rule_set_name: str) -> tuple[str, dict[str, Rule]] | None:
    """For a bundled rule set without tables of its own (``paper``): the set whose tables serve it (its
    domain's, :data:`DOMAIN_SET`) and its rules that set states identically (the others have no entry)."""
    if rule_set_name in BUNDLED or rule_set_name not in bundled_rule_sets():
        return None
    rules = load_rules(rule_set_name)
    owner = DOMAIN_SET.get(rules.domain, "")
    base = load_rules(owner)
    return owner, {r.id: r for r in rules if (b := base.get(r.id)) is not None and str(b) == str(r)}


def mapped_rules(rule_set_name: str) -> dict[str, str]:
    """Rule id -> its Lean proof template, for a bundled rule set (``default``, ``nat``, ``int``; ``paper``
    uses the entries of ``default`` for the rules the two sets share)."""
    shared = _shared(rule_set_name)
    if shared is not None:
        owner, same = shared
        return {k: v.template for k, v in _table(owner).items() if k in same}
    return {k: v.template for k, v in _table(rule_set_name).items()}


def unmapped_rules(rule_set_name: str) -> dict[str, str]:
    """Rule id -> why it has no Lean counterpart, for a bundled rule set (``paper``: as for ``default``)."""
    shared = _shared(rule_set_name)
    if shared is not None:
        owner, same = shared
        out = {k: v for k, v in _unmapped(owner).items() if k in same}
        out.update({r.id: f"not a rule of {owner} as stated" for r in load_rules(rule_set_name)
                    if r.id not in same})
        return out
    return dict(_unmapped(rule_set_name))


_TACTIC_WORDS = frozenset(
    "by rw fun h show from norm_num ring simp simpa only using at this field_simp linarith positivity".split()
)
_PROJECTIONS = frozenset({"symm", "mp", "mpr", "not", "ne'", "le", "eq_iff", "resolve_right", "trans"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.'₀-₉]*")


def template_names(template: str) -> list[str]:
    """The Lean constants a template mentions (what ``scripts/validate_lean_templates.py`` verifies)."""
    text = re.sub(r"\{[A-Za-z0-9]+\}", " ", template)
    out: list[str] = []
    for m in _IDENT.finditer(text):
        tok = m.group(0)
        start = m.start()
        if start and text[start - 1] == ".":  # a field access such as `.symm`, `.mpr`, `.ne'`
            continue
        # strip projections: `Real.exp_eq_exp.symm` -> `Real.exp_eq_exp`
        parts = tok.split(".")
        while len(parts) > 1 and parts[-1] in _PROJECTIONS and not (len(parts) == 2 and parts[0][:1].isupper()):
            parts.pop()
        tok = ".".join(parts)
        if tok in _TACTIC_WORDS or tok.isdigit() or (tok not in out and tok in ("h",)):
            continue
        if tok not in out:
            out.append(tok)
    return out


def _bridge_names() -> list[str]:
    bridge = RPOW_BRIDGE.split("[", 1)[1].split("]", 1)[0]
    return [x.strip() for x in bridge.split(",")]


def template_entries() -> list[tuple[str, list[str]]]:
    """``(set:rule, constants)`` for every entry of the bundled tables."""
    return [(f"{s}:{r.id}", template_names(r.template)) for s in BUNDLED for r in _table(s).values()]


def mathlib_names() -> dict[str, list[str]]:
    """Every constant the exporter can write -> the ``set:rule`` entries using it (the ``Real.rpow`` bridge
    and the step texts' own constants included)."""
    out: dict[str, list[str]] = {}
    for key, names in template_entries():
        for n in names:
            out.setdefault(n, []).append(key)
    for n in _bridge_names():
        out.setdefault(n, []).append("bridge:rpow")
    for n in STEP_NAMES:
        out.setdefault(n, []).append("step")
    return out


@dataclass(frozen=True)
class NameInfo:
    """Where the pinned Mathlib declares a constant: ``status`` ``mathlib`` (with the source path and the
    1-based line and column of the declaration's name) or ``core`` (Lean core or Batteries: no location)."""

    status: str
    path: str = ""
    line: int = 0
    column: int = 0


@cache
def pinned_names() -> dict[str, NameInfo]:
    """The committed table ``data/lean/mathlib_names.tsv`` (written by ``scripts/validate_lean_templates.py``
    from the pinned commit): every constant the exporter writes, and where Mathlib declares it."""
    out: dict[str, NameInfo] = {}
    path = DATA / "mathlib_names.tsv"
    if not path.is_file():
        return out
    for row in _rows(path):
        row += [""] * (5 - len(row))
        name, status, src, line, col = row[:5]
        out[name] = NameInfo(status, src, int(line or 0), int(col or 0))
    return out


#: tables of rule sets imported from Mathlib (``equations import-mathlib``), by rule set version: such a set's
#: rules are proved by the lemmas they were imported from, under the same names
_IMPORTED: dict[str, dict[str, LeanRule]] = {}


def use_lean_table(rules: RuleSet, path: Path) -> None:
    """Prove the rules of ``rules`` with the table at ``path`` (the ``.lean.tsv`` an import writes beside its
    rules file; same columns as ``data/lean/mathlib_<set>.tsv``, extra columns ignored)."""
    table: dict[str, LeanRule] = {}
    for row in _rows(Path(path)):
        flags = row[2].split(",") if len(row) > 2 else []
        table[row[0]] = LeanRule(row[0], row[1], "rpow" in flags)
    _IMPORTED[rules.version] = table


def _lean_rule(rule: Rule, rules: RuleSet) -> LeanRule:
    """The table entry for ``rule``, or ExportError naming the reason it has none."""
    imported = _IMPORTED.get(rules.version)
    if imported is not None:
        if rule.id not in imported:
            raise ExportError(f"unmapped rule {rule.id}: not in the imported table of {rules.name}", rule.id)
        return imported[rule.id]
    # a set without tables of its own (``paper``, a subset, a user file) uses those of its domain's bundled
    # set, for the rules stated there identically (checked below)
    set_name = rules.name if rules.name in BUNDLED else DOMAIN_SET.get(rule.domain, "")
    entry = _table(set_name).get(rule.id)
    if entry is None:
        reason = _unmapped(set_name).get(rule.id, f"rule {rule.id} of set {rules.name} has no Lean mapping")
        raise ExportError(f"unmapped rule {rule.id}: {reason}", rule.id)
    if rules.name not in BUNDLED:
        bundled = load_rules(set_name).rules.get(rule.id)
        if bundled is None or str(bundled) != str(rule):
            raise ExportError(f"unmapped rule {rule.id}: it differs from the bundled rule of that id", rule.id)
    return entry


# ---------------------------------------------------------------------------------------------------------
# goal states (Lean's pretty-printed form, for LeanDojo)
# ---------------------------------------------------------------------------------------------------------

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def hyp_name(i: int) -> str:
    return "h" + str(i).translate(_SUB)


@dataclass(frozen=True)
class Goal:
    context: tuple[tuple[str, str], ...]  # (name, type), in order
    target: str

    def render(self) -> str:
        lines: list[str] = []
        ctx = list(self.context)
        i = 0
        while i < len(ctx):
            j = i
            while j + 1 < len(ctx) and ctx[j + 1][1] == ctx[i][1]:
                j += 1
            lines.append(" ".join(n for n, _ in ctx[i:j + 1]) + " : " + ctx[i][1])
            i = j + 1
        lines.append("⊢ " + self.target)
        return "\n".join(lines)


def render_state(goals: Iterable[Goal]) -> str:
    """Lean's goal view: each goal's context and ``⊢ target``, goals separated by a blank line;
    ``no goals`` when there is none."""
    gs = list(goals)
    return "\n\n".join(g.render() for g in gs) if gs else "no goals"


@dataclass
class Tac:
    """One traced tactic: its text (``lines``, nested blocks included), the goal state before and after,
    and the constants it names."""

    lines: list[str]
    before: str
    after: str
    premises: list[str] = field(default_factory=list)
    depth: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# ---------------------------------------------------------------------------------------------------------
# rule instances
# ---------------------------------------------------------------------------------------------------------


def _subst(e: Expr, b: dict[str, Expr]) -> Expr:
    if e.op == "var" and str(e.value) in b:
        return b[str(e.value)]
    if not e.args:
        return e
    return make(e.op, *(_subst(a, b) for a in e.args))


def _replace_path(e: Expr, path: tuple[int, ...], new: Expr) -> Expr:
    if not path:
        return new
    args = list(e.args)
    args[path[0]] = _replace_path(args[path[0]], path[1:], new)
    return make(e.op, *args)


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
            return p.prop(_subst(rule.concl, bindings))
        assert rule.lhs is not None and rule.rhs is not None
        if rule.relational:
            q = self.printer(rpow_all, domain)
            return f"{p.prop(_subst(rule.lhs, bindings))} ↔ {q.prop(_subst(rule.rhs, bindings))}"
        return p.equation(_subst(rule.lhs, bindings), _subst(rule.rhs, bindings))

    def body(self, rule: Rule, bindings: dict[str, Expr], hyp_proofs: dict[int, str], rpow_all: bool = False,
             domain: str | None = None) -> str:
        entry = _lean_rule(rule, self.rules)

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
        entry = _lean_rule(rule, self.rules)
        names = template_names(entry.template)
        stmt = self.statement(rule, bindings, domain=domain)
        body = self.body(rule, bindings, hyp_proofs, domain=domain)
        if entry.rpow:
            stmt_r = self.statement(rule, bindings, rpow_all=True, domain=domain)
            if stmt_r != stmt:
                inner = _show(stmt_r, self.body(rule, bindings, hyp_proofs, rpow_all=True, domain=domain),
                              entry.tactic)
                term = f"(show {stmt} by {RPOW_BRIDGE} {inner})"
                return Proved(stmt, term, term, [*names, *_bridge_names()])
        term = _show(stmt, body, entry.tactic)
        return Proved(stmt, term, term if entry.tactic else body, names)


# ---------------------------------------------------------------------------------------------------------
# proofs
# ---------------------------------------------------------------------------------------------------------


class _Exporter:
    """Writes the Lean proof of one traced theorem; collects the traced tactics on the way."""

    def __init__(self, thm: Theorem, node: Node, rules: RuleSet):
        self.thm = thm
        self.rules = rules
        self.domain = thm.domain
        self.ty = LEAN_TYPE[self.domain]
        self.inst = Instances(self.domain, rules)
        self.pr = LeanPrinter(self.domain)
        self.pp = LeanPrinter(self.domain, ascribe=False)  # what Lean's goal view shows
        self.node = node
        self.counter = len(thm.hyps)
        self.hyp_of: dict[Expr, str] = {h: hyp_name(i) for i, h in reversed(list(enumerate(thm.hyps)))}
        self.tacs: list[Tac] = []
        self.goal_text = ""
        names = sorted(thm.variables())
        extra = sorted(_proof_variables(node) - set(names))
        self.binders = [lean_ident(n) for n in names]
        self.extra = [lean_ident(n) for n in extra]
        ctx: list[tuple[str, str]] = [(n, self.ty) for n in self.binders]
        ctx += [(hyp_name(i), self.pp.prop(h)) for i, h in enumerate(thm.hyps)]
        self.root_ctx = tuple(ctx)

    # -- printing ---------------------------------------------------------------------------------------
    def prop(self, e: Expr) -> str:
        return self.pr.prop(e)

    def shown(self, e: Expr) -> str:
        return self.pp.prop(e)

    # -- statement --------------------------------------------------------------------------------------
    def statement(self, name: str) -> str:
        parts = [f"theorem {name}"]
        if self.binders:
            parts.append(f"({' '.join(self.binders)} : {self.ty})")
        parts += [f"({hyp_name(i)} : {self.prop(h)})" for i, h in enumerate(self.thm.hyps)]
        return " ".join(parts) + f" :\n    {self.prop(self.thm.goal)}"

    # -- side goals -------------------------------------------------------------------------------------
    def side_proofs(self, step: Step, ctx: tuple[tuple[str, str], ...], depth: int
                    ) -> tuple[dict[int, str], tuple[tuple[str, str], ...], list[str]]:
        """Proof texts of the hypotheses the rule's template uses (``have``s emitted for sub-proofs)."""
        entry = _lean_rule(step.rule, self.rules)
        used = entry.hyps_used()
        out: dict[int, str] = {}
        premises: list[str] = []
        for k, child in enumerate(step.side_goals(), start=1):
            if k not in used:
                continue
            if isinstance(child, Closed):
                text, names = self.closed_term(child)
                out[k] = text
                premises += names
                continue
            name = hyp_name(self.counter)
            self.counter += 1
            h_prop = self.prop(child.goal.goal)
            goal = Goal(ctx, self.shown(child.goal.goal))
            have = Tac([f"have {name} : {h_prop} := by"], render_state([Goal(ctx, self.goal_text)]), "", [],
                       depth)
            self.tacs.append(have)
            start = len(self.tacs)
            saved = self.goal_text
            self.goal_text = goal.target
            self.prove(child, ctx, depth + 1)
            self.goal_text = saved
            have.lines += ["  " + line for t in self.tacs[start:] if t.depth == depth + 1 for line in t.lines]
            ctx = (*ctx, (name, self.shown(child.goal.goal)))
            have.after = render_state([Goal(ctx, self.goal_text)])
            out[k] = name
        return out, ctx, premises

    def closed_term(self, c: Closed) -> tuple[str, list[str]]:
        """A term proving a closed side goal."""
        if c.how == "hypothesis":
            return self.hyp_of.get(c.goal.goal, hyp_name(c.hyp_index or 0)), []
        stmt = self.prop(c.goal.goal)
        if c.how == "exact":
            return f"(show {stmt} by {_norm_num(c.goal.goal)})", []
        assert c.rule is not None
        p = self.inst.prove(c.rule, dict(c.bindings), {})
        return p.term, p.names

    def close_tactic(self, c: Closed) -> tuple[str, list[str]]:
        if c.how == "hypothesis":
            return f"exact {self.hyp_of.get(c.goal.goal, hyp_name(c.hyp_index or 0))}", []
        if c.how == "exact":
            return _norm_num(c.goal.goal), []
        assert c.rule is not None
        p = self.inst.prove(c.rule, dict(c.bindings), {})
        return f"exact {p.bare}", p.names

    # -- rewrite steps ----------------------------------------------------------------------------------
    def equation_proof(self, step: Step, hyp_proofs: dict[int, str], domain: str) -> tuple[str, list[str]]:
        """A term proving ``OLD = NEW`` for the rewritten node (over ``domain``: ℕ for a node inside a ℤ
        power's exponent), and the constants it uses."""
        assert step.old is not None and step.new is not None
        if step.rule.kind == "arith":
            eq = LeanPrinter(domain).equation(step.old, step.new)
            return f"(show {eq} by norm_num)", []
        if domain != self.domain and hyp_proofs:
            raise ExportError(f"rule {step.rule.id} needs side conditions inside a ℕ exponent", step.rule.id)
        p = self.inst.prove(step.rule, dict(step.bindings), hyp_proofs, domain=domain)
        return (p.term if step.forward else f"{p.term}.symm"), p.names

    def power_proof(self, step: Step, at: tuple[int, ...], hyp_proofs: dict[int, str]) -> tuple[str, list[str]]:
        """A rewrite of the exponent of the real power at ``at``, where the exponent is a ℕ literal before or
        after (``x ^ 2`` is a monoid power, ``x ^ (1 + 1 : ℝ)`` a real one): the exponent equation proved by
        the rule's lemma, carried to the power by ``congrArg`` on ``Real.rpow``, bridged to ℕ powers."""
        if step.path != (*at, 1):
            raise ExportError("a rewrite below a literal exponent")
        old_p = at_path(step.goal.goal, at)
        new_p = at_path(step.subgoals[0].goal, at)
        inner, names = self.equation_proof(step, hyp_proofs, "real")
        lam = LeanPrinter("real").term(make("pow", old_p.args[0], var(HOLE, "real")))
        stmt = LeanPrinter("real").equation(old_p, new_p)
        term = f"(show {stmt} by {RPOW_BRIDGE} congrArg (fun hole : ℝ => {lam}) {inner})"
        return term, [*names, "congrArg", *_bridge_names()]

    def rewrite_tactic(self, step: Step, hyp_proofs: dict[int, str]) -> tuple[str, list[str]]:
        """The ``refine`` of one rewrite step and the constants it names."""
        old_goal, new_goal = step.goal.goal, step.subgoals[0].goal
        if step.rule.relational:
            p = self.inst.prove(step.rule, dict(step.bindings), hyp_proofs)
            return f"refine {p.term}.{'mpr' if step.forward else 'mp'} ?_", p.names
        at, nat_hole = motive_path(old_goal, new_goal, step.path, self.domain)
        if at != step.path:
            proof, names = self.power_proof(step, at, hyp_proofs)
        else:
            proof, names = self.equation_proof(step, hyp_proofs, "nat" if nat_hole else self.domain)
        hole_ty = "ℕ" if nat_hole else self.ty
        hole = var(HOLE, "nat" if nat_hole else self.domain)
        nat_vars = frozenset({HOLE}) if nat_hole else frozenset()
        motive = LeanPrinter(self.domain, nat_vars=nat_vars).prop(_replace_path(old_goal, at, hole))
        tactic = (f"refine Eq.mpr (congrArg (fun hole : {hole_ty} => {motive}) {proof}) "
                  f"(?_ : {self.prop(new_goal)})")
        return tactic, ["Eq.mpr", "congrArg", *names]

    # -- steps ------------------------------------------------------------------------------------------
    def prove(self, node: Node, ctx: tuple[tuple[str, str], ...], depth: int) -> None:
        """Tactics proving ``node.goal`` (the current goal, ``self.goal_text``) in context ``ctx``."""
        while True:  # along the chain of rewrites; recursive only into side goals
            before = render_state([Goal(ctx, self.goal_text)])
            if isinstance(node, Closed):
                text, names = self.close_tactic(node)
                self.tacs.append(Tac([text], before, "no goals", names, depth))
                return
            step = node
            hyp_proofs, ctx, premises = self.side_proofs(step, ctx, depth)
            before = render_state([Goal(ctx, self.goal_text)])
            if not step.is_rewrite:
                p = self.inst.prove(step.rule, dict(step.bindings), hyp_proofs)
                self.tacs.append(Tac([f"exact {p.bare}"], before, "no goals", [*premises, *p.names], depth))
                return
            tactic, names = self.rewrite_tactic(step, hyp_proofs)
            new_text = self.shown(step.subgoals[0].goal)
            self.tacs.append(Tac([tactic], before, render_state([Goal(ctx, new_text)]), [*premises, *names],
                                 depth))
            self.goal_text = new_text
            node = step.children[0]

    def run(self) -> list[Tac]:
        self.goal_text = self.shown(self.thm.goal)
        ctx = self.root_ctx
        for v in self.extra:  # a variable that only the proof introduces (``with B := y``): any value does
            before = render_state([Goal(ctx, self.goal_text)])
            ctx = (*ctx, (v, self.ty))
            self.tacs.append(Tac([f"have {v} : {self.ty} := 0"], before, render_state([Goal(ctx, self.goal_text)]),
                                 [], 0))
        self.prove(self.node, ctx, 0)
        return self.tacs


def _norm_num(goal: Expr) -> str:
    """``norm_num`` for a constant goal; with the ``|·|`` lemmas when it has absolute values (their side
    conditions are numerals' signs, which ``norm_num`` discharges)."""
    if any(e.op == "abs" for e in goal.subterms()):
        return "norm_num [abs_of_nonneg, abs_of_nonpos]"
    return "norm_num"


def _proof_variables(node: Node) -> set[str]:
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        out |= n.goal.variables()
        if isinstance(n, Step):
            stack.extend(n.children)
    return out


# ---------------------------------------------------------------------------------------------------------
# theorems and files
# ---------------------------------------------------------------------------------------------------------


@dataclass
class LeanTheorem:
    """One exported theorem: its Lean name, statement (``theorem ... :\\n    GOAL``), tactics, and the
    namespace it is written in (``full_name`` is what Lean and LeanDojo call it)."""

    name: str
    statement: str
    tactics: list[Tac]
    namespace: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    def text(self) -> str:
        body = ["  " + line for t in self.tactics if t.depth == 0 for line in t.lines]
        return self.statement + " := by\n" + "\n".join(body) + "\n"


def export_theorem(item: ExportItem, rules: RuleSet, name: str | None = None) -> LeanTheorem:
    """The Lean theorem for ``item`` (called ``name``, by default ``thm_<id>``); ExportError (``rule`` set)
    when a rule it uses has no mapping, or when its statement mentions an operator Mathlib lacks."""
    thm = item.theorem
    if thm.domain not in LEAN_TYPE:
        raise ExportError(f"no Lean type for domain {thm.domain}")
    node = trace(thm, item.proof, rules)
    for rid in rules_used(node):
        _lean_rule(rules[rid], rules)
    ex = _Exporter(thm, node, rules)
    name = name or identifier(item.name)
    statement = ex.statement(name)
    return LeanTheorem(name, statement, ex.run())


def file_stem(rules: RuleSet) -> str:
    """``EquationsDefault``, ``EquationsNat`` ...: the files' prefix and the theorems' namespace."""
    return "Equations" + "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", rules.name) if p)


def render_files(items: Iterable[ExportItem], rules: RuleSet, per_file: int = 150
                 ) -> Iterator[tuple[str, str, list[tuple[LeanTheorem, int, int]], dict[str, str]]]:
    """``(file name, text, [(theorem, first line, last line)], skipped)`` per output file (1-based lines).

    The theorems live in the namespace :func:`file_stem` (one per rule set), so two rule sets' files never
    clash; a dataset id met twice gets a numeric suffix (``thm_a_2``)."""
    stem = file_stem(rules)
    batch: list[LeanTheorem] = []
    skipped: dict[str, str] = {}
    taken: set[str] = set()
    k = 0

    def flush() -> tuple[str, str, list[tuple[LeanTheorem, int, int]], dict[str, str]]:
        head = (HEADER + f"\n/-! Theorems exported by `equations` (rule set {rules.name}, version "
                f"{rules.version}) for Mathlib {MATHLIB_PIN.commit[:12]}; every proof uses Mathlib lemmas "
                f"only. -/\n\nnamespace {stem}\n\n")
        lines = head.count("\n") + 1
        parts = [head]
        spans: list[tuple[LeanTheorem, int, int]] = []
        for t in batch:
            text = t.text()
            n = text.count("\n")
            spans.append((t, lines, lines + n - 1))
            parts.append(text + "\n")
            lines += n + 1
        parts.append(f"end {stem}\n")
        return f"{stem}{k:04d}.lean", "".join(parts), spans, dict(skipped)

    for item in items:
        base = name = identifier(item.name)
        n = 2
        while name in taken:
            name = f"{base}_{n}"
            n += 1
        taken.add(name)
        try:
            t = export_theorem(item, rules, name)
        except ExportError as err:
            skipped[name] = err.reason
            continue
        except ProofError as err:  # not a proof the core accepts: nothing to translate
            skipped[name] = f"{REJECTED}: {err}"
            continue
        t.namespace = stem
        batch.append(t)
        if len(batch) >= per_file:
            yield flush()
            batch, skipped = [], {}
            k += 1
    if batch or skipped:
        yield flush()


# ---------------------------------------------------------------------------------------------------------
# the Lake project and the rule check
# ---------------------------------------------------------------------------------------------------------

_MODULE = re.compile(r"^(Equations[A-Za-z0-9]*\d{4}|RuleCheck[A-Za-z0-9]+)\.lean$")


def lakefile_text(modules: Iterable[str]) -> str:
    """``lakefile.toml`` of an export: Mathlib at :data:`MATHLIB_PIN`, one library with the given modules."""
    roots = ", ".join(f'"{m}"' for m in sorted(set(modules)))
    return (
        f"# Written by `equations export --to lean`: the theorems compile against Mathlib {MATHLIB_PIN.commit}\n"
        f"# ({MATHLIB_PIN.date}). Run `lake exe cache get && lake build` here (elan installs the toolchain).\n"
        f'name = "equations_export"\n'
        f'defaultTargets = ["{LIB_NAME}"]\n\n'
        f"[[require]]\n"
        f'name = "mathlib"\n'
        f'git = "{MATHLIB_PIN.url}"\n'
        f'rev = "{MATHLIB_PIN.commit}"\n\n'
        f"[[lean_lib]]\n"
        f'name = "{LIB_NAME}"\n'
        f"roots = [{roots}]\n"
    )


def write_project(out_dir: Path) -> list[Path]:
    """Write ``lean-toolchain`` and ``lakefile.toml`` into ``out_dir``; the library's roots are every
    exported module there (``Equations*NNNN.lean``, ``RuleCheck*.lean``), so the files of several rule sets
    written into one folder build together."""
    out_dir = Path(out_dir)
    modules = [p.stem for p in out_dir.iterdir() if _MODULE.match(p.name)]
    toolchain, lakefile = out_dir / "lean-toolchain", out_dir / "lakefile.toml"
    write_atomic(toolchain, MATHLIB_PIN.toolchain + "\n")
    write_atomic(lakefile, lakefile_text(modules))
    return [lakefile, toolchain]


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
    entry = _lean_rule(rule, rules)
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
    stem = "RuleCheck" + file_stem(rules).removeprefix("Equations")
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


def write_lean(items: Iterable[ExportItem], out_dir: Path, rules: RuleSet, *, per_file: int = 150,
               rule_check: bool = False) -> ExportReport:
    """Write ``.lean`` files (``import Mathlib`` first) holding ``per_file`` theorems each, and the Lake project
    (:func:`write_project`); theorems whose proof uses an unmapped rule are skipped (``report.skipped`` says
    which rule). ``rule_check`` also writes ``RuleCheck<Set>.lean`` (listed first in ``report.files``, so a
    ``--check`` compiles it first)."""
    if per_file < 1:
        raise ValueError("per_file must be at least 1")
    report = ExportReport()
    out_dir = Path(out_dir)
    if rule_check:
        path = out_dir / f"RuleCheck{file_stem(rules).removeprefix('Equations')}.lean"
        write_atomic(path, rule_check_text(rules))
        report.files.append(path)
    for fname, text, spans, skipped in render_files(items, rules, per_file):
        report.skipped.update(skipped)
        if not spans:
            continue
        path = out_dir / fname
        write_atomic(path, text)
        report.files.append(path)
        report.exported += [t.full_name for t, _, _ in spans]
    if report.files:
        write_project(out_dir)
    return report


# ---------------------------------------------------------------------------------------------------------
# checking with Lean
# ---------------------------------------------------------------------------------------------------------

_NOT_FOUND = ("no Lean toolchain found: checking the Lean export needs `lake` on PATH and a Mathlib project "
              "(a Lake package that requires mathlib, with `lake exe cache get` done) named by the environment "
              "variable EQUATIONS_LEAN_PROJECT (the export's own folder is one, after `lake exe cache get` there)")
_ERR = re.compile(r"^(?P<file>[^:\n]+\.lean):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*)$")


def find_lean_project() -> tuple[str, Path]:
    """``(lake executable, project directory)``, or LeanNotFound with a plain message."""
    lake = shutil.which("lake")
    project = os.environ.get("EQUATIONS_LEAN_PROJECT", "")
    if lake is None:
        raise LeanNotFound(_NOT_FOUND + " (`lake` is not on PATH)")
    if not project:
        raise LeanNotFound(_NOT_FOUND + " (EQUATIONS_LEAN_PROJECT is not set)")
    root = Path(project)
    if not any((root / f).is_file() for f in ("lakefile.lean", "lakefile.toml")):
        raise LeanNotFound(_NOT_FOUND + f" ({root} has no lakefile.lean or lakefile.toml)")
    return lake, root


def _theorem_lines(text: str) -> list[tuple[int, str]]:
    """``(line, full name)`` of every theorem of a file (names qualified by the enclosing namespace)."""
    out: list[tuple[int, str]] = []
    ns: list[str] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if m := re.match(r"namespace (\S+)", line):
            ns.append(m.group(1))
        elif re.match(r"end( |$)", line) and ns:
            ns.pop()
        elif m := re.match(r"theorem (\S+)", line):
            out.append((i, ".".join([*ns, m.group(1)])))
    return out


def check_lean(report: ExportReport, out_dir: Path, *, timeout: float = 1800.0) -> ExportReport:
    """Compile every written file with ``lake env lean`` inside the Mathlib project named by
    ``EQUATIONS_LEAN_PROJECT``; fills ``report.failures`` (theorem name -> first error), ``checked`` and
    ``seconds``. Raises LeanNotFound when there is no toolchain or project."""
    lake, root = find_lean_project()
    start = time.monotonic()
    for path in report.files:
        text = Path(path).read_text(encoding="utf-8")
        starts = _theorem_lines(text)
        try:
            proc = subprocess.run([lake, "env", "lean", str(Path(path).resolve())], cwd=root, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            for _, name in starts:
                report.failures.setdefault(name, f"timeout after {timeout:.0f} s compiling {Path(path).name}")
            continue
        output = proc.stdout + proc.stderr
        found = False
        for line in output.splitlines():
            m = _ERR.match(line.strip())
            if not m:
                continue
            found = True
            ln = int(m.group("line"))
            owner = next((name for first, name in reversed(starts) if first <= ln), None)
            key = owner or Path(path).name
            report.failures.setdefault(key, f"line {ln}: {m.group('msg')}")
        if proc.returncode != 0 and not found:
            msg = (output.strip().splitlines() or [f"lean exited with status {proc.returncode}"])[-1]
            for _, name in starts:
                report.failures.setdefault(name, msg)
    report.checked = True
    report.seconds = time.monotonic() - start
    return report


__all__ = [
    "MATHLIB_PIN",
    "Instances",
    "LeanNotFound",
    "LeanRule",
    "LeanTheorem",
    "MathlibPin",
    "check_lean",
    "export_theorem",
    "lakefile_text",
    "mapped_rules",
    "mathlib_names",
    "pinned_names",
    "render_files",
    "render_state",
    "rule_check_text",
    "template_entries",
    "unmapped_rules",
    "use_lean_table",
    "write_lean",
    "write_project",
]
