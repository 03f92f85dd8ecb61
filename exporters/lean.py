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

Powers: see :mod:`.lean_syntax`; rules Mathlib states for ``Real.rpow``: see :mod:`.lean_rules`.

**Modules.** The Mathlib rule tables, the pinned commit (:data:`MATHLIB_PIN`) and the names table are
:mod:`.lean_table`; a rule instance stated and proved by its template, and the rule check, :mod:`.lean_rules`;
the goal view the traced tactics record, :mod:`.lean_goals`; ``lakefile.toml`` and ``lean-toolchain``,
:mod:`.lean_project`; compiling with ``lake``, :mod:`.lean_check`. This module is the exporter proper: each
theorem's tactics (:func:`export_theorem`), the files (:func:`render_files`, :func:`write_lean`). With
``rule_check=True``, :func:`write_lean` adds ``RuleCheck<Set>.lean``, one ``theorem`` per rule stating it over
the right type and proving it with exactly the exporter's template (compiling it validates every template at
once); it always writes the Lake project beside the files, so ``lake exe cache get && lake build`` compiles
the export against the pinned Mathlib (``scripts/validate_lean_templates.py`` checks every name against its
source).

Theorem names are unique across everything one export writes: each rule set's theorems live in their own
namespace (``EquationsNat.thm_walk_1``), and a repeated dataset id gets a suffix (``thm_a_2``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from equations import Expr, ProofError, RuleSet, Theorem
from equations.atomic import write_atomic
from equations.expr import make, var

from .common import REJECTED, ExportItem, ExportReport, identifier
from .lean_check import LeanNotFound, check_lean
from .lean_goals import Goal, hyp_name, render_state
from .lean_project import HEADER, file_stem, lakefile_text, rule_check_stem, write_project
from .lean_rules import Instances, rule_check_text
from .lean_syntax import HOLE, LEAN_TYPE, LeanPrinter, at_path, lean_ident, motive_path
from .lean_table import (
    DOMAIN_SET,
    MATHLIB_PIN,
    RPOW_BRIDGE,
    STEP_NAMES,
    bridge_names,
    lean_rule,
    mapped_rules,
    mathlib_names,
    pinned_names,
    template_entries,
    template_names,
    unmapped_rules,
)
from .trace import Closed, ExportError, Node, Step, replace_path, rules_used, trace


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
        entry = lean_rule(step.rule, self.rules)
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
        return term, [*names, "congrArg", *bridge_names()]

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
        motive = LeanPrinter(self.domain, nat_vars=nat_vars).prop(replace_path(old_goal, at, hole))
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
        lean_rule(rules[rid], rules)
    ex = _Exporter(thm, node, rules)
    name = name or identifier(item.name)
    statement = ex.statement(name)
    return LeanTheorem(name, statement, ex.run())


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
        path = out_dir / f"{rule_check_stem(rules)}.lean"
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


#: what other modules import from here: the exporter's own names, and (re-exported) the names they imported
#: from this module before the table, rules, project and check moved out
__all__ = [
    "DOMAIN_SET",
    "MATHLIB_PIN",
    "STEP_NAMES",
    "ExportError",
    "LeanNotFound",
    "LeanTheorem",
    "Tac",
    "check_lean",
    "export_theorem",
    "hyp_name",
    "lakefile_text",
    "mapped_rules",
    "mathlib_names",
    "pinned_names",
    "render_files",
    "rule_check_text",
    "template_entries",
    "template_names",
    "unmapped_rules",
    "write_lean",
]
