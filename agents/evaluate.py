"""Evaluation harness: prove every theorem of a set with a budget and a number of attempts, in worker
processes, writing one JSON line per theorem as soon as it is done (so an interrupted run resumes: ids
already in the results file are skipped).

Sets: ``"identities"`` (the bundled Identities, optionally one category) or a text file with one theorem
a line (``ID<TAB>THEOREM`` or just ``THEOREM``; blank lines and ``#`` comments are skipped).
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import equations as eq
from equations.heap import trim_native_heap


@dataclass(frozen=True)
class Task:
    id: str
    category: str
    text: str


@dataclass(frozen=True)
class EvalConfig:
    budget: int = 2000
    attempts: int = 1
    policy: str = "fast"
    critic: str = "constant"
    search_policy: str = "puct"
    exploration: float = 1.0
    num_samples: int | None = None
    rules: str = "default"
    seed: int = 0
    sample_params: bool = False
    """Draw the per-attempt search hyper-parameters from appendix C (keeping the budget)."""
    prune: bool = False
    """Numeric pruning in every search (:attr:`SearchParams.prune`)."""
    max_seconds: float | None = 120.0
    """Wall-clock limit per theorem, all attempts together (None: no limit). A theorem whose search hits it
    counts as not proved and its record has ``"timed_out": true``."""
    save_searches: str | None = None
    """A folder for each theorem's last search as JSON (``ID.search.json``, :mod:`.search_json`); the record
    names its file under ``"search"``."""


def load_tasks(set_name: str = "identities", category: str | None = None, split: str = "all") -> list[Task]:
    """The theorems of a set; raises ValueError (unknown category, a split of a file) or FileNotFoundError.
    ``split``: ``"all"``, or the Identities' ``"train"`` / ``"held-out"`` part
    (:func:`equations.identities.split`, 20% held out, seed 0: what online training samples from / never)."""
    if split not in ("all", "train", "held-out"):
        raise ValueError(f"unknown split {split!r}: expected 'all', 'train' or 'held-out'")
    if set_name == "identities":
        identities = importlib.import_module("equations.identities")
        items = identities.load(category=category)
        if split != "all":
            kept, held = identities.split(items, 0.2, seed=0)
            items = kept if split == "train" else held
        return [Task(it.id, it.category, it.text) for it in items]
    if split != "all":
        raise ValueError("--split applies to the Identities set only")
    path = Path(set_name)
    if not path.is_file():
        raise FileNotFoundError(f"no such theorem file: {set_name} (expected 'identities' or a file)")
    out: list[Task] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "\t" in line:
            tid, text = line.split("\t", 1)
        else:
            tid, text = f"{path.stem}-{lineno:04d}", line
        eq.parse(text)  # fail early, with the line, on a bad theorem
        task = Task(tid.strip(), "file", text.strip())
        if category is None or task.category == category:
            out.append(task)
    return out


_RULES: dict[str, eq.RuleSet] = {}


def run_task(args: tuple[Task, EvalConfig]) -> dict[str, Any]:
    """Prove one theorem (top-level so that spawned workers can import it)."""
    import random

    from .prover import prove
    from .search import SearchParams

    task, cfg = args
    rules = _RULES.get(cfg.rules)
    if rules is None:
        rules = _RULES[cfg.rules] = eq.load_rules(cfg.rules)
    thm = eq.parse(task.text)
    record: dict[str, Any] = {"id": task.id, "category": task.category, "theorem": task.text, "proved": False,
                              "attempts": 0, "proof_size": None, "proof_depth": None, "expansions": 0,
                              "seconds": 0.0, "budget": cfg.budget, "policy": cfg.policy, "rules": cfg.rules,
                              "prune": cfg.prune,
                              "timed_out": False,
                              "max_seconds": cfg.max_seconds}
    t0 = time.perf_counter()
    try:
        for attempt in range(cfg.attempts):
            left: float | None = None
            if cfg.max_seconds is not None:
                left = cfg.max_seconds - (time.perf_counter() - t0)
                if left <= 0.0:
                    record["timed_out"] = True
                    break
            seed = cfg.seed + attempt
            if cfg.sample_params:
                params = SearchParams.sample(random.Random(f"{seed}:{task.id}"), expansions=cfg.budget,
                                             policy=cfg.search_policy, seed=seed, prune=cfg.prune)
            else:
                params = SearchParams(expansions=cfg.budget, policy=cfg.search_policy, exploration=cfg.exploration,
                                      num_samples=cfg.num_samples, seed=seed, prune=cfg.prune)
            res = prove(thm, rules, params=params, policy=cfg.policy, critic=cfg.critic, max_seconds=left,
                        keep_search=cfg.save_searches is not None)
            record["attempts"] = attempt + 1
            trim_native_heap()  # a learned policy's tensors fragment the C heap (equations.heap.trim_native_heap)
            if cfg.save_searches is not None:
                from .search_json import save_search, search_file_name

                record["search"] = save_search(Path(cfg.save_searches) / search_file_name(task.id), res, rules).name
                assert res.search is not None
                res.search.graph.release()
            record["expansions"] += res.stats.expansions
            if res.timed_out and not res.proved:
                record["timed_out"] = True
                break  # the time of this theorem is spent
            if res.proved:
                record["proved"] = True
                record["proof_size"] = res.size
                record["proof_depth"] = res.depth
                record["proof"] = res.proof.to_dict() if res.proof is not None else None
                break
    except Exception as err:  # a crash on one theorem must not end the run
        record["error"] = f"{type(err).__name__}: {err}"
    record["seconds"] = round(time.perf_counter() - t0, 3)
    return record


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Records by id (a theorem proved in any record counts as proved: runs can be appended)."""
    out: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by an interruption
        prev = out.get(rec.get("id"))
        if prev is None or (rec.get("proved") and not prev.get("proved")):
            out[rec["id"]] = rec
    return out


def evaluate(tasks: Sequence[Task], out: Path, cfg: EvalConfig, workers: int = 1,
             progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, dict[str, Any]]:
    """Prove every task not already in ``out`` and append its record; returns all records of ``tasks``."""
    done = read_results(out)
    todo = [t for t in tasks if t.id not in done]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        results: Iterable[dict[str, Any]]
        if workers <= 1:
            results = (run_task((t, cfg)) for t in todo)
            _write_all(results, fh, done, progress)
        else:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(workers) as pool:
                _write_all(pool.imap_unordered(run_task, [(t, cfg) for t in todo]), fh, done, progress)
    return {t.id: done[t.id] for t in tasks if t.id in done}


def _write_all(results: Iterable[dict[str, Any]], fh: Any, done: dict[str, dict[str, Any]],
               progress: Callable[[dict[str, Any]], None] | None) -> None:
    for rec in results:
        fh.write(json.dumps(rec) + "\n")
        fh.flush()
        done[rec["id"]] = rec
        if progress is not None:
            progress(rec)


def summary(tasks: Sequence[Task], records: dict[str, dict[str, Any]], set_name: str = "identities") -> str:
    """A per-category table and the cumulative proved fraction (by number of attempts)."""
    proved = {t.id: bool(records.get(t.id, {}).get("proved")) for t in tasks}
    lines: list[str] = []
    if set_name == "identities":
        identities = importlib.import_module("equations.identities")
        by_id = {it.id: it for it in identities.load()}
        lines.append(identities.results_table(proved, [by_id[t.id] for t in tasks if t.id in by_id]))
    else:
        n = sum(proved.values())
        lines.append(f"proved {n}/{len(tasks)} ({100.0 * n / max(1, len(tasks)):.1f}%)")
    total = len(tasks)
    max_att = max((int(r.get("attempts") or 0) for r in records.values()), default=0)
    for k in range(1, max_att + 1):
        n = sum(1 for t in tasks if records.get(t.id, {}).get("proved") and records[t.id]["attempts"] <= k)
        lines.append(f"cumulative proved within {k} attempt(s): {n}/{total} = {100.0 * n / max(1, total):.1f}%")
    ran = sum(1 for t in tasks if t.id in records)
    secs = sum(float(records[t.id].get("seconds", 0.0)) for t in tasks if t.id in records)
    exps = sum(int(records[t.id].get("expansions", 0)) for t in tasks if t.id in records)
    errors = sum(1 for t in tasks if "error" in records.get(t.id, {}))
    timeouts = sum(1 for t in tasks if records.get(t.id, {}).get("timed_out"))
    lines.append(f"{ran}/{total} theorems run, {exps} expansions, {secs:.1f} s of search"
                 + (f", {timeouts} timed out" if timeouts else "") + (f", {errors} errors" if errors else ""))
    return "\n".join(lines)
