"""The ``equations`` command line.

Bad input (unparsable goal, unknown rule set, invalid tactic, malformed proof file) prints one clear
line on stderr and exits with status 2; a proof that does not check exits with status 1.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .closing import closed_by
from .parse import ParseError, parse
from .proof import Proof, ProofError, check_proof
from .rules import RuleError, RuleSet, bundled_rule_sets, load_rules
from .tactics import InvalidTactic, Tactic, applicable, apply
from .theorem import Theorem


class UsageError(Exception):
    """Bad input from the user: reported on one line, exit status 2."""


def _rules(name: str) -> RuleSet:
    try:
        return load_rules(name)
    except (FileNotFoundError, RuleError) as err:
        raise UsageError(str(err)) from None


def cmd_rules(args: argparse.Namespace) -> int:
    if args.set is None and (args.category is not None or args.check):
        args.set = "default"  # a category or a check is about one set's rules
    if args.set is None:
        print(f"{'rule set':10s} {'domain':6s} {'rules':>5s}  categories")
        for name in bundled_rule_sets():
            rs = load_rules(name)
            print(f"{name:10s} {rs.domain:6s} {len(rs):5d}  {', '.join(rs.categories())}")
        print("\nequations rules --set NAME lists a set's rules; --check tests each one numerically")
        return 0
    rs = _rules(args.set)
    shown = [r for r in rs if args.category is None or r.category == args.category]
    if args.category is not None and not shown:
        raise UsageError(f"no category {args.category!r} in {rs.name}; categories: {', '.join(rs.categories())}")
    if args.check:
        from .soundness import check_rule

        bad = 0
        for r in shown:
            res = check_rule(r, n_points=args.points)
            if not res.ok:
                bad += 1
                print(f"FAIL {r.id}: {res.message}")
        print(f"{len(shown) - bad}/{len(shown)} rules pass ({args.points} points each, 50 digits, "
              "partial, Lean and Coq semantics)")
        return 1 if bad else 0
    for r in shown:
        print(f"{r.id:32s} {r.category:13s} {r.kind:7s} {r.statement()}")
    counts = rs.counts()
    print(f"\n{len(shown)} rules", "; ".join(
        f"{c}: {v['transformation']} transformations, {v['assertion']} assertions" for c, v in counts.items()
        if args.category is None or c == args.category))
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    rs = _rules(args.rules)
    thm = parse_or_fail(args.goal)
    try:
        tac = Tactic.parse(args.tactic, thm.domain)
        subgoals = apply(thm, tac, rs)
    except InvalidTactic as err:
        raise UsageError(f"invalid tactic: {err.reason}") from None
    if not subgoals:
        print("no subgoals: the goal is proved")
    for i, sub in enumerate(subgoals):
        why = closed_by(sub, rs)
        print(f"{i}: {sub}" + (f"    [closed: {why}]" if why else ""))
    return 0


def cmd_tactics(args: argparse.Namespace) -> int:
    rs = _rules(args.rules)
    thm = parse_or_fail(args.goal)
    tacs = applicable(thm, rs, max_per_triple=args.max_subs)
    for t in tacs:
        print(t)
    print(f"{len(tacs)} applicable tactics", file=sys.stderr)
    return 0


def parse_or_fail(text: str) -> Theorem:
    try:
        return parse(text)
    except ParseError as err:
        raise UsageError(f"cannot parse goal: {err}") from None


def _parquet_rows(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(f"{path}: reading Parquet needs pyarrow: pip install 'equations[data]'") from None
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises its own error types for malformed files
        raise UsageError(f"{path}: not a readable Parquet file ({type(err).__name__})") from None
    yield from enumerate(table.to_pylist(), 1)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"  # gzip magic: read .jsonl.gz (or any gzipped JSONL) as it is
    with (gzip.open(path, "rt", encoding="utf-8") if gz else path.open(encoding="utf-8")) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as err:
                raise UsageError(f"{path}:{lineno}: not JSON: {err}") from None
            except RecursionError:
                raise UsageError(f"{path}:{lineno}: JSON nested too deeply") from None


def read_proof_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line or row number, record) of a file of ``{"theorem", "proof", "rules"?, "id"?}`` records: JSONL,
    gzipped JSONL or a Parquet shard; a :class:`UsageError` naming the line for anything else. Shared by
    ``check`` and ``export``."""
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if path.is_dir():
        raise UsageError(f"{path} is a directory: give one file of proof records")
    try:
        rows = _parquet_rows(path) if path.suffix == ".parquet" else _jsonl_rows(path)
        for lineno, rec in rows:
            if not isinstance(rec, dict) or "theorem" not in rec:
                raise UsageError(f"{path}:{lineno}: each record needs a 'theorem' and a 'proof'")
            yield lineno, rec
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        raise UsageError(f"{path}: not UTF-8 JSONL text, gzipped JSONL or Parquet") from None
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None


def record_files(path: Path) -> list[Path]:
    """The files ``check`` reads for ``path``: the file itself, or a dataset folder's shards (JSONL, gzipped
    JSONL, Parquet) in order, found at any depth: in ``data/`` (``equations generate``'s layout), next to
    ``manifest.json`` (older folders), or in the dataset folders of a folder of datasets."""
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.rglob("shard-*") if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz",
                                                                                          ".parquet")))
    if not files:
        raise UsageError(f"{path}: no proof records (no shard-*.jsonl, .jsonl.gz or .parquet files)")
    return files


def _record_rules(named: Any, chosen: str | None, where: str) -> RuleSet:
    """The rule set a record is checked against. A checker must not let the data choose what it is judged
    by: a record may name a bundled set, but a rule *file* is used only when the user gives it with
    ``--rules`` (which then applies to every record that does not name a bundled set)."""
    if named is not None and not isinstance(named, str):
        raise UsageError(f"{where}: 'rules' must be the name of a rule set, not {type(named).__name__}")
    bundled = bundled_rule_sets()
    if named is None or named in bundled:
        if named is not None and chosen is not None and chosen != named:
            raise UsageError(f"{where}: the record names rule set {named!r} but --rules {chosen!r} was given")
        return _rules(named or chosen or "default")
    if chosen is None:
        raise UsageError(
            f"{where}: the record names the rule file {named!r}; proofs are only checked against a file you "
            f"choose: pass --rules {named} to trust it"
        )
    if chosen in bundled:
        raise UsageError(f"{where}: the record names the rule file {named!r} but --rules {chosen!r} was given")
    return _rules(chosen)


def cmd_check(args: argparse.Namespace) -> int:
    ok = bad = 0
    used: dict[tuple[str, str], int] = {}
    path = Path(args.file)
    records = ((f, lineno, rec) for f in record_files(path) for lineno, rec in read_proof_records(f))
    for file, lineno, rec in records:
        where = f"{file}:{lineno}"
        rs = _record_rules(rec.get("rules"), args.rules, where)
        try:
            thm = parse(rec["theorem"])
            raw = rec.get("proof")
            proof = None if raw is None else Proof.from_json(raw, thm.domain)
        except (ParseError, InvalidTactic, ProofError) as err:
            raise UsageError(f"{where}: {err}") from None
        name = rec.get("id", where)
        label = f"[{rs.name} {rs.version}]"
        used[(rs.name, rs.version)] = used.get((rs.name, rs.version), 0) + 1
        try:
            check_proof(thm, proof, rs)
            ok += 1
            if args.verbose:
                print(f"ok    {name} {label}")
        except ProofError as err:
            bad += 1
            print(f"FAIL  {name} {label}: {err}")
    if not used:
        raise UsageError(f"{path}: no records")
    print(f"{ok} passed, {bad} failed")
    print("rule sets: " + "; ".join(f"{n} (version {v}): {k} record{'s' * (k != 1)}" for (n, v), k in used.items()))
    return 1 if bad else 0


def cmd_identities(args: argparse.Namespace) -> int:
    identities = importlib.import_module("equations.identities")
    try:
        items = identities.load(category=args.category)
    except ValueError as err:
        raise UsageError(str(err)) from None
    for it in items:
        print(f"{it.id:16s} {it.difficulty:7s} {it.text}")
    print(f"\n{len(items)} identities", file=sys.stderr)
    return 0


class _DefaultsFormatter(argparse.HelpFormatter):
    """Appends ``(default: X)`` to an option's help when it has a meaningful default the text does not
    already state."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (action.required or default is None or default is False or default is argparse.SUPPRESS
                or "default" in text or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)".lstrip()


class _Parser(argparse.ArgumentParser):
    """Subcommand parser whose help shows each option's default (the wings' subcommands too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="equations", description="The Equations theorem-proving environment.")
    ap.add_argument("--version", action="version", version=f"equations {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("rules", help="list rule sets, or the rules of one set")
    p.add_argument("--set", help="a bundled rule set (default, nat, int) or a rule file")
    p.add_argument("--category", help="only this category")
    p.add_argument("--check", action="store_true", help="check every rule numerically (mpmath, 50 digits)")
    p.add_argument("--points", type=int, default=20, help="random points per rule for --check")
    p.set_defaults(fn=cmd_rules)

    p = sub.add_parser("apply", help="apply a tactic to a goal and print the subgoals")
    p.add_argument("goal", help="e.g. 'x + 0 == x'")
    p.add_argument("tactic", help="e.g. 'add_zero -> 1'")
    p.add_argument("--rules", default="default", help="rule set: a bundled name (equations rules) or a rule file")
    p.set_defaults(fn=cmd_apply)

    p = sub.add_parser("tactics", help="list every applicable tactic for a goal")
    p.add_argument("goal")
    p.add_argument("--rules", default="default", help="rule set: a bundled name (equations rules) or a rule file")
    p.add_argument("--max-subs", type=int, default=8, help="substitution choices per (rule, direction, position)")
    p.set_defaults(fn=cmd_tactics)

    p = sub.add_parser("check", help="check proofs: a JSONL (or .jsonl.gz, Parquet) file of {'theorem', 'proof', "
                                     "'rules'?, 'id'?} records, or a dataset folder's shards")
    p.add_argument("file")
    p.add_argument("--rules", default=None,
                   help="rule set (bundled name or rule file) for records that do not name a bundled set; a rule "
                        "file named inside a record is never loaded unless given here (default: default)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(fn=cmd_check)

    p = sub.add_parser("identities", help="list the Identities evaluation set")
    p.add_argument("--category")
    p.set_defaults(fn=cmd_identities)

    # Subcommands of the packages built on the core (generate, export, prove, evaluate, show, ...): entry
    # points of the group "equations.commands" (pyproject.toml), each a function adding its sub-parsers. The
    # core never names them; a package that is absent is skipped, one that is broken raises.
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="equations.commands"), key=lambda ep: ep.name):
        module = ep.value.split(":")[0]
        try:
            hook = ep.load()
        except ModuleNotFoundError as err:
            if err.name != module:
                raise
            continue
        hook(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        code: int = args.fn(args)
        return code
    except UsageError as err:
        # One line: a parse error's excerpt and caret (the lines after the first) are for interactive use.
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"equations {args.command}: error: {first}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    # Run the canonical module's main: under ``python -m`` this file is ``__main__``, a second copy whose
    # UsageError class would not be the one the subcommands of the wings raise.
    from equations.cli import main as _main

    sys.exit(_main())
