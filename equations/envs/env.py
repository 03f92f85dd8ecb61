"""Gymnasium environments over the engine: one episode proves one theorem.

The environments are thin: the state is the list of open goals, a step is ``equations.apply`` on one of
them followed by ``equations.is_closed`` on the subgoals, and the proof so far is recorded as a
:class:`~equations.proof.Proof` that the core checker replays. No proving logic lives here.
"""

from __future__ import annotations

import string
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..closing import is_closed
from ..parse import ParseError, parse
from ..printing import to_infix
from ..proof import Proof
from ..rules import RuleSet, load_rules
from ..tactics import InvalidTactic, Tactic, apply
from ..theorem import Theorem
from .actions import ActionIndex
from .sources import get_source, pick_list

#: characters of observation and action texts (the engine's whole infix and tactic syntax)
CHARSET = string.ascii_letters + string.digits + " _+-*/%()<>=!|;,.:"
MAX_TEXT = 4096


_new_proof = tuple.__new__  # builds a Proof named tuple without the Python-level __new__ (hot path)


def _clip(text: str) -> str:
    """Texts longer than :data:`MAX_TEXT` are cut (the observation space has a maximum length)."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


class _Node:
    """A goal of the episode's proof tree; ``proof`` caches the sub-proof below it. Applying a tactic
    rebuilds the proofs on the path to the root, each by replacing one entry of its parent's children
    tuple (``index`` is the node's place there), so recording costs O(depth) cheap tuple copies a step."""

    __slots__ = ("_obs", "_text", "_tokens", "children", "count", "index", "parent", "proof", "tactic", "thm")

    def __init__(self, thm: Theorem, parent: _Node | None = None, index: int = 0):
        self.thm = thm
        self.parent = parent
        self.index = index
        self.tactic: Tactic | None = None
        self.children: list[_Node | None] = []
        self.proof: Proof | None = None
        self._text: str | None = None
        self._tokens: tuple[str, ...] | None = None
        self._obs: tuple[str, str] | None = None
        self.count = -1  # number of actions of this goal (counted on first use; a goal never changes)

    @property
    def text(self) -> str:
        """The goal as clipped observation text (computed once: open goals persist across steps)."""
        t = self._text
        if t is None:
            t = self._text = _clip(str(self.thm))
        return t

    @property
    def obs(self) -> tuple[str, str]:
        """The clipped texts of the goal and of its hypotheses, as the current goal's observation shows
        them (computed once)."""
        o = self._obs
        if o is None:
            thm = self.thm
            o = self._obs = (_clip(to_infix(thm.goal)), _clip("; ".join(to_infix(h) for h in thm.hyps)))
        return o

    @property
    def tokens(self) -> tuple[str, ...]:
        """The goal's prefix tokens (computed once; a tuple, so it is handed out without a copy)."""
        t = self._tokens
        if t is None:
            t = self._tokens = tuple(self.thm.prefix_tokens())
        return t


class EquationsEnv(gym.Env[dict[str, Any], np.int64]):
    """Structured actions: ``Discrete(max_actions)`` over the numbered (goal, rule, direction, position,
    substitution) candidates of the current state, with an action mask.

    Args:
        rules: rule set name or :class:`RuleSet`.
        theorems: a list of theorem texts/objects to draw from (overrides ``source``).
        source: name of a theorem source (``identities``, or a generator once registered).
        source_params: parameters of the source (e.g. ``{"category": "trig"}``).
        max_steps: steps before ``truncated``.
        max_actions: size of the action space; candidates past it are not offered (goal 0's come first).
        subs_per_tactic: substitution choices offered per (rule, direction, position) needing values.
        step_penalty, invalid_penalty: subtracted from the reward of each step / invalid action.
        render_mode: ``"ansi"`` or ``"human"``.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        rules: str | RuleSet = "default",
        theorems: list[str | Theorem] | None = None,
        source: str = "identities",
        source_params: dict[str, Any] | None = None,
        max_steps: int = 100,
        max_actions: int = 2048,
        subs_per_tactic: int = 1,
        step_penalty: float = 0.0,
        invalid_penalty: float = 0.0,
        render_mode: str | None = None,
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}")
        self.rules = load_rules(rules) if isinstance(rules, str) else rules
        self.theorems = theorems
        self.source = source
        self.source_params = dict(source_params or {})
        self.max_steps = max_steps
        self.max_actions = max_actions
        self.step_penalty = step_penalty
        self.invalid_penalty = invalid_penalty
        self.render_mode = render_mode
        self.actions = ActionIndex.shared(self.rules, subs_per_tactic)
        text = spaces.Text(MAX_TEXT, min_length=0, charset=CHARSET)
        self.observation_space = spaces.Dict({
            "goal": text,
            "hypotheses": text,
            "other_goals": spaces.Sequence(text, stack=False),
            "action_mask": spaces.MultiBinary(max_actions),
        })
        self.action_space = spaces.Discrete(max_actions)  # type: ignore[assignment]
        self._root: _Node | None = None
        self._open: list[_Node] = []
        self._steps = 0
        self._theorem_id = ""
        self._offsets: list[int] = []
        self._n_valid = 0  # actions 0.._n_valid-1 are valid: the mask is always a prefix of ones
        self._mask = np.zeros(max_actions, dtype=np.int8)

    # -- episode -----------------------------------------------------------------------------------------
    def _draw(self, options: dict[str, Any]) -> tuple[str, Theorem]:
        if "theorem" in options:
            t = options["theorem"]
            try:
                thm = t if isinstance(t, Theorem) else parse(str(t))
            except ParseError as err:
                raise ValueError(f"options['theorem']: {err}") from None
            return str(options.get("theorem_id", "given")), thm
        if "theorems" in options:
            return pick_list(self.np_random, list(options["theorems"]))
        if "source" in options:
            return get_source(options["source"])(self.np_random, **dict(options.get("params", {})))
        if self.theorems is not None:
            return pick_list(self.np_random, list(self.theorems))
        return get_source(self.source)(self.np_random, **self.source_params)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start proving a theorem: ``options`` may give ``theorem`` (text or Theorem, with an optional
        ``theorem_id``), ``theorems`` (a list to draw from), or ``source`` and ``params``."""
        super().reset(seed=seed)
        options = options or {}
        self._theorem_id, thm = self._draw(options)
        if thm.domain != self.rules.domain:
            raise ValueError(f"theorem is over {thm.domain}; the rule set {self.rules.name} over {self.rules.domain}")
        self._root = _Node(thm)
        # The root starts open even when it would close automatically (say x**2 >= 0): the agent closes it
        # with the matching assertion, so every episode has at least one step and a proof.
        self._open = [self._root]
        self._steps = 0
        return self._observe(), self._info()

    def step(self, action: Any) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        if not self._open and self._root is None:
            raise RuntimeError("call reset() before step()")
        self._steps += 1
        error = None
        try:
            goal_index, tactic = self._decode(action)
            self._apply(goal_index, tactic)
        except (InvalidTactic, ValueError, IndexError) as err:
            error = getattr(err, "reason", None) or str(err)
        terminated = not self._open
        reward = 0.0
        if error is not None:
            reward -= self.invalid_penalty
        else:
            reward -= self.step_penalty
            if terminated:
                reward += 1.0
        truncated = not terminated and self._steps >= self.max_steps
        obs = self._observe()  # first: it computes the mask that info carries too
        info = self._info()
        if error is not None:
            info["error"] = error
        return obs, reward, terminated, truncated, info

    def _apply(self, goal_index: int, tactic: Tactic) -> None:
        if not 0 <= goal_index < len(self._open):
            raise IndexError(f"goal index {goal_index} out of range: {len(self._open)} open goals")
        node = self._open[goal_index]
        rules = self.rules
        subgoals = apply(node.thm, tactic, rules)
        node.tactic = tactic
        node.children = children = [None if is_closed(s, rules) else _Node(s, node, i) for i, s in enumerate(subgoals)]
        self._open[goal_index : goal_index + 1] = [c for c in children if c is not None]
        # every child is new, so none has a proof yet: the node's proof is the tactic with None children
        proof = _new_proof(Proof, (tactic, (None,) * len(children)))
        node.proof = proof
        n = node
        parent = n.parent
        while parent is not None:
            sub = parent.proof
            assert sub is not None
            kids = sub[1]
            if len(kids) == 1:  # the usual case: a rewrite whose side conditions all closed
                proof = _new_proof(Proof, (sub[0], (proof,)))
            else:
                i = n.index
                proof = _new_proof(Proof, (sub[0], (*kids[:i], proof, *kids[i + 1 :])))
            parent.proof = proof
            n, parent = parent, parent.parent

    def _decode(self, action: Any) -> tuple[int, Tactic]:
        a = int(action)
        if not 0 <= a < self._n_valid:
            raise ValueError(f"action {a} is not available in this state (see the action mask)")
        for gi in range(len(self._offsets) - 1, -1, -1):
            if a >= self._offsets[gi]:
                return gi, self.actions.tactic(self._open[gi].thm, a - self._offsets[gi])
        raise ValueError(f"action {a} is not available")

    # -- observation -------------------------------------------------------------------------------------
    def _compute_mask(self) -> None:
        """Count the actions of the open goals (goal 0's first). The valid actions are always a prefix of
        the numbering, so the state keeps their number; the mask handed out (in the observation and in
        info: one fresh array a step, the caller may keep or modify it) is built from it."""
        offsets = []
        total = 0
        cap = self.max_actions
        count = self.actions.count
        for node in self._open:
            offsets.append(total)
            if total < cap:
                c = node.count
                if c < 0:
                    c = node.count = count(node.thm)
                total += c
        self._offsets = offsets
        self._n_valid = n = min(total, cap)
        mask = self._mask = np.zeros(cap, dtype=np.int8)
        mask[:n] = 1

    def _observe(self) -> dict[str, Any]:
        self._compute_mask()
        goal, hyps = self._open[0].obs if self._open else ("", "")
        return {
            "goal": goal,
            "hypotheses": hyps,
            "other_goals": tuple(n.text for n in self._open[1:]),
            "action_mask": self._mask,
        }

    def action_masks(self) -> np.ndarray:
        """The valid-action mask (maskable-PPO convention)."""
        mask = np.zeros(self.max_actions, dtype=bool)
        mask[: self._n_valid] = True
        return mask

    def proof(self) -> Proof | None:
        """The proof so far: open goals appear as ``None`` children, so the checker accepts it only once
        every goal is closed."""
        return None if self._root is None else self._root.proof

    def _info(self) -> dict[str, Any]:
        assert self._root is not None
        return {
            "theorem_id": self._theorem_id,
            "theorem": str(self._root.thm),
            "steps": self._steps,
            "open_goals": len(self._open),
            "proof": self.proof(),
            "action_mask": self._mask,
            "prefix_tokens": [n.tokens for n in self._open],
        }

    @property
    def theorem(self) -> Theorem:
        assert self._root is not None, "call reset() first"
        return self._root.thm

    def render(self) -> str | None:  # type: ignore[override]
        text = self._render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def _render_text(self) -> str:
        if self._root is None:
            return "(no episode: call reset())"
        lines = [f"theorem {self._theorem_id}: {self._root.thm}", f"step {self._steps}, {len(self._open)} open goal(s)"]
        for i, n in enumerate(self._open):
            lines.append(f"  [{i}] {n.thm}")
        if not self._open:
            lines.append("  proved")
        return "\n".join(lines)

    def action_index(self, text: str) -> int:
        """The action number of ``"<goal index>: <tactic>"`` (or ``"<tactic>"`` for goal 0) in the current
        state; ``ValueError`` when that tactic is not among the offered actions."""
        head, sep, rest = text.partition(":")
        gi, tac_text = (int(head), rest) if sep and head.strip().isdigit() else (0, text)
        if not 0 <= gi < len(self._open):
            raise ValueError(f"goal index {gi} out of range: {len(self._open)} open goals")
        thm = self._open[gi].thm
        want = Tactic.parse(tac_text.strip(), thm.domain)
        for i in range(self.actions.count(thm)):
            if self._offsets[gi] + i >= self.max_actions:
                break
            if self.actions.tactic(thm, i) == want:
                return self._offsets[gi] + i
        raise ValueError(f"{want} is not an offered action for goal {gi} (try a larger subs_per_tactic)")

    def tactic_text(self, action: int) -> str:
        """Human-readable ``goal_index: tactic`` of a structured action (as the text environment writes it)."""
        gi, tac = self._decode(action)
        return f"{gi}: {tac}"


class EquationsTextEnv(EquationsEnv):
    """Text actions: ``"<goal index>: <tactic>"`` in the canonical tactic syntax (``"0: add_comm -> 1"``);
    the goal index and colon may be omitted for goal 0. ``info["admissible_actions"]`` lists valid
    actions (capped at ``max_actions``)."""

    def __init__(self, *args: Any, max_action_length: int = 512, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.action_space = spaces.Text(max_action_length, min_length=0, charset=CHARSET)  # type: ignore[assignment]
        text = spaces.Text(MAX_TEXT, min_length=0, charset=CHARSET)
        self.observation_space = spaces.Dict({
            "goal": text,
            "hypotheses": text,
            "other_goals": spaces.Sequence(text, stack=False),
        })

    def _decode(self, action: Any) -> tuple[int, Tactic]:
        if not isinstance(action, str):
            raise ValueError(f"the action must be a string, got {type(action).__name__}")
        head, sep, rest = action.partition(":")
        if sep and head.strip().isdigit() and not rest.startswith("="):
            gi, text = int(head), rest
        else:
            gi, text = 0, action
        if not self._open:
            raise ValueError("no open goal")
        return gi, Tactic.parse(text.strip(), self._open[min(gi, len(self._open) - 1)].thm.domain)

    def _observe(self) -> dict[str, Any]:
        obs = super()._observe()
        del obs["action_mask"]
        return obs

    def _info(self) -> dict[str, Any]:
        info = super()._info()
        acts: list[str] = []
        for gi, node in enumerate(self._open):
            for tac in self.actions.tactics(node.thm, self.max_actions - len(acts)):
                acts.append(f"{gi}: {tac}")
        info["admissible_actions"] = acts
        return info
