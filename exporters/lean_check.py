"""Checking a Lean export with Lean: every written file compiled by ``lake env lean`` inside a Mathlib project,
each error charged to the theorem it falls in."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from .common import ExportReport
from .trace import ExportError


class LeanNotFound(ExportError):
    """No Lean toolchain (``lake``) or no Mathlib project to check the output with."""


_NOT_FOUND = ("no Lean toolchain found: checking the Lean export needs `lake` on PATH and a Mathlib project "
              "(a Lake package that requires mathlib, with `lake exe cache get` done) named by the environment "
              "variable EQUATIONS_LEAN_PROJECT (the export's own folder is one, after `lake exe cache get` there)")
_ERR = re.compile(r"^(?P<file>[^:\n]+\.lean):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*)$")


def find_lean_project() -> tuple[str, Path]:
    """``(lake executable, project directory)``, or LeanNotFound with a plain message."""
    lake = shutil.which("lake")
    project = os.environ.get("EQUATIONS_LEAN_PROJECT", "")
    if lake is None:
        raise LeanNotFound(_NOT_FOUND + " (`lake` is not on PATH)")
    if not project:
        raise LeanNotFound(_NOT_FOUND + " (EQUATIONS_LEAN_PROJECT is not set)")
    root = Path(project)
    if not any((root / f).is_file() for f in ("lakefile.lean", "lakefile.toml")):
        raise LeanNotFound(_NOT_FOUND + f" ({root} has no lakefile.lean or lakefile.toml)")
    return lake, root


def _theorem_lines(text: str) -> list[tuple[int, str]]:
    """``(line, full name)`` of every theorem of a file (names qualified by the enclosing namespace)."""
    out: list[tuple[int, str]] = []
    ns: list[str] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if m := re.match(r"namespace (\S+)", line):
            ns.append(m.group(1))
        elif re.match(r"end( |$)", line) and ns:
            ns.pop()
        elif m := re.match(r"theorem (\S+)", line):
            out.append((i, ".".join([*ns, m.group(1)])))
    return out


def check_lean(report: ExportReport, out_dir: Path, *, timeout: float = 1800.0) -> ExportReport:
    """Compile every written file with ``lake env lean`` inside the Mathlib project named by
    ``EQUATIONS_LEAN_PROJECT``; fills ``report.failures`` (theorem name -> first error), ``checked`` and
    ``seconds``. Raises LeanNotFound when there is no toolchain or project."""
    lake, root = find_lean_project()
    start = time.monotonic()
    for path in report.files:
        text = Path(path).read_text(encoding="utf-8")
        starts = _theorem_lines(text)
        try:
            proc = subprocess.run([lake, "env", "lean", str(Path(path).resolve())], cwd=root, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            for _, name in starts:
                report.failures.setdefault(name, f"timeout after {timeout:.0f} s compiling {Path(path).name}")
            continue
        output = proc.stdout + proc.stderr
        found = False
        for line in output.splitlines():
            m = _ERR.match(line.strip())
            if not m:
                continue
            found = True
            ln = int(m.group("line"))
            owner = next((name for first, name in reversed(starts) if first <= ln), None)
            key = owner or Path(path).name
            report.failures.setdefault(key, f"line {ln}: {m.group('msg')}")
        if proc.returncode != 0 and not found:
            msg = (output.strip().splitlines() or [f"lean exited with status {proc.returncode}"])[-1]
            for _, name in starts:
                report.failures.setdefault(name, msg)
    report.checked = True
    report.seconds = time.monotonic() - start
    return report


__all__ = ["LeanNotFound", "check_lean", "find_lean_project"]
