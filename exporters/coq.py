"""Theorems and proofs to Coq, step for step, checked by ``coqc``.

Every step of our proof becomes one explicit Coq step; Coq searches nothing (beyond ``lra`` on constant
goals), so a file that compiles means Coq's kernel accepted *our* steps:

* a rewrite of the node ``old`` into ``new`` at a position of goal ``C[old]`` is the congruence
  ``refine (eq_ind_r (fun hole__ : R => C[hole__]) (_ : C[new]) (r_rule a b c S1 S2))`` (``eq_ind`` for a
  backward rewrite): the rule's lemma applied to every pattern variable explicitly and to the proofs of
  its instantiated hypotheses, under the exact context of the rewritten position. The hole's type
  annotation makes Coq check that the new goal is exactly the one our engine produced.
* a relational rewrite at the root uses the lemma's ``<->`` (``proj1``/``proj2``);
* an assertion is ``exact (r_rule a b S1 S2)``;
* side conditions are stated by ``assert (Si : hyp)`` and proved first, each by its own sub-proof;
* goals closed automatically: a hypothesis by ``exact Hi``, a constant goal by ``eqn_const`` (exact
  rational arithmetic: ``lra``/``field`` after unfolding integer powers), a hypothesis-free assertion by
  its lemma; built-in integer arithmetic (``int_add`` ...) by the same constant tactic.

The preamble (``EquationsBase.v`` and the rule modules of :mod:`.coq_preamble`) is written next to the
theorem files; :func:`check_coq` compiles it, then the theorem files, naming every failing theorem.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

from equations import Expr, ProofError, Rule, RuleSet, Theorem, exact_value, load_rules, make, num, var
from equations.atomic import write_atomic

from .common import REJECTED, ExportItem, ExportReport, identifier
from .coq_check import compile_blocks, compile_preamble
from .coq_preamble import BASE, RULE_SETS, preamble_files, unexportable
from .coq_syntax import COQ_SCOPE, COQ_TYPE, HOLE, RULE_MODULE, coq_ident, coq_prop, coq_term, lemma_name
from .trace import Closed, ExportError, Node, Step, proof_variables, replace_path, rules_used, trace

#: closes a constant goal over N or Z: linear arithmetic, else compute both sides
_ZCONST = ("Ltac eqn_zconst := first [ lia | reflexivity | (vm_compute; first [ reflexivity | discriminate "
           "| (intro; discriminate) | (intro; congruence) ]) ].")


class _Emitter:
    """Writes the proof script of one theorem; ``counter`` numbers side-condition hypotheses."""

    def __init__(self, domain: str):
        self.domain = domain
        self.lines: list[str] = []
        self.counter = 0
        self.depth = 1

    def emit(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def term(self, e: Expr) -> str:
        return coq_term(e, self.domain)

    def arg(self, e: Expr) -> str:
        """``e`` as an application argument (parenthesised unless atomic)."""
        t = self.term(e)
        return t if t.startswith("(") or " " not in t else f"({t})"

    def prop(self, e: Expr) -> str:
        return coq_prop(e, self.domain)

    def const_tactic(self) -> str:
        return "eqn_const" if self.domain == "real" else "eqn_zconst"

    # --- closing ---------------------------------------------------------------------------------------
    def closed(self, c: Closed) -> None:
        if c.how == "hypothesis":
            assert c.hyp_index is not None
            self.emit(f"exact H{c.hyp_index}.")
        elif c.how == "exact":
            self.constant(c.goal.goal)
        else:
            assert c.rule is not None
            self.emit(f"exact ({self.lemma_call(c.rule, c.bindings, [])}).")

    def constant(self, goal: Expr) -> None:
        """A constant goal decided by exact arithmetic: non-literal integer exponents and absolute values
        are first replaced, innermost first, by their exact values (each by a checked ``replace``), then
        ``eqn_const`` decides what is left (rational arithmetic and integer powers)."""
        if goal.op == "dvd":
            # a | b is "exists k, b = k * a": give the witness, then compute
            a, b = (exact_value(x, self.domain) for x in goal.args)
            if a is None or b is None:
                raise ExportError(f"no exact value for the sides of {goal}")
            k = 0 if a == 0 else int(b / a)
            self.emit(f"exists {_int_literal(k)}.")
        if self.domain == "real":
            # replace, innermost first, every node lra cannot see through (a quotient or inverse of a
            # non-literal, a power, an absolute value, a product of non-literals) by its exact value, so
            # what is left is linear rational arithmetic
            done: dict[Expr, Expr] = {}
            for node in _post_order(goal):
                if node.op == "pow" and node.args[1].op != "int":
                    self._replace(node.args[1], done)  # epow rewrites need a literal exponent
                if node.op in ("pow", "abs", "inv") or (
                    node.op in ("div", "mul") and node.args[1].op != "int" and node.args[0].op != "int"
                ) or (node.op == "div" and node.args[1].op != "int"):
                    self._replace(node, done)
        self.emit(f"{self.const_tactic()}.")

    def _replace(self, node: Expr, done: dict[Expr, Expr]) -> None:
        if node in done:
            return
        v = exact_value(node, self.domain)
        if v is None:  # cannot happen inside a goal that exact evaluation decided
            raise ExportError(f"no exact value for {node}")
        old = _substitute(node, done)
        value = _value_expr(v)
        if old is value:
            return
        if node.op == "abs":
            inner = exact_value(node.args[0], self.domain)
            lemma = "Rabs_pos_eq" if inner is not None and inner >= 0 else "Rabs_left"
            how = f"(rewrite {lemma} by eqn_const; eqn_const)"
        else:
            how = "eqn_const"
        self.emit(f"replace {self.term(old)} with {self.term(value)} by {how}.")
        done[node] = value

    # --- steps -------------------------------------------------------------------------------------------
    def lemma_call(self, rule: Rule, bindings: tuple[tuple[str, Expr], ...], sides: list[str]) -> str:
        """``r_rule a b S1``: the rule's lemma applied to every pattern variable, then the side proofs."""
        args = [self.arg(v) for _, v in bindings]
        return " ".join([lemma_name(rule), *args, *sides])

    def side_conditions(self, step: Step) -> list[str]:
        names: list[str] = []
        for i, child in enumerate(step.side_goals()):
            sub = step.subgoals[i + 1 if step.is_rewrite else i]
            self.counter += 1
            name = f"S{self.counter}"
            names.append(name)
            self.emit(f"assert ({name} : {self.prop(sub.goal)}).")
            self.emit("{")
            self.depth += 1
            self.node(child)
            self.depth -= 1
            self.emit("}")
        return names

    def node(self, n: Node) -> None:
        # iterative along the main chain (a rewrite's first subgoal), recursive only into side conditions
        while True:
            if isinstance(n, Closed):
                self.closed(n)
                return
            step = n
            self.emit(f"(* {step.tactic} *)")
            rule = step.rule
            if not step.is_rewrite:
                sides = self.side_conditions(step)
                self.emit(f"exact ({self.lemma_call(rule, step.bindings, sides)}).")
                return
            new_goal = step.subgoals[0].goal
            if rule.kind == "arith":
                assert step.old is not None and step.new is not None
                self.counter += 1
                eq_name = f"S{self.counter}"
                self.emit(f"assert ({eq_name} : {self.term(step.old)} = {self.term(step.new)}) "
                          f"by {self.const_tactic()}.")
                proof = eq_name
                forward = True
            else:
                sides = self.side_conditions(step)
                proof = self.lemma_call(rule, step.bindings, sides)
                forward = step.forward
            if rule.relational:
                self.emit(f"refine ({'proj2' if forward else 'proj1'} ({proof}) (_ : {self.prop(new_goal)})).")
            else:
                hole = var(HOLE, self.domain)
                ctx = replace_path(step.goal.goal, step.path, hole)
                lam = f"(fun {coq_ident(HOLE)} : {COQ_TYPE[self.domain]} => {self.prop(ctx)})"
                assert step.old is not None and step.new is not None
                # @eq_ind_r R new P (_ : P new) old (e : old = new) : P old; @eq_ind the same with e : new = old
                self.emit(f"refine (@{'eq_ind_r' if forward else 'eq_ind'} {COQ_TYPE[self.domain]} "
                          f"{self.arg(step.new)} {lam} (_ : {self.prop(new_goal)}) {self.arg(step.old)} ({proof})).")
            n = step.children[0]


def _post_order(e: Expr) -> Iterator[Expr]:
    for a in e.args:
        yield from _post_order(a)
    yield e


def _int_literal(k: int) -> str:
    return f"({k})" if k < 0 else str(k)


def _value_expr(v: Fraction) -> Expr:
    if v.denominator == 1:
        return num(v.numerator)
    return make("div", num(v.numerator), num(v.denominator))


def _substitute(e: Expr, done: dict[Expr, Expr]) -> Expr:
    if e in done:
        return done[e]
    if not e.args:
        return e
    return make(e.op, *(_substitute(a, done) for a in e.args))


def theorem_text(name: str, thm: Theorem, proof_node: Node) -> str:
    """The Coq ``Theorem ... Qed.`` block of one traced theorem."""
    d = thm.domain
    names = sorted(thm.variables())
    binders = [f"({' '.join(coq_ident(v) for v in names)} : {COQ_TYPE[d]})"] if names else []
    binders += [f"(H{i} : {coq_prop(h, d)})" for i, h in enumerate(thm.hyps)]
    statement = " ".join([*binders, ":", coq_prop(thm.goal, d)])
    em = _Emitter(d)
    extra = sorted(proof_variables(proof_node) - set(names))
    if extra:
        # variables the proof brings in by substitution: prove the goal for all their values, use one
        idents = " ".join(coq_ident(v) for v in extra)
        zeros = " ".join("0" for _ in extra)
        em.emit(f"enough (Hall : forall ({idents} : {COQ_TYPE[d]}), {coq_prop(thm.goal, d)}) by exact (Hall {zeros}).")
        em.emit(f"intros {idents}.")
    em.node(proof_node)
    return f"Theorem {name} {statement}.\nProof.\n" + "\n".join(em.lines) + "\nQed."


def file_header(domain: str) -> str:
    lines = [
        "(* Generated by equations.exporters.coq: each proof replays an Equations proof step by step. *)",
        f"Require Import {BASE} {RULE_MODULE[domain]}.",
        f"Open Scope {COQ_SCOPE[domain]}.",
    ]
    if domain != "real":
        lines.append(_ZCONST)
    return "\n".join(lines) + "\n"


def lemma_rule_set(rules: RuleSet) -> RuleSet:
    """The bundled rule set whose preamble lemmas the proofs of ``rules`` apply: the one of its domain
    (:data:`RULE_SETS`). Another set over that domain (``paper``, a subset, a user file) shares those
    lemmas rule by rule: a rule it uses must have the same id and statement there (see
    :func:`export_theorem`), so one preamble serves every set and no lemma is duplicated."""
    name = RULE_SETS.get(rules.domain)
    if name is None:
        raise ExportError(f"no Coq lemmas for domain {rules.domain}")
    return load_rules(name)


def export_theorem(item: ExportItem, rules: RuleSet) -> str:
    """The Coq block of one theorem; :class:`ExportError` when it uses a rule without a Coq lemma (a rule
    the domain's bundled set lacks or states differently, or one listed as unexportable)."""
    if item.theorem.domain != rules.domain:
        raise ExportError(f"the theorem is over {item.theorem.domain}, rule set {rules.name!r} over {rules.domain}")
    base = lemma_rule_set(rules)
    node = trace(item.theorem, item.proof, rules)
    skip = unexportable(base.name)
    for rid in rules_used(node):
        if base is not rules:
            lemma = base.get(rid)
            if lemma is None or str(lemma) != str(rules[rid]):
                raise ExportError(f"uses rule {rid} of set {rules.name!r}, which has no Coq lemma (the lemmas are "
                                  f"the rules of {base.name!r}, and {rid} is not one of them as stated)", rid)
        if rid in skip:
            raise ExportError(f"uses rule {rid}, which has no Coq lemma ({skip[rid]})", rid)
    return theorem_text(identifier(item.name), item.theorem, node)


def write_coq(items: Iterable[ExportItem], out_dir: Path, rules: RuleSet, *, per_file: int = 150,
              stem: str = "Theorems") -> ExportReport:
    """Write the preamble and the theorems (``per_file`` to a file, named ``<stem>_<domain>_<k>.v``) into
    ``out_dir``. Preamble files already there with the same text are left alone, so their compiled
    ``.vo`` stay valid across runs."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    for fname, text in preamble_files().items():
        target = out_dir / fname
        if not target.exists() or target.read_text() != text:
            write_atomic(target, text)
    (out_dir / "_CoqProject").write_text('-Q . ""\n')
    batch: list[tuple[str, str]] = []
    domain = rules.domain
    # theorems of another set than the domain's bundled one (``paper``) go to their own files, so the
    # groups of one input (see exporters/cli.py) never overwrite each other
    tag = domain if rules.name == RULE_SETS.get(domain) else f"{domain}_{re.sub(r'[^A-Za-z0-9]+', '_', rules.name)}"
    index = 0

    def flush() -> None:
        nonlocal index, batch
        if not batch:
            return
        path = out_dir / f"{stem}_{tag}_{index:04d}.v"
        write_atomic(path, file_header(domain) + "\n" + "\n\n".join(b for _, b in batch) + "\n")
        report.files.append(path)
        index += 1
        batch = []

    for item in items:
        try:
            block = export_theorem(item, rules)
        except ExportError as err:
            report.skipped[item.name] = err.reason
            continue
        except ProofError as err:  # not a proof the core accepts: nothing to translate
            report.skipped[item.name] = f"{REJECTED}: {err}"
            continue
        batch.append((item.name, block))
        report.exported.append(item.name)
        if len(batch) >= per_file:
            flush()
    flush()
    return report


def check_coq(report: ExportReport, out_dir: Path, *, workers: int | None = None,
              progress: Callable[[int], None] | None = None) -> ExportReport:
    """Compile the preamble, then every theorem file of ``report`` in ``out_dir`` (``workers`` coqc processes
    at a time, default one per core); failures are recorded per theorem (dataset name), and ``progress`` is
    called with the number of theorems of each file checked. Raises :class:`ExportError` when the preamble
    itself does not compile."""
    from .coq_check import split_blocks

    out_dir = Path(out_dir).resolve()
    t0 = time.perf_counter()
    pre = compile_preamble(out_dir, [(n, (out_dir / n).read_text()) for n in preamble_files()], workers=workers,
                           reuse=True)
    bad = {f"{r.path.name}:{k}": v for r in pre for k, v in r.failures.items()}
    if bad:
        raise ExportError("the Coq preamble does not compile: " + "; ".join(f"{k}: {v}" for k, v in bad.items()))
    t1 = time.perf_counter()
    by_ident = {identifier(n): n for n in report.exported}

    def one(path: Path) -> tuple[int, dict[str, str]]:
        header, blocks = split_blocks(path.read_text())
        return len(blocks), compile_blocks(out_dir, path.stem, header, blocks, workers=1).failures

    n_workers = max(1, workers or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:  # files are independent once the preamble is built
        for count, failures in pool.map(one, report.files):
            for ident, msg in failures.items():
                report.failures[by_ident.get(ident, ident)] = msg
            if progress is not None:
                progress(count)
    report.checked = True
    report.seconds = time.perf_counter() - t1
    report.preamble_seconds = t1 - t0
    return report
