"""Gymnasium environments: API conformance, vector envs, random agents, a scripted proof (figure 8)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import theorems
from hypothesis import HealthCheck, given, settings

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

import equations as eq  # noqa: E402
from equations.envs.actions import ActionIndex  # noqa: E402
from equations.paper import FIGURE8, FIGURE8_TACTICS  # noqa: E402

IDS = ["equations/Equations-v0", "equations/EquationsText-v0"]


@pytest.mark.parametrize("env_id", IDS)
def test_check_env(env_id: str) -> None:
    env = gym.make(env_id)
    check_env(env.unwrapped)


@pytest.mark.parametrize("env_id", IDS)
def test_make_with_module_prefix(env_id: str) -> None:
    env = gym.make("equations:" + env_id)
    obs, info = env.reset(seed=1)
    assert isinstance(obs["goal"], str) and info["theorem_id"]


def test_seeding_is_deterministic() -> None:
    def run(seed: int) -> list[str]:
        env = gym.make("equations/Equations-v0", max_steps=15)
        obs, info = env.reset(seed=seed)
        out = [info["theorem_id"]]
        rng = np.random.default_rng(seed)
        for _ in range(15):
            valid = np.flatnonzero(obs["action_mask"])
            obs, _, term, trunc, info = env.step(int(valid[rng.integers(len(valid))]))
            out.append(obs["goal"])
            if term or trunc:
                break
        return out

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_figure8_scripted_through_the_structured_env() -> None:
    env = gym.make("equations/Equations-v0", subs_per_tactic=4).unwrapped
    obs, info = env.reset(options={"theorem": FIGURE8, "theorem_id": "figure8"})
    assert obs["goal"] == "x - y - (x + y) + 2*y == 0" and info["theorem_id"] == "figure8"
    reward, terminated = 0.0, False
    for text in FIGURE8_TACTICS:
        a = env.action_index(text)
        assert obs["action_mask"][a] == 1 and env.action_masks()[a]
        obs, reward, terminated, truncated, info = env.step(a)
        assert "error" not in info and not truncated
    assert terminated and reward == 1.0 and info["steps"] == len(FIGURE8_TACTICS)
    assert eq.check_proof(eq.parse(FIGURE8), info["proof"], eq.load_rules("default"))


def test_figure8_scripted_through_the_text_env() -> None:
    env = gym.make("equations/EquationsText-v0").unwrapped
    obs, info = env.reset(options={"theorem": FIGURE8})
    assert "0: sub_eq_add_neg -> 2" in info["admissible_actions"]
    for text in FIGURE8_TACTICS:
        obs, reward, terminated, truncated, info = env.step(f"0: {text}")
        assert "error" not in info, info["error"]
    assert terminated and reward == 1.0
    assert eq.check_proof(eq.parse(FIGURE8), info["proof"], eq.load_rules("default"))


def test_side_conditions_become_goals_and_the_partial_proof_replays() -> None:
    env = gym.make("equations/EquationsText-v0").unwrapped
    obs, info = env.reset(options={"theorem": "sqrt(x)**2 + 0 == x"})
    obs, reward, terminated, truncated, info = env.step("sq_sqrt -> 2")
    assert not terminated and obs["goal"] == "x + 0 == x" and obs["other_goals"] == "x >= 0"
    with pytest.raises(eq.ProofError):
        eq.check_proof(env.theorem, info["proof"], env.rules)  # x >= 0 is still open
    obs, *_ = env.step("1: le_refl")  # not applicable: x >= 0 is not x <= x
    assert "error" in _[-1]
    obs, reward, terminated, truncated, info = env.step("add_zero -> 1")
    assert obs["goal"] == "x >= 0" and info["open_goals"] == 1


def test_invalid_actions_never_raise_and_leave_the_state() -> None:
    env = gym.make("equations/Equations-v0", invalid_penalty=0.5, step_penalty=0.01).unwrapped
    obs, info = env.reset(options={"theorem": "x + 0 == x"})
    before = obs["goal"]
    masked = int(np.flatnonzero(obs["action_mask"] == 0)[0])
    obs, reward, terminated, truncated, info = env.step(masked)
    assert obs["goal"] == before and reward == -0.5 and "not available" in info["error"]
    text = gym.make("equations/EquationsText-v0").unwrapped
    text.reset(options={"theorem": "x + 0 == x"})
    for bad in ["", "nonsense", "add_zero -> 9", "7: add_zero -> 1", "le_trans", "\x00"]:
        obs, reward, terminated, truncated, info = text.step(bad)
        assert "error" in info and obs["goal"] == "x + 0 == x"


def test_truncation_reward_and_render() -> None:
    env = gym.make("equations/EquationsText-v0", max_steps=2, render_mode="ansi").unwrapped
    env.reset(options={"theorem": "x + y == y + x"})
    out = env.render()
    assert "x + y == y + x" in out and "1 open goal" in out
    _, r, term, trunc, _ = env.step("add_zero -> 1")
    _, r, term, trunc, _ = env.step("add_zero -> 1")
    assert trunc and not term and r == 0.0
    env.reset(options={"theorem": "x + y == y + x"})
    _, r, term, trunc, info = env.step("add_comm -> 1")
    assert term and r == 1.0 and "proved" in env.render()


def test_theorem_sources() -> None:
    env = gym.make("equations/Equations-v0").unwrapped
    _, info = env.reset(seed=0, options={"source": "identities", "params": {"category": "trig"}})
    assert info["theorem_id"].startswith("trig-")
    _, info = env.reset(options={"theorems": ["x == x + 0", "exp(x) > 0 | x > 0"]})
    assert info["theorem_id"] in ("list-0", "list-1")
    with pytest.raises(ValueError, match="unknown theorem source"):
        env.reset(options={"source": "nope"})
    with pytest.raises(ValueError, match="column"):
        env.reset(options={"theorem": "x +"})


@pytest.mark.parametrize("vector", ["sync", "async"])
def test_vector_envs_run_1000_steps(vector: str) -> None:
    envs = gym.make_vec("equations/Equations-v0", num_envs=2, vectorization_mode=vector, max_steps=20)
    obs, info = envs.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(500):  # 2 envs x 500 = 1,000 steps
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in obs["action_mask"]])
        obs, rewards, term, trunc, info = envs.step(actions)
    envs.close()


def test_random_masked_agent_10000_steps() -> None:
    env = gym.make("equations/Equations-v0", max_steps=25).unwrapped
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=0)
    episodes = 0
    for _ in range(10_000):
        valid = np.flatnonzero(obs["action_mask"])
        obs, reward, term, trunc, info = env.step(int(valid[rng.integers(len(valid))]))
        assert "error" not in info, info["error"]
        if term or trunc:
            episodes += 1
            obs, info = env.reset()
    assert episodes >= 300


def test_info_mask_is_the_mask_of_the_new_state() -> None:
    """The mask in info, in the observation and from action_masks() all describe the state after the step
    (info was once built before the step's mask, so it carried the previous state's)."""
    env = gym.make("equations/Equations-v0", max_steps=20).unwrapped
    rng = np.random.default_rng(3)
    obs, info = env.reset(seed=3)
    for _ in range(300):
        assert np.array_equal(info["action_mask"], obs["action_mask"])
        assert np.array_equal(env.action_masks(), obs["action_mask"].astype(bool))
        total = sum(env.actions.count(n.thm) for n in env._open)
        assert int(obs["action_mask"].sum()) == max(1, min(env.max_actions, total))  # 1: the placeholder
        valid = np.flatnonzero(obs["action_mask"])
        obs, reward, term, trunc, info = env.step(int(valid[rng.integers(len(valid))]))
        if term or trunc:
            obs, info = env.reset()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(theorems())
def test_memoised_action_counts_match_a_fresh_enumeration(thm: eq.Theorem) -> None:
    """Counts are memoised per node and per signature (only the candidates a signature does not imply are
    tested). They must equal what a matcher run on every node finds: applicable_triples, plus one action
    per free-variable combination offered, plus the integer splits."""
    rules = eq.load_rules("default")
    index = ActionIndex(rules, subs_per_tactic=2)
    other = ActionIndex(rules, subs_per_tactic=1)  # a second owner: the memos must not mix
    tacs = index.tactics(thm)
    assert len(tacs) == index.count(thm)
    assert other.count(thm) <= index.count(thm)
    triples = [(r.id, d, p if d is not None else None) for r, d, p in eq.applicable_triples(thm, rules)
               if r.kind != "arith"]
    offered = [(t.rule, t.direction, t.position) for t in tacs if rules[t.rule].kind != "arith"]
    assert sorted(dict.fromkeys(offered), key=str) == sorted(dict.fromkeys(triples), key=str)
    for t in tacs:
        eq.apply(thm, t, rules)  # every offered action applies


def test_every_offered_action_applies() -> None:
    rules = eq.load_rules("default")
    index = ActionIndex(rules, subs_per_tactic=2)
    for text in ["2*ln(sqrt(x)) == ln(x) | x > 0", FIGURE8, "cos(pi/2 - x) == sin(x)", "12*x <= 6 + x"]:
        thm = eq.parse(text)
        tacs = index.tactics(thm)
        assert len(tacs) == index.count(thm) > 0
        for t in tacs:
            eq.apply(thm, t, rules)
        triples = {(r.id, d, p if d is not None else None) for r, d, p in eq.applicable_triples(thm, rules)
                   if r.kind != "arith"}
        assert {(t.rule, t.direction, t.position) for t in tacs if not t.rule.startswith("int_")} == triples
