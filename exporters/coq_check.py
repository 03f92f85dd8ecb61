"""Running ``coqc`` on exported files, and reporting every failing theorem by name.

``coqc`` stops at the first error of a file. A file is first compiled whole (the fast path: everything
passes); when it fails, each of its blocks (one lemma or theorem each) is compiled on its own after the
file's header, so the report names every failing block with Coq's message, not only the first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .trace import ExportError


class CoqNotFound(ExportError):
    """No ``coqc`` on the PATH."""


def coqc_path() -> str:
    """The ``coqc`` executable; :class:`CoqNotFound` with the install command when there is none."""
    path = os.environ.get("COQC") or shutil.which("coqc")
    if not path:
        raise CoqNotFound("coqc not found: install Coq (Debian: apt-get install coq libcoq-stdlib)")
    return path


def coq_version() -> str:
    out = subprocess.run([coqc_path(), "--version"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else out.strip()


@dataclass
class CompileResult:
    """Outcome of compiling one file: ``failures`` maps a block name to Coq's error message."""

    path: Path
    ok: bool
    seconds: float
    blocks: int
    failures: dict[str, str] = field(default_factory=dict)


def _compile(path: Path, load_dir: Path, timeout: float, cwd: Path | None = None) -> tuple[bool, str, float]:
    """Run coqc on ``path`` with ``load_dir`` as the root of the load path: (ok, message, seconds)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [coqc_path(), "-q", "-Q", str(load_dir), "", str(path)],
            capture_output=True, text=True, cwd=cwd or load_dir, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"coqc timed out after {timeout:.0f} s", time.perf_counter() - t0
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip(), time.perf_counter() - t0


def _short(msg: str) -> str:
    """Coq's message without the file/line preamble, on one line."""
    lines = [ln for ln in msg.splitlines() if ln.strip() and not ln.startswith('File "')]
    return " ".join(ln.strip() for ln in lines)[:2000]


def _join(header: str, blocks: Sequence[tuple[str, str]]) -> tuple[str, list[int]]:
    """The file text and the first line number (1-based) of each block."""
    text = header.rstrip() + "\n\n"
    starts: list[int] = []
    for _, body in blocks:
        starts.append(text.count("\n") + 1)
        text += body + "\n\n"
    return text, starts


_LINE = re.compile(r'line (\d+), characters')


def compile_blocks(
    directory: Path,
    stem: str,
    header: str,
    blocks: Sequence[tuple[str, str]],
    *,
    timeout: float = 600.0,
    workers: int | None = None,
    max_retries: int = 30,
    text: str | None = None,
) -> CompileResult:
    """Write ``<stem>.v`` (header then blocks) in ``directory`` and compile it there (``-Q directory ""``,
    so modules compiled earlier in ``directory`` can be imported).

    On an error, the block holding the error's line is recorded as failing and the file is compiled again
    without it, until it compiles (each failure costs one more compilation of the file); past
    ``max_retries`` failures the remaining blocks are compiled one by one. The file left on disk is the
    complete one, with every block."""
    directory = Path(directory).resolve()
    if text is None:
        text, _ = _join(header, blocks)
    path = directory / f"{stem}.v"
    tmp = path.with_suffix(".v.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    ok, msg, secs = _compile(path, directory, timeout)
    result = CompileResult(path, ok, secs, len(blocks))
    if ok:
        return result
    scratch = Path(tempfile.mkdtemp(prefix=f"{stem}_", dir=directory))
    try:
        remaining = list(blocks)
        for _ in range(max_retries):
            text, starts = _join(header, remaining)
            p = scratch / f"{stem}.v"
            p.write_text(text)
            good, m, _secs = _compile(p, directory, timeout, scratch)
            if good:
                return result
            lines = [int(x) for x in _LINE.findall(m)]
            if not lines or lines[0] < (starts[0] if starts else 1 << 60):
                result.failures["<header>"] = _short(m)  # the header itself fails: nothing can compile
                return result
            k = max(i for i, s in enumerate(starts) if s <= lines[0])
            result.failures[remaining[k][0]] = _short(m)
            del remaining[k]
            if not remaining:
                return result
        # many failures: compile what is left block by block
        def one(i: int) -> tuple[str, bool, str]:
            name, body = remaining[i]
            q = scratch / f"B{i}.v"
            q.write_text(header.rstrip() + "\n\n" + body + "\n")
            good, m, _ = _compile(q, directory, timeout, scratch)
            return name, good, m

        with ThreadPoolExecutor(max_workers=workers or max(1, os.cpu_count() or 1)) as pool:
            for name, good, m in pool.map(one, range(len(remaining))):
                if not good:
                    result.failures[name] = _short(m)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def split_blocks(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(header, [(name, block)]) of a generated file: a block starts at ``Lemma``/``Theorem`` and ends at
    ``Qed.``; everything before the first block is the header."""
    starts = [m.start() for m in re.finditer(r"^(?:Lemma|Theorem) ", text, re.M)]
    if not starts:
        return text, []
    header = text[: starts[0]]
    blocks: list[tuple[str, str]] = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[s:end]
        name = chunk.split()[1].rstrip(":")
        blocks.append((name, chunk.strip()))
    return header, blocks


def compile_preamble(directory: Path, files: Iterable[tuple[str, str]], *, timeout: float = 1800.0,
                     workers: int | None = None, reuse: bool = False) -> list[CompileResult]:
    """Compile preamble files (name, text), in order, into ``directory``; each reports its failing lemmas.
    With ``reuse``, a file whose text is already on disk with a newer ``.vo`` is not compiled again (unless
    a file before it was)."""
    out: list[CompileResult] = []
    stale = False
    directory = Path(directory).resolve()
    for name, text in files:
        path = Path(directory) / name
        vo = path.with_suffix(".vo")
        if (reuse and not stale and path.exists() and vo.exists() and vo.stat().st_mtime >= path.stat().st_mtime
                and path.read_text() == text):
            out.append(CompileResult(path, True, 0.0, 0))
            continue
        stale = True
        header, blocks = split_blocks(text)
        out.append(compile_blocks(Path(directory), name.removesuffix(".v"), header, blocks,
                                  timeout=timeout, workers=workers, text=text))
    return out
