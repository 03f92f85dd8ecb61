"""LeanDojo-style JSON of the Lean export: traced tactics with goal states, for ReProver-like training.

One JSON file, a list with one object per exported theorem, in the layout of LeanDojo's benchmark files
(``leandojo_benchmark_4/*/train.json``)::

    {"url": ..., "commit": ..., "file_path": "EquationsDefault0000.lean",
     "full_name": "EquationsDefault.thm_walk_000012",
     "theorem_statement": "theorem thm_walk_000012 (x y : ℝ) ... :=",
     "start": [line, column], "end": [line, column],
     "traced_tactics": [{"tactic": ..., "annotated_tactic": [text with <a>premise</a>, [premise, ...]],
                         "state_before": "x y : ℝ\\nh₀ : x > 0\\n⊢ ...", "state_after": "..."}, ...]}

``file_path``, ``start`` and ``end`` locate the theorem in the files :func:`equations.exporters.lean.write_lean`
writes for the same items (same rule set, same ``per_file``). States are Lean's goal view: the context
(consecutive names of one type grouped, ``x y : ℝ``), then ``⊢ goal``; several goals are separated by a blank
line and a closed proof is ``no goals``. Tactics are listed in source order; the tactics inside a
``have h : H := by ...`` block follow the ``have`` (whose own text includes them), with the block's states.
``url`` is ``null`` (the files are not in a git repository) and ``commit`` is the rule-set version.
``full_name`` is the theorem's name in Lean, namespace included (``EquationsDefault.thm_walk_000012``).

Each ``<a>…</a>`` in ``annotated_tactic`` marks a constant the tactic's text names (a ``norm_num`` step names
none), and the list beside it has one record per mark, in order: its ``full_name`` and, for a Mathlib
declaration, where the pinned Mathlib (:data:`equations.exporters.lean_table.MATHLIB_PIN`) declares it:
``def_path`` (as LeanDojo writes a dependency's file, ``.lake/packages/mathlib/Mathlib/...``) and
``def_pos`` (1-based line and column of the declaration's name), from the committed table
``data/lean/mathlib_names.tsv``. A Lean-core constant (``congrArg``, ``Nat.sub_add_cancel``) has no
location there, and ``def_end_pos`` is never known: those keys are omitted rather than set to ``null``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from equations import RuleSet

from .common import ExportItem, ExportReport
from .lean import Tac, render_files
from .lean_table import pinned_names

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.'₀-₉]*")
MATHLIB_PREFIX = ".lake/packages/mathlib/"


def premise(name: str) -> dict[str, Any]:
    """A premise record: its name and, when the pinned Mathlib declares it, its location."""
    out: dict[str, Any] = {"full_name": name}
    info = pinned_names().get(name)
    if info is not None and info.status == "mathlib" and info.path:
        out["def_path"] = MATHLIB_PREFIX + info.path
        out["def_pos"] = [info.line, info.column]
    return out


def _annotated(t: Tac) -> list[Any]:
    """The tactic with every occurrence of a premise marked ``<a>name</a>``, and one premise record per mark, in
    text order (LeanDojo's layout). Only constants the text names are premises: a ``norm_num`` step has none.
    An occurrence followed by a projection (``neg_inj.mp``) marks the constant (``<a>neg_inj</a>.mp``)."""
    names = set(t.premises)
    out: list[str] = []
    premises: list[dict[str, Any]] = []
    last = 0
    text = t.text
    for m in _IDENT.finditer(text):
        if m.start() and text[m.start() - 1] == ".":  # a field access (`(...).symm`): not a constant
            continue
        token = m.group(0)
        parts = token.split(".")
        name = next((".".join(parts[:k]) for k in range(len(parts), 0, -1) if ".".join(parts[:k]) in names), None)
        if name is None:
            continue
        out += [text[last:m.start()], f"<a>{name}</a>"]
        last = m.start() + len(name)
        premises.append(premise(name))
    out.append(text[last:])
    return ["".join(out), premises]


def leandojo_records(items: Iterable[ExportItem], rules: RuleSet, *, per_file: int = 150
                     ) -> tuple[list[dict[str, Any]], ExportReport]:
    """The JSON records and the report (exported, skipped, no files)."""
    report = ExportReport()
    records: list[dict[str, Any]] = []
    for fname, _text, spans, skipped in render_files(items, rules, per_file):
        report.skipped.update(skipped)
        for thm, first, last in spans:
            statement = thm.statement + " :="
            end_col = len(thm.text().rstrip("\n").split("\n")[-1]) + 1
            records.append({
                "url": None,
                "commit": rules.version,
                "file_path": fname,
                "full_name": thm.full_name,
                "theorem_statement": statement,
                "start": [first, 1],
                "end": [last, end_col],
                "traced_tactics": [
                    {
                        "tactic": t.text,
                        "annotated_tactic": _annotated(t),
                        "state_before": t.before,
                        "state_after": t.after,
                    }
                    for t in thm.tactics
                ],
            })
            report.exported.append(thm.full_name)
    return records, report


def write_leandojo(items: Iterable[ExportItem], out_path: Path, rules: RuleSet) -> ExportReport:
    """Write the LeanDojo-style JSON list to ``out_path`` (atomically: a temporary file, then a rename)."""
    records, report = leandojo_records(items, rules)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(records, f, ensure_ascii=False, indent=1)
            f.write("\n")
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    report.files.append(out_path)
    return report
