"""Dataset records and writers: JSONL always, Parquet with pyarrow (extra ``data``), sharded and resumable.

A dataset folder, as ``write_dataset`` (and ``equations generate --out DIR``) writes it::

    DIR/README.md                 data card: schema, parameters, counts, proof sizes, how to load
    DIR/manifest.json             parameters, fingerprint, counts, rule coverage
    DIR/coverage.png              rule coverage histogram (the command line, when matplotlib is installed)
    DIR/data/shard-00000.jsonl    records (or .parquet), ``shard_size`` each
    DIR/pairs/pairs-00000.jsonl   supervised (goal, tactic) pairs, one file per shard (``pairs=True``)

``data/`` holds record shards and nothing else, because loaders read a folder as "every file in it":
``pandas.read_parquet("DIR/data")`` and ``datasets.load_dataset("DIR")`` (the data card's header names the
files and column types) work as they are. Folders written before ``data/`` existed (shards and pairs next
to ``manifest.json``) are still read everywhere, and a run into such a folder (``resume`` or not) keeps
that layout, so one folder never holds shards in two places.

Each shard is generated from a seed derived from (seed, shard index) and written to a temporary file that
is renamed into place when complete, so an interrupted run keeps every finished shard and ``resume=True``
skips them; the output does not depend on the number of workers or their timing. Memory stays flat:
records are streamed to disk (Parquet buffers one shard at most). Shards run in this process, in a pool of
worker processes, or (``backend="ray"``) as Ray tasks whose records stream back to this process, which
writes them with the same :class:`ShardWriter`: the files are the same bytes whatever runs the shards.

Record fields (:data:`COLUMNS`): ``id``, ``theorem`` (infix), ``goal``, ``hypotheses``, ``domain``, ``prefix``
(tokens), ``proof`` (the JSON form ``equations check`` reads), ``steps`` (goal, tactic, subgoals per step),
``proof_size``, ``proof_depth``, ``rules_used``, ``generator``, ``params``, ``seed``, ``index``, ``rules``
(rule set name), ``rules_version`` and ``shard``. Walk and graph records have the same columns. ``proof`` is
JSON text in both formats: a proof tree has variable depth, which Arrow (hence Hugging Face ``datasets``)
cannot give a type. ``params`` differs between the generators (and between runs: ``steps`` is a number or
a range), so Parquet stores it as JSON text, and loaders given :func:`arrow_schema` (the data card gives
``datasets`` the same types) turn the JSONL object into that text, so walk and graph shards, JSONL or
Parquet, load as one table. :func:`read_records` decodes both back to Python objects; ``equations check``
and ``equations export`` read either format.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import json
import os
import socket
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from equations.atomic import AtomicWriter, atomic_target
from equations.heap import frozen_heap
from equations.printing import to_infix
from equations.proof import Proof, replay, step_dicts
from equations.rules import RuleSet
from equations.theorem import Theorem

from .common import Generated, derive_seed, quiet_gc


def proof_steps(thm: Theorem, proof: Proof, rules: RuleSet) -> list[dict[str, Any]]:
    """Every step of ``proof`` in depth-first order: the goal before (with its hypotheses), the tactic, and
    the subgoals it produces."""
    return _replay(thm, proof, rules)[1]


def _replay(thm: Theorem, proof: Proof, rules: RuleSet) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One replay of ``proof`` giving both its JSON form (as ``Proof.to_dict(thm, rules)``, each step with
    its goal) and its steps (see :func:`proof_steps`); records need both, and replaying is the cost."""
    replayed = replay(thm, proof, rules)
    dicts = step_dicts(replayed)
    steps = [{"goal": str(s.goal), "tactic": d["tactic"], "subgoals": [to_infix(g.goal) for g in s.subgoals]}
             for s, d in zip(replayed, dicts, strict=True)]
    return dicts[0], steps


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


# --- atomic files: equations.atomic (AtomicWriter for streamed shards, atomic_target for Parquet) ---------

def write_text_atomic(path: Path, text: str) -> None:
    with AtomicWriter(path) as w:
        w.write(text)


def _jsonl_line(rec: dict[str, Any]) -> str:
    """One JSONL line; the proof tree is stored as JSON text (see the module docstring)."""
    return json.dumps({**rec, "proof": json.dumps(rec["proof"])}) + "\n"


# --- one schema for both formats and both generators ------------------------------------------------------

_STEPS = "list<struct<goal: string, tactic: string, subgoals: list<string>>>"

#: The columns of a record on disk, in order: name, type (Arrow's notation) and meaning. The single source of
#: the Parquet schema, the Hugging Face features in the data card and the card's schema table.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "string", "unique id: generator-seed-shard-k"),
    ("theorem", "string", "the theorem as `equations.parse` reads it: the goal, then the hypotheses"),
    ("goal", "string", "the goal, infix"),
    ("hypotheses", "list<string>", "the hypotheses, infix"),
    ("domain", "string", "real, nat or int"),
    ("prefix", "list<string>", "the theorem as prefix tokens"),
    ("proof", "string", "the proof tree as JSON text (`equations.Proof.from_json`, `equations check`)"),
    ("steps", _STEPS, "every proof step, depth first: the goal before it, the tactic, the subgoals it leaves"),
    ("proof_size", "int64", "tactic steps in the proof"),
    ("proof_depth", "int64", "depth of the proof tree"),
    ("rules_used", "list<string>", "ids of the rules the proof applies"),
    ("generator", "string", "walk or graph"),
    ("params", "string", "the generator's parameters as JSON text (a JSON object in JSONL files)"),
    ("seed", "int64", "the run's seed"),
    ("index", "int64", "position in the shard's stream of theorems"),
    ("rules", "string", "rule set name"),
    ("rules_version", "string", "rule set version (a hash of its rules)"),
    ("shard", "int64", "shard number"),
)

#: Columns stored as JSON text in Parquet (JSONL keeps ``params`` an object; its bytes are a regression check)
_JSON_TEXT = ("proof", "params")


def arrow_schema() -> Any:
    """The pyarrow schema of a record (pyarrow imported here only). Every Parquet shard is written with it,
    so a shard whose theorems happen to have no hypotheses still types them as strings (inferred, they would
    be ``list<null>``) and walk and graph shards share one schema. Give it to a loader of JSONL shards
    (``datasets.Features.from_arrow_schema(arrow_schema())``) to read ``params`` as JSON text too."""
    import pyarrow as pa

    s, strings = pa.string(), pa.list_(pa.string())
    types = {"string": s, "int64": pa.int64(), "list<string>": strings,
             _STEPS: pa.list_(pa.struct([("goal", s), ("tactic", s), ("subgoals", strings)]))}
    return pa.schema([(name, types[kind]) for name, kind, _ in COLUMNS])


def _parquet_columns(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {name: [] for name, _, _ in COLUMNS}
    for r in records:
        for name, col in cols.items():
            v = r.get(name)
            col.append(json.dumps(v) if name in _JSON_TEXT else v)
    return cols


def write_parquet_atomic(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records to a Parquet file atomically, with :func:`arrow_schema` (pyarrow imported here only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_target(path) as tmp:
        pq.write_table(pa.Table.from_pydict(_parquet_columns(records), schema=arrow_schema()), tmp)


# --- folder layout -----------------------------------------------------------------------------------------

DATA_DIR = "data"
PAIRS_DIR = "pairs"
CARD = "README.md"
#: The data card's first lines: a README.md that does not start so is the user's, and is never overwritten
_CARD_MARK = "---\n# data card written by `equations generate`; every run rewrites it\n"


@dataclass(frozen=True)
class Layout:
    """Where the files of a dataset folder go: record shards in ``data/`` and pairs in ``pairs/``, or, in a
    ``flat`` folder (written before ``data/`` existed), both next to ``manifest.json``."""

    root: Path
    flat: bool = False

    @classmethod
    def of(cls, root: str | Path) -> Layout:
        """The layout ``root`` already has: flat when it holds shards at its top and no ``data/`` folder (its
        missing shards then go next to the others); the ``data/`` layout otherwise."""
        r = Path(root)
        flat = not (r / DATA_DIR).is_dir() and any(_is_shard(p) for p in r.glob("shard-*"))
        return cls(r, flat)

    @property
    def shards(self) -> Path:
        return self.root if self.flat else self.root / DATA_DIR

    @property
    def pairs(self) -> Path:
        return self.root if self.flat else self.root / PAIRS_DIR

    def shard(self, shard: int, fmt: str) -> Path:
        return self.shards / f"shard-{shard:05d}.{fmt}"

    def pair_file(self, shard: int) -> Path:
        return self.pairs / f"pairs-{shard:05d}.jsonl"

    def pattern(self, kind: str, fmt: str = "jsonl") -> str:
        """The glob of the shards (``kind`` "data") or pair files ("pairs"), relative to the root."""
        if kind == "data":
            return f"shard-*.{fmt}" if self.flat else f"{DATA_DIR}/shard-*.{fmt}"
        return "pairs-*.jsonl" if self.flat else f"{PAIRS_DIR}/pairs-*.jsonl"


def _is_shard(p: Path) -> bool:
    return p.name.startswith("shard-") and p.suffix in (".jsonl", ".parquet") and p.is_file()


def record_shards(out: str | Path) -> list[Path]:
    """The record shards of a dataset folder in shard order: those in ``data/`` and those next to
    ``manifest.json`` (older folders). ``out`` may also be the ``data/`` folder itself."""
    root = Path(out)
    found = [p for d in (root / DATA_DIR, root) for p in d.glob("shard-*") if _is_shard(p)]
    return sorted(found, key=lambda p: (p.name, str(p)))


def pair_files(out: str | Path) -> list[Path]:
    """The pair files of a dataset folder in shard order (``pairs/``, or next to ``manifest.json``)."""
    root = Path(out)
    found = [p for d in (root / PAIRS_DIR, root) for p in d.glob("pairs-*.jsonl") if p.is_file()]
    return sorted(found, key=lambda p: (p.name, str(p)))


# --- sharded generation ------------------------------------------------------------------------------------

@dataclass
class ShardResult:
    shard: int
    count: int
    seconds: float
    skipped: bool = False
    proof_sizes: int = 0
    rule_counts: dict[str, int] = field(default_factory=dict)
    #: theorems by proof size (the data card's histogram)
    size_counts: dict[int, int] = field(default_factory=dict)

    def add(self, proof_size: int, rules_used: Iterable[str]) -> None:
        self.count += 1
        self.proof_sizes += proof_size
        self.size_counts[proof_size] = self.size_counts.get(proof_size, 0) + 1
        for r in rules_used:
            self.rule_counts[r] = self.rule_counts.get(r, 0) + 1


def shard_path(out: Path, shard: int, fmt: str, flat: bool = False) -> Path:
    """Where shard ``shard`` of the dataset folder ``out`` goes (``flat``: a folder of the older layout)."""
    return Layout(out, flat).shard(shard, fmt)


#: Every generator by name: ``module:class`` (imported on first use). The one place a generator is named: the
#: ``generate`` command, datasets and the gym sources all read it.
GENERATORS: dict[str, str] = {
    "walk": "equations.generators.walk:RandomWalkGenerator",
    "graph": "equations.generators.graph:GraphGenerator",
}


def make_generator(method: str, rules: str, params: dict[str, Any]) -> Any:
    """A generator by name (a key of :data:`GENERATORS`) with keyword parameters."""
    target = GENERATORS.get(method)
    if target is None:
        raise ValueError(f"unknown generation method {method!r} ({' or '.join(GENERATORS)})")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(rules, **params)


#: Called once per theorem a shard generates: set for the run by ``write_dataset`` (one process) or by the
#: pool initializer (workers, where it adds to a counter the parent reads), so progress moves per theorem.
#: Ray tasks leave it unset: the driver counts the records it receives.
_on_theorem: Callable[[], None] | None = None


def shard_records(method: str, rules: str, params: dict[str, Any], shard: int, count: int,
                  seed: int) -> Iterator[dict[str, Any]]:
    """The records of shard ``shard``, in order, from a seed derived from (seed, shard): the one definition
    of a shard's content, so every backend (this process, pool workers, Ray tasks) writes the same bytes."""
    gen = make_generator(method, rules, params)
    rs: RuleSet = gen.rules
    try:
        for k, g in enumerate(gen.generate(count, derive_seed(seed, shard))):
            rec = to_record(g, rs, rules, rid=f"{method}-{seed}-{shard}-{k}")
            rec["seed"] = seed
            rec["shard"] = shard
            yield rec
    finally:
        # quiet_gc() makes collections of the oldest GC generation rare, so cyclic garbage that lived long
        # enough to get there would pile up over a long run: collect once per shard (about 50 ms). The
        # generator itself is freed by reference counting.
        del gen
        gc.collect()


class ShardWriter:
    """The files of one shard as its records arrive: the record shard (JSONL streamed, Parquet buffered:
    a Parquet file is written whole) and, with ``pairs``, its pair file. Each goes to a temporary file,
    opened at the first record, and is renamed into place by ``commit``; the pair file first, so that a
    shard on disk (what ``resume`` looks for) always has its pairs. The statistics go to ``result``."""

    def __init__(self, layout: Layout, shard: int, fmt: str, pairs: bool):
        self.path = layout.shard(shard, fmt)
        self.pair_path = layout.pair_file(shard) if pairs else None
        self.fmt = fmt
        self.result = ShardResult(shard, 0, 0.0)
        self.writer: AtomicWriter | None = None
        self.pw: AtomicWriter | None = None
        self.buffered: list[dict[str, Any]] = []
        self.opened = False

    def _open(self) -> None:
        # opened lazily: a Ray run has every shard submitted at once, and only running ones need files
        self.opened = True
        self.writer = AtomicWriter(self.path) if self.fmt == "jsonl" else None
        self.pw = AtomicWriter(self.pair_path) if self.pair_path is not None else None

    def add(self, rec: dict[str, Any]) -> None:
        if not self.opened:
            self._open()
        self.result.add(rec["proof_size"], rec["rules_used"])
        if self.writer is not None:
            self.writer.write(_jsonl_line(rec))
        else:
            self.buffered.append(rec)
        if self.pw is not None:
            for p in supervised_pairs(rec):
                self.pw.write(json.dumps(p) + "\n")

    def commit(self) -> ShardResult:
        if not self.opened:
            self._open()
        if self.pw is not None:
            self.pw.commit()
        if self.writer is not None:
            self.writer.commit()
        else:
            write_parquet_atomic(self.path, self.buffered)
            self.buffered = []
        return self.result

    def abort(self) -> None:
        """Remove the temporaries (a finished file stays: it is complete)."""
        for w in (self.writer, self.pw):
            if w is not None:
                w.abort()


def generate_shard(method: str, rules: str, params: dict[str, Any], out: str, shard: int, count: int,
                   seed: int, fmt: str = "jsonl", pairs: bool = False, resume: bool = False,
                   flat: bool = False) -> ShardResult:
    """Generate and write one shard (see :func:`shard_records`); picklable entry point for workers.
    ``flat``: the folder keeps the layout from before ``data/`` (see :class:`Layout`)."""
    layout = Layout(Path(out), flat)
    path = layout.shard(shard, fmt)
    if resume and path.exists():
        return _finished_shard(path, shard, fmt)
    t0 = time.perf_counter()
    files = ShardWriter(layout, shard, fmt, pairs)
    tick = _on_theorem
    try:
        for rec in shard_records(method, rules, params, shard, count, seed):
            files.add(rec)
            if tick is not None:
                tick()
        result = files.commit()
    except BaseException:
        files.abort()
        raise
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
        res.add(int(rec["proof_size"]), rec["rules_used"])
    return res


def run_fingerprint(method: str, rules: RuleSet, params: dict[str, Any], seed: int, n: int, shard_size: int,
                    fmt: str, pairs: bool) -> str:
    """What the shards' contents depend on; ``resume`` refuses to mix shards of different runs. The layout
    is not part of it: where the shards lie does not change what they hold."""
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


#: Temporaries of an interrupted run (never renamed into place), by prefix
_TEMPORARIES = (".shard-", ".pairs-", ".manifest.json.", f".{CARD}.")


def write_dataset(method: str, n: int, out: str | Path, *, rules: str = "default", params: dict[str, Any] | None = None,
                  seed: int = 0, workers: int = 1, shard_size: int | None = None, fmt: str = "jsonl",
                  pairs: bool = False, resume: bool = False, backend: str = "local", address: str | None = None,
                  progress: Callable[[ShardResult], None] | None = None,
                  theorems_done: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Generate ``n`` theorems into ``out`` as shards of ``shard_size`` (default: :func:`default_shard_size`)
    with ``workers`` processes, in the layout of the module docstring.

    ``backend`` "ray" runs each shard as a Ray task of one CPU (see :func:`_ray_map`): on a Ray started here
    with ``workers`` CPUs, on the cluster at ``address`` ("HOST:PORT", which implies "ray"), or on the Ray
    this process is already connected to. This process writes the files either way, so the output is the
    same bytes for either backend; a Ray it started or joined is shut down or left when the run ends,
    however it ends. ``RayUnavailable`` when ray is not installed or nothing answers at ``address``.

    ``progress`` is called with each shard's result as it finishes; ``theorems_done`` with the number of
    theorems done so far: first with the count of the finished shards a resumed run keeps, then as theorems
    are made (after each one in one process; with workers, as the parent sees their count, a few times a
    second), so a progress bar starts where the earlier run stopped and moves per theorem.

    Returns the summary (also written to ``manifest.json``; the data card ``README.md`` presents it): counts,
    seconds, theorems/s, mean proof size, the proof-size histogram and the rule coverage histogram. The
    shard contents depend only on (method, rules, params, seed, shard size).
    """
    global _on_theorem
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"format must be jsonl or parquet, not {fmt!r}")
    if address is not None:
        backend = "ray"
    if backend not in ("local", "ray"):
        raise ValueError(f"backend must be local or ray, not {backend!r}")
    if backend == "ray":
        check_ray_backend(address)  # before any file is written: ray.init alone takes minutes to give up
    if fmt == "parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            raise ValueError("parquet output needs pyarrow: pip install 'equations[data]'")
    params = dict(params or {})
    if shard_size is None:
        shard_size = default_shard_size(n)
    gen = make_generator(method, rules, params)  # validate parameters before starting workers
    rs: RuleSet = gen.rules
    config = getattr(gen, "config", None)
    effective = config.params() if config is not None and hasattr(config, "params") else {}
    fingerprint = run_fingerprint(method, rs, params, seed, n, shard_size, fmt, pairs)
    del gen
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    layout = Layout.of(outp)
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
    for folder in {outp, layout.shards, layout.pairs}:
        for stale in folder.glob(".*.tmp"):
            if stale.name.startswith(_TEMPORARIES):
                stale.unlink(missing_ok=True)
    run = {"method": method, "rules": rules, "params": params, "seed": seed, "n": n, "shard_size": shard_size,
           "format": fmt, "pairs": pairs, "fingerprint": fingerprint,
           "layout": "flat" if layout.flat else DATA_DIR}
    about = {"rules_name": rs.name, "rules_version": rs.version, "rules_domain": rs.domain, "rules_count": len(rs),
             "generator_params": effective}
    # Written first (status "running"), so that an interrupted run's folder says what it was.
    write_text_atomic(manifest, json.dumps({**run, "status": "running"}, indent=1) + "\n")
    _write_card(layout, {**run, "status": "running"}, about)
    n_shards = (n + shard_size - 1) // shard_size
    counts = [min(shard_size, n - s * shard_size) for s in range(n_shards)]
    tasks = [(method, rules, params, str(outp), s, counts[s], seed, fmt, pairs, resume, layout.flat)
             for s in range(n_shards)]
    kept = sum(c for s, c in enumerate(counts) if resume and layout.shard(s, fmt).exists())
    t0 = time.perf_counter()
    results: list[ShardResult] = []
    # Everything alive before the run (the caller's heap) is left out of garbage collections while it runs.
    # Otherwise every full collection would rescan it, and forked workers, which share it copy-on-write,
    # would copy it page by page as their collector touched each object. The workers of a process that had
    # already generated a few thousand theorems ran 1.6 times slower than that process did alone. The gc
    # module recommends freezing before fork (:func:`~equations.heap.frozen_heap`); unfrozen afterwards, so
    # nothing is kept for good.
    with frozen_heap():
        try:
            if theorems_done is not None:
                theorems_done(kept)
                made_here = [kept]

                def one_more() -> None:
                    made_here[0] += 1
                    theorems_done(made_here[0])

                _on_theorem = one_more  # used when the shards run in this process
            made_elsewhere = None if theorems_done is None else lambda k: theorems_done(kept + k)
            with contextlib.ExitStack() as stack:
                if backend == "ray":
                    workers = stack.enter_context(_ray_session(workers, address))
                    shards = _ray_map(tasks, made_elsewhere)
                else:
                    shards = _map(tasks, workers, made_elsewhere)
                # closed before the Ray session ends (LIFO), and at once on an error or Ctrl-C: a pool is
                # terminated, Ray tasks are cancelled and their shards' temporaries removed
                stack.enter_context(contextlib.closing(shards))
                for res in shards:
                    results.append(res)
                    if progress is not None:
                        progress(res)
        finally:
            _on_theorem = None
    seconds = time.perf_counter() - t0
    made = sum(r.count for r in results)
    coverage: dict[str, int] = {}
    sizes: dict[int, int] = {}
    for r in results:
        for k, v in r.rule_counts.items():
            coverage[k] = coverage.get(k, 0) + v
        for size, c in r.size_counts.items():
            sizes[size] = sizes.get(size, 0) + c
    summary = {
        **run, "status": "complete", "backend": backend, "workers": workers,
        "shards": n_shards,
        "generated": made, "skipped_shards": sum(1 for r in results if r.skipped),
        "seconds": seconds,
        # the rate of this run's own work (resumed shards were counted, not generated, here)
        "theorems_per_second": sum(r.count for r in results if not r.skipped) / seconds if seconds > 0 else 0.0,
        "mean_proof_size": (sum(r.proof_sizes for r in results) / made) if made else 0.0,
        "proof_size_histogram": {str(k): sizes[k] for k in sorted(sizes)},
        "rule_coverage": dict(sorted(coverage.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    summary["data_card"] = CARD if _write_card(layout, summary, about) else None
    write_text_atomic(manifest, json.dumps(summary, indent=1) + "\n")
    return summary


def _map(tasks: list[tuple[Any, ...]], workers: int,
         done: Callable[[int], None] | None = None) -> Generator[ShardResult, None, None]:
    """Shard results in task order; with workers, ``done`` gets the number of theorems the workers have made
    (polled while waiting for each shard)."""
    if workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield _run_shard(t)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    counter = ctx.Value("q", 0) if done is not None else None
    with ctx.Pool(min(workers, len(tasks)), initializer=_init_worker, initargs=(os.getpid(), counter)) as pool:
        it = pool.imap(_run_shard, tasks)
        if done is None or counter is None:
            yield from it
            return
        while True:
            try:
                res = it.next(timeout=0.2)
            except mp.TimeoutError:
                done(counter.value)
                continue
            except StopIteration:
                return
            done(counter.value)
            yield res


class RayUnavailable(RuntimeError):
    """The Ray backend cannot run: ray is not installed, or no Ray cluster answers at the address."""


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` too) as (host, port); ``ValueError`` otherwise."""
    host, sep, port = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or "/" in host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"a Ray address is HOST:PORT (the head node's GCS port, 6379 by default), not {address!r}")
    return host, int(port)


def check_ray_backend(address: str | None = None, timeout: float = 5.0) -> None:
    """Fail fast, with a one-line reason, where the Ray backend cannot run: ray not installed (imported only
    by the Ray path), a malformed address (``ValueError``), or nothing accepting connections at ``address``.
    The last is checked here because ``ray.init`` retries an address nobody answers at for minutes and then
    exits the process."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise RayUnavailable("the Ray backend needs ray: pip install 'equations[train]'")
    if address is None:
        return
    host, port = parse_address(address)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        raise RayUnavailable(f"no Ray cluster answers at {address}: {err.strerror or err}") from None


@contextlib.contextmanager
def _ray_session(workers: int, address: str | None) -> Iterator[int]:
    """Ray for one run, giving the number of CPUs the shards share: the Ray this process is already connected
    to (left as it is), else the cluster at ``address`` (disconnected at the end), else a Ray started here
    with ``workers`` CPUs (shut down at the end, on errors and Ctrl-C too). The options are those of online
    training (agents/online.py): no dashboard, no worker logs on the terminal, the caller's logging kept."""
    import ray

    started = False
    if not ray.is_initialized():
        try:
            if address is None:
                # "local": a Ray of its own, even where RAY_ADDRESS or `ray start` names another one
                ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (Exception, SystemExit) as err:  # ray.init exits the process when it gives up on a cluster
            where = "on this machine" if address is None else f"at {address}"
            # newer Rays start clusters with token authentication, which a driver joining one must enable
            hint = ("" if address is None or "RAY_AUTH_MODE" in os.environ else
                    " (a cluster with token authentication needs RAY_AUTH_MODE=token and its token here)")
            raise RayUnavailable(f"could not start Ray {where}: {err}{hint}") from err
        started = True
    try:
        yield max(1, int(ray.cluster_resources().get("CPU", workers)))  # type: ignore[no-untyped-call]
    finally:
        if started:
            ray.shutdown()


def _shard_chunks(method: str, rules: str, params: dict[str, Any], shard: int, count: int, seed: int,
                  every: float = 0.25) -> Iterator[tuple[list[dict[str, Any]], float]]:
    """The body of a Ray shard task (a generator task: Ray streams what it yields to the caller): the shard's
    records (:func:`shard_records`) in chunks, each with the seconds spent so far. A chunk goes every
    ``every`` seconds and the rest at the end, so the driver's progress moves a few times a second, as with a
    pool, at the cost of a few messages a second rather than one per theorem; the chunking changes nothing
    in the files."""
    t0 = last = time.perf_counter()
    chunk: list[dict[str, Any]] = []
    with quiet_gc():
        for rec in shard_records(method, rules, params, shard, count, seed):
            chunk.append(rec)
            now = time.perf_counter()
            if now - last >= every:
                yield chunk, now - t0
                chunk, last = [], now
    yield chunk, time.perf_counter() - t0


def _ray_map(tasks: list[tuple[Any, ...]],
             done: Callable[[int], None] | None = None) -> Generator[ShardResult, None, None]:
    """Shard results as the shards finish (any order), each shard a Ray task of one CPU, on the Ray of
    :func:`_ray_session`; ``done`` gets the number of theorems the tasks have sent.

    The tasks only generate (:func:`_shard_chunks`); this process writes each shard's files with the
    :class:`ShardWriter` that pool workers use, as the records arrive. So the workers of a cluster need no
    access to the output folder, the files are the same bytes as with the local backend, and a failed or
    interrupted run leaves finished shards and no temporaries. Finished shards of a resumed run are counted
    here and not submitted."""
    import ray

    remote = ray.remote(num_cpus=1, num_returns="streaming")(_shard_chunks)
    running: dict[Any, ShardWriter] = {}
    kept: list[ShardResult] = []
    made = 0
    try:
        for method, rules, params, out, shard, count, seed, fmt, pairs, resume, flat in tasks:
            layout = Layout(Path(out), flat)
            if resume and layout.shard(shard, fmt).exists():
                kept.append(_finished_shard(layout.shard(shard, fmt), shard, fmt))
            else:
                running[remote.remote(method, rules, params, shard, count, seed)] = ShardWriter(layout, shard, fmt,
                                                                                                pairs)
        yield from kept
        while running:
            # a timeout, so that Ctrl-C is seen while waiting
            ready: list[Any]
            ready, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
            for gen in ready:
                files = running[gen]
                try:
                    ref = next(gen)
                except StopIteration:
                    del running[gen]
                    yield files.commit()
                    continue
                records, files.result.seconds = ray.get(ref)  # raises the task's error, if it failed
                for rec in records:
                    files.add(rec)
                made += len(records)
                if done is not None and records:
                    done(made)
    except BaseException:
        for gen, files in running.items():
            files.abort()
            with contextlib.suppress(Exception):
                ray.cancel(gen, force=True)
        raise


def _init_worker(parent: int, counter: Any) -> None:
    """Pool worker initializer: exit with the parent, and count theorems in ``counter`` (a shared integer)."""
    global _on_theorem
    _exit_with_parent(parent)
    if counter is not None:
        def count() -> None:
            with counter.get_lock():
                counter.value += 1

        _on_theorem = count
    else:
        _on_theorem = None


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
    """Records of a dataset folder in shard order (JSONL or Parquet; either layout, see :func:`record_shards`),
    with ``proof``, ``params`` and (older Parquet shards) ``steps`` decoded from JSON text."""
    for path in record_shards(out):
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        rec = json.loads(line)
                        if isinstance(rec.get("proof"), str):
                            rec["proof"] = json.loads(rec["proof"])
                        yield rec
        else:
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


# --- data card ---------------------------------------------------------------------------------------------

_YAML_TYPES = {
    "string": ["dtype: string"],
    "int64": ["dtype: int64"],
    "list<string>": ["list: string"],
    _STEPS: ["list:", "- name: goal", "  dtype: string", "- name: tactic", "  dtype: string",
             "- name: subgoals", "  list: string"],
}


def _yaml_header(layout: Layout, fmt: str, pairs: bool) -> list[str]:
    """The card's YAML header: Hugging Face ``datasets`` reads the files of each configuration (so the
    manifest, the plot and the pairs stay out of the records) with the column types of :data:`COLUMNS`."""
    lines = [_CARD_MARK.rstrip("\n"), "configs:", "- config_name: default", "  data_files:",
             "  - split: train", f"    path: {layout.pattern('data', fmt)}"]
    if pairs:
        lines += ["- config_name: pairs", "  data_files:", "  - split: train", f"    path: {layout.pattern('pairs')}"]
    lines += ["dataset_info:", "- config_name: default", "  features:"]
    for name, kind, _ in COLUMNS:
        lines.append(f"  - name: {name}")
        lines += [f"    {t}" for t in _YAML_TYPES[kind]]
    if pairs:
        lines += ["- config_name: pairs", "  features:"]
        for name in ("id", "goal", "tactic"):
            lines += [f"  - name: {name}", "    dtype: string"]
    return [*lines, "---"]


def proof_size_histogram(sizes: dict[int, int], width: int = 40, rows: int = 24) -> list[str]:
    """A text histogram of theorems by proof size; sizes are grouped into ranges when there are more than
    ``rows`` of them."""
    if not sizes:
        return ["(no theorems)"]
    lo, hi = min(sizes), max(sizes)
    step = max(1, -(-(hi - lo + 1) // rows))
    bins: list[tuple[str, int]] = []
    for a in range(lo, hi + 1, step):
        b = min(hi, a + step - 1)
        bins.append((str(a) if a == b else f"{a}-{b}", sum(c for s, c in sizes.items() if a <= s <= b)))
    top = max(c for _, c in bins)
    label = max(len("size"), *(len(k) for k, _ in bins))
    out = [f"{'size':>{label}s} {'theorems':>9s}"]
    for k, c in bins:
        out.append(f"{k:>{label}s} {c:9d} {'#' * (round(width * c / top) if c else 0)}".rstrip())
    return out


def data_card(layout: Layout, info: dict[str, Any], about: dict[str, Any]) -> str:
    """The ``README.md`` of a dataset folder: what it holds, its schema, how it was made, its counts and
    proof sizes, and how to load it. ``info`` is the manifest (``status`` "running" while the run is on:
    no counts yet); ``about`` describes the rule set and the generator's full parameters."""
    from equations import __version__

    fmt, pairs, complete = info["format"], info["pairs"], info["status"] == "complete"
    shards = layout.pattern("data", fmt)
    lines = _yaml_header(layout, fmt, pairs)
    lines += ["", f"# {info['n']} {info['method']} theorems with proofs (rule set {about['rules_name']})", ""]
    if complete:
        lines.append(f"Generated by `equations generate` (equations {__version__}). Every proof passed "
                     "`equations.check_proof`; `equations check` on this folder checks them again.")
    else:
        lines.append("**Incomplete: the run writing this folder is still going, or was interrupted.** The "
                     "same command with `--resume` finishes it (finished shards are kept).")
    lines += ["", "## Files", "",
              f"- `{shards}`: the records, {info['shard_size']} a shard"
              + (" (JSONL, one JSON object a line)" if fmt == "jsonl" else " (Parquet)"),
              *([f"- `{layout.pattern('pairs')}`: (goal, tactic) pairs for policy training, one a step"]
                if pairs else []),
              "- `manifest.json`: parameters, fingerprint (what `--resume` compares), counts, rule coverage",
              "- `coverage.png`: rule coverage histogram (when matplotlib is installed)",
              "", "## Loading", "", "```python", "from pathlib import Path", "",
              'DIR = Path("path/to/this/folder")']
    lines.append("import pandas as pd")
    if fmt == "parquet" and not layout.flat:  # pandas reads a folder when every file in it is Parquet
        lines.append(f"df = pd.read_parquet(DIR / {DATA_DIR!r})")
    elif fmt == "parquet":
        lines.append(f"df = pd.concat(pd.read_parquet(p) for p in sorted(DIR.glob({shards!r})))")
    else:
        lines.append(f"df = pd.concat(pd.read_json(p, lines=True) for p in sorted(DIR.glob({shards!r})))")
    lines += ["", "import datasets", 'ds = datasets.load_dataset(str(DIR), split="train")  # columns typed as below',
              *(['pairs = datasets.load_dataset(str(DIR), "pairs", split="train")'] if pairs else []),
              "", "from equations.generators.dataset import read_records",
              "for rec in read_records(DIR):  # proof and params decoded to Python objects",
              '    rec["theorem"], rec["proof"]', "", "import equations as eq",
              'thm = eq.parse(ds[0]["theorem"])',
              'eq.check_proof(thm, eq.Proof.from_json(ds[0]["proof"], thm.domain), eq.load_rules(ds[0]["rules"]))',
              "```", "", "```bash", "equations check path/to/this/folder   # re-checks every proof", "```", "",
              "## Schema", "",
              "One row per theorem. Walk and graph datasets, JSONL and Parquet, have the same columns and types.",
              "", "| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | `{kind}` | {meaning} |" for name, kind, meaning in COLUMNS]
    lines += ["", "`proof` is JSON text because a proof tree has no fixed depth (Arrow cannot type it); "
              "`params` because its keys differ between generators. `read_records` decodes both.",
              "", "## Generation", "",
              f"- method: `{info['method']}`; seed {info['seed']}; {info['n']} theorems in shards of "
              f"{info['shard_size']}; format {fmt}; pairs {'yes' if pairs else 'no'}",
              f"- rule set: `{about['rules_name']}` (domain {about['rules_domain']}, {about['rules_count']} rules), "
              f"version `{about['rules_version']}`" + (f"; given as `{info['rules']}`"
                                                       if info["rules"] != about["rules_name"] else ""),
              f"- fingerprint: `{info['fingerprint']}`", "",
              "Generator parameters (those given to this run in bold; the others are the defaults):", "",
              "| parameter | value |", "|---|---|"]
    given: dict[str, Any] = info["params"]
    every = {**about["generator_params"], **{k: v for k, v in given.items() if k not in about["generator_params"]}}
    for k, v in every.items():
        shown = json.dumps(given.get(k, v), default=str)
        lines.append(f"| **{k}** | **`{shown}`** |" if k in given else f"| {k} | `{shown}` |")
    if complete:
        cov: dict[str, int] = info["rule_coverage"]
        sizes = {int(k): v for k, v in info["proof_size_histogram"].items()}
        lines += ["", "## Counts", "",
                  f"- theorems: {info['generated']} in {info['shards']} shards"
                  + (f" ({info['skipped_shards']} kept from an earlier run)" if info["skipped_shards"] else ""),
                  f"- mean proof size: {info['mean_proof_size']:.2f} steps"
                  + (f" (from {min(sizes)} to {max(sizes)})" if sizes else ""),
                  f"- rules used: {len(cov)} of {about['rules_count']}"
                  + (": most used " + ", ".join(f"`{r}` ({c})" for r, c in list(cov.items())[:8]) if cov else ""),
                  "", "## Proof sizes", "", "```", *proof_size_histogram(sizes), "```"]
    return "\n".join(lines) + "\n"


def _write_card(layout: Layout, info: dict[str, Any], about: dict[str, Any]) -> bool:
    """Write the data card atomically unless the folder holds a README.md that is not one (the user's own:
    left alone). True when written."""
    path = layout.root / CARD
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as f:
            if f.read(len(_CARD_MARK)) != _CARD_MARK:
                return False
    write_text_atomic(path, data_card(layout, info, about))
    return True
