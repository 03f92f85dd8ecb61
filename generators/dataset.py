"""Dataset records and writers: JSONL always, Parquet with pyarrow (extra ``data``), sharded and resumable.

A dataset directory holds ``shard-00000.jsonl`` (or ``.parquet``), ... each with ``shard_size`` records, an
optional ``pairs-00000.jsonl`` per shard with supervised (goal, tactic) pairs, and ``manifest.json``. Each
shard is generated from a seed derived from (seed, shard index) and written to a temporary file that is
renamed into place when complete, so an interrupted run keeps every finished shard and ``resume=True`` skips
them; the output does not depend on the number of workers or their timing. Memory stays flat: records are
streamed to disk (Parquet buffers one shard at most).

Load with Hugging Face datasets::

    datasets.load_dataset("json", data_files="out/shard-*.jsonl")
    datasets.load_dataset("parquet", data_files="out/shard-*.parquet")

Record fields: ``id``, ``theorem`` (infix), ``goal``, ``hypotheses``, ``domain``, ``prefix`` (tokens),
``proof`` (the JSON form ``equations check`` reads), ``steps`` (goal, tactic, subgoals per step),
``proof_size``, ``proof_depth``, ``rules_used``, ``generator``, ``params``, ``seed``, ``index``, ``rules``
(rule set name) and ``rules_version``. On disk ``proof`` is JSON text (in Parquet ``steps`` and ``params``
too): a proof tree has variable depth, which Arrow (hence Hugging Face ``datasets``) cannot give a schema.
:func:`read_records` decodes it; ``equations check`` and ``equations export`` read either form.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from equations.printing import to_infix
from equations.proof import Proof
from equations.rules import RuleSet
from equations.tactics import apply
from equations.theorem import Theorem

from .common import Generated, derive_seed, quiet_gc


def proof_steps(thm: Theorem, proof: Proof, rules: RuleSet) -> list[dict[str, Any]]:
    """Every step of ``proof`` in depth-first order: the goal before (with its hypotheses), the tactic, and
    the subgoals it produces."""
    return _replay(thm, proof, rules)[1]


def _replay(thm: Theorem, proof: Proof, rules: RuleSet) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One replay of ``proof`` giving both its JSON form (as ``Proof.to_dict(thm, rules)``, each step with
    its goal) and its steps (see :func:`proof_steps`); records need both, and replaying is the cost."""
    steps: list[dict[str, Any]] = []

    def go(goal: Theorem, p: Proof) -> dict[str, Any]:
        subs = apply(goal, p.tactic, rules)
        tactic = str(p.tactic)
        steps.append({"goal": str(goal), "tactic": tactic, "subgoals": [to_infix(s.goal) for s in subs]})
        children = p.children
        return {
            "goal": to_infix(goal.goal),
            "tactic": tactic,
            "subproofs": [None if c is None else go(subs[i], c) if i < len(subs) else c.to_dict()
                          for i, c in enumerate(children)],
        }

    import sys

    limit = sys.getrecursionlimit()
    if 3 * proof.depth + 100 > limit:
        sys.setrecursionlimit(3 * proof.depth + 100)
    try:
        return go(thm, proof), steps
    finally:
        sys.setrecursionlimit(limit)


def to_record(g: Generated, rules: RuleSet, rules_name: str | None = None, rid: str | None = None) -> dict[str, Any]:
    """The dataset record of a generated theorem (see the module docstring)."""
    thm = g.theorem
    meta = g.meta
    proof_dict, steps = _replay(thm, g.proof, rules)
    return {
        "id": rid or f"{meta.get('generator', 'gen')}-{meta.get('seed', 0)}-{meta.get('index', 0)}",
        "theorem": str(thm),
        "goal": to_infix(thm.goal),
        "hypotheses": [to_infix(h) for h in thm.hyps],
        "domain": thm.domain,
        "prefix": thm.prefix_tokens(),
        "proof": proof_dict,
        "steps": steps,
        "proof_size": g.proof.size,
        "proof_depth": g.proof.depth,
        "rules_used": list(g.rules_used),
        "generator": meta.get("generator"),
        "params": meta.get("params", {}),
        "seed": meta.get("seed"),
        "index": meta.get("index"),
        "rules": rules_name or rules.name,
        "rules_version": rules.version,
    }


def supervised_pairs(record: dict[str, Any]) -> list[dict[str, str]]:
    """(goal, tactic) pairs of a record, for policy training: one per proof step."""
    return [{"id": record["id"], "goal": s["goal"], "tactic": s["tactic"]} for s in record["steps"]]


# --- atomic files ------------------------------------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: mkstemp creates 0600 files; a published dataset file gets the permissions of a file created normally
_FILE_MODE = 0o666 & ~_umask()


def _publish(tmp: Path, path: Path) -> None:
    """Rename a finished temporary file into place, readable as any other file the user creates."""
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, path)


class AtomicWriter:
    """A text file written to a temporary name in the same directory and renamed into place on ``commit``."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self.tmp = Path(tmp)
        self.f = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, text: str) -> None:
        self.f.write(text)

    def commit(self) -> None:
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()
        _publish(self.tmp, self.path)

    def abort(self) -> None:
        if not self.f.closed:
            self.f.close()
        self.tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    w = AtomicWriter(path)
    try:
        w.write(text)
        w.commit()
    except BaseException:
        w.abort()
        raise


def _jsonl_line(rec: dict[str, Any]) -> str:
    """One JSONL line; the proof tree is stored as JSON text (see the module docstring)."""
    return json.dumps({**rec, "proof": json.dumps(rec["proof"])}) + "\n"


def _parquet_rows(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {}
    for r in records:
        for k, v in r.items():
            if k in ("proof", "steps", "params"):
                v = json.dumps(v)
            cols.setdefault(k, []).append(v)
    return cols


def write_parquet_atomic(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records to a Parquet file atomically (pyarrow imported here only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(pa.table(_parquet_rows(records)), tmp)
        _publish(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- sharded generation ------------------------------------------------------------------------------------

@dataclass
class ShardResult:
    shard: int
    count: int
    seconds: float
    skipped: bool = False
    proof_sizes: int = 0
    rule_counts: dict[str, int] = field(default_factory=dict)


def shard_path(out: Path, shard: int, fmt: str) -> Path:
    return out / f"shard-{shard:05d}.{fmt}"


def make_generator(method: str, rules: str, params: dict[str, Any]) -> Any:
    """A generator by name (``walk`` or ``graph``) with keyword parameters."""
    if method == "walk":
        from .walk import RandomWalkGenerator

        return RandomWalkGenerator(rules, **params)
    if method == "graph":
        from .graph import GraphGenerator

        return GraphGenerator(rules, **params)
    raise ValueError(f"unknown generation method {method!r} (walk or graph)")


def generate_shard(method: str, rules: str, params: dict[str, Any], out: str, shard: int, count: int,
                   seed: int, fmt: str = "jsonl", pairs: bool = False, resume: bool = False) -> ShardResult:
    """Generate and write one shard (seed derived from (seed, shard)); picklable entry point for workers."""
    outp = Path(out)
    path = shard_path(outp, shard, fmt)
    if resume and path.exists():
        return _finished_shard(path, shard, fmt)
    t0 = time.perf_counter()
    gen = make_generator(method, rules, params)
    rs: RuleSet = gen.rules
    shard_seed = derive_seed(seed, shard)
    result = ShardResult(shard, 0, 0.0)
    writer = AtomicWriter(path) if fmt == "jsonl" else None
    pw = AtomicWriter(outp / f"pairs-{shard:05d}.jsonl") if pairs else None
    buffered: list[dict[str, Any]] = []
    try:
        for k, g in enumerate(gen.generate(count, shard_seed)):
            rec = to_record(g, rs, rules, rid=f"{method}-{seed}-{shard}-{k}")
            rec["seed"] = seed
            rec["shard"] = shard
            result.count += 1
            result.proof_sizes += rec["proof_size"]
            for r in rec["rules_used"]:
                result.rule_counts[r] = result.rule_counts.get(r, 0) + 1
            if writer is not None:
                writer.write(_jsonl_line(rec))
            else:
                buffered.append(rec)
            if pw is not None:
                for p in supervised_pairs(rec):
                    pw.write(json.dumps(p) + "\n")
        if pw is not None:
            pw.commit()
        if writer is not None:
            writer.commit()
        else:
            write_parquet_atomic(path, buffered)
    except BaseException:
        if writer is not None:
            writer.abort()
        if pw is not None:
            pw.abort()
        raise
    finally:
        # quiet_gc() makes collections of the oldest GC generation rare, so cyclic garbage that lived long
        # enough to get there would pile up over a long run: collect once per shard (about 50 ms). The
        # generator itself is freed by reference counting.
        del gen
        gc.collect()
    result.seconds = time.perf_counter() - t0
    return result


def _finished_shard(path: Path, shard: int, fmt: str) -> ShardResult:
    """The statistics of a shard an earlier run finished (so a resumed run's manifest covers every shard)."""
    res = ShardResult(shard, 0, 0.0, skipped=True)
    rows: Iterable[dict[str, Any]]
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(path, columns=["proof_size", "rules_used"]).to_pylist()
    for rec in rows:
        res.count += 1
        res.proof_sizes += int(rec["proof_size"])
        for r in rec["rules_used"]:
            res.rule_counts[r] = res.rule_counts.get(r, 0) + 1
    return res


def run_fingerprint(method: str, rules: RuleSet, params: dict[str, Any], seed: int, n: int, shard_size: int,
                    fmt: str, pairs: bool) -> str:
    """What the shards' contents depend on; ``resume`` refuses to mix shards of different runs."""
    key = {"method": method, "rules": rules.name, "rules_version": rules.version, "params": params, "seed": seed,
           "n": n, "shard_size": shard_size, "format": fmt, "pairs": pairs}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


class ResumeMismatch(ValueError):
    """``resume`` into a folder whose finished shards came from a run with other parameters."""


def _run_shard(args: tuple[Any, ...]) -> ShardResult:
    with quiet_gc():
        return generate_shard(*args)


def default_shard_size(n: int) -> int:
    """Theorems per shard when none is given: 1000, or fewer so that a run has up to 8 shards (at least 100
    theorems each). It depends on ``n`` only, so the output is still the same for any number of workers, and
    small runs still split into enough shards for several workers (1000 theorems in one shard of 1000 would
    leave every worker but one idle; 1500 in shards of 1000 and 500 would cap 2 workers at x1.5)."""
    return max(1, min(1000, max(100, -(-n // 8))))


def write_dataset(method: str, n: int, out: str | Path, *, rules: str = "default", params: dict[str, Any] | None = None,
                  seed: int = 0, workers: int = 1, shard_size: int | None = None, fmt: str = "jsonl",
                  pairs: bool = False, resume: bool = False,
                  progress: Callable[[ShardResult], None] | None = None) -> dict[str, Any]:
    """Generate ``n`` theorems into ``out`` as shards of ``shard_size`` (default: :func:`default_shard_size`)
    with ``workers`` processes.

    Returns the summary (also written to ``manifest.json``): counts, seconds, theorems/s, mean proof size and
    the rule coverage histogram. The shard contents depend only on (method, rules, params, seed, shard size).
    """
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"format must be jsonl or parquet, not {fmt!r}")
    if fmt == "parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            raise ValueError("parquet output needs pyarrow: pip install 'equations[data]'")
    params = dict(params or {})
    if shard_size is None:
        shard_size = default_shard_size(n)
    gen = make_generator(method, rules, params)  # validate parameters before starting workers
    fingerprint = run_fingerprint(method, gen.rules, params, seed, n, shard_size, fmt, pairs)
    del gen
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    manifest = outp / "manifest.json"
    if resume and manifest.exists():
        try:
            earlier = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
        except (json.JSONDecodeError, AttributeError):
            earlier = None
        if earlier != fingerprint:
            raise ResumeMismatch(
                f"{outp} holds shards of a run with other parameters (fingerprint {earlier}, this run "
                f"{fingerprint}): use the same method, rules, parameters, seed, --n, shard size and format, "
                "or another --out")
    for stale in outp.glob(".*.tmp"):  # temporaries of an interrupted run (never renamed into place)
        if stale.name.startswith((".shard-", ".pairs-", ".manifest.json.")):
            stale.unlink(missing_ok=True)
    # Written first (status "running"), so that an interrupted run's folder says what it was.
    write_text_atomic(manifest, json.dumps({"method": method, "rules": rules, "params": params, "seed": seed,
                                            "n": n, "shard_size": shard_size, "format": fmt, "pairs": pairs,
                                            "fingerprint": fingerprint, "status": "running"}, indent=1) + "\n")
    n_shards = (n + shard_size - 1) // shard_size
    tasks = [(method, rules, params, str(outp), s, min(shard_size, n - s * shard_size), seed, fmt, pairs, resume)
             for s in range(n_shards)]
    t0 = time.perf_counter()
    results: list[ShardResult] = []
    # Everything alive before the run (the caller's heap) is left out of garbage collections while it runs.
    # Otherwise every full collection would rescan it, and forked workers, which share it copy-on-write,
    # would copy it page by page as their collector touched each object. The workers of a process that had
    # already generated a few thousand theorems ran 1.6 times slower than that process did alone. The gc
    # module recommends freezing before fork; unfrozen afterwards, so nothing is kept for good.
    gc.freeze()
    try:
        for res in _map(tasks, workers):
            results.append(res)
            if progress is not None:
                progress(res)
    finally:
        gc.unfreeze()
    seconds = time.perf_counter() - t0
    made = sum(r.count for r in results)
    coverage: dict[str, int] = {}
    for r in results:
        for k, v in r.rule_counts.items():
            coverage[k] = coverage.get(k, 0) + v
    summary = {
        "method": method, "rules": rules, "params": params, "seed": seed, "n": n, "shard_size": shard_size,
        "format": fmt, "pairs": pairs, "fingerprint": fingerprint, "status": "complete", "workers": workers,
        "shards": n_shards,
        "generated": made, "skipped_shards": sum(1 for r in results if r.skipped),
        "seconds": seconds,
        # the rate of this run's own work (resumed shards were counted, not generated, here)
        "theorems_per_second": sum(r.count for r in results if not r.skipped) / seconds if seconds > 0 else 0.0,
        "mean_proof_size": (sum(r.proof_sizes for r in results) / made) if made else 0.0,
        "rule_coverage": dict(sorted(coverage.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    write_text_atomic(outp / "manifest.json", json.dumps(summary, indent=1) + "\n")
    return summary


def _map(tasks: list[tuple[Any, ...]], workers: int) -> Iterator[ShardResult]:
    if workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield _run_shard(t)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    with ctx.Pool(min(workers, len(tasks)), initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.imap(_run_shard, tasks)


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """Pool worker initializer: end this worker when the process that started the run is gone (``kill -9``
    of the parent would otherwise leave the workers generating, and printing BrokenPipeError, for minutes)."""
    import threading

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def read_records(out: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a dataset directory in shard order (JSONL or Parquet)."""
    outp = Path(out)
    for path in sorted(outp.glob("shard-*.*")):
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        rec = json.loads(line)
                        if isinstance(rec.get("proof"), str):
                            rec["proof"] = json.loads(rec["proof"])
                        yield rec
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            for row in pq.read_table(path).to_pylist():
                for k in ("proof", "steps", "params"):
                    if isinstance(row.get(k), str):
                        row[k] = json.loads(row[k])
                yield row


def records(gens: Iterable[Generated], rules: RuleSet) -> Iterator[dict[str, Any]]:
    """Records of an iterable of generated theorems (in memory, no files)."""
    for g in gens:
        yield to_record(g, rules)
