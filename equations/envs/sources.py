"""Where episodes get their theorems: a registry of named sources.

A source is a function ``(np_random, **params) -> (theorem_id, Theorem)``. The bundled ``identities``
source draws from the Identities set; other sources (the generators' ``walk`` and ``graph``) are entry points
of the group ``equations.sources``, loaded on first use, so ``reset(options={"source": "walk", "params":
{...}})`` works and a package adds a source without changing this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..parse import parse
from ..theorem import Theorem

Source = Callable[..., tuple[str, Theorem]]
_SOURCES: dict[str, Source] = {}
#: the entry-point group where packages declare sources (``name = "module:function"``), loaded on first use
GROUP = "equations.sources"


def register_source(name: str, fn: Source) -> None:
    """Make ``options={"source": name, "params": {...}}`` available to every Equations environment (or declare
    an entry point of the group ``equations.sources`` in the package that defines ``fn``)."""
    _SOURCES[name] = fn


def _declared() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def sources() -> list[str]:
    return sorted(set(_SOURCES) | set(_declared()))


def get_source(name: str) -> Source:
    fn = _SOURCES.get(name)
    if fn is None:
        ep = _declared().get(name)
        if ep is not None:
            try:
                fn = _SOURCES[name] = ep.load()
            except ImportError as err:
                raise ValueError(f"theorem source {name!r} ({ep.value}) cannot be imported: {err}") from None
    if fn is None:
        raise ValueError(f"unknown theorem source {name!r}; available: {', '.join(sources()) or 'none'}")
    return fn


def _identities(np_random: np.random.Generator, category: str | None = None, difficulty: str | None = None,
                ids: list[str] | None = None, **unknown: Any) -> tuple[str, Theorem]:
    if unknown:
        raise ValueError(f"identities source: unknown parameters {', '.join(unknown)}")
    identities = importlib.import_module("equations.identities")
    items = identities.load(category=category, difficulty=difficulty)
    if ids is not None:
        wanted = set(ids)
        items = [it for it in items if it.id in wanted]
    if not items:
        raise ValueError("identities source: no identity matches the parameters")
    it = items[int(np_random.integers(len(items)))]
    return it.id, it.theorem


register_source("identities", _identities)


def pick_list(np_random: np.random.Generator, theorems: list[str | Theorem]) -> tuple[str, Theorem]:
    """Uniformly one theorem of a list; its id is ``list-<index>``."""
    if not theorems:
        raise ValueError("the theorem list is empty")
    i = int(np_random.integers(len(theorems)))
    t = theorems[i]
    return f"list-{i}", t if isinstance(t, Theorem) else parse(t)
