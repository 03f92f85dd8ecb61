"""The *Identities* evaluation set: textbook identities and inequalities with no proofs attached.

Lample et al. (2022, section 3.3) evaluate provers on hand-written mathematical identities that are out of
the distribution of the synthetic training theorems.  This package ships such a set as plain text (one
theorem per line in ``data/<category>.txt``, in the syntax of ``docs/SYNTAX.md``) so that it can be read,
diffed and extended without code, and exposes it as parsed :class:`equations.Theorem` objects.

Ids are ``<category>-NNN``; they are stable (never renumbered) so that results stay comparable across
versions of the set.  A trailing ``# ...`` comment on a line records where the identity comes from
(``# paper table 9`` for Table 9 of the paper, ``# paper 7.1.3`` for the two statements of section 7.1.3).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from equations import Theorem

__all__ = ["CATEGORIES", "DIFFICULTIES", "Identity", "IdentityDataError", "load", "results_table", "split"]

CATEGORIES: tuple[str, ...] = ("algebra", "explog", "trig", "hyperbolic", "inverse", "inequalities")
"""Every category, in the order used by :func:`results_table`; each is one file ``data/<category>.txt``."""

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
"""Hand-assigned estimates of proof length with elementary rules, not measured proof sizes."""

# "<category>-NNN <difficulty>: <theorem text>  [# source]"
_LINE = re.compile(r"^(?P<id>(?P<cat>[a-z]+)-(?P<num>\d{3}))\s+(?P<diff>[a-z]+):\s*(?P<body>.*)$")


class IdentityDataError(ValueError):
    """A malformed data line; the message names the file, the line number and the problem."""


@dataclass(frozen=True)
class Identity:
    """One evaluation statement.

    ``text`` is the theorem exactly as written in the data file (without the comment), so that reports
    can quote it; ``theorem`` is its parsed form; ``source`` is the trailing comment, if any.
    """

    id: str
    category: str
    difficulty: str
    text: str
    theorem: Theorem
    source: str | None


def _parse_theorem(text: str) -> Theorem:
    """Parse with the engine.  Imported lazily so that importing this package never costs a parser
    start-up, and so that a broken engine shows up as a parse failure on a named line."""
    import equations

    return equations.parse(text)


def _parse_line(filename: str, lineno: int, line: str, category: str) -> Identity | None:
    """One data line to an :class:`Identity` (``None`` for blank and comment lines)."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    where = f"{filename}:{lineno}"
    body, sep, comment = stripped.partition("#")
    source = (comment.strip() or None) if sep else None
    m = _LINE.match(body.strip())
    if m is None:
        raise IdentityDataError(f"{where}: malformed line, expected '<category>-NNN <difficulty>: <theorem>'")
    if m["cat"] != category:
        raise IdentityDataError(f"{where}: id {m['id']!r} does not belong to category {category!r}")
    if m["diff"] not in DIFFICULTIES:
        raise IdentityDataError(f"{where}: unknown difficulty {m['diff']!r}, expected one of {DIFFICULTIES}")
    text = m["body"].strip()
    if not text:
        raise IdentityDataError(f"{where}: empty theorem")
    try:
        theorem = _parse_theorem(text)
    except ValueError as err:  # equations.ParseError is a ValueError
        raise IdentityDataError(f"{where}: cannot parse {text!r}: {err}") from err
    return Identity(m["id"], category, m["diff"], text, theorem, source)


@cache
def _load_category(category: str) -> tuple[Identity, ...]:
    """Read and parse one data file (cached: the files are immutable package data)."""
    filename = f"{category}.txt"
    path = resources.files(__name__).joinpath("data").joinpath(filename)
    content = path.read_text(encoding="utf-8")
    out: list[Identity] = []
    seen: set[str] = set()
    for lineno, line in enumerate(content.splitlines(), start=1):
        item = _parse_line(f"data/{filename}", lineno, line, category)
        if item is None:
            continue
        if item.id in seen:
            raise IdentityDataError(f"data/{filename}:{lineno}: duplicate id {item.id!r}")
        seen.add(item.id)
        out.append(item)
    return tuple(out)


def load(category: str | None = None, difficulty: str | None = None) -> list[Identity]:
    """The identities of one category (or all), optionally of one difficulty, sorted by id."""
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"unknown identity category {category!r}; expected one of {', '.join(CATEGORIES)}")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}; expected one of {', '.join(DIFFICULTIES)}")
    cats = CATEGORIES if category is None else (category,)
    items = [it for c in cats for it in _load_category(c)]
    if difficulty is not None:
        items = [it for it in items if it.difficulty == difficulty]
    return sorted(items, key=lambda it: it.id)


def _bucket(identity_id: str, seed: int) -> float:
    """A uniform number in [0, 1) that depends only on the id and the seed.

    hashlib rather than ``hash()``: Python salts string hashes per process, and a split must be the same
    on every machine and every run for held-out results to mean anything.
    """
    digest = hashlib.sha256(f"{seed}:{identity_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split(
    items: Iterable[Identity], held_out_fraction: float = 0.2, seed: int = 0
) -> tuple[list[Identity], list[Identity]]:
    """Split into (kept, held_out) by a stable hash of each id.

    Membership of an identity does not depend on the other items, so adding identities to the set never
    moves an existing one across the split.
    """
    if not 0.0 <= held_out_fraction <= 1.0:
        raise ValueError(f"held_out_fraction must be in [0, 1], got {held_out_fraction}")
    kept: list[Identity] = []
    held: list[Identity] = []
    for it in items:
        (held if _bucket(it.id, seed) < held_out_fraction else kept).append(it)
    return kept, held


def results_table(results: Mapping[str, bool], items: Sequence[Identity] | None = None) -> str:
    """A plain-text table of proved / total / percent per category, plus an ``all`` row.

    ``results`` maps identity ids to whether they were proved; ids missing from it count as not proved,
    so a partial run cannot look better than it is.  ``items`` defaults to the whole set.
    """
    pool = load() if items is None else list(items)
    rows: list[tuple[str, int, int]] = []
    for cat in CATEGORIES:
        members = [it for it in pool if it.category == cat]
        if members:
            rows.append((cat, sum(bool(results.get(it.id, False)) for it in members), len(members)))
    rows.append(("all", sum(p for _, p, _ in rows), sum(t for _, _, t in rows)))
    width = max(len("category"), *(len(name) for name, _, _ in rows))
    lines = [f"{'category':<{width}}  {'proved':>6}  {'total':>5}  {'percent':>7}"]
    for name, proved, total in rows:
        pct = 100.0 * proved / total if total else 0.0
        lines.append(f"{name:<{width}}  {proved:>6}  {total:>5}  {pct:>6.1f}%")
    return "\n".join(lines)
