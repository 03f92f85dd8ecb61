"""What a file or folder holds, decided from its content (not its name).

Kinds:

* ``"search"``: a saved search, a JSON object with ``"format": "equations-search"``
  (:mod:`equations.agents.search_json`);
* ``"proof"``: one proof record ``{"theorem", "proof", ...}`` (a line of ``equations prove --json``, whose
  full output is accepted too; a dataset record; an ``evaluate`` result), or a (theorem, proof) pair written
  as a JSON array ``["THEOREM", PROOF]`` where PROOF is a proof object or a list of tactic texts;
* ``"records"``: several proof records, as JSONL (gzipped or not) or a JSON array;
* ``"dataset"``: a folder written by ``equations generate`` (``shard-*.jsonl``, ``.jsonl.gz``, ``.parquet``).

Anything else is a :class:`ViewerError` whose one-line message says what was found and what was expected.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SEARCH_FORMAT", "Loaded", "ViewerError", "dataset_shards", "detect", "load", "read_dataset"]

SEARCH_FORMAT = "equations-search"
SEARCH_VERSIONS = (1,)
_SHARD_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
EXPECTED = ("expected a proof record, a (theorem, proof) pair, a saved search (--save-search), JSONL of proof "
            "records or a dataset folder")


class ViewerError(ValueError):
    """Input the viewer cannot show; the message is one line (the command line prints it, exit status 2)."""


@dataclass
class Loaded:
    """A decoded input: ``kind`` (see the module docstring), ``data`` (the search object, one record, or a
    list of records), ``name`` (for the page title) and ``total`` (records in the source; ``data`` may hold
    fewer when a limit applied)."""

    kind: str
    data: Any
    name: str
    total: int = 1


def dataset_shards(path: Path) -> list[Path]:
    """The record shards of a dataset folder in order: in its ``data/`` folder, or next to its
    ``manifest.json`` in folders written before ``data/`` existed (empty when ``path`` is not a dataset)."""
    if not path.is_dir():
        return []
    found = [p for d in (path / "data", path) if d.is_dir() for p in d.glob("shard-*")
             if p.is_file() and p.name.endswith(_SHARD_SUFFIXES)]
    return sorted(found, key=lambda p: (p.name, str(p)))


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ViewerError(f"cannot read {path}: {err.strerror or err}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise ViewerError(f"{path}: a damaged gzip file") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ViewerError(f"{path}: not UTF-8 text; {EXPECTED}") from None


def _is_record(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("theorem"), str)


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        keys = ", ".join(sorted(map(str, obj))[:6])
        return f"a JSON object with keys {keys}" if keys else "an empty JSON object"
    if isinstance(obj, list):
        return f"a JSON array of {len(obj)} items"
    return f"a JSON {type(obj).__name__}"


def _classify(obj: Any, where: str) -> tuple[str, Any]:
    """(kind, data) of one decoded JSON document."""
    if isinstance(obj, dict) and "format" in obj:
        if obj["format"] != SEARCH_FORMAT:
            raise ViewerError(f"{where}: unknown format {obj['format']!r}; {EXPECTED}")
        if obj.get("version") not in SEARCH_VERSIONS:
            raise ViewerError(f"{where}: saved search version {obj.get('version')!r}; this viewer reads version "
                              f"{', '.join(map(str, SEARCH_VERSIONS))}")
        check_search(obj, where)
        return "search", obj
    if _is_record(obj):
        return "proof", obj
    if (isinstance(obj, list) and len(obj) == 2 and isinstance(obj[0], str)
            and (isinstance(obj[1], dict) or obj[1] is None or isinstance(obj[1], list))):
        return "proof", {"theorem": obj[0], "proof": obj[1]}
    if isinstance(obj, list) and obj and all(_is_record(r) for r in obj):
        return "records", obj
    raise ViewerError(f"{where}: {_describe(obj)}; {EXPECTED}")


def check_search(obj: dict[str, Any], where: str) -> None:
    """The fields the page reads are present and have the right shape (rows of the declared width, edge
    endpoints inside the node list), so a damaged file is named here, not as a blank page."""
    for key, typ in (("theorem", str), ("nodes", list), ("edges", list), ("node_fields", list),
                     ("edge_fields", list), ("root", int)):
        if not isinstance(obj.get(key), typ):
            raise ViewerError(f"{where}: a saved search needs {key!r} ({typ.__name__})")
    nf, ef = obj["node_fields"], obj["edge_fields"]
    for need, fields, what in ((("goal", "status"), nf, "node_fields"),
                               (("node", "tactic", "subgoals"), ef, "edge_fields")):
        missing = [f for f in need if f not in fields]
        if missing:
            raise ViewerError(f"{where}: {what} lacks {', '.join(missing)}")
    n = len(obj["nodes"])
    if not 0 <= obj["root"] < n:
        raise ViewerError(f"{where}: root {obj['root']} is not a node index (0..{n - 1})")
    for i, row in enumerate(obj["nodes"]):
        if not isinstance(row, list) or len(row) != len(nf):
            raise ViewerError(f"{where}: node {i} is not a row of {len(nf)} fields")
    inode, isub = ef.index("node"), ef.index("subgoals")
    for i, row in enumerate(obj["edges"]):
        if not isinstance(row, list) or len(row) != len(ef):
            raise ViewerError(f"{where}: edge {i} is not a row of {len(ef)} fields")
        ends = [row[inode], *(s for s in row[isub] if s is not None)] if isinstance(row[isub], list) else None
        if ends is None or not all(isinstance(s, int) and 0 <= s < n for s in ends):
            raise ViewerError(f"{where}: edge {i} names a node outside 0..{n - 1}")


def _jsonl(text: str, path: Path) -> list[Any]:
    """The JSON objects of a JSONL text. The full output of ``equations prove --json`` (the step listing,
    then the record on its last line) is accepted: its text lines are skipped."""
    lines = text.splitlines()
    prove_output = bool(lines) and lines[0].startswith("proved ")
    out: list[Any] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if prove_output:
                continue
            raise ViewerError(f"{path}:{lineno}: not JSON; {EXPECTED}") from None
        except RecursionError:
            raise ViewerError(f"{path}:{lineno}: JSON nested too deeply") from None
    return out


def _load_file(path: Path, limit: int | None) -> Loaded:
    text = _read_text(path)
    if not text.strip():
        raise ViewerError(f"{path}: an empty file; {EXPECTED}")
    docs: list[Any] | None = None
    whole: Any = None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        docs = _jsonl(text, path)
    except RecursionError:
        raise ViewerError(f"{path}: JSON nested too deeply") from None
    if docs is None:
        kind, data = _classify(whole, str(path))
        if kind == "records":
            kept = data[:limit] if limit else data
            return Loaded("records", [_decode_fields(r) for r in kept], path.name, len(data))
        return Loaded(kind, _decode_fields(data) if kind == "proof" else data, path.name)
    if not docs:
        raise ViewerError(f"{path}: no JSON lines; {EXPECTED}")
    if len(docs) == 1:
        kind, data = _classify(docs[0], str(path))
        return Loaded(kind, _decode_fields(data) if kind == "proof" else data, path.name)
    for i, rec in enumerate(docs, 1):
        if not _is_record(rec):
            raise ViewerError(f"{path}: JSON line {i} is {_describe(rec)}, not a proof record with a 'theorem'; "
                              f"{EXPECTED}")
    kept = docs[:limit] if limit else docs
    return Loaded("records", [_decode_fields(r) for r in kept], path.name, len(docs))


def read_dataset(path: Path, limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The first ``limit`` records of a dataset folder, and how many it holds: its manifest's count when it
    has one (then reading stops at the limit), else the records counted."""
    counted = _manifest_count(path)
    out: list[dict[str, Any]] = []
    total = 0
    for rec in _shard_records(path):
        total += 1
        if limit is None or len(out) < limit:
            out.append(rec)
        elif counted is not None:
            break
    return out, counted if counted is not None and counted >= len(out) else total


def _manifest_count(path: Path) -> int | None:
    try:
        man = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    n = man.get("n") if isinstance(man, dict) else None
    return n if isinstance(n, int) else None


def _decode_fields(rec: dict[str, Any]) -> dict[str, Any]:
    """Shards store the proof tree (and in Parquet the steps and parameters) as JSON text."""
    for k in ("proof", "steps", "params"):
        if isinstance(rec.get(k), str):
            try:
                rec[k] = json.loads(rec[k])
            except json.JSONDecodeError:
                raise ViewerError(f"record {rec.get('id', '?')}: its {k!r} is not JSON text") from None
    return rec


def _shard_records(path: Path) -> Iterator[dict[str, Any]]:
    for shard in dataset_shards(path):
        if shard.suffix == ".parquet":
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise ViewerError(f"{shard}: reading Parquet needs pyarrow: pip install 'equations[data]'") from None
            try:
                rows = pq.read_table(shard).to_pylist()
            except Exception as err:  # pyarrow raises its own error types for malformed files
                raise ViewerError(f"{shard}: not a readable Parquet file ({type(err).__name__})") from None
        else:
            rows = _jsonl(_read_text(shard), shard)
        for i, rec in enumerate(rows, 1):
            if not _is_record(rec):
                raise ViewerError(f"{shard}: record {i} is {_describe(rec)}, not a proof record")
            yield _decode_fields(rec)


def load(path: str | Path, limit: int | None = None) -> Loaded:
    """Decode ``path``; ``limit`` caps the records read from a dataset or a JSONL of records."""
    p = Path(path)
    if not p.exists():
        raise ViewerError(f"no such file or folder: {p}")
    if p.is_dir():
        if not dataset_shards(p):
            raise ViewerError(f"{p}: a folder without dataset shards (shard-*.jsonl, .jsonl.gz, .parquet); "
                              "`equations show DIR --serve` browses a run directory")
        records, total = read_dataset(p, limit)
        if not records:
            raise ViewerError(f"{p}: the dataset has no records")
        return Loaded("dataset", records, p.name or str(p), total)
    return _load_file(p, limit)


def detect(path: str | Path) -> str:
    """The kind of ``path`` (see the module docstring); :class:`ViewerError` for anything else."""
    return load(path, limit=1).kind
