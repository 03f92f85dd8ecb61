"""The learned agent: tokenizer, policy+critic model, NeuralPolicy/NeuralCritic in the search, checkpoints and
supervised training with exact resume (torch; skipped without the ``agent`` extra)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from equations.agents import SearchParams, prove  # noqa: E402
from equations.agents import supervised as sv  # noqa: E402
from equations.agents.model import ModelConfig, PolicyCritic, collate, preset  # noqa: E402
from equations.agents.neural import (  # noqa: E402
    NeuralAgent,
    NeuralCritic,
    NeuralPolicy,
    RuleSetMismatch,
    load_agent,
)
from equations.agents.tokenizer import (  # noqa: E402
    RuleVocab,
    SequenceTooLong,
    UnknownToken,
    Vocab,
    encode_theorem,
)

import equations as eq  # noqa: E402

TINY = ModelConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, dropout=0.1, max_len=128, max_sub_tokens=16)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, str]]:
    return sv.generate_pairs(40, seed=3, steps=3)


@pytest.fixture(scope="module")
def data(rules: eq.RuleSet, pairs: list[dict[str, str]]) -> tuple[sv.Data, sv.Data]:
    agent = NeuralAgent(rules, TINY, seed=0, device="cpu")
    train, val = sv.split_ids(pairs, 0.2)
    return (sv.prepare(train, agent, max_candidates=32, negatives_per_goal=0.5, seed=0),
            sv.prepare(val, agent, max_candidates=32, negatives_per_goal=0.5, seed=0))


def agent_for(rules: eq.RuleSet, seed: int = 0) -> NeuralAgent:
    return NeuralAgent(rules, TINY, seed=seed, device="cpu")


# --- tokenizer ---------------------------------------------------------------------------------------------


def test_vocab_deterministic_and_json_round_trip(rules: eq.RuleSet) -> None:
    v = Vocab.for_rules(rules)
    assert v == Vocab.for_rules(rules)
    assert Vocab.from_json(v.to_json()) == v
    for tok in ("|", "INT+", "0", "9", "add", "sin", "eq", "x", "A", "pi"):
        assert tok in v.index
    rv = RuleVocab.for_rules(rules)
    assert RuleVocab.from_json(rv.to_json()) == rv
    assert "add_zero ->" in rv.index and "add_zero <-" in rv.index


def test_tokenizer_round_trip_and_positions(rules: eq.RuleSet) -> None:
    v = Vocab.for_rules(rules)
    thm = eq.parse("2*ln(sqrt(x)) + 137 == ln(x) + y | x > 0; y >= 10")
    enc = encode_theorem(thm, v, max_len=256)
    assert not enc.truncated
    assert v.decode(enc.ids) == ["<cls>", *thm.prefix_tokens()]
    assert len(enc.node_tok) == thm.goal.size
    toks = v.decode(enc.ids)
    for p, node in enumerate(thm.goal.subterms()):
        first = toks[enc.node_tok[p]]
        expected = "INT+" if node.op == "int" else node.value if node.op == "var" else node.op
        assert first == expected, (p, node, first)


def test_unknown_token_is_named(rules: eq.RuleSet) -> None:
    v = Vocab.for_rules(rules)
    with pytest.raises(UnknownToken, match="'zeta'"):
        encode_theorem(eq.parse("zeta + 0 == zeta"), v, max_len=64)


def test_truncation_is_explicit(rules: eq.RuleSet) -> None:
    v = Vocab.for_rules(rules)
    thm = eq.parse("x + y + z + x*y + sin(x) == sin(x) + x*y + z + y + x")
    enc = encode_theorem(thm, v, max_len=8)
    assert enc.truncated and len(enc.ids) == 8
    assert all(0 <= t < 8 for t in enc.node_tok)
    with pytest.raises(SequenceTooLong):
        encode_theorem(thm, v, max_len=8, truncate=False)


# --- model -------------------------------------------------------------------------------------------------


def test_presets() -> None:
    assert preset("cpu-tiny").n_layers == 2 and preset("cpu-tiny").d_model == 128
    assert preset("paper").n_layers == 12 and preset("paper").d_model == 1600
    with pytest.raises(ValueError, match="unknown model preset"):
        preset("huge")


def test_forward_shapes_and_padding(rules: eq.RuleSet) -> None:
    agent = agent_for(rules)
    goals = [eq.parse("x + 0 == x"), eq.parse("2*ln(sqrt(x)) == ln(x) | x > 0")]
    encs = [agent.encode(g) for g in goals]
    tacs = [agent.tactics(g) for g in goals]
    feats = [[agent.features(t, e) for t in ts] for ts, e in zip(tacs, encs, strict=True)]
    batch = collate(encs, feats)
    assert batch.ids.shape == (2, max(len(e.ids) for e in encs))
    assert bool(batch.pad[0, len(encs[0].ids):].all()) and not bool(batch.pad[1].any())
    model: PolicyCritic = agent.model
    with torch.no_grad():
        crit, logits = model(batch)
        assert crit.shape == (2,)
        assert logits.shape == (sum(len(t) for t in tacs),)
        # a padded goal scores as it does alone
        for i in range(2):
            c1, l1 = model(collate([encs[i]], [feats[i]]))
            start = 0 if i == 0 else len(tacs[0])
            assert torch.allclose(c1, crit[i:i + 1], atol=1e-5)
            assert torch.allclose(l1, logits[start:start + len(tacs[i])], atol=1e-5)


def test_priors_sum_to_one_over_valid_tactics(rules: eq.RuleSet) -> None:
    agent = agent_for(rules)
    thm = eq.parse("2*ln(sqrt(x)) + 0 == ln(x) | x > 0")
    pri = agent.priors(thm)
    tactics = [t for t, _ in pri]
    assert len(set(tactics)) == len(tactics) == 48 < len(set(eq.applicable(thm, rules, max_per_triple=1)))
    assert abs(sum(p for _, p in pri) - 1.0) < 1e-9
    for t in tactics:
        eq.apply(thm, t, rules)  # every proposed tactic applies


def test_untrained_agent_is_the_fast_prover(rules: eq.RuleSet) -> None:
    """Zero-initialised heads: the learned correction is 0 and the value 0.5, so an untrained agent gives the
    non-learned prover's priors (fast policy, constant critic) on every goal, and finds the same proofs."""
    from equations.agents.policy import ConstantCritic, EnumerationPolicy
    from equations.identities import load

    agent = agent_for(rules, seed=3)
    fast = EnumerationPolicy(rules, prefilter=48)
    goals = [it.theorem for it in load()][::15]
    params = SearchParams()
    ours = agent.expand(goals)
    for g, mine in zip(goals, ours, strict=True):
        theirs = fast.propose([g], params, random.Random(0))[0]
        a = {str(t): p for t, p, _ in mine}
        b = {str(s.tactic): s.prior for s in theirs}
        assert a.keys() == b.keys(), g
        assert all(abs(a[k] - b[k]) < 1e-9 for k in a), g
    assert agent.values(goals) == [0.5] * len(goals)
    sp = SearchParams(expansions=300, seed=1)
    for text in ("x*1 + 0 == x", "exp(ln(x)) + 0 == x | x > 0"):
        r1 = prove(text, rules, sp, policy=NeuralPolicy(agent), critic=NeuralCritic(agent))
        r2 = prove(text, rules, sp, policy=fast, critic=ConstantCritic(0.5))
        assert r1.proved and r2.proved and r1.proof == r2.proof and r1.stats.expansions == r2.stats.expansions


def test_policy_and_critic_protocols(rules: eq.RuleSet) -> None:
    agent = agent_for(rules)
    pol, cri = NeuralPolicy(agent), NeuralCritic(agent)
    goals = [eq.parse("x + 0 == x"), eq.parse("x*1 == x"), eq.parse("sin(x)**2 + cos(x)**2 == 1")]
    params = SearchParams(num_samples=5)
    a = pol.propose(goals, params, random.Random(1))
    b = pol.propose(goals, params, random.Random(1))
    assert a == b  # deterministic given the seed
    assert [len(s) for s in a] == [5, 5, 5]
    for sugg in a:
        assert len({s.tactic for s in sugg}) == 5
        assert all(0 < s.prior <= 1 and s.subgoals is not None for s in sugg)  # applied already
    full = pol.propose(goals[:1], SearchParams(), random.Random(0))[0]
    assert abs(sum(s.prior for s in full) - 1.0) < 1e-9
    vals = cri.evaluate(goals)
    assert len(vals) == 3 and all(0.0 <= v <= 1.0 for v in vals)
    assert cri.evaluate([]) == []


def test_untrained_agent_proves_add_zero(rules: eq.RuleSet) -> None:
    agent = agent_for(rules)
    res = prove("x + 0 == x", rules, SearchParams(expansions=50, seed=0),
                policy=NeuralPolicy(agent), critic=NeuralCritic(agent))
    assert res.proved and res.proof is not None
    eq.check_proof(res.theorem, res.proof, rules)


# --- training, checkpoints, resume ---------------------------------------------------------------------------


def test_false_variant_is_false(rules: eq.RuleSet) -> None:
    from equations.numeric import check_theorem

    thm = eq.parse("2*(x + 1) == 2*x + 2")
    v = sv.false_variant(thm, random.Random(0), tries=20)
    assert v is not None and v != thm
    assert not check_theorem(v, n_points=5, dps=30).ok


def test_tiny_supervised_run_loss_decreases(rules: eq.RuleSet, data: tuple[sv.Data, sv.Data],
                                            tmp_path: Path) -> None:
    train, val = data
    assert len(train.policy) > 50 and train.negatives
    agent = agent_for(rules)
    cfg = sv.TrainConfig(steps=40, batch_size=16, lr=3e-3, warmup=5, eval_every=20, save_every=20,
                         progress=False)
    res = sv.train(agent, train, val, cfg, out=tmp_path)
    first = sum(res.train_loss[:5]) / 5
    last = sum(res.train_loss[-5:]) / 5
    assert last < first - 0.3, (first, last)
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert sum(r["split"] == "train" for r in lines) == 40
    assert {r["step"] for r in lines if r["split"] == "val"} == {20, 40}
    assert (tmp_path / "model" / "model.safetensors").exists()
    trained = load_agent(tmp_path / "model", rules, device="cpu")
    res2 = prove("x + 0 == x", rules, SearchParams(expansions=50, seed=0),
                 policy=NeuralPolicy(trained), critic=NeuralCritic(trained))
    assert res2.proved


def test_checkpoint_round_trip_and_version_check(rules: eq.RuleSet, tmp_path: Path) -> None:
    agent = agent_for(rules, seed=5)
    goals = [eq.parse("x + 0 == x"), eq.parse("2*ln(sqrt(x)) == ln(x) | x > 0")]
    agent.save(tmp_path / "ck")
    manifest = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert manifest["rules_version"] == rules.version and manifest["vocab"] == list(agent.vocab.tokens)
    loaded = load_agent(tmp_path / "ck", device="cpu")  # the rule set named in the checkpoint
    assert loaded.config == agent.config
    assert loaded.score(goals) == agent.score(goals)
    other = eq.load_rules("paper")
    assert other.version != rules.version
    with pytest.raises(RuleSetMismatch, match=rules.version):
        load_agent(tmp_path / "ck", other)


def test_exact_resume(rules: eq.RuleSet, data: tuple[sv.Data, sv.Data], tmp_path: Path) -> None:
    train, val = data
    cfg = sv.TrainConfig(steps=6, batch_size=8, lr=3e-3, warmup=2, eval_every=3, save_every=1, progress=False)
    straight = agent_for(rules)
    sv.train(straight, train, val, cfg, out=tmp_path / "a")
    first = agent_for(rules)
    r1 = sv.train(first, train, val, cfg, out=tmp_path / "b", stop_after=3)
    assert r1.step == 3
    # a kill after the state was saved may leave later metric lines: resuming drops them
    with open(tmp_path / "b" / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": 4, "split": "train", "loss": 0.0}) + "\n")
    second = agent_for(rules, seed=99)  # different initial weights: all must come from the state
    r2 = sv.train(second, train, val, cfg, out=tmp_path / "b")
    assert r2.resumed_from == 3 and r2.step == 6
    for (n1, p1), (n2, p2) in zip(straight.model.state_dict().items(), second.model.state_dict().items(),
                                  strict=True):
        assert n1 == n2 and torch.equal(p1, p2), n1
    a_lines = (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()
    b_lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    strip = [{k: v for k, v in json.loads(x).items() if k != "seconds"} for x in a_lines]
    assert strip == [{k: v for k, v in json.loads(x).items() if k != "seconds"} for x in b_lines]


def test_resume_refuses_other_data(rules: eq.RuleSet, data: tuple[sv.Data, sv.Data], tmp_path: Path) -> None:
    train, val = data
    cfg = sv.TrainConfig(steps=2, batch_size=4, save_every=1, progress=False)
    sv.train(agent_for(rules), train, None, cfg, out=tmp_path, stop_after=1)
    with pytest.raises(ValueError, match="other training data"):
        sv.train(agent_for(rules), val, None, cfg, out=tmp_path)


def test_torch_is_optional_at_import() -> None:
    import subprocess
    import sys

    code = ("import sys, equations, equations.agents, equations.agents.tokenizer, equations.agents.train_cli; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_read_pairs_from_generated_dataset(tmp_path: Path) -> None:
    from equations.generators.dataset import write_dataset

    write_dataset("walk", 6, tmp_path, params={"steps": 3}, seed=1, pairs=True, workers=1)
    from_dir = sv.read_pairs(tmp_path)
    from_shards = sv.read_pairs(sorted(tmp_path.rglob("shard-*.jsonl")))
    assert from_dir and from_dir == from_shards
    assert {"id", "goal", "tactic"} <= set(from_dir[0])


def test_make_neural_shares_one_model(rules: eq.RuleSet, tmp_path: Path) -> None:
    from equations.agents.neural import make_neural

    agent_for(rules).save(tmp_path / "ck")
    pol, cri = make_neural(f"neural:{tmp_path / 'ck'}:16", rules)
    assert pol.agent is cri.agent and pol.top_k == 16
    pol2, _ = make_neural(f"neural:{tmp_path / 'ck'}", rules)
    assert pol2.agent is pol.agent and pol2.top_k is None
    with pytest.raises(ValueError, match="neural"):
        make_neural("fast", rules)


def test_cli_train_then_prove_with_the_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from equations.cli import main

    out = tmp_path / "run"
    assert main(["train", "supervised", "--rules", "default", "--generate", "20", "--walk-steps", "3", "--steps",
                 "3", "--batch-size", "8", "--out", str(out), "--threads", "1"]) == 0
    capsys.readouterr()
    assert main(["prove", "x + 0 == x", "--policy", f"neural:{out / 'model'}", "--critic", "neural",
                 "--budget", "20"]) == 0
    assert "proved x + 0 == x: 1 steps" in capsys.readouterr().out
    # --checkpoint takes a run folder; the rule set and the critic default to the checkpoint's
    assert main(["prove", "x*1 == x", "--policy", "neural", "--checkpoint", str(out), "--budget", "20"]) == 0
    assert "proved x*1 == x: 1 steps" in capsys.readouterr().out
    assert main(["prove", "x + 0 == x", "--policy", f"neural:{tmp_path / 'missing'}"]) == 2
    assert main(["prove", "x + 0 == x", "--checkpoint", str(out)]) == 2  # --checkpoint without --policy neural


def test_read_pairs_from_proof_records(tmp_path: Path) -> None:
    """Evaluate results and online proofs.jsonl are training data: the steps of each proof found."""
    recs = [{"id": "a", "theorem": "x*1 + 0 == x", "proved": True, "rules": "paper",
             "proof": eq.Proof.chain(["add_zero -> 1", "mul_one -> 1"]).to_dict()},
            {"id": "b", "theorem": "sin(x) == x", "proved": False}]
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert sv.read_pairs(path) == [{"id": "a", "goal": "x*1 + 0 == x", "tactic": "add_zero -> 1"},
                                   {"id": "a", "goal": "x*1 == x", "tactic": "mul_one -> 1"}]
