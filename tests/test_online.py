"""Online training: the learner's queues and steps (no Ray), and one short end-to-end run through Ray (samples
reach the trainer, provers reload new weights, every proof found checks, the run folder is complete)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from equations.agents import SearchParams, prove  # noqa: E402
from equations.agents.learner import Learner, LearnerConfig, load_weights  # noqa: E402
from equations.agents.model import ModelConfig  # noqa: E402
from equations.agents.neural import NeuralAgent, NeuralCritic, NeuralPolicy  # noqa: E402
from equations.agents.proofs import critic_samples, tactic_samples  # noqa: E402

import equations as eq  # noqa: E402

TINY = ModelConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, dropout=0.0, max_len=128, max_sub_tokens=16)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def search_samples(agent: NeuralAgent, text: str) -> tuple[list[tuple[str, str]], list[tuple[str, float]]]:
    params = SearchParams(expansions=60, seed=0)
    res = prove(text, agent.rules, params, policy=NeuralPolicy(agent), critic=NeuralCritic(agent), keep_search=True)
    assert res.proved and res.search is not None
    tac = [(str(g), str(t)) for g, t in tactic_samples(res.search.graph, all_solved=True)]
    cri = [(str(s.goal), s.target) for s in critic_samples(res.search.graph, params)]
    return tac, cri


def test_learner_learns_the_tactics_of_found_proofs(paper_rules: eq.RuleSet) -> None:
    agent = NeuralAgent(paper_rules, TINY, seed=0, device="cpu")
    tac, cri = search_samples(agent, "x*1 + 0 == x")
    assert tac and cri and any(t == 1.0 for _, t in cri)
    learner = Learner(agent, LearnerConfig(batch_size=8, lr=3e-3, min_samples=1, queue_size=50))
    learner.add(tac, cri)
    learner.add([("x + zeta == x", "add_zero -> 1")], [])  # a variable outside the vocabulary: skipped
    st = learner.stats()
    assert st["received_tactic"] == len(tac) and st["received_critic"] == len(cri) and st["received_skipped"] == 1
    first = learner.step(1)
    assert first["steps"] == 1 and learner.version == 1
    for _ in range(10):
        last = learner.step(5)
    assert last["policy_loss"] < first["policy_loss"] * 0.5
    # the trained tactic now has a larger prior than it had in the untrained (heuristic) agent
    goal, tactic = tac[0]
    fresh = NeuralAgent(paper_rules, TINY, seed=0, device="cpu")
    before = dict((str(t), p) for t, p in fresh.priors(eq.parse(goal)))
    after = dict((str(t), p) for t, p in agent.priors(eq.parse(goal)))
    assert after[tactic] > before[tactic]
    # published weights load into a prover's copy
    load_weights(fresh, learner.weights())
    assert fresh.priors(eq.parse(goal)) == agent.priors(eq.parse(goal))


def test_learner_queues_are_bounded_fifo(paper_rules: eq.RuleSet) -> None:
    agent = NeuralAgent(paper_rules, TINY, seed=0, device="cpu")
    learner = Learner(agent, LearnerConfig(queue_size=3))
    goals = ["x + 0 == x", "x*1 == x", "x - 0 == x", "1*x == x", "0 + x == x"]
    learner.add([], [(g, 1.0) for g in goals])
    assert len(learner.critic_queue) == 3
    kept = [agent.vocab.decode(e.ids[1:]) for e, _ in learner.critic_queue]
    assert kept == [eq.parse(g).prefix_tokens() for g in goals[2:]]  # the oldest left first
    assert learner.step(3)["steps"] == 0  # no tactic samples yet: nothing to learn the policy from


def test_the_controller_never_samples_the_held_out_split() -> None:
    from equations.agents.online import train_tasks
    from equations.identities import load, split

    train, held = train_tasks()
    assert {it.id for it in train} == {it.id for it in split(load(), 0.2, seed=0)[0]}
    assert held and not {it.id for it in train} & {it.id for it in held}


@pytest.mark.timeout(400)
def test_online_run_through_ray(tmp_path: Path) -> None:
    """A short run on easy theorems, bounded by work, not time: searches on the prover actor, samples to the
    trainer actor, new weights back to the prover, checked proofs and a complete run folder."""
    pytest.importorskip("ray")
    from equations.agents import supervised as sv

    from equations.cli import main

    theorems = tmp_path / "easy.txt"
    theorems.write_text("".join(f"easy-{i}\t{t}\n" for i, t in enumerate(
        ["x + 0 == x", "x*1 + 0 == x", "(x + 0)*1 == x", "0 + x*1 == x", "x - 0 == x*1", "exp(x) > 0"])))
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(p) + "\n" for p in sv.generate_pairs(10, seed=2, rules="paper", steps=2)))
    out = tmp_path / "run"
    code = main(["train", "online", "--out", str(out), "--minutes", "5", "--max-searches", "8", "--set",
                 str(theorems), "--data", str(pairs), "--budget", "40", "--reload-seconds", "0", "--batch-size",
                 "8", "--fixed-params", "-q"])
    assert code == 0
    metrics = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    searches = [m for m in metrics if m["kind"] == "search"]
    final = [m for m in metrics if m["kind"] == "final"]
    assert len(searches) == 8 and len(final) == 1
    # each search logs the parameters it ran with, enough to rebuild them
    assert all(SearchParams(**m["params"]).expansions == 40 for m in searches)
    assert final[0]["received_tactic"] > 0 and final[0]["received_critic"] > 0  # samples reached the trainer
    assert final[0]["steps"] > 0
    assert max(m["model_version"] for m in searches) >= 1  # a prover reloaded weights the trainer published
    proofs = [json.loads(x) for x in (out / "proofs.jsonl").read_text().splitlines()]
    assert proofs and len({p["id"] for p in proofs}) == len(proofs)
    # an assertion's instance closes at once: proved with no step, counted as `evaluate` counts it
    assert {"id": "easy-5", "proof": None} in [{"id": p["id"], "proof": p["proof"]} for p in proofs]
    rules = eq.load_rules("paper")
    for p in proofs:
        proof = None if p["proof"] is None else eq.Proof.from_dict(p["proof"])
        eq.check_proof(eq.parse(p["theorem"]), proof, rules)
    assert main(["check", str(out / "proofs.jsonl")]) == 0
    assert final[0]["cumulative_proved"] == len(proofs)
    assert (out / "progress.png").stat().st_size > 1000
    assert (out / "checkpoint" / "model.safetensors").exists()
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["rules"] == "paper" and cfg["budget"] == 40 and cfg["theorems"] == str(theorems)
    # the run's checkpoint proves with the CLI, rule set and critic taken from it
    assert main(["prove", "x*1 == x", "--policy", "neural", "--checkpoint", str(out), "--budget", "20"]) == 0


@pytest.mark.timeout(400)
def test_a_killed_prover_is_restarted_and_the_run_goes_on(tmp_path: Path) -> None:
    """The kernel's OOM killer (or anyone) may kill a prover process mid-run: Ray restarts the actor, the
    controller logs the lost search and keeps handing out theorems, and the run ends normally."""
    pytest.importorskip("ray")
    import os
    import signal

    import psutil
    from equations.agents.online import OnlineConfig, OnlineResult, run_online

    theorems = tmp_path / "easy.txt"
    theorems.write_text("".join(f"easy-{i}\t{t}\n" for i, t in enumerate(["x + 0 == x", "x*1 + 0 == x",
                                                                         "(x + 0)*1 == x"])))
    killed: list[int] = []

    def kill_the_prover(r: OnlineResult) -> None:
        if killed:
            return
        # only this test's Ray (descendants of this process), never another run's provers on the machine
        for proc in psutil.Process(os.getpid()).children(recursive=True):
            try:
                if "ray::Prover" in " ".join(proc.cmdline()):
                    os.kill(proc.pid, signal.SIGKILL)
                    killed.append(proc.pid)
            except psutil.Error:
                continue

    cfg = OnlineConfig(minutes=5, provers=1, theorems=str(theorems), max_searches=6, budget=40,
                       reload_seconds=0, sample_params=False,
                       learner=LearnerConfig(batch_size=8))
    res = run_online(cfg, tmp_path / "run", progress=kill_the_prover)
    assert killed  # the prover process was found and killed after the first search
    metrics = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    searches = [m for m in metrics if m["kind"] == "search"]
    lost = [m for m in metrics if m["kind"] == "prover_lost"]
    final = [m for m in metrics if m["kind"] == "final"]
    assert len(final) == 1 and final[0]["provers_lost"] == len(lost) == res.provers_lost
    assert len(searches) + len(lost) == 6 == res.searches + res.provers_lost
    # the first search came before the kill; any later one ran on the restarted prover
    assert len(searches) >= 2 and all(x["id"].startswith("easy-") for x in lost)


@pytest.mark.parametrize("name", ["default", "paper"])
def test_bundled_checkpoints_prove_add_zero(name: str) -> None:
    """One bundled model per rule set, each loading with its own rule set and proving, within the size cap."""
    from equations.agents.neural import bundled_checkpoint, bundled_models, load_agent

    assert set(bundled_models()) == {"default", "paper"}
    agent = load_agent(bundled_checkpoint(name), device="cpu")
    assert agent.rules.name == name
    res = prove("x + 0 == x", agent.rules, SearchParams(expansions=20), policy="neural", critic="neural")
    assert res.proved and res.proof is not None
    eq.check_proof(res.theorem, res.proof, agent.rules)
    assert (bundled_checkpoint(name) / "model.safetensors").stat().st_size <= 20 * 2**20


def test_the_headline_proves_with_the_bundled_model(capsys: pytest.CaptureFixture[str]) -> None:
    """`equations prove "cos(x)**2 + sin(x)**2 == 1" --policy neural`: the default rule set's bundled model."""
    from equations.cli import main

    assert main(["prove", "cos(x)**2 + sin(x)**2 == 1", "--policy", "neural"]) == 0  # found after 247 expansions
    out = capsys.readouterr().out
    assert out.startswith("proved"), out
    from equations.agents.neural import bundled_checkpoint

    with pytest.raises(FileNotFoundError, match="no bundled checkpoint for rule set 'nat'"):
        bundled_checkpoint("nat")


def test_task_sampler_covers_every_theorem_before_repeating() -> None:
    """Each theorem once (a resumed run's searched ones count as covered), then weighted draws; seeded."""
    import random
    from types import SimpleNamespace

    from equations.agents.online import TaskSampler

    items = [SimpleNamespace(id=f"t{i}") for i in range(20)]
    s = TaskSampler(items, random.Random(1), proved_weight=0.0, visited={"t0", "t1"})
    firsts = [s.next(set()) for _ in range(18)]
    assert all(first for _, first in firsts)
    assert {it.id for it, _ in firsts} == {f"t{i}" for i in range(2, 20)}
    assert [it.id for it, _ in firsts] != [f"t{i}" for i in range(2, 20)]  # shuffled
    proved = {f"t{i}" for i in range(1, 20)}
    later = [s.next(proved) for _ in range(30)]
    assert all(it.id == "t0" and not first for it, first in later)  # proved ones have weight 0 here
    again = TaskSampler(items, random.Random(1), proved_weight=0.0, visited={"t0", "t1"})
    assert [again.next(set())[0].id for _ in range(18)] == [it.id for it, _ in firsts]
    plain = TaskSampler(items, random.Random(2), cover_first=False)
    assert len({plain.next(set())[0].id for _ in range(20)}) < 20  # draws with repeats from the start
