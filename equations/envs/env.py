"""Gymnasium environments over the engine: one episode proves one theorem.

The environments are thin: the state is the list of open goals, a step is ``equations.apply`` on one of
them followed by ``equations.is_closed`` on the subgoals, and the proof so far is recorded as a
:class:`~equations.proof.Proof` that the core checker replays. No proving logic lives here.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..closing import is_closed
from ..expr import native_module
from ..parse import ParseError, parse
from ..printing import prefix_tokens, to_infix
from ..proof import Proof
from ..rules import RuleSet, load_rules
from ..tactics import InvalidTactic, Tactic, apply
from ..theorem import Theorem
from .actions import ActionIndex
from .sources import get_source, pick_list
from .tokens import Vocab

#: characters of observation and action texts (the engine's whole infix and tactic syntax, and the newline
#: that separates the other open goals)
CHARSET = string.ascii_letters + string.digits + " _+-*/%()<>=!|;,.:\n"
MAX_TEXT = 4096
#: length of the ``other_goals`` text (the other open goals, one a line)
MAX_OTHER_TEXT = 4 * MAX_TEXT
OBSERVATIONS = ("text", "tokens")
#: the default theorem source of integer rule sets (``nat``, ``int``): short random walks with those rules
DEFAULT_WALK: dict[str, Any] = {"steps": (2, 6), "ops": (1, 4)}


_new_proof = tuple.__new__  # builds a Proof named tuple without the Python-level __new__ (hot path)
#: the native path copy of :meth:`EquationsEnv._apply` (``None`` in pure Python)
_rebuild_path: Callable[[_Node, Proof, type[Proof]], Proof] | None = (
    native_module.rebuild_path if native_module is not None else None)


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    """Texts longer than ``limit`` are cut (the observation space has a maximum length)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Node:
    """A goal of the episode's proof tree; ``proof`` caches the sub-proof below it. Applying a tactic
    rebuilds the proofs on the path to the root, each by replacing one entry of its parent's children
    tuple (``index`` is the node's place there), so recording costs O(depth) cheap tuple copies a step."""

    __slots__ = ("_ids", "_obs", "_text", "_tokens", "count", "index", "parent", "proof", "tactic", "thm")

    def __init__(self, thm: Theorem, parent: _Node | None = None, index: int = 0):
        self.thm = thm
        self.parent = parent
        self.index = index
        self.tactic: Tactic | None = None
        self.proof: Proof | None = None
        self._text: str | None = None
        self._tokens: tuple[str, ...] | None = None
        self._obs: tuple[str, str] | None = None
        self._ids: tuple[np.ndarray, np.ndarray, np.ndarray, bool, bool, bool] | None = None
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
    """Prove one theorem an episode with structured, masked actions (``equations/Equations-v0``).

    ## Description

    The state is the list of open goals of a proof. A step applies one rule of the rule set (a rewrite at
    a position, in a direction, with a substitution for the rule's free variables, or an assertion) to one
    open goal with :func:`equations.apply`; the subgoals that :func:`equations.is_closed` accepts are dropped,
    the others (the rewritten goal, the rule's side conditions) become open goals. The episode is won when
    no goal is left. ``info["proof"]`` is the proof so far, which :func:`equations.check_proof` replays: it
    accepts it exactly when the episode is solved. No proving logic lives in the environment.

    ## Action Space

    ``Discrete(max_actions)`` (default 2048): the numbered (goal, rule, direction, position, substitution)
    candidates of the state, goal 0's first, then goal 1's, and so on; candidates past ``max_actions`` are
    not offered. The valid actions are always a prefix ``0 .. n-1`` of the numbering. They are given by
    ``obs["action_mask"]``, ``info["action_mask"]`` and ``env.unwrapped.action_masks()`` (through
    ``gym.make``'s wrappers: ``env.get_wrapper_attr("action_masks")()``; sb3-contrib's ``get_action_masks``
    finds it). ``env.unwrapped.tactic_text(a)`` shows an action, ``env.unwrapped.action_index(text)`` finds
    one.

    **When no action is available** (the terminal observation after the last goal closed, or a dead end:
    open goals no rule applies to), the mask has only action 0 set: a placeholder, so that masked samplers
    (``rng.choice(np.flatnonzero(mask))``, MaskablePPO) never see an empty mask, also under autoreset.
    Stepping it changes nothing and reports ``info["error"]`` like any invalid action. A dead end also
    ends the episode (``truncated``).

    ## Observation Space

    A ``Dict``; ``observation="text"`` (the default) or ``observation="tokens"`` (for neural agents):

    | key | `"text"` | `"tokens"` (`V = len(vocab)`, `L = max_tokens`, `G = max_goals`) |
    |---|---|---|
    | `goal` | `Text(4096)` | `Box(0, V-1, (L,), int64)` |
    | `hypotheses` | `Text(4096)` | `Box(0, V-1, (L,), int64)` |
    | `other_goals` | `Text(16384)` | `Box(0, V-1, (G, L), int64)` |
    | `token_truncated` | - | `MultiBinary(3)` |
    | `action_mask` | `MultiBinary(max_actions)` | `MultiBinary(max_actions)` |

    ``goal`` is the current goal (open goal 0) and ``hypotheses`` its hypotheses: in infix (``; ``
    between two), or as prefix token ids (``|`` between two). ``other_goals`` are the other open goals
    with their hypotheses: one a line in infix, or one a row (goals 1 .. G) of
    ``Theorem.prefix_tokens()`` ids (the goal, then ``|`` and a hypothesis, ...), rows past the open
    goals all padding. ``token_truncated`` is 1 where the goal, the hypotheses, or the other goals (a row
    too long, or more than G other goals) were cut.

    Texts use the characters of :data:`CHARSET` and are cut with ``...`` past their maximum length. Token
    ids come from ``env.unwrapped.vocab`` (a :class:`~equations.envs.tokens.Vocab`: ``vocab.tokens[id]``,
    ``vocab[token]``, ``vocab.save(path)`` / ``Vocab.load(path)`` as JSON); id 0 is the padding ``<pad>``
    that fills each array after its tokens; integers are digit-level (``INT+ 1 2``). Sequences longer than
    ``max_tokens`` keep their first ``max_tokens`` tokens and set ``token_truncated``. A token the
    vocabulary lacks (a variable name outside ``a``-``z``, ``A``-``Z`` and a few Greek names) raises
    ``UnknownTokenError`` naming it: add it with ``vocab_variables``. Every space is fixed-shape, so
    ``gym.make_vec(..., vectorization_mode="async")`` works with shared memory in both modes.

    ## Rewards

    1 when the last open goal closes, 0 otherwise; minus ``step_penalty`` for each valid step and
    ``invalid_penalty`` for each invalid one (the state is then unchanged and ``info["error"]`` says why).

    ## Starting State

    One open goal: a theorem drawn with the env's seeded ``np_random`` from ``reset(options=...)``
    (``{"theorem": text or Theorem, "theorem_id": ...}``, ``{"theorems": [...]}`` or
    ``{"source": name, "params": {...}}``), else from ``theorems``, else from ``source``. The default source
    is the bundled identities for real rule sets (``default``, ``paper``) and, for ``nat`` and ``int``, short
    random walks generated with that rule set (``walk``, parameters :data:`DEFAULT_WALK`, seeded from
    ``np_random``). Same seed, same theorem and same episode.

    ## Episode End

    ``terminated`` when no open goal is left (the proof is complete); ``truncated`` after ``max_steps``
    steps or at a dead end (no action for any open goal).

    ## Arguments

    - ``rules``: rule set name (``default``, ``paper``, ``nat``, ``int``) or :class:`~equations.RuleSet`.
    - ``theorems``: a list of theorem texts or objects to draw from (overrides ``source``).
    - ``source``, ``source_params``: a theorem source (``identities``, ``walk``, ``graph`` or one registered
      with :func:`equations.envs.register_source`) and its parameters; ``None``: the default above.
    - ``max_steps`` (100): steps before ``truncated``.
    - ``max_actions`` (2048): size of the action space.
    - ``subs_per_tactic`` (1): substitution choices offered per (rule, direction, position) needing values
      (from the theorem's subterms, smallest first).
    - ``step_penalty``, ``invalid_penalty`` (0): see Rewards.
    - ``observation`` (``"text"``): ``"text"`` or ``"tokens"``.
    - ``max_tokens`` (256), ``max_goals`` (8): token array sizes (``observation="tokens"``).
    - ``vocab``: a :class:`~equations.envs.tokens.Vocab` or the path of one saved as JSON; default
      ``Vocab.build(rules, vocab_variables)``. ``vocab_variables``: extra variable names for the default.
    - ``render_mode``: ``"ansi"`` (``render()`` returns the proof state as text) or ``"human"`` (prints it).

    ``info`` has ``theorem_id``, ``theorem``, ``steps``, ``open_goals``, ``proof``, ``prefix_tokens`` (one
    tuple per open goal) and ``action_mask`` (the observation's array).

    ## Example

    >>> import gymnasium as gym, numpy as np, equations
    >>> env = gym.make("equations/Equations-v0", observation="tokens", max_steps=30)
    >>> obs, info = env.reset(seed=0)
    >>> rng = np.random.default_rng(0)
    >>> for _ in range(100):
    ...     obs, reward, terminated, truncated, info = env.step(rng.choice(np.flatnonzero(obs["action_mask"])))
    ...     if terminated or truncated:
    ...         obs, info = env.reset()
    >>> env.unwrapped.vocab.decode(obs["goal"])[:1]
    ['eq']
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        rules: str | RuleSet = "default",
        theorems: list[str | Theorem] | None = None,
        source: str | None = None,
        source_params: dict[str, Any] | None = None,
        max_steps: int = 100,
        max_actions: int = 2048,
        subs_per_tactic: int = 1,
        step_penalty: float = 0.0,
        invalid_penalty: float = 0.0,
        render_mode: str | None = None,
        observation: str = "text",
        max_tokens: int = 256,
        max_goals: int = 8,
        vocab: Vocab | str | Path | None = None,
        vocab_variables: Sequence[str] = (),
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}")
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation must be one of {OBSERVATIONS}, not {observation!r}")
        if max_tokens < 1 or max_goals < 1:
            raise ValueError(f"max_tokens and max_goals must be positive, not {max_tokens} and {max_goals}")
        self.rules = load_rules(rules) if isinstance(rules, str) else rules
        self.theorems = theorems
        self.source = source
        self.source_params = dict(source_params or {})
        self.max_steps = max_steps
        self.max_actions = max_actions
        self.step_penalty = step_penalty
        self.invalid_penalty = invalid_penalty
        self.render_mode = render_mode
        self.observation = observation
        self.max_tokens = max_tokens
        self.max_goals = max_goals
        if vocab is None:
            self.vocab = Vocab.build(self.rules, vocab_variables)
        else:
            self.vocab = vocab if isinstance(vocab, Vocab) else Vocab.load(vocab)
        self.actions = ActionIndex.shared(self.rules, subs_per_tactic)
        self.observation_space = self._observation_space(mask=True)
        self.action_space = spaces.Discrete(max_actions)  # type: ignore[assignment]
        self._root: _Node | None = None
        self._open: list[_Node] = []
        self._steps = 0
        self._theorem_id = ""
        self._offsets: list[int] = []
        self._n_valid = 0  # actions 0.._n_valid-1 are valid: the mask is always a prefix of ones
        self._mask = np.zeros(max_actions, dtype=np.int8)

    def _observation_space(self, mask: bool) -> spaces.Dict:
        obs: dict[str, spaces.Space[Any]]
        if self.observation == "tokens":
            high = len(self.vocab) - 1
            row = spaces.Box(0, high, (self.max_tokens,), dtype=np.int64)
            obs = {
                "goal": row,
                "hypotheses": row,
                "other_goals": spaces.Box(0, high, (self.max_goals, self.max_tokens), dtype=np.int64),
                "token_truncated": spaces.MultiBinary(3),
            }
        else:
            text = spaces.Text(MAX_TEXT, min_length=0, charset=CHARSET)
            obs = {"goal": text, "hypotheses": text,
                   "other_goals": spaces.Text(MAX_OTHER_TEXT, min_length=0, charset=CHARSET)}
        if mask:
            obs["action_mask"] = spaces.MultiBinary(self.max_actions)
        return spaces.Dict(obs)

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
        if self.source is not None:
            return get_source(self.source)(self.np_random, **self.source_params)
        if self.rules.domain == "real":
            return get_source("identities")(self.np_random, **self.source_params)
        # integer rule sets: the bundled identities are real, so short random walks with these rules
        params = {**DEFAULT_WALK, **self.source_params, "rules": self.rules}
        return get_source("walk")(self.np_random, **params)

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
        obs = self._observe()  # first: it computes the mask that info carries too
        # a dead end (open goals but no action) ends the episode too
        truncated = not terminated and (self._steps >= self.max_steps or not self._n_valid)
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
        # Nodes point to their parent only: no reference cycle, so a finished episode's tree is freed at once
        # by reference counting instead of waiting for (and slowing down) the cycle collector.
        children = [None if is_closed(s, rules) else _Node(s, node, i) for i, s in enumerate(subgoals)]
        self._open[goal_index : goal_index + 1] = [c for c in children if c is not None]
        # every child is new, so none has a proof yet: the node's proof is the tactic with None children
        proof = _new_proof(Proof, (tactic, (None,) * len(children)))
        node.proof = proof
        if _rebuild_path is not None:  # the same loop in C
            _rebuild_path(node, proof, Proof)
            return
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
            if not self._n_valid:
                raise ValueError(f"no action is available in this state (action {a}; the mask's action 0 is a "
                                 "placeholder when no action is left): call reset()")
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
        mask[: n or 1] = 1  # no action: action 0 is a placeholder (a masked sampler never sees an empty mask)

    def _observe(self) -> dict[str, Any]:
        self._compute_mask()
        if self.observation == "tokens":
            return self._observe_tokens()
        open_ = self._open
        goal, hyps = open_[0].obs if open_ else ("", "")
        other = "" if len(open_) < 2 else _clip("\n".join([n.text for n in open_[1:]]), MAX_OTHER_TEXT)
        return {"goal": goal, "hypotheses": hyps, "other_goals": other, "action_mask": self._mask}

    def _node_ids(self, node: _Node) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, bool, bool]:
        """The node's token ids (computed once): goal, hypotheses, whole theorem, and whether each was cut."""
        ids = node._ids
        if ids is None:
            full = node.tokens
            n_goal = len(prefix_tokens(node.thm.goal))
            encode = self.vocab.encode
            length = self.max_tokens
            goal, cut_goal = encode(full[:n_goal], length)
            hyps, cut_hyps = encode(full[n_goal + 1 :], length)  # without the "|" before the first hypothesis
            whole, cut_whole = encode(full, length)
            ids = node._ids = (goal, hyps, whole, cut_goal, cut_hyps, cut_whole)
        return ids

    def _observe_tokens(self) -> dict[str, Any]:
        """Token observation: fresh arrays (the caller may keep or modify them)."""
        length = self.max_tokens
        open_ = self._open
        cut = np.zeros(3, dtype=np.int8)
        if open_:
            g, h, _, cut_g, cut_h, _ = self._node_ids(open_[0])
            goal, hyps = g.copy(), h.copy()
            cut[0], cut[1] = cut_g, cut_h
        else:
            goal = np.zeros(length, dtype=np.int64)
            hyps = np.zeros(length, dtype=np.int64)
        other = np.zeros((self.max_goals, length), dtype=np.int64)
        rest = open_[1 : self.max_goals + 1]
        cut_other = len(open_) - 1 > self.max_goals
        for i, node in enumerate(rest):
            ids = self._node_ids(node)
            other[i] = ids[2]
            cut_other = cut_other or ids[5]
        cut[2] = cut_other
        return {"goal": goal, "hypotheses": hyps, "other_goals": other, "token_truncated": cut,
                "action_mask": self._mask}

    def action_masks(self) -> np.ndarray:
        """The observation's action mask as booleans (maskable-PPO convention; see Action Space for the
        placeholder action 0 of a state without actions)."""
        return self._mask.astype(bool)

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
    """Prove one theorem an episode by writing tactics (``equations/EquationsText-v0``), e.g. for a language
    model.

    ## Description

    The same proof states, steps, rewards and episodes as :class:`EquationsEnv`; only the actions are
    text.

    ## Action Space

    ``Text(max_action_length)`` (default 512) over :data:`CHARSET`: ``"<goal index>: <tactic>"`` in the
    canonical tactic syntax (``"0: add_comm -> 1"``, ``"1: le_refl"``); the goal index and colon may be
    omitted for goal 0. ``info["admissible_actions"]`` lists the valid actions, in the structured
    environment's order (at most ``max_actions``). An action that does not parse or apply is invalid: the
    state is unchanged and ``info["error"]`` says why.

    ## Observation Space

    As :class:`EquationsEnv` (``observation="text"`` or ``"tokens"``) without ``action_mask``.

    ## Rewards

    As :class:`EquationsEnv`: 1 when the last goal closes, minus ``step_penalty`` / ``invalid_penalty``.

    ## Starting State

    As :class:`EquationsEnv`.

    ## Episode End

    As :class:`EquationsEnv`: ``terminated`` when the proof is complete, ``truncated`` after ``max_steps``
    or at a dead end.

    ## Arguments

    Those of :class:`EquationsEnv`, and ``max_action_length`` (512).

    ## Example

    >>> import gymnasium as gym, equations
    >>> env = gym.make("equations/EquationsText-v0")
    >>> obs, info = env.reset(options={"theorem": "x + y == y + x"})
    >>> obs, reward, terminated, truncated, info = env.step("0: add_comm -> 1")
    >>> reward, terminated
    (1.0, True)
    """

    def __init__(self, *args: Any, max_action_length: int = 512, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.action_space = spaces.Text(max_action_length, min_length=0, charset=CHARSET)  # type: ignore[assignment]
        self.observation_space = self._observation_space(mask=False)

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
