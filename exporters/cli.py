"""``equations export`` and ``equations import-mathlib``: datasets (or JSONL files of theorems with proofs) to Coq,
Lean 4 and LeanDojo JSON; Lean 4 sources (Mathlib) to rule files.

    equations export --to coq|lean|leandojo IN OUT [--check] [--per-file K] [--limit N] [--rule-check]

``IN`` is a dataset directory written by ``equations generate`` or a JSONL file whose lines hold ``theorem``
and ``proof`` (and optionally ``id`` and ``rules``), the format ``equations check`` reads. ``--check``
compiles the output (``coqc`` for Coq; ``lake`` in the project named by ``EQUATIONS_LEAN_PROJECT`` for
Lean) and names every theorem that fails. A Lean export is a Lake project pinned to one Mathlib commit
(``lakefile.toml``, ``lean-toolchain``); ``--rule-check`` adds a file proving every rule with its template.
A summary is printed and written to ``OUT/export_report.json``.
Exit status: 0 when every theorem was exported or skipped for a stated reason (an unmapped rule), and with
``--check`` compiled; 1 when a proof is rejected by the core's checker or a theorem fails to compile; 2 on
bad input or a missing tool.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from equations import InvalidTactic, ParseError, Proof, ProofError, RuleSet, load_rules, parse

from .common import REJECTED, ExportItem, ExportReport
from .trace import ExportError


def add_parser(subparsers: Any) -> None:
    """Add the ``export`` subcommand to the ``equations`` command line."""
    p = subparsers.add_parser("export", help="export theorems with proofs to Coq, Lean 4 or LeanDojo JSON")
    p.add_argument("--to", choices=("coq", "lean", "leandojo"), required=True, help="target")
    p.add_argument("input", metavar="IN", help="dataset directory or JSONL file of theorems with proofs")
    p.add_argument("output", metavar="OUT", help="output directory (a .json file for leandojo also works)")
    p.add_argument("--check", action="store_true", help="compile the output and report failing theorems")
    p.add_argument("--per-file", type=int, default=150, help="theorems per output file")
    p.add_argument("--limit", type=int, help="export at most this many theorems")
    p.add_argument("--rules", default="default", help="rule set of records that do not name one")
    p.add_argument("--workers", type=int, help="parallel coqc processes (default: one per core)")
    p.add_argument("--rule-check", action="store_true",
                   help="lean: also write RuleCheck<Set>.lean, every rule proved by its template (compiled first "
                        "with --check)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(fn=cmd_export)

    p = subparsers.add_parser(
        "import-mathlib", help="import Mathlib lemmas (Lean 4 sources) as rule files plus the Lean table",
        description="Read the theorems/lemmas of a directory of Lean 4 sources (or of a bare git directory at "
                    "--rev), keep those our language states, check each numerically, and write "
                    "mathlib_<type>.rules and mathlib_<type>.lean.tsv under --out.")
    p.add_argument("src", metavar="SRC_DIR", help="directory of .lean files (or a bare git directory with --rev)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--rev", help="commit to read when SRC_DIR is a bare git directory")
    p.add_argument("--under", action="append", default=argparse.SUPPRESS,
                   help="with --rev: only files under this path (repeatable)")
    p.add_argument("--points", type=int, default=20, help="sample points of the numeric soundness check")
    p.set_defaults(fn=cmd_import_mathlib)


def cmd_import_mathlib(args: argparse.Namespace) -> int:
    """``equations import-mathlib``: the import, its files, and the table-8 summary on stdout."""
    from equations.cli import UsageError

    from .mathlib_import import git_files, import_files, lean_files, summary, write_output

    src = Path(args.src)
    under: list[str] = getattr(args, "under", [])
    if not src.exists():
        raise UsageError(f"{src}: no such directory")
    if args.points < 1:
        raise UsageError("--points must be at least 1")
    if args.rev:
        files = git_files(src, args.rev, under)
        source = f"{src.name} at {args.rev}"
    else:
        if under:
            raise UsageError("--under needs --rev (a bare git directory)")
        files = lean_files(src)
        source = src.name
    try:
        report = import_files(files, n_points=args.points)
    except ValueError as err:
        raise UsageError(str(err).splitlines()[0]) from None
    except OSError as err:
        raise UsageError(f"reading {src} failed: {err.strerror or err}") from None
    if report.files == 0:
        raise UsageError(f"{src}: no .lean files")
    try:
        written = write_output(report, Path(args.out), source)
    except OSError as err:
        raise UsageError(f"writing under {args.out} failed: {err.strerror or err}") from None
    print(summary(report))
    print("wrote " + (", ".join(str(p) for p in written) or "nothing (no rule kept)"))
    return 0


def _records(path: Path) -> Iterator[dict[str, Any]]:
    from equations.cli import UsageError, read_proof_records

    if path.is_dir():
        try:  # imported by name: exporters and generators are sibling layers over the core
            dataset = importlib.import_module("equations.generators.dataset")
        except ModuleNotFoundError:
            raise UsageError("reading a dataset directory needs equations.generators") from None
        yield from dataset.read_records(path)
        return
    for lineno, rec in read_proof_records(path):
        rec.setdefault("id", f"line{lineno}")
        yield rec


def read_items(path: Path, default_rules: str = "default", limit: int | None = None) -> dict[str, list[ExportItem]]:
    """The theorems of ``path`` grouped by rule set name."""
    from equations.cli import UsageError

    groups: dict[str, list[ExportItem]] = {}
    for n, rec in enumerate(_records(path)):
        if limit is not None and n >= limit:
            break
        name = str(rec.get("id", f"thm{n}"))
        try:
            thm = parse(rec["theorem"])
            raw = rec.get("proof")
            proof = None if raw is None else Proof.from_json(raw, thm.domain)
        except (ParseError, InvalidTactic, ProofError) as err:
            raise UsageError(f"{path}: theorem {name}: {err}") from None
        groups.setdefault(str(rec.get("rules") or default_rules), []).append(ExportItem(name, thm, proof))
    return groups


def _load(name: str) -> RuleSet:
    from equations.cli import UsageError

    try:
        rules = load_rules(name)
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot load rule set {name!r}: {err}") from None
    # a rule file written by `equations import-mathlib` carries its Lean table beside it
    table = Path(name.removesuffix(".rules") + ".lean.tsv")
    if name.endswith(".rules") and table.is_file():
        from .lean_table import use_lean_table

        use_lean_table(rules, table)
    return rules


def cmd_export(args: argparse.Namespace) -> int:
    from equations.cli import UsageError

    groups = read_items(Path(args.input), args.rules, args.limit)
    if not any(groups.values()):
        raise UsageError(f"{args.input}: no theorems to export (no records, or a folder without shards)")
    out = Path(args.output)
    total = ExportReport()
    try:
        for rules_name, items in groups.items():
            rules = _load(rules_name)
            report = _export(args, items, out, rules)
            total.exported += report.exported
            total.skipped.update(report.skipped)
            total.files += report.files
            total.failures.update(report.failures)
            total.checked = report.checked
            total.seconds += report.seconds
            total.preamble_seconds += report.preamble_seconds
    except ExportError as err:
        raise UsageError(str(err)) from None
    except OSError as err:
        raise UsageError(f"writing the export under {out} failed: {err.strerror or err}") from None
    try:
        _summary(args.to, total, out)
    except OSError as err:
        raise UsageError(f"writing the export report under {out} failed: {err.strerror or err}") from None
    rejected = any(why.startswith(REJECTED) for why in total.skipped.values())
    return 1 if total.failures or rejected else 0


def _export(args: argparse.Namespace, items: list[ExportItem], out: Path, rules: RuleSet) -> ExportReport:
    if args.to == "coq":
        from .coq import check_coq, write_coq

        # files are named after the input (walk_real_0000.v), so several datasets can share one output
        # directory and its compiled preamble
        stem = re.sub(r"[^A-Za-z0-9_]", "_", Path(args.input).stem) or "Theorems"
        if not stem[0].isalpha():
            stem = "T" + stem
        report = write_coq(items, out, rules, per_file=args.per_file, stem=stem)
        if args.check:
            with _progress(len(report.exported), "coqc", args.quiet) as tick:
                report = check_coq(report, out, workers=args.workers, progress=tick)
        return report
    if args.to == "lean":
        from .lean import write_lean
        from .lean_check import check_lean

        report = write_lean(items, out, rules, per_file=args.per_file,
                            rule_check=getattr(args, "rule_check", False))
        if args.check:
            report = check_lean(report, out)
        return report
    from .leandojo import write_leandojo

    target = out if out.suffix == ".json" else out / f"leandojo_{rules.name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_leandojo(items, target, rules)


@contextmanager
def _progress(total: int, what: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress callback (tqdm on stderr when installed and not ``quiet``; otherwise silent)."""
    if quiet or importlib.util.find_spec("tqdm") is None:
        yield lambda n: None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit="thm", desc=what, file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.close()


def _summary(target: str, r: ExportReport, out: Path) -> None:
    n = len(r.exported)
    lines = [f"exported {n} theorems to {target} in {len(r.files)} files under {out}"]
    if r.skipped:
        reasons: dict[str, int] = {}
        for why in r.skipped.values():
            reasons[why] = reasons.get(why, 0) + 1
        top = sorted(reasons.items(), key=lambda kv: -kv[1])[:5]
        lines.append(f"skipped {len(r.skipped)}: " + "; ".join(f"{c}x {w}" for w, c in top))
    if r.checked:
        per = r.seconds / n if n else 0.0
        lines.append(f"checked: {r.accepted}/{n} accepted ({100 * r.accepted / max(n, 1):.1f}%), "
                     f"{r.seconds:.1f} s ({per * 1000:.0f} ms per theorem), preamble {r.preamble_seconds:.1f} s")
        for name, msg in list(r.failures.items())[:20]:
            lines.append(f"  FAILED {name}: {msg[:300]}")
    print("\n".join(lines))
    if out.suffix != ".json":
        out.mkdir(parents=True, exist_ok=True)
        data = {
            "target": target, "exported": n, "skipped": r.skipped, "files": [str(p) for p in r.files],
            "checked": r.checked, "accepted": r.accepted if r.checked else None, "failures": r.failures,
            "check_seconds": r.seconds, "preamble_seconds": r.preamble_seconds,
        }
        tmp = out / "export_report.json.tmp"
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(out / "export_report.json")
