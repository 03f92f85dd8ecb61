"""Gymnasium environments for neural agents: token observations and their vocabulary, fixed-shape spaces
(async vector envs with shared memory), the action mask through wrappers and under autoreset, theorem
sources of the integer rule sets, MaskablePPO."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

import equations as eq  # noqa: E402
from equations.envs.tokens import PAD, UnknownTokenError, Vocab  # noqa: E402

EASY = ["x + y == y + x", "x + 0 == x", "x*1 == x", "x + y + 0 == y + x"]


def _random_steps(env: gym.Env, obs: dict, rng: np.random.Generator, n: int, reset: bool = True) -> int:
    """The README's masked random agent; returns the number of episodes that ended."""
    ended = 0
    for _ in range(n):
        obs, _, term, trunc, _ = env.step(rng.choice(np.flatnonzero(obs["action_mask"])))
        if term or trunc:
            ended += 1
            if reset:
                obs, _ = env.reset()
    return ended


def _first(env: gym.Env, text: str) -> int:
    """The first offered action whose tactic text contains ``text``."""
    return next(a for a in np.flatnonzero(env.action_masks()) if text in env.tactic_text(a))


def test_token_observations_decode_to_the_prefix_tokens() -> None:
    env = gym.make("equations/Equations-v0", observation="tokens", max_tokens=64, max_goals=4).unwrapped
    vocab = env.vocab
    obs, info = env.reset(options={"theorem": "sqrt(x)**2 + 12 == 12 + x | y > 0; z > 1"})
    assert obs in env.observation_space
    assert vocab.decode(obs["goal"]) == eq.parse("sqrt(x)**2 + 12 == 12 + x").prefix_tokens()
    assert vocab.decode(obs["goal"])[-4:-1] == ["INT+", "1", "2"]  # digit-level integers
    assert vocab.decode(obs["hypotheses"]) == ["gt", "y", "INT+", "0", "|", "gt", "z", "INT+", "1"]
    assert obs["goal"].dtype == np.int64 and obs["goal"].shape == (64,) and obs["goal"][-1] == vocab[PAD] == 0
    assert not obs["other_goals"].any() and not obs["token_truncated"].any()
    obs, *_, info = env.step(env.action_index("sq_sqrt -> 2"))  # side condition x >= 0 becomes goal 1
    assert "error" not in info and obs in env.observation_space
    assert vocab.decode(obs["other_goals"][0]) == list(info["prefix_tokens"][1])
    assert vocab.decode(obs["other_goals"][0]) == eq.parse("x >= 0 | y > 0; z > 1").prefix_tokens()
    assert not obs["other_goals"][1:].any()
    kept = obs["goal"].copy()
    obs["goal"][:] = 0  # observations are fresh arrays: modifying one does not touch the next
    obs, *_ = env.step(env.action_index("add_comm -> 1"))
    assert obs["goal"].any() and kept.any()


def test_token_truncation_is_flagged() -> None:
    env = gym.make("equations/Equations-v0", observation="tokens", max_tokens=5, max_goals=1).unwrapped
    thm = "x + y + z == z + y + x | x > 0"
    obs, _ = env.reset(options={"theorem": thm})
    assert env.vocab.decode(obs["goal"]) == eq.parse(thm).prefix_tokens()[:5]
    assert obs["token_truncated"].tolist() == [1, 0, 0]
    env2 = gym.make("equations/Equations-v0", observation="tokens", max_tokens=64).unwrapped
    obs, _ = env2.reset(options={"theorem": thm})
    assert obs["token_truncated"].tolist() == [0, 0, 0]
    # more open goals than rows: the third flag
    obs, _ = env.reset(options={"theorem": "sqrt(x)**2 + sqrt(y)**2 == y + x"})
    obs, *_ = env.step(_first(env, "sq_sqrt ->"))
    obs, *_, info = env.step(_first(env, "0: sq_sqrt ->"))
    assert info["open_goals"] == 3 and obs["token_truncated"][2] == 1


def test_vocab_is_deterministic_covers_the_rule_sets_and_round_trips_json(tmp_path: Path) -> None:
    rules = eq.load_rules("default")
    vocab = Vocab.build(rules)
    assert vocab == Vocab.build(eq.load_rules("default")) and vocab.tokens[0] == PAD
    for name in ("default", "paper", "nat", "int"):
        for rule in eq.load_rules(name):
            for e in (rule.lhs, rule.rhs, rule.concl, *rule.hyps):
                if e is not None:
                    assert all(t in vocab for t in eq.printing.prefix_tokens(e)), rule.id
    from equations import identities
    for item in identities.load():
        vocab.encode(item.theorem.prefix_tokens(), 512)  # every bundled identity encodes
    path = tmp_path / "vocab.json"
    vocab.save(path)
    assert Vocab.load(path) == vocab
    assert [vocab.tokens[vocab[t]] for t in ("add", "x", "INT+", "7", "|")] == ["add", "x", "INT+", "7", "|"]
    env = gym.make("equations/Equations-v0", observation="tokens", vocab=str(path)).unwrapped
    assert env.vocab == vocab
    with pytest.raises(ValueError, match="not a vocabulary"):
        Vocab.from_json({"tokens": ["x"]})
    with pytest.raises(ValueError, match="twice"):
        Vocab([PAD, "x", "x"])


def test_unknown_tokens_raise_a_clear_error() -> None:
    env = gym.make("equations/Equations-v0", observation="tokens").unwrapped
    with pytest.raises(UnknownTokenError, match=r"'speed' is not in the vocabulary.*vocab_variables"):
        env.reset(options={"theorem": "speed + 0 == speed"})
    env = gym.make("equations/Equations-v0", observation="tokens", vocab_variables=["speed"]).unwrapped
    obs, _ = env.reset(options={"theorem": "speed + 0 == speed"})
    assert env.vocab.decode(obs["goal"]) == ["eq", "add", "speed", "INT+", "0", "speed"]
    with pytest.raises(ValueError, match="out of the vocabulary"):
        env.vocab.decode([len(env.vocab)])
    with pytest.raises(ValueError, match="observation must be one of"):
        gym.make("equations/Equations-v0", observation="pixels")


@pytest.mark.parametrize("env_id", ["equations/Equations-v0", "equations/EquationsText-v0"])
def test_check_env_tokens(env_id: str) -> None:
    env = gym.make(env_id, observation="tokens")
    check_env(env.unwrapped)
    assert "action_mask" in env.observation_space.spaces or env_id.endswith("Text-v0")


@pytest.mark.parametrize("observation", ["text", "tokens"])
def test_make_vec_async_with_default_settings(observation: str) -> None:
    """Default settings: shared memory, which a Sequence space once broke."""
    envs = gym.make_vec("equations/Equations-v0", num_envs=2, vectorization_mode="async",
                        observation=observation, max_steps=10)
    try:
        assert envs.shared_memory
        obs, info = envs.reset(seed=0)
        rng = np.random.default_rng(0)
        for _ in range(40):
            actions = np.array([rng.choice(np.flatnonzero(m)) for m in obs["action_mask"]])
            obs, rewards, term, trunc, info = envs.step(actions)
            assert obs in envs.observation_space
    finally:
        envs.close()


def test_text_other_goals_are_one_a_line() -> None:
    env = gym.make("equations/Equations-v0").unwrapped
    env.reset(options={"theorem": "sqrt(x)**2 + sqrt(y)**2 == y + x"})
    env.step(_first(env, "sq_sqrt ->"))
    obs, *_ = env.step(_first(env, "0: sq_sqrt ->"))
    assert obs["other_goals"].split("\n") == ["y >= 0", "x >= 0"] and obs in env.observation_space


def test_terminal_observation_mask_has_the_placeholder_and_the_readme_loop_survives_autoreset() -> None:
    env = gym.make("equations/Equations-v0", theorems=EASY, max_steps=6)
    obs, _ = env.reset(options={"theorem": "x + y == y + x"})
    obs, reward, term, trunc, info = env.step(env.unwrapped.action_index("add_comm -> 1"))
    assert term and reward == 1.0
    assert obs["action_mask"].tolist()[:3] == [1, 0, 0] and obs["action_mask"].sum() == 1
    for masks in (env.unwrapped.action_masks(), env.get_wrapper_attr("action_masks")()):  # through gym.make's wrappers
        assert masks.dtype == bool and np.array_equal(masks, obs["action_mask"].astype(bool))
    obs, reward, term, trunc, info = env.step(0)  # the placeholder changes nothing
    assert "no action is available" in info["error"] and info["open_goals"] == 0
    # the README's loop, with the reset left to gymnasium's autoreset (single env and vector env)
    auto = gym.wrappers.Autoreset(gym.make("equations/Equations-v0", theorems=EASY, max_steps=6))
    obs, _ = auto.reset(seed=0)
    assert _random_steps(auto, obs, np.random.default_rng(0), 300, reset=False) > 20
    envs = gym.make_vec("equations/Equations-v0", num_envs=2, vectorization_mode="sync", theorems=EASY, max_steps=6)
    obs, _ = envs.reset(seed=0)
    rng = np.random.default_rng(0)
    done = 0
    for _ in range(150):
        obs, _, term, trunc, _ = envs.step(np.array([rng.choice(np.flatnonzero(m)) for m in obs["action_mask"]]))
        done += int((term | trunc).sum())
    envs.close()
    assert done > 10


def test_a_dead_end_truncates_and_offers_the_placeholder() -> None:
    rules = eq.load_rules("default").subset(("no-such-category",))  # no rules at all: every goal is stuck
    env = gym.make("equations/Equations-v0", rules=rules, theorems=["x == y"]).unwrapped
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].sum() == 1
    obs, reward, term, trunc, info = env.step(0)
    assert trunc and not term and "no action" in info["error"]


@pytest.mark.parametrize("rules", ["nat", "int", "paper"])
def test_every_bundled_rule_set_resets_without_options(rules: str) -> None:
    def first(seed: int) -> tuple[str, str]:
        env = gym.make("equations/Equations-v0", rules=rules, observation="tokens", max_steps=5)
        obs, info = env.reset(seed=seed)
        assert obs in env.observation_space
        _random_steps(env, obs, np.random.default_rng(seed), 10)
        return info["theorem_id"], info["theorem"]

    a = first(0)
    assert a == first(0) and a != first(1)
    domain = eq.load_rules(rules).domain
    assert eq.parse(a[1]).domain == domain
    if domain != "real":
        assert a[0].startswith("walk-")


@pytest.mark.slow
def test_maskable_ppo_runs_out_of_the_box() -> None:
    sb3_contrib = pytest.importorskip("sb3_contrib")
    from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported

    env = gym.make("equations/Equations-v0", observation="tokens", max_steps=20)
    t0 = time.perf_counter()
    model = sb3_contrib.MaskablePPO("MultiInputPolicy", env, n_steps=128, batch_size=64, n_epochs=1, seed=0,
                                    device="cpu")
    model.learn(total_timesteps=256)
    assert model.num_timesteps >= 256
    venv = model.get_env()
    assert venv is not None and is_masking_supported(venv)
    masks = get_action_masks(venv)
    assert masks.shape == (1, 2048) and masks.any()
    print(f"MaskablePPO: {model.num_timesteps} steps in {time.perf_counter() - t0:.1f} s")
