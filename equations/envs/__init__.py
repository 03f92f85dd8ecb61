"""Gymnasium environments (extra ``rl``): ``equations/Equations-v0`` (structured, masked ``Discrete``
actions) and ``equations/EquationsText-v0`` (tactic strings). Registered when ``equations`` is imported
and gymnasium is installed; ``gymnasium.make("equations:equations/Equations-v0")`` also works.
:class:`Vocab` is the token vocabulary of ``observation="tokens"``."""

from __future__ import annotations

from .sources import register_source, sources
from .tokens import UnknownTokenError, Vocab

ENV_IDS = ("equations/Equations-v0", "equations/EquationsText-v0")

__all__ = ["ENV_IDS", "UnknownTokenError", "Vocab", "register_envs", "register_source", "sources"]


def register_envs() -> None:
    """Register both environments with gymnasium (idempotent)."""
    import gymnasium

    registry = gymnasium.envs.registration.registry
    if "equations/Equations-v0" not in registry:
        gymnasium.register(id="equations/Equations-v0", entry_point="equations.envs.env:EquationsEnv")
    if "equations/EquationsText-v0" not in registry:
        gymnasium.register(id="equations/EquationsText-v0", entry_point="equations.envs.env:EquationsTextEnv")
