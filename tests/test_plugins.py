"""Commands and gym theorem sources are found through entry points: adding one is one declaration in the
package that defines it (here a fake distribution's entry point), never an edit of the core."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
from typing import Any

import numpy as np
import pytest

import equations as eq
from equations import cli

# the module (equations.envs re-exports a function of the same name)
sources = importlib.import_module("equations.envs.sources")

PLUGIN_RAN: list[str] = []


def add_parser(sub: Any) -> None:
    """A third party's command hook (what its entry point names)."""
    p = sub.add_parser("hello-plugin", help="a command from another package")
    p.set_defaults(fn=lambda args: PLUGIN_RAN.append("hello") or 0)


def my_source(np_random: np.random.Generator, **params: Any) -> tuple[str, eq.Theorem]:
    return "mine-0", eq.parse("x + 0 == x")


def _with_extra(monkeypatch: pytest.MonkeyPatch, group: str, name: str, value: str) -> None:
    real = md.entry_points

    def fake(**kw: Any) -> Any:
        eps = list(real(**kw))
        if kw.get("group") == group:
            eps.append(md.EntryPoint(name=name, value=value, group=group))
        return eps

    monkeypatch.setattr(md, "entry_points", fake)


def test_installed_entry_points_name_the_wings() -> None:
    commands = {ep.name: ep.value for ep in md.entry_points(group="equations.commands")}
    assert commands["generate"] == "equations.generators.cli:add_parser"
    parser = cli.build_parser()
    names = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"generate", "export", "prove", "evaluate", "prove-lean", "show", "train"} <= set(names)
    assert {"walk", "graph", "identities"} <= set(sources.sources())


def test_a_command_from_another_package(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_extra(monkeypatch, "equations.commands", "hello", f"{__name__}:add_parser")
    assert cli.main(["hello-plugin"]) == 0 and PLUGIN_RAN == ["hello"]


def test_a_theorem_source_from_another_package(monkeypatch: pytest.MonkeyPatch) -> None:
    gym = pytest.importorskip("gymnasium")
    _with_extra(monkeypatch, "equations.sources", "mine", f"{__name__}:my_source")
    monkeypatch.setattr(sources, "_SOURCES", dict(sources._SOURCES))
    assert "mine" in sources.sources()
    env = gym.make("equations/Equations-v0")
    _, info = env.reset(seed=0, options={"source": "mine"})
    assert info["theorem_id"] == "mine-0" and info["theorem"] == "x + 0 == x"
    with pytest.raises(ValueError, match=r"unknown theorem source 'nope'; available: .*mine"):
        env.reset(options={"source": "nope"})
