"""A masked random agent on the Equations gymnasium environment, and a scripted proof of figure 8.

Run: python examples/gym_random_agent.py [--episodes 20] [--seed 0] [--observation tokens] [--rules nat]

The mask is never empty (a state without actions offers action 0 as a placeholder), so the masked choice
below is safe also on the terminal observation, e.g. under gymnasium's autoreset.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import equations as eq  # registers equations/Equations-v0 and equations/EquationsText-v0
from equations.paper import FIGURE8, FIGURE8_TACTICS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--observation", choices=("text", "tokens"), default="text")
    ap.add_argument("--rules", default="default", help="rule set: default, paper, nat or int")
    args = ap.parse_args()

    env = gym.make("equations/Equations-v0", max_steps=30, render_mode="ansi", observation=args.observation,
                   rules=args.rules)
    rng = np.random.default_rng(args.seed)
    obs, info = env.reset(seed=args.seed)
    proved = 0
    for episode in range(args.episodes):
        done = False
        while not done:
            action = rng.choice(np.flatnonzero(obs["action_mask"]))  # uniform over valid actions
            obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        proved += int(terminated)
        print(f"episode {episode:3d} {info['theorem_id']:16s} steps {info['steps']:3d} "
              f"{'PROVED' if terminated else 'open goals: ' + str(info['open_goals'])}")
        obs, info = env.reset()
    print(f"random agent proved {proved}/{args.episodes}")

    # A scripted agent: figure 8 of the paper, one text action a step.
    text_env = gym.make("equations/EquationsText-v0", render_mode="ansi")
    obs, info = text_env.reset(options={"theorem": FIGURE8})
    for tactic in FIGURE8_TACTICS:
        obs, reward, terminated, truncated, info = text_env.step(f"0: {tactic}")
    print(text_env.render())
    print("proof checker:", eq.check_proof(eq.parse(FIGURE8), info["proof"],
                                           eq.load_rules("default")))


if __name__ == "__main__":
    main()
