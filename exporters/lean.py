"""Export theorems and their proofs to Lean 4 with Mathlib.

Each theorem becomes ``theorem thm_<id> (x y : ℝ) (h₀ : x > 0) : GOAL := by`` followed by one tactic per
proof step, using Mathlib lemmas only (no preamble of our own):

* a **rule** is proved by a Mathlib lemma applied to its instantiated pattern variables and hypothesis
  proofs, or by a short snippet, from the tables in ``data/lean/mathlib_<set>.tsv``; rules Mathlib cannot
  express are listed with the reason in ``data/lean/unmapped.tsv`` and a proof using one is skipped (never
  exported with ``sorry``);
* a **rewrite** at a position becomes ``conv => enter [i, j, ...]; rw [show OLD = NEW from LEMMA args]``: the
  ``conv`` path is the trace's child-index path (child ``i`` is explicit argument ``i + 1``), and the equation
  is stated in full, so the rewrite happens at exactly that node and the lemma's own statement only needs to
  be *definitionally* equal to ours. A backward rewrite is ``rw [← ...]``. Relational rewrites (at the root)
  are ``rw [show P ↔ Q from ...]``;
* an **assertion** is ``exact LEMMA args``; hypotheses of a rule that need a proof of their own become
  ``have h₃ : H := by ...`` first; hypotheses of the theorem are ``h₀ h₁ ...``; constant goals decided by exact
  rational evaluation are closed with ``norm_num``.

``rw`` and ``conv`` close a goal that became reflexive (``a = a``, ``a ≤ a``, ``a ∣ a``) with ``rfl``; the
exporter predicts this (both sides print the same) and then writes no closing tactic. Over ℕ and ℤ, where
``rfl`` may also close small numeral goals by evaluation, a rewrite followed by a closing tactic is written
``(conv => ...) <;> tac``, which is correct either way.

Powers: see :mod:`.lean_syntax` (ℕ exponent for non-negative literals, ``Real.rpow`` otherwise). Rules
flagged ``rpow`` in the table are stated by Mathlib for ``Real.rpow``; when an instance prints some of its
powers with a literal exponent as ℕ powers, the step proves the all-``rpow`` instance with the lemma and
bridges with ``simpa only [Real.rpow_ofNat, Real.rpow_one, Real.rpow_zero, pow_one, pow_zero] using ...``.
A rewrite inside a literal exponent (``x ^ 2`` to ``x ^ (1 + 1 : ℝ)``) is done at the whole power, proved
by ``norm_num``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from equations import Expr, ProofError, RuleSet, Theorem, load_rules
from equations.expr import make
from equations.rules import Rule, bundled_rule_sets

from .common import REJECTED, ExportItem, ExportReport, identifier
from .lean_syntax import (
    LEAN_TYPE,
    REFLEXIVE,
    LeanPrinter,
    at_path,
    conv_path,
    lean_args,
    lean_ident,
)
from .trace import Closed, ExportError, Node, Step, rules_used, trace

DATA = Path(__file__).parent / "data" / "lean"
BUNDLED = ("default", "nat", "int")
DOMAIN_SET = {"real": "default", "nat": "nat", "int": "int"}
RPOW_BRIDGE = "simpa only [Real.rpow_ofNat, Real.rpow_one, Real.rpow_zero, pow_one, pow_zero] using"
HEADER = "import Mathlib\n"


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
    """The Lean constants a template mentions (what ``scripts/check_mathlib_names.py`` verifies)."""
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


def mathlib_names() -> dict[str, list[str]]:
    """Every constant the tables use -> the ``set:rule`` entries using it (the bridging lemmas included)."""
    out: dict[str, list[str]] = {}
    for s in BUNDLED:
        for r in _table(s).values():
            for n in template_names(r.template):
                out.setdefault(n, []).append(f"{s}:{r.id}")
    bridge = RPOW_BRIDGE.split("[", 1)[1].split("]", 1)[0]
    for n in (x.strip() for x in bridge.split(",")):
        out.setdefault(n, []).append("bridge:rpow")
    return out


def _lean_rule(rule: Rule, rules: RuleSet) -> LeanRule:
    """The table entry for ``rule``, or ExportError naming the reason it has none."""
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
    and the Mathlib constants it uses."""

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


def _subst(e: Expr, b: dict[str, Expr]) -> Expr:
    if e.op == "var" and str(e.value) in b:
        return b[str(e.value)]
    if not e.args:
        return e
    return make(e.op, *(_subst(a, b) for a in e.args))


class _Exporter:
    """Writes the Lean proof of one traced theorem; collects the traced tactics on the way."""

    def __init__(self, thm: Theorem, node: Node, rules: RuleSet):
        self.thm = thm
        self.rules = rules
        self.domain = thm.domain
        self.ty = LEAN_TYPE[self.domain]
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

    def arg(self, e: Expr, rpow_all: bool = False) -> str:
        p = LeanPrinter(self.domain, rpow_all=rpow_all)
        text = p.term(e, anchored=False)
        simple = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_'.]*|\d+|\(.*\)", text) and _balanced_atom(text)
        return text if simple else f"({text})"

    # -- statement --------------------------------------------------------------------------------------
    def statement(self, name: str) -> str:
        parts = [f"theorem {name}"]
        if self.binders:
            parts.append(f"({' '.join(self.binders)} : {self.ty})")
        parts += [f"({hyp_name(i)} : {self.prop(h)})" for i, h in enumerate(self.thm.hyps)]
        return " ".join(parts) + f" :\n    {self.prop(self.thm.goal)}"

    # -- rule instances ---------------------------------------------------------------------------------
    def instance(self, rule: Rule, bindings: dict[str, Expr], hyp_proofs: dict[int, str],
                 rpow_all: bool = False) -> tuple[str, str, list[str]]:
        """(statement, proof text, premises) of ``rule``'s instance, oriented as the rule is written."""
        entry = _lean_rule(rule, self.rules)
        if rule.kind == "assert":
            assert rule.concl is not None
            stmt = LeanPrinter(self.domain, rpow_all=rpow_all).prop(_subst(rule.concl, bindings))
        elif rule.relational:
            assert rule.lhs is not None and rule.rhs is not None
            p = LeanPrinter(self.domain, rpow_all=rpow_all)
            stmt = f"{p.prop(_subst(rule.lhs, bindings))} ↔ {p.prop(_subst(rule.rhs, bindings))}"
        else:
            assert rule.lhs is not None and rule.rhs is not None
            from .lean_syntax import lean_equation

            stmt = lean_equation(_subst(rule.lhs, bindings), _subst(rule.rhs, bindings), self.domain, rpow_all)

        def fill(m: re.Match[str]) -> str:
            key = m.group(1)
            if key.startswith("h") and key[1:].isdigit():
                return hyp_proofs[int(key[1:])]
            if key not in bindings:
                raise ExportError(f"template of {rule.id} names unknown variable {key}", rule.id)
            return self.arg(bindings[key], rpow_all)

        body = re.sub(r"\{([A-Za-z0-9]+)\}", fill, entry.template)
        return stmt, body, template_names(entry.template)

    def proof_of(self, rule: Rule, bindings: dict[str, Expr], hyp_proofs: dict[int, str]) -> tuple[str, str, list[str]]:
        """``(statement, term, premises)``: a term proving the instance, ``(show S from t)`` or
        ``(show S by tac)``, bridged from ``Real.rpow`` when the table says so."""
        stmt, term, _, names = self._proof(rule, bindings, hyp_proofs)
        return stmt, term, names

    def _proof(self, rule: Rule, bindings: dict[str, Expr], hyp_proofs: dict[int, str]
               ) -> tuple[str, str, str, list[str]]:
        """Also the bare form (the template's term without ``show``, where it needs none: after ``exact``)."""
        entry = _lean_rule(rule, self.rules)
        stmt, body, names = self.instance(rule, bindings, hyp_proofs)
        if entry.rpow:
            stmt_r, body_r, _ = self.instance(rule, bindings, hyp_proofs, rpow_all=True)
            if stmt_r != stmt:
                inner = _show(stmt_r, body_r, entry.tactic)
                term = f"(show {stmt} by {RPOW_BRIDGE} {inner})"
                return stmt, term, term, [*names, *_bridge_names()]
        term = _show(stmt, body, entry.tactic)
        return stmt, term, (term if entry.tactic else body), names

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
        _, term, names = self.proof_of(c.rule, dict(c.bindings), {})
        return term, names

    def close_tactic(self, c: Closed) -> tuple[str, list[str]]:
        if c.how == "hypothesis":
            return f"exact {self.hyp_of.get(c.goal.goal, hyp_name(c.hyp_index or 0))}", []
        if c.how == "exact":
            return _norm_num(c.goal.goal), []
        assert c.rule is not None
        _, _, bare, names = self._proof(c.rule, dict(c.bindings), {})
        return f"exact {bare}", names

    # -- steps ------------------------------------------------------------------------------------------
    def prove(self, node: Node, ctx: tuple[tuple[str, str], ...], depth: int) -> None:
        """Tactics proving ``node.goal`` (the current goal, ``self.goal_text``) in context ``ctx``."""
        before = render_state([Goal(ctx, self.goal_text)])
        if isinstance(node, Closed):
            text, names = self.close_tactic(node)
            self.tacs.append(Tac([text], before, "no goals", names, depth))
            return
        step = node
        hyp_proofs, ctx, premises = self.side_proofs(step, ctx, depth)
        before = render_state([Goal(ctx, self.goal_text)])
        _, term, bare, names = self._proof(step.rule, dict(step.bindings), hyp_proofs) \
            if step.rule.kind != "arith" else ("", "", "", [])
        premises += names
        if not step.is_rewrite:
            self.tacs.append(Tac([f"exact {bare}"], before, "no goals", premises, depth))
            return
        old_goal = step.goal.goal
        new_goal = step.subgoals[0].goal
        if step.rule.relational:
            arrow = "" if step.forward else "← "
            tactic = f"rw [{arrow}{term}]"
        else:
            path = conv_path(old_goal, new_goal, step.path, self.domain)
            if path != step.path or step.rule.kind == "arith":
                old, new = at_path(old_goal, path), at_path(new_goal, path)
                from .lean_syntax import lean_equation

                eq_text = lean_equation(old, new, self.domain)
                rewrite = f"rw [(show {eq_text} by norm_num)]"
                premises = premises if step.rule.kind != "arith" else []
            else:
                arrow = "" if step.forward else "← "
                rewrite = f"rw [{arrow}{term}]"
            tactic = f"conv => enter [{lean_args(path)}]; {rewrite}"
        new_text = self.shown(new_goal)
        child = step.children[0]
        if _reflexive(new_goal, self.pp):
            self.tacs.append(Tac([tactic], before, "no goals", premises, depth))
            return
        if isinstance(child, Closed) and self.domain != "real":
            close, names = self.close_tactic(child)
            self.tacs.append(Tac([f"({tactic}) <;> {close}"], before, "no goals", [*premises, *names], depth))
            return
        self.tacs.append(Tac([tactic], before, render_state([Goal(ctx, new_text)]), premises, depth))
        self.goal_text = new_text
        self.prove(child, ctx, depth)

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


def _balanced_atom(text: str) -> bool:
    if not text.startswith("("):
        return True
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i != len(text) - 1:
            return False
    return True


def _show(stmt: str, body: str, tactic: bool) -> str:
    return f"(show {stmt} {body})" if tactic else f"(show {stmt} from {body})"


def _norm_num(goal: Expr) -> str:
    """``norm_num`` for a constant goal; with the ``|·|`` lemmas when it has absolute values (their side
    conditions are numerals' signs, which ``norm_num`` discharges)."""
    if any(e.op == "abs" for e in goal.subterms()):
        return "norm_num [abs_of_nonneg, abs_of_nonpos]"
    return "norm_num"


def _bridge_names() -> list[str]:
    bridge = RPOW_BRIDGE.split("[", 1)[1].split("]", 1)[0]
    return [x.strip() for x in bridge.split(",")]


def _reflexive(goal: Expr, pp: LeanPrinter) -> bool:
    """Would ``rw``/``conv``'s closing ``rfl`` prove this goal? (Both sides print the same and the
    relation is reflexive.)"""
    return goal.op in REFLEXIVE and pp.term(goal.args[0]) == pp.term(goal.args[1])


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
    """One exported theorem: its Lean name, statement (``theorem ... :\\n    GOAL``), tactics."""

    name: str
    statement: str
    tactics: list[Tac]

    def text(self) -> str:
        body = ["  " + line for t in self.tactics if t.depth == 0 for line in t.lines]
        return self.statement + " := by\n" + "\n".join(body) + "\n"


def export_theorem(item: ExportItem, rules: RuleSet) -> LeanTheorem:
    """The Lean theorem for ``item``; ExportError (``rule`` set) when a rule it uses has no mapping, or when
    its statement mentions an operator Mathlib lacks."""
    thm = item.theorem
    if thm.domain not in LEAN_TYPE:
        raise ExportError(f"no Lean type for domain {thm.domain}")
    node = trace(thm, item.proof, rules)
    for rid in rules_used(node):
        _lean_rule(rules[rid], rules)
    ex = _Exporter(thm, node, rules)
    name = identifier(item.name)
    statement = ex.statement(name)
    return LeanTheorem(name, statement, ex.run())


def file_stem(rules: RuleSet) -> str:
    return "Equations" + "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", rules.name) if p)


def render_files(items: Iterable[ExportItem], rules: RuleSet, per_file: int = 150
                 ) -> Iterator[tuple[str, str, list[tuple[LeanTheorem, int, int]], dict[str, str]]]:
    """``(file name, text, [(theorem, first line, last line)], skipped)`` per output file (1-based lines)."""
    stem = file_stem(rules)
    batch: list[LeanTheorem] = []
    skipped: dict[str, str] = {}
    k = 0

    def flush() -> tuple[str, str, list[tuple[LeanTheorem, int, int]], dict[str, str]]:
        head = (HEADER + f"\n/-! Theorems exported by `equations` (rule set {rules.name}, version "
                f"{rules.version}); every proof uses Mathlib lemmas only. -/\n\n")
        lines = head.count("\n") + 1
        parts = [head]
        spans: list[tuple[LeanTheorem, int, int]] = []
        for t in batch:
            text = t.text()
            n = text.count("\n")
            spans.append((t, lines, lines + n - 1))
            parts.append(text + "\n")
            lines += n + 1
        return f"{stem}{k:04d}.lean", "".join(parts), spans, dict(skipped)

    for item in items:
        try:
            t = export_theorem(item, rules)
        except ExportError as err:
            skipped[identifier(item.name)] = err.reason
            continue
        except ProofError as err:  # not a proof the core accepts: nothing to translate
            skipped[identifier(item.name)] = f"{REJECTED}: {err}"
            continue
        batch.append(t)
        if len(batch) >= per_file:
            yield flush()
            batch, skipped = [], {}
            k += 1
    if batch or skipped:
        yield flush()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_lean(items: Iterable[ExportItem], out_dir: Path, rules: RuleSet, *, per_file: int = 150) -> ExportReport:
    """Write ``.lean`` files (``import Mathlib`` first) holding ``per_file`` theorems each; theorems whose
    proof uses an unmapped rule are skipped (``report.skipped`` says which rule)."""
    if per_file < 1:
        raise ValueError("per_file must be at least 1")
    report = ExportReport()
    out_dir = Path(out_dir)
    for fname, text, spans, skipped in render_files(items, rules, per_file):
        report.skipped.update(skipped)
        if not spans:
            continue
        path = out_dir / fname
        _write_atomic(path, text)
        report.files.append(path)
        report.exported += [t.name for t, _, _ in spans]
    return report


# ---------------------------------------------------------------------------------------------------------
# checking with Lean
# ---------------------------------------------------------------------------------------------------------

_NOT_FOUND = ("no Lean toolchain found: checking the Lean export needs `lake` on PATH and a Mathlib project "
              "(a Lake package that requires mathlib, with `lake exe cache get` done) named by the environment "
              "variable EQUATIONS_LEAN_PROJECT")
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
    return [(i, m.group(1)) for i, line in enumerate(text.splitlines(), start=1)
            if (m := re.match(r"theorem (\S+)", line))]


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
    "LeanNotFound",
    "LeanRule",
    "LeanTheorem",
    "check_lean",
    "export_theorem",
    "mapped_rules",
    "mathlib_names",
    "render_files",
    "render_state",
    "unmapped_rules",
    "write_lean",
]

