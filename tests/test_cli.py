"""The ``equations`` command line: outputs and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import equations as eq
from equations.cli import main
from equations.paper import FIGURE8, FIGURE8_TACTICS


def test_rules_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "default" in out and "nat" in out and "int" in out
    assert main(["rules", "--set", "default", "--category", "trigonometry"]) == 0
    out = capsys.readouterr().out
    assert "sin_add" in out and "18 rules" in out


def test_rules_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--set", "default", "--category", "hyperbolic", "--check"]) == 0
    assert "6/6 rules pass" in capsys.readouterr().out  # the other 5 hyperbolic rules are `extended`


def test_apply(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "sqrt(exp(x)**2) == exp(x)", "sqrt_sq -> 1"]) == 0
    out = capsys.readouterr().out
    assert "0: exp(x) == exp(x)    [closed: eq_refl]" in out and "1: exp(x) >= 0" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["apply", "x +", "add_zero -> 1"], "column 4"),
        (["apply", "x + 0 == x", "add_zero -> 3"], "does not match"),
        (["apply", "x + 0 == x", "add_zero -> 1", "--rules", "nope"], "no rule set"),
        (["rules", "--set", "default", "--category", "astrology"], "no category"),
        (["check", "/nonexistent.jsonl"], "no such file"),
    ],
)
def test_bad_input_exits_2(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_check_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = eq.load_rules("default")
    thm = eq.parse(FIGURE8)
    good = eq.Proof.chain(FIGURE8_TACTICS)
    bad = eq.Proof.chain(list(FIGURE8_TACTICS[:-1]))
    f = tmp_path / "proofs.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"id": "fig8", "theorem": FIGURE8, "proof": good.to_dict(thm, rules)},
        {"id": "fig8-truncated", "theorem": FIGURE8, "proof": bad.to_dict()},
        {"id": "refl", "theorem": "x == x", "proof": None},
    ]) + "\n")
    assert main(["check", str(f)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  fig8-truncated" in out and "2 passed, 1 failed" in out
    f.write_text('{"theorem": "x == x", "proof": {"tactic": "add_zero -> x"}}\n')
    assert main(["check", str(f)]) == 2
    f.write_text("not json\n")
    assert main(["check", str(f)]) == 2


def test_console_script_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "equations.cli", "apply", "x + 0 == x", "add_zero -> 1"],
                         capture_output=True, text=True, check=True)
    assert "x == x" in out.stdout
