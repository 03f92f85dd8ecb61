"""The files of a Lean export as a Lake project: the file and namespace names, the ``import Mathlib`` header,
and ``lakefile.toml`` with ``lean-toolchain`` requiring Mathlib at :data:`.lean_table.MATHLIB_PIN`, so
``lake exe cache get && lake build`` compiles the export."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from equations import RuleSet
from equations.atomic import write_atomic

from .lean_table import MATHLIB_PIN

HEADER = "import Mathlib\n"
LIB_NAME = "EquationsExport"

_MODULE = re.compile(r"^(Equations[A-Za-z0-9]*\d{4}|RuleCheck[A-Za-z0-9]+)\.lean$")


def file_stem(rules: RuleSet) -> str:
    """``EquationsDefault``, ``EquationsNat`` ...: the files' prefix and the theorems' namespace."""
    return "Equations" + "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", rules.name) if p)


def rule_check_stem(rules: RuleSet) -> str:
    """``RuleCheckDefault`` ...: the rule check's file name (without ``.lean``) and namespace."""
    return "RuleCheck" + file_stem(rules).removeprefix("Equations")


def lakefile_text(modules: Iterable[str]) -> str:
    """``lakefile.toml`` of an export: Mathlib at :data:`MATHLIB_PIN`, one library with the given modules."""
    roots = ", ".join(f'"{m}"' for m in sorted(set(modules)))
    return (
        f"# Written by `equations export --to lean`: the theorems compile against Mathlib {MATHLIB_PIN.commit}\n"
        f"# ({MATHLIB_PIN.date}). Run `lake exe cache get && lake build` here (elan installs the toolchain).\n"
        f'name = "equations_export"\n'
        f'defaultTargets = ["{LIB_NAME}"]\n\n'
        f"[[require]]\n"
        f'name = "mathlib"\n'
        f'git = "{MATHLIB_PIN.url}"\n'
        f'rev = "{MATHLIB_PIN.commit}"\n\n'
        f"[[lean_lib]]\n"
        f'name = "{LIB_NAME}"\n'
        f"roots = [{roots}]\n"
    )


def write_project(out_dir: Path) -> list[Path]:
    """Write ``lean-toolchain`` and ``lakefile.toml`` into ``out_dir``; the library's roots are every
    exported module there (``Equations*NNNN.lean``, ``RuleCheck*.lean``), so the files of several rule sets
    written into one folder build together."""
    out_dir = Path(out_dir)
    modules = [p.stem for p in out_dir.iterdir() if _MODULE.match(p.name)]
    toolchain, lakefile = out_dir / "lean-toolchain", out_dir / "lakefile.toml"
    write_atomic(toolchain, MATHLIB_PIN.toolchain + "\n")
    write_atomic(lakefile, lakefile_text(modules))
    return [lakefile, toolchain]


__all__ = ["HEADER", "LIB_NAME", "file_stem", "lakefile_text", "rule_check_stem", "write_project"]
