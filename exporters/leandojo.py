"""LeanDojo-style JSON of the Lean export: traced tactics with goal states, for ReProver-like training.

One JSON file, a list with one object per exported theorem, in the layout of LeanDojo's benchmark files
(``leandojo_benchmark_4/*/train.json``)::

    {"url": ..., "commit": ..., "file_path": "EquationsDefault0000.lean", "full_name": "thm_walk_000012",
     "theorem_statement": "theorem thm_walk_000012 (x y : ℝ) ... :=",
     "start": [line, column], "end": [line, column],
     "traced_tactics": [{"tactic": ..., "annotated_tactic": [text with <a>premise</a>, [premise, ...]],
                         "state_before": "x y : ℝ\\nh₀ : x > 0\\n⊢ ...", "state_after": "..."}, ...]}

``file_path``, ``start`` and ``end`` locate the theorem in the files :func:`equations.exporters.lean.write_lean`
writes for the same items (same rule set, same ``per_file``). States are Lean's goal view: the context
(consecutive names of one type grouped, ``x y : ℝ``), then ``⊢ goal``; several goals are separated by a blank
line and a closed proof is ``no goals``. Tactics are listed in source order; the tactics inside a
``have h : H := by ...`` block follow the ``have`` (whose own text includes them), with the block's states.
``url`` is ``null`` (the files are not in a git repository) and ``commit`` is the rule-set version. Each
premise in ``annotated_tactic`` gives a Mathlib ``full_name``; ``def_path``/``def_pos``/``def_end_pos`` are
``null`` since the exporter does not read Mathlib's sources.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from equations import RuleSet

from .common import ExportItem, ExportReport
from .lean import Tac, render_files


def _annotated(t: Tac) -> list[Any]:
    text = t.text
    premises = []
    for name in t.premises:
        if name in text and f"<a>{name}</a>" not in text:
            text = text.replace(name, f"<a>{name}</a>", 1)
        premises.append({"full_name": name, "def_path": None, "def_pos": None, "def_end_pos": None})
    return [text, premises]


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
                "full_name": thm.name,
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
            report.exported.append(thm.name)
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
