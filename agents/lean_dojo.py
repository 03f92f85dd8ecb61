"""Lean goals to our prover through LeanDojo (issue 13, section 3): ``equations prove-lean``.

For one Lean theorem, opened with LeanDojo's ``Dojo`` (a context manager giving ``(dojo, initial_state)``):

1. the initial goal state (``initial_state.pp``, e.g. ``x y : ℝ\\nh₀ : 0 < x\\n⊢ Real.log (x * y) = …``) is read
   into our :class:`equations.Theorem` by :func:`equations.exporters.lean_goals.parse_goal_state`; a state
   outside our language is **untranslatable**, with the parser's reason;
2. our search (:func:`equations.agents.prover.prove`, any policy, the learned one included) looks for a proof;
   none within the budget is **not proved**;
3. the proof is written as Lean tactics by the Lean exporter (:func:`equations.exporters.lean.export_theorem`,
   the very tactics ``equations export --to lean`` writes, one per top-level proof step; a ``have`` carries its
   nested block) and replayed one by one through ``dojo.run_tac``: Lean finishing the proof is **proved**, Lean
   refusing a step is **rejected** (the step's index, text and Lean's error are kept).

Two more outcomes exist for completeness: **unexported** (the proof uses a rule without a Lean mapping) and
**error** (LeanDojo failed: the theorem could not be opened, Lean crashed). Errors are retried by a resumed
batch run; every other outcome is final.

The exporter names the hypotheses ``h₀ h₁ …`` and the variables after ours; when the Lean context names them
otherwise (``hx : 0 < x``), one ``rename'`` (Mathlib) tactic first gives them the exporter's names (through
temporary names when a plain renaming would capture one).

Results are told apart by their class name (``TacticState``, ``ProofFinished``, ``LeanError`` and the older
``TacticError``/``TimeoutError``, ``ProofGivenUp``), so this module works with lean-dojo's classes and with
test doubles alike, and imports lean-dojo only when a real ``Dojo`` is needed (:func:`load_lean_dojo`).
Nothing here has been run against a real Lean: our machines cannot install one.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import equations as eq
from equations import RuleSet

#: every outcome, in the order of the summary table, with its label there
OUTCOMES = {
    "proved": "proved",
    "rejected": "rejected by Lean",
    "untranslatable": "untranslatable",
    "not_proved": "not proved",
    "unexported": "no Lean mapping",
    "error": "LeanDojo error",
}

_STATE = "TacticState"
_FINISHED = "ProofFinished"
_ERRORS = ("LeanError", "TacticError", "TimeoutError")
_GIVEN_UP = "ProofGivenUp"

INSTALL_HINT = "pip install lean-dojo"


class LeanDojoMissing(ImportError):
    """lean-dojo is not installed (the message says how to install it)."""


@dataclass
class LeanProofResult:
    """What happened to one Lean theorem; :meth:`to_dict` is its JSON-lines record."""

    id: str
    outcome: str
    """One of :data:`OUTCOMES`."""
    reason: str | None = None
    """Why it is untranslatable / unexported / an error, or a note (Lean finished before the last tactic)."""
    goal: str | None = None
    """Lean's initial goal state (``pp``)."""
    theorem: str | None = None
    """Our theorem, as the goal state translated."""
    proof: dict[str, Any] | None = None
    """Our proof (:meth:`equations.Proof.to_dict`; ``None`` when not proved or when it closes with no step)."""
    tactics: list[str] = field(default_factory=list)
    """The Lean tactics to replay, in order (the renaming first, when there is one)."""
    tactics_run: int = 0
    """How many of them Lean was given."""
    failed_index: int | None = None
    """0-based index in ``tactics`` of the step Lean rejected."""
    failed_tactic: str | None = None
    lean_error: str | None = None
    expansions: int = 0
    proof_size: int = 0
    open_seconds: float = 0.0
    """Opening the theorem (``Dojo.__enter__``: Lean loading the file)."""
    search_seconds: float = 0.0
    """Our search."""
    replay_seconds: float = 0.0
    """Lean running the tactics."""
    seconds: float = 0.0
    """Everything, closing the Dojo included."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything the caller adds to the record (the benchmark entry's url, commit, file, name)."""

    @property
    def proved(self) -> bool:
        return self.outcome == "proved"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        extra = d.pop("extra")
        for k in ("open_seconds", "search_seconds", "replay_seconds", "seconds"):
            d[k] = round(d[k], 3)
        return {**extra, **d}


def _exporters(sub: str) -> Any:
    """A module of ``equations.exporters``, imported by name: agents and exporters are sibling layers over the
    core (the goal-state parser and the Lean exporter live there)."""
    return importlib.import_module(f"equations.exporters.{sub}")


# ---------------------------------------------------------------------------------------------------------
# the context: the exporter's names for Lean's
# ---------------------------------------------------------------------------------------------------------


def _context(pp: str) -> tuple[list[str], list[str]]:
    """The names of the variables and of the hypotheses of a one-goal state (already parsed once)."""
    domain_of_type = _exporters("lean_goals").DOMAIN_OF_TYPE
    variables: list[str] = []
    hyps: list[str] = []
    for line in pp.strip("\n").split("\n")[:-1]:
        names, typ = line.split(" : ", 1)
        (variables if typ.strip() in domain_of_type else hyps).extend(names.split())
    return variables, hyps


def renaming_tactics(pp: str, thm: eq.Theorem) -> list[str]:
    """Tactics giving the variables and hypotheses of Lean's context the names the exporter uses for ``thm``
    (``rename' hx => h₀, hy => h₁``); none when they already have them."""
    hyp_name = _exporters("lean").hyp_name
    lean_ident = _exporters("lean_syntax").lean_ident
    variables, hyps = _context(pp)
    used = thm.variables()
    pairs: list[tuple[str, str]] = []
    for name in variables:
        ours = name[2:] if name.startswith("v_") else name  # as parse_goal_state reads Lean's `v_e`
        if ours in used and lean_ident(ours) != name:
            pairs.append((name, lean_ident(ours)))
    pairs += [(name, hyp_name(i)) for i, name in enumerate(hyps) if name != hyp_name(i)]
    if not pairs:
        return []
    everything = set(variables) | set(hyps)
    if all(new not in everything for _, new in pairs):
        return ["rename' " + ", ".join(f"{old} => {new}" for old, new in pairs)]
    # a target that is also a name in the context: go through fresh names so no rename captures another
    taken = everything | {new for _, new in pairs}
    tmp: list[str] = []
    k = 0
    for _ in pairs:
        while f"eqs_tmp_{k}" in taken:
            k += 1
        tmp.append(f"eqs_tmp_{k}")
        k += 1
    return ["rename' " + ", ".join(f"{old} => {t}" for (old, _), t in zip(pairs, tmp, strict=True)),
            "rename' " + ", ".join(f"{t} => {new}" for (_, new), t in zip(pairs, tmp, strict=True))]


def lean_tactics(thm: eq.Theorem, proof: eq.Proof | None, rules: RuleSet) -> list[str]:
    """The exporter's top-level Lean tactics for ``proof`` of ``thm`` (a ``have`` with its nested block);
    :class:`equations.exporters.trace.ExportError` when a rule has no Lean mapping."""
    item = _exporters("common").ExportItem("lean_goal", thm, proof)
    exported = _exporters("lean").export_theorem(item, rules)
    return [t.text for t in exported.tactics if t.depth == 0]


# ---------------------------------------------------------------------------------------------------------
# one theorem
# ---------------------------------------------------------------------------------------------------------


def default_rules(domain: str) -> RuleSet:
    """The bundled rule set with Lean tables for a domain: ``default`` (ℝ), ``nat``, ``int``."""
    return eq.load_rules(_exporters("lean").DOMAIN_SET[domain])


def prove_lean_theorem(dojo_factory: Callable[[Any], AbstractContextManager[tuple[Any, Any]]], theorem: Any, *,
                       name: str | None = None, rules: RuleSet | str | None = None, policy: Any = "fast",
                       critic: Any = "constant", budget: int = 2000, max_seconds: float | None = None,
                       params: Any = None, domain: str | None = None) -> LeanProofResult:
    """Open ``theorem`` with ``dojo_factory(theorem)`` (``lean_dojo.Dojo`` or a double with its interface),
    translate its goal, prove it with our search and replay the exported tactics through ``dojo.run_tac``.

    ``rules``: a rule set or its name; ``None`` picks the bundled set of the goal's type (ℝ ``default``, ℕ
    ``nat``, ℤ ``int``). ``policy``/``critic`` as for :func:`equations.agents.prover.prove` (``"neural"`` the
    bundled model); ``params`` a :class:`~equations.agents.search.SearchParams` (else ``budget`` expansions and
    ``max_seconds``). ``domain``: the type of a goal without variables (default: the rule set's, else ℝ).
    Failures of LeanDojo become the outcome ``error``; a bad search configuration raises."""
    t0 = time.perf_counter()
    rid = name if name is not None else str(getattr(theorem, "full_name", theorem))
    rs = eq.load_rules(rules) if isinstance(rules, str) else rules
    with ExitStack() as stack:
        try:
            dojo, init = stack.enter_context(dojo_factory(theorem))
        except Exception as err:  # lean-dojo raises its own errors (DojoInitError, ...) and plain ones
            return LeanProofResult(rid, "error", reason=f"cannot open the theorem: {_why(err)}",
                                   open_seconds=time.perf_counter() - t0, seconds=time.perf_counter() - t0)
        opened = time.perf_counter() - t0
        res = _attempt(dojo, init, rid, rs, policy, critic, budget, max_seconds, params, domain)
        res.open_seconds = opened
    res.seconds = time.perf_counter() - t0
    return res


def _why(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _attempt(dojo: Any, init: Any, rid: str, rules: RuleSet | None, policy: Any, critic: Any, budget: int,
             max_seconds: float | None, params: Any, domain: str | None) -> LeanProofResult:
    goals = _exporters("lean_goals")
    export_error = _exporters("trace").ExportError
    from .prover import prove
    from .search import SearchParams

    pp = str(init.pp)
    res = LeanProofResult(rid, "untranslatable", goal=pp)
    try:
        thm = goals.parse_goal_state(pp, domain or (rules.domain if rules is not None else "real"))
    except goals.UntranslatableGoal as err:
        res.reason = err.reason
        return res
    res.theorem = str(thm)
    if rules is None:
        rules = default_rules(thm.domain)
    elif rules.domain != thm.domain:
        res.outcome = "not_proved"
        res.reason = f"the goal is over {thm.domain}, rule set {rules.name} over {rules.domain}"
        return res

    t = time.perf_counter()
    if params is None:
        params = SearchParams(expansions=budget, max_seconds=max_seconds)
    found = prove(thm, rules, params=params, policy=policy, critic=critic)
    res.search_seconds = time.perf_counter() - t
    res.expansions = found.stats.expansions
    if not found.proved:
        res.outcome = "not_proved"
        if found.timed_out:
            res.reason = "the search timed out"
        return res
    res.proof = found.proof.to_dict() if found.proof is not None else None
    res.proof_size = found.size
    try:
        res.tactics = renaming_tactics(pp, thm) + lean_tactics(thm, found.proof, rules)
    except export_error as err:
        res.outcome = "unexported"
        res.reason = err.reason
        return res

    t = time.perf_counter()
    try:
        _replay(dojo, init, res)
    finally:
        res.replay_seconds = time.perf_counter() - t
    return res


def _replay(dojo: Any, state: Any, res: LeanProofResult) -> None:
    """Run ``res.tactics`` in order from ``state``; fill in the outcome and where Lean stopped."""
    for i, tactic in enumerate(res.tactics):
        try:
            out = dojo.run_tac(state, tactic)
        except Exception as err:  # DojoCrashError, a hard timeout, ...
            res.outcome, res.reason = "error", f"Lean failed on tactic {i + 1}: {_why(err)}"
            res.failed_index, res.failed_tactic, res.tactics_run = i, tactic, i + 1
            return
        res.tactics_run = i + 1
        kind = type(out).__name__
        if kind == _STATE:
            state = out
            continue
        if kind == _FINISHED:
            res.outcome = "proved"
            if i + 1 < len(res.tactics):
                res.reason = f"Lean closed the goal after tactic {i + 1}; the last {len(res.tactics) - i - 1} not run"
            return
        res.outcome, res.failed_index, res.failed_tactic = "rejected", i, tactic
        if kind in _ERRORS:
            res.lean_error = str(getattr(out, "error", "")).strip()
        elif kind == _GIVEN_UP:
            res.lean_error = "proof given up (sorry)"
        else:
            res.lean_error = f"unexpected result {kind}: {out!r}"
        return
    res.outcome = "rejected"
    res.lean_error = "unsolved goals after the last tactic:\n" + str(getattr(state, "pp", state))


# ---------------------------------------------------------------------------------------------------------
# lean-dojo itself, and the batch form over a LeanDojo benchmark
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkEntry:
    """One theorem of a LeanDojo benchmark file (``url``, ``commit``, ``file_path``, ``full_name``)."""

    url: str
    commit: str
    file_path: str
    full_name: str

    @property
    def id(self) -> str:
        return f"{self.file_path}:{self.full_name}"


def read_benchmark(path: Path) -> list[BenchmarkEntry]:
    """The entries of a LeanDojo benchmark JSON (a list of records; extra keys ignored). ValueError, naming
    the record, for anything else."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not JSON: {err}") from None
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of theorem records")
    out: list[BenchmarkEntry] = []
    for k, rec in enumerate(data):
        keys = ("url", "commit", "file_path", "full_name")
        if not isinstance(rec, dict) or any(not isinstance(rec.get(key), str) for key in keys):
            raise ValueError(f"{path}: record {k} needs the strings {', '.join(keys)}")
        out.append(BenchmarkEntry(*(rec[key] for key in keys)))
    return out


@dataclass
class LeanDojoAPI:
    """What the command needs of lean-dojo: ``Dojo``, ``LeanGitRepo`` and ``Theorem``."""

    Dojo: Any
    LeanGitRepo: Any
    Theorem: Any
    _repos: dict[tuple[str, str], Any] = field(default_factory=dict)

    def theorem(self, url: str, commit: str, file_path: str, full_name: str) -> Any:
        key = (url, commit)
        if key not in self._repos:  # one LeanGitRepo per repository and commit (it queries the remote)
            self._repos[key] = self.LeanGitRepo(url, commit)
        return self.Theorem(self._repos[key], Path(file_path), full_name)


def load_lean_dojo() -> LeanDojoAPI:
    """lean-dojo's classes, or :class:`LeanDojoMissing` saying how to install it."""
    try:
        mod = importlib.import_module("lean_dojo")
    except ImportError as err:
        raise LeanDojoMissing(f"prove-lean needs lean-dojo ({INSTALL_HINT}), and Lean through it: {err}") from None
    try:
        return LeanDojoAPI(mod.Dojo, mod.LeanGitRepo, mod.Theorem)
    except AttributeError as err:
        raise LeanDojoMissing(f"this lean_dojo lacks {err.name}: {INSTALL_HINT} gives one that has it") from None


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """The records of a results file by id; a record with outcome ``error`` does not count as done, and a line
    cut short by an interruption is ignored."""
    out: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("id"), str):
            if rec.get("outcome") != "error" or rec["id"] not in out:
                out[rec["id"]] = rec
    return out


def _done(rec: dict[str, Any] | None) -> bool:
    return rec is not None and rec.get("outcome") != "error"


def append_record(path: Path, rec: dict[str, Any]) -> None:
    """Append one JSON line in a single write, flushed to disk; a line left unfinished by a crash is closed
    first, so it never swallows this one."""
    line = json.dumps(rec, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as fh:
        if fh.tell() > 0:
            with path.open("rb") as rd:
                rd.seek(-1, os.SEEK_END)
                if rd.read(1) != b"\n":
                    line = "\n" + line
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def run_benchmark(entries: Sequence[BenchmarkEntry], out: Path,
                  prove_one: Callable[[BenchmarkEntry], LeanProofResult],
                  progress: Callable[[int, int, dict[str, Any]], None] | None = None) -> dict[str, dict[str, Any]]:
    """Prove every entry not already done in ``out`` (resumable: an entry with a final record is skipped, one
    that ended in a LeanDojo error is tried again) and append its record; returns the records of ``entries``."""
    records = read_results(out)
    todo = [e for e in entries if not _done(records.get(e.id))]
    for k, entry in enumerate(todo, start=1):
        rec = prove_one(entry).to_dict()
        append_record(out, rec)
        records[entry.id] = rec
        if progress is not None:
            progress(k, len(todo), rec)
    return {e.id: records[e.id] for e in entries if e.id in records}


def prove_entry(api: LeanDojoAPI, entry: BenchmarkEntry, **kw: Any) -> LeanProofResult:
    """:func:`prove_lean_theorem` for a benchmark entry, through lean-dojo (``api``); the record carries the
    entry's fields."""
    t0 = time.perf_counter()
    try:
        handle = api.theorem(entry.url, entry.commit, entry.file_path, entry.full_name)
    except Exception as err:  # the repository cannot be reached, an unknown commit ...
        res = LeanProofResult(entry.id, "error", reason=f"cannot make the theorem: {_why(err)}",
                              seconds=time.perf_counter() - t0)
    else:
        res = prove_lean_theorem(api.Dojo, handle, name=entry.id, **kw)
    res.extra = {"url": entry.url, "commit": entry.commit, "file_path": entry.file_path,
                 "full_name": entry.full_name}
    return res


def describe(rec: dict[str, Any]) -> str:
    """One line for a record: ``proved (3 tactics, search 0.2 s, replay 1.1 s)``, ``rejected at tactic 2/5:
    …``, ``untranslatable: …``."""
    outcome = rec.get("outcome", "?")
    timing = f"search {rec.get('search_seconds', 0):.1f} s, replay {rec.get('replay_seconds', 0):.1f} s"
    if outcome == "proved":
        note = f"; {rec['reason']}" if rec.get("reason") else ""
        return f"proved ({len(rec.get('tactics') or [])} tactics, {timing}{note})"
    if outcome == "rejected":
        where = (f"at tactic {rec['failed_index'] + 1}/{len(rec.get('tactics') or [])}"
                 if rec.get("failed_index") is not None else "after the last tactic")
        error = (rec.get("lean_error") or "").split("\n")[0]
        return f"rejected by Lean {where}: {error} ({timing})"
    if outcome == "not_proved":
        why = f": {rec['reason']}" if rec.get("reason") else ""
        return f"not proved{why} ({rec.get('expansions', 0)} expansions, {timing})"
    return f"{OUTCOMES.get(outcome, outcome)}: {rec.get('reason') or ''}"


def summary(records: Iterable[dict[str, Any]]) -> str:
    """The table of outcomes (and the most frequent untranslatable reasons)."""
    recs = list(records)
    counts = {k: 0 for k in OUTCOMES}
    reasons: dict[str, int] = {}
    for rec in recs:
        outcome = rec.get("outcome", "error")
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == "untranslatable":
            why = _reason_kind(rec.get("reason") or "")
            reasons[why] = reasons.get(why, 0) + 1
    total = len(recs)
    lines = [f"{'outcome':20s} {'theorems':>8s} {'share':>7s}"]
    for k, label in OUTCOMES.items():
        if counts[k] or k in ("proved", "rejected", "untranslatable", "not_proved"):
            lines.append(f"{label:20s} {counts[k]:8d} {100.0 * counts[k] / max(1, total):6.1f}%")
    lines.append(f"{'total':20s} {total:8d}")
    if reasons:
        lines.append("untranslatable, by reason:")
        for why, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
            lines.append(f"  {n:6d}  {why}")
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """A reason without the goal's own text, so that like reasons count together."""
    for sep in (" '", ' "', ": "):
        head, found, _ = reason.partition(sep)
        if found:
            return head + " …"
    return reason


__all__ = ["OUTCOMES", "BenchmarkEntry", "LeanDojoAPI", "LeanDojoMissing", "LeanProofResult", "append_record",
           "describe", "lean_tactics", "load_lean_dojo", "prove_entry", "prove_lean_theorem", "read_benchmark",
           "read_results", "renaming_tactics", "run_benchmark", "summary"]
