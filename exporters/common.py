"""What every exporter takes and gives back: named theorems with proofs in, a report out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from equations import Proof, Theorem


@dataclass(frozen=True)
class ExportItem:
    """One theorem to export: ``name`` is its dataset id (made a valid identifier by each exporter),
    ``proof`` ``None`` when the theorem closes with no tactic."""

    name: str
    theorem: Theorem
    proof: Proof | None


@dataclass
class ExportReport:
    """``exported``: names written; ``skipped``: name -> reason (an unmapped rule, ...); ``files``: what was
    written; ``failures``: name -> checker message, filled by a ``--check`` run; ``seconds``: checker time."""

    exported: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    checked: bool = False
    seconds: float = 0.0
    preamble_seconds: float = 0.0

    @property
    def accepted(self) -> int:
        return len(self.exported) - len(self.failures)


#: how a skip reason starts when the core's checker rejected the proof (the CLI then exits with 1)
REJECTED = "proof rejected by the checker"

_IDENT_BAD = re.compile(r"[^A-Za-z0-9_]")


def identifier(name: str, prefix: str = "thm_") -> str:
    """A valid Coq/Lean identifier for a dataset id (``walk-000012`` -> ``thm_walk_000012``)."""
    return prefix + _IDENT_BAD.sub("_", name)
