"""``equations prove-lean`` without Lean (issue 13, section 3): lean-dojo's result classes are rebuilt here with
its field names (``TacticState(pp, id, message)``, ``ProofFinished(tactic_state_id, message)``,
``LeanError(error)``, ``ProofGivenUp()``) and a fake ``Dojo`` plays Lean: it accepts exactly the tactics the
Lean exporter writes for the proof (or a scripted sequence), so these tests check the translation of the goal,
the search, the export and the replay loop, and never a real Lean."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from equations.agents import lean_dojo as ld
from equations.agents.prover import prove
from equations.agents.search import SearchParams
from equations.exporters.common import ExportItem
from equations.exporters.lean import export_theorem
from equations.exporters.lean_goals import parse_goal_state

import equations as eq
from equations.cli import main

# --- lean-dojo's result classes, with its fields (the module tells them apart by class name) -----------------


@dataclass(frozen=True)
class TacticState:
    pp: str
    id: int = field(compare=False)
    message: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofFinished:
    tactic_state_id: int
    message: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LeanError:
    error: str


@dataclass(frozen=True)
class ProofGivenUp:
    pass


Result = TacticState | ProofFinished | LeanError | ProofGivenUp


class FakeDojo:
    """Lean for one theorem: the initial state ``pp``; each tactic must be the next of ``expected`` (else a
    ``LeanError`` naming the mismatch) and is answered by ``answer(i, tactic)`` (default: the next state, then
    ``ProofFinished`` after the last). Checks that each tactic runs on the state the previous one returned."""

    def __init__(self, pp: str, expected: Sequence[str] | None = None,
                 answer: Callable[[int, str], Result] | None = None) -> None:
        self.pp = pp
        self.expected = list(expected) if expected is not None else None
        self.answer = answer
        self.calls: list[str] = []
        self.opened = 0
        self._last = 0

    @contextmanager
    def __call__(self, theorem: Any) -> Iterator[tuple[FakeDojo, TacticState]]:
        self.opened += 1
        self._last = 0
        yield self, TacticState(self.pp, 0)

    def run_tac(self, state: Any, tactic: str) -> Result:
        assert type(state).__name__ == "TacticState" and state.id == self._last, "ran on a stale state"
        i = len(self.calls)
        self.calls.append(tactic)
        if self.expected is not None and (i >= len(self.expected) or tactic != self.expected[i]):
            return LeanError(f"unexpected tactic {i}: {tactic!r}")
        if self.answer is not None:
            out = self.answer(i, tactic)
        elif self.expected is not None and i == len(self.expected) - 1:
            out = ProofFinished(i + 1)
        else:
            out = TacticState(f"goal after {i}", i + 1)
        if isinstance(out, TacticState):
            self._last = out.id
        return out


def exported(pp: str, rules: str | None = None, budget: int = 200) -> tuple[eq.Theorem, list[str]]:
    """What the exporter writes for our own proof of the goal state ``pp``, computed here independently."""
    thm = parse_goal_state(pp)
    rs = eq.load_rules(rules or {"real": "default", "nat": "nat", "int": "int"}[thm.domain])
    found = prove(thm, rs, params=SearchParams(expansions=budget), policy="fast")
    assert found.proved
    lean = export_theorem(ExportItem("t", thm, found.proof), rs)
    return thm, [t.text for t in lean.tactics if t.depth == 0]


# --- one theorem -------------------------------------------------------------------------------------------


def test_a_provable_identity_end_to_end() -> None:
    pp = "x : ℝ\n⊢ x + 0 = x"
    _, tactics = exported(pp)
    assert tactics[0].startswith("refine Eq.mpr (congrArg (fun hole : ℝ => hole = x)") and "add_zero x" in tactics[0]
    dojo = FakeDojo(pp, tactics)
    res = ld.prove_lean_theorem(dojo, "Test.add_zero'", budget=200)
    assert res.outcome == "proved", res
    assert dojo.calls == tactics == res.tactics and res.tactics_run == len(tactics)
    assert res.theorem == "x + 0 == x" and res.goal == pp and res.proof is not None
    assert res.failed_index is None and res.lean_error is None
    rec = res.to_dict()
    assert json.loads(json.dumps(rec)) == rec
    assert rec["id"] == "Test.add_zero'" and rec["outcome"] == "proved" and rec["seconds"] >= rec["search_seconds"]


def test_hypotheses_with_other_names_are_renamed_first() -> None:
    pp = "x y : ℝ\nhx : 0 < x\nhy : 0 < y\n⊢ Real.log (x * y) = Real.log x + Real.log y"
    _, tactics = exported(pp)
    assert any("h₀" in t for t in tactics)  # the exporter's names for the hypotheses
    expected = ["rename' hx => h₀, hy => h₁", *tactics]
    dojo = FakeDojo(pp, expected)
    res = ld.prove_lean_theorem(dojo, "log_mul'", budget=200)
    assert res.outcome == "proved" and dojo.calls == expected
    # a multi-line `have` block goes to Lean as one tactic, as the exporter writes it
    assert any(t.startswith("have h₂ : x > 0 := by\n  ") for t in dojo.calls)


def test_renaming_avoids_capture_and_variable_clashes() -> None:
    thm = parse_goal_state("x : ℝ\nh₁ : 0 < x\nh₀ : x ≠ 0\n⊢ x / x = 1")
    two = ld.renaming_tactics("x : ℝ\nh₁ : 0 < x\nh₀ : x ≠ 0\n⊢ x / x = 1", thm)
    assert two == ["rename' h₁ => eqs_tmp_0, h₀ => eqs_tmp_1", "rename' eqs_tmp_0 => h₀, eqs_tmp_1 => h₁"]
    assert ld.renaming_tactics("x : ℝ\nh₀ : 0 < x\n⊢ x / x = 1", parse_goal_state("x : ℝ\nh₀ : 0 < x\n⊢ x / x = 1")) \
        == []
    # `e` is a variable the exporter calls `v_e` (it would clash); Lean's `v_y` is our `y`, exported as `y`
    pp = "e v_y : ℝ\n⊢ e + v_y = v_y + e"
    assert ld.renaming_tactics(pp, parse_goal_state(pp)) == ["rename' e => v_e, v_y => y"]


def test_lean_rejecting_a_step_keeps_the_index_and_the_error() -> None:
    pp = "x y : ℝ\nhx : 0 < x\nhy : 0 < y\n⊢ Real.log (x * y) = Real.log x + Real.log y"

    def answer(i: int, tactic: str) -> Result:
        if i == 2:
            return LeanError("type mismatch\n  h₁\nhas type 0 < y")
        return TacticState(f"state {i}", i + 1)

    dojo = FakeDojo(pp, answer=answer)
    res = ld.prove_lean_theorem(dojo, "log_mul'", budget=200)
    assert res.outcome == "rejected"
    assert res.failed_index == 2 and res.failed_tactic == dojo.calls[2] == res.tactics[2]
    assert res.lean_error == "type mismatch\n  h₁\nhas type 0 < y"
    assert res.tactics_run == 3 < len(res.tactics)  # the replay stops at the rejected step
    assert "rejected by Lean at tactic 3/" in ld.describe(res.to_dict())


def test_other_endings_of_the_replay() -> None:
    pp = "x : ℝ\n⊢ x + 0 = x"
    given_up = ld.prove_lean_theorem(FakeDojo(pp, answer=lambda i, t: ProofGivenUp()), "t", budget=200)
    assert given_up.outcome == "rejected" and given_up.failed_index == 0 and "sorry" in (given_up.lean_error or "")
    open_goals = ld.prove_lean_theorem(FakeDojo(pp, answer=lambda i, t: TacticState("x : ℝ\n⊢ x = x", i + 1)), "t",
                                       budget=200)
    assert open_goals.outcome == "rejected" and open_goals.failed_index is None
    assert (open_goals.lean_error or "").startswith("unsolved goals after the last tactic")
    early = ld.prove_lean_theorem(FakeDojo(pp, answer=lambda i, t: ProofFinished(1)), "t", budget=200)
    assert early.outcome == "proved" and early.tactics_run == 1 and "closed the goal after tactic 1" in (early.reason
                                                                                                         or "")

    def crash(i: int, t: str) -> Result:
        raise RuntimeError("DojoCrashError: EOF")

    crashed = ld.prove_lean_theorem(FakeDojo(pp, answer=crash), "t", budget=200)
    assert crashed.outcome == "error" and crashed.failed_index == 0 and "EOF" in (crashed.reason or "")


@pytest.mark.parametrize(("pp", "reason"), [
    ("⊢ ∀ (x : ℝ), x + 0 = x", "unexpected text '∀"),
    ("f : ℕ → ℝ\nn : ℕ\n⊢ ∑ i ∈ Finset.range n, f i = 0", "unexpected text '∑"),
    ("α : Type\nx : α\n⊢ x = x", "variables of type Type"),
    ("x : ℝ\n⊢ x + 0 = x\n\nx : ℝ\n⊢ x = x", "several goals"),
])
def test_an_untranslatable_goal_says_why_and_runs_nothing(pp: str, reason: str) -> None:
    dojo = FakeDojo(pp)
    res = ld.prove_lean_theorem(dojo, "t")
    assert res.outcome == "untranslatable" and reason in (res.reason or ""), res.reason
    assert dojo.calls == [] and res.tactics == [] and res.theorem is None
    assert ld.describe(res.to_dict()).startswith("untranslatable: ")


def test_our_search_failing_within_a_tiny_budget() -> None:
    dojo = FakeDojo("x : ℝ\n⊢ Real.cos x ^ 2 + Real.sin x ^ 2 = 1")
    res = ld.prove_lean_theorem(dojo, "t", budget=2)
    assert res.outcome == "not_proved" and res.expansions <= 2 and res.proof is None
    assert dojo.calls == [] and res.theorem == "cos(x)**2 + sin(x)**2 == 1"


def test_the_type_picks_the_rule_set_and_a_mismatch_is_reported() -> None:
    pp = "a b : ℕ\n⊢ a + b = b + a"
    _, tactics = exported(pp)
    assert "fun hole : ℕ" in tactics[0]
    assert ld.prove_lean_theorem(FakeDojo(pp, tactics), "t", budget=200).outcome == "proved"
    res = ld.prove_lean_theorem(FakeDojo(pp), "t", rules="default", budget=200)
    assert res.outcome == "not_proved" and "rule set default over real" in (res.reason or "")


def _finish_on_exact(i: int, tactic: str) -> Result:
    return ProofFinished(i + 1) if tactic.startswith("exact") else TacticState(f"state {i}", i + 1)


def test_the_learned_policy(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pp = "x y : ℝ\nhx : 0 < x\nhy : 0 < y\n⊢ Real.log (x * y) = Real.log x + Real.log y"
    rules = "default"  # the rule set of the bundled model that --policy neural loads
    res = ld.prove_lean_theorem(FakeDojo(pp, answer=_finish_on_exact), "t", policy="neural", critic="neural",
                                rules=rules, budget=200)
    assert res.outcome == "proved" and res.tactics[0] == "rename' hx => h₀, hy => h₁", res
    fake = FakeLean({"Y.a": pp})
    monkeypatch.setitem(sys.modules, "lean_dojo", fake.module)
    assert main(["prove-lean", "u", "c", "f", "Y.a", "--policy", "neural", "--budget", "200"]) == 0
    assert capsys.readouterr().out.startswith("Y.a: proved (")


def test_opening_the_theorem_failing_is_an_error() -> None:
    def factory(theorem: Any) -> Any:
        raise RuntimeError("DojoInitError: Failed to locate the theorem")

    res = ld.prove_lean_theorem(factory, "t")
    assert res.outcome == "error" and "Failed to locate" in (res.reason or "")


# --- lean-dojo itself, the batch form and the command -------------------------------------------------------


class FakeLean:
    """A stand-in for the ``lean_dojo`` module: ``Dojo``, ``LeanGitRepo``, ``Theorem``; the goal of each theorem
    comes from ``goals`` (by full name), and every tactic is accepted, the last closing the proof."""

    def __init__(self, goals: dict[str, str]) -> None:
        self.goals = goals
        self.opened: list[str] = []
        fake = self

        class LeanGitRepo:
            def __init__(self, url: str, commit: str) -> None:
                self.url, self.commit = url, commit

        @dataclass
        class Theorem:
            repo: Any
            file_path: Path
            full_name: str

        class Dojo:
            def __init__(self, theorem: Any) -> None:
                self.theorem = theorem
                self.n = 0

            def __enter__(self) -> tuple[Dojo, TacticState]:
                fake.opened.append(self.theorem.full_name)
                if self.theorem.full_name not in fake.goals:
                    raise RuntimeError("DojoInitError: not a theorem")
                return self, TacticState(fake.goals[self.theorem.full_name], 0)

            def __exit__(self, *exc: object) -> None:
                return None

            def run_tac(self, state: TacticState, tactic: str) -> Result:
                self.n += 1
                return ProofFinished(self.n) if tactic.startswith("exact") or "norm_num" in tactic else \
                    TacticState(f"after {self.n}", self.n)

        self.module = types.ModuleType("lean_dojo")
        self.module.Dojo = Dojo  # type: ignore[attr-defined]
        self.module.LeanGitRepo = LeanGitRepo  # type: ignore[attr-defined]
        self.module.Theorem = Theorem  # type: ignore[attr-defined]


def _benchmark(tmp_path: Path, names: Sequence[str]) -> Path:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps([{"url": "https://github.com/x/y", "commit": "abc", "file_path": "Y/Basic.lean",
                                 "full_name": n, "traced_tactics": []} for n in names]), encoding="utf-8")
    return path


def test_the_batch_runner_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    goals = {"Y.a": "x : ℝ\n⊢ x + 0 = x", "Y.b": "⊢ ∀ (x : ℝ), x = x", "Y.c": "x : ℝ\n⊢ x * 1 = x"}
    fake = FakeLean(goals)
    monkeypatch.setitem(sys.modules, "lean_dojo", fake.module)
    bench = _benchmark(tmp_path, ["Y.a", "Y.b", "Y.c", "Y.missing"])
    out = tmp_path / "res" / "out.jsonl"
    args = ["prove-lean", "--benchmark", str(bench), "--out", str(out), "--budget", "200"]
    assert main([*args, "--limit", "2"]) == 0
    first = capsys.readouterr().out
    assert "[1/2] Y/Basic.lean:Y.a: proved (2 tactics" in first and "[2/2] Y/Basic.lean:Y.b: untranslatable" in first
    assert fake.opened == ["Y.a", "Y.b"] and len(out.read_text().splitlines()) == 2

    out.write_text(out.read_text() + '{"id": "Y/Basic.lean:Y.c", "outc')  # a line cut short by a kill
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "2 of 4 theorems already in" in second
    assert fake.opened == ["Y.a", "Y.b", "Y.c", "Y.missing"]  # only the two not done
    recs = [json.loads(line) for line in out.read_text().splitlines()[:2]] + \
        [json.loads(line) for line in out.read_text().splitlines()[3:]]
    assert [r["outcome"] for r in recs] == ["proved", "untranslatable", "proved", "error"]
    assert recs[0]["full_name"] == "Y.a" and recs[0]["commit"] == "abc" and recs[0]["file_path"] == "Y/Basic.lean"
    assert "proved                      2" in second and "untranslatable              1" in second
    assert "LeanDojo error              1" in second and "total                       4" in second

    assert main(args) == 0  # again: the error is retried, everything else skipped
    assert fake.opened[4:] == ["Y.missing"]
    assert "3 of 4 theorems already in" in capsys.readouterr().out


def test_one_theorem_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeLean({"Y.a": "x : ℝ\nhx : x ≠ 0\n⊢ x / x = 1"})
    monkeypatch.setitem(sys.modules, "lean_dojo", fake.module)
    out = tmp_path / "one.jsonl"
    code = main(["prove-lean", "https://github.com/x/y", "abc", "Y/Basic.lean", "Y.a", "--out", str(out),
                 "--budget", "200"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert text.startswith("Y.a: proved (") and "goal: x/x == 1 | x != 0" in text and "rename' hx => h₀" in text
    assert json.loads(out.read_text())["outcome"] == "proved"


def test_the_command_says_how_to_install_lean_dojo(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "lean_dojo", None)  # `import lean_dojo` raises ImportError
    with pytest.raises(ld.LeanDojoMissing, match="pip install lean-dojo"):
        ld.load_lean_dojo()
    assert main(["prove-lean", "https://github.com/x/y", "abc", "Y/Basic.lean", "Y.a"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("equations prove-lean: error: ") and "pip install lean-dojo" in err[0]
    assert main(["prove-lean", "--benchmark", str(_benchmark(tmp_path, ["Y.a"])), "--out",
                 str(tmp_path / "o.jsonl")]) == 2
    assert "pip install lean-dojo" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["prove-lean"],
    ["prove-lean", "url", "commit"],
    ["prove-lean", "--benchmark", "b.json"],  # no --out
    ["prove-lean", "url", "commit", "f", "t", "--benchmark", "b.json", "--out", "o"],
    ["prove-lean", "url", "commit", "f", "t", "--budget", "0"],
    ["prove-lean", "url", "commit", "f", "t", "--rules", "nosuchset"],
    ["prove-lean", "--benchmark", "nosuchfile.json", "--out", "o.jsonl"],
])
def test_bad_usage_is_one_line(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("equations prove-lean: error: "), err


def test_a_malformed_benchmark_names_the_record(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps([{"url": "u", "commit": "c", "file_path": "f", "full_name": "n"}, {"url": "u"}]))
    with pytest.raises(ValueError, match="record 1 needs"):
        ld.read_benchmark(path)
    path.write_text("{}")
    with pytest.raises(ValueError, match="JSON list"):
        ld.read_benchmark(path)
