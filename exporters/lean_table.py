"""The Mathlib side of the Lean export: the pinned Mathlib commit and, for each rule, the Mathlib lemma that
proves it.

* :data:`MATHLIB_PIN`: the one Mathlib commit the templates are written for and validated against;
* the **rule tables** ``data/lean/mathlib_<set>.tsv`` (``rule id``, ``template``, flags): a template is a term or
  ``by`` tactics proving the rule's instance, ``{A}`` an instantiated pattern variable, ``{h1}`` a proof of its
  first hypothesis, flag ``rpow`` when Mathlib states the rule for ``Real.rpow``; rules Mathlib cannot express
  are listed with the reason in ``data/lean/unmapped.tsv``. :func:`rule_table` reads one set's table,
  :func:`lean_rule` finds the entry proving a rule of any rule set (or says why there is none);
* the tables of rule sets imported from Mathlib (``equations import-mathlib``), registered by
  :func:`use_lean_table`;
* the **names table** ``data/lean/mathlib_names.tsv`` (:func:`pinned_names`): every constant the exporter can
  write (:func:`mathlib_names`) and where the pinned Mathlib declares it, written by
  ``scripts/validate_lean_templates.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from equations import RuleSet, load_rules
from equations.rules import Rule, bundled_rule_sets

from .trace import ExportError


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
#: the rule sets with tables of their own
BUNDLED = ("default", "nat", "int")
#: the bundled set whose tables serve a domain's other rule sets (``paper``, subsets, user files)
DOMAIN_SET = {"real": "default", "nat": "nat", "int": "int"}
#: how an instance proved for ``Real.rpow`` is bridged to the ℕ powers it prints
RPOW_BRIDGE = "simpa only [Real.rpow_ofNat, Real.rpow_one, Real.rpow_zero, pow_one, pow_zero] using"
#: constants the exporter's own step texts use (beside the templates' lemmas)
STEP_NAMES = ("Eq.mpr", "congrArg")


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


def _read_table(path: Path) -> dict[str, LeanRule]:
    """A table file: ``rule id``, ``template``, comma-separated flags (extra columns ignored)."""
    out: dict[str, LeanRule] = {}
    for row in _rows(path):
        flags = row[2].split(",") if len(row) > 2 else []
        out[row[0]] = LeanRule(row[0], row[1], "rpow" in flags)
    return out


@cache
def rule_table(set_name: str) -> dict[str, LeanRule]:
    """Rule id -> its entry, from ``data/lean/mathlib_<set_name>.tsv`` (empty for a set without a table; the
    sets with one are :data:`BUNDLED`)."""
    path = DATA / f"mathlib_{set_name}.tsv"
    if not path.is_file():
        return {}
    return _read_table(path)


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
        return {k: v.template for k, v in rule_table(owner).items() if k in same}
    return {k: v.template for k, v in rule_table(rule_set_name).items()}


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


#: tables of rule sets imported from Mathlib (``equations import-mathlib``), by rule set version: such a set's
#: rules are proved by the lemmas they were imported from, under the same names
_IMPORTED: dict[str, dict[str, LeanRule]] = {}


def use_lean_table(rules: RuleSet, path: Path) -> None:
    """Prove the rules of ``rules`` with the table at ``path`` (the ``.lean.tsv`` an import writes beside its
    rules file; same columns as ``data/lean/mathlib_<set>.tsv``, extra columns ignored)."""
    _IMPORTED[rules.version] = _read_table(Path(path))


def lean_rule(rule: Rule, rules: RuleSet) -> LeanRule:
    """The table entry proving ``rule`` (of the set ``rules``), or ExportError naming the reason it has none."""
    imported = _IMPORTED.get(rules.version)
    if imported is not None:
        if rule.id not in imported:
            raise ExportError(f"unmapped rule {rule.id}: not in the imported table of {rules.name}", rule.id)
        return imported[rule.id]
    # a set without tables of its own (``paper``, a subset, a user file) uses those of its domain's bundled
    # set, for the rules stated there identically (checked below)
    set_name = rules.name if rules.name in BUNDLED else DOMAIN_SET.get(rule.domain, "")
    entry = rule_table(set_name).get(rule.id)
    if entry is None:
        reason = _unmapped(set_name).get(rule.id, f"rule {rule.id} of set {rules.name} has no Lean mapping")
        raise ExportError(f"unmapped rule {rule.id}: {reason}", rule.id)
    if rules.name not in BUNDLED:
        bundled = load_rules(set_name).rules.get(rule.id)
        if bundled is None or str(bundled) != str(rule):
            raise ExportError(f"unmapped rule {rule.id}: it differs from the bundled rule of that id", rule.id)
    return entry


# ---------------------------------------------------------------------------------------------------------
# the constants the exporter writes
# ---------------------------------------------------------------------------------------------------------

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


def bridge_names() -> list[str]:
    """The lemmas of :data:`RPOW_BRIDGE`."""
    bridge = RPOW_BRIDGE.split("[", 1)[1].split("]", 1)[0]
    return [x.strip() for x in bridge.split(",")]


def template_entries() -> list[tuple[str, list[str]]]:
    """``(set:rule, constants)`` for every entry of the bundled tables."""
    return [(f"{s}:{r.id}", template_names(r.template)) for s in BUNDLED for r in rule_table(s).values()]


def mathlib_names() -> dict[str, list[str]]:
    """Every constant the exporter can write -> the ``set:rule`` entries using it (the ``Real.rpow`` bridge
    and the step texts' own constants included)."""
    out: dict[str, list[str]] = {}
    for key, names in template_entries():
        for n in names:
            out.setdefault(n, []).append(key)
    for n in bridge_names():
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


__all__ = [
    "BUNDLED",
    "DATA",
    "DOMAIN_SET",
    "MATHLIB_PIN",
    "RPOW_BRIDGE",
    "STEP_NAMES",
    "LeanRule",
    "MathlibPin",
    "NameInfo",
    "bridge_names",
    "lean_rule",
    "mapped_rules",
    "mathlib_names",
    "pinned_names",
    "rule_table",
    "template_entries",
    "template_names",
    "unmapped_rules",
    "use_lean_table",
]
