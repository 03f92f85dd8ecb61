"""What a new user of the command line meets: the version, defaults in the help texts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import equations as eq
from equations.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"equations {eq.__version__}"


@pytest.mark.parametrize(("command", "shown"), [
    ("tactics", "(default: default)"), ("rules", "(default: 20)"), ("check", "(default: default)"),
])
def test_help_shows_defaults(command: str, shown: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert shown in out
    assert "(default: None)" not in out


def _bad_inputs(tmp: Path) -> list[list[str]]:
    empty_dir = tmp / "empty"
    empty_dir.mkdir()
    a_file = tmp / "file.txt"
    a_file.write_text("hello\n")
    empty = tmp / "empty.jsonl"
    empty.write_text("")
    return [
        ["generate", "--n", "3", "--out", str(a_file / "sub"), "--quiet"],  # impossible path
        ["generate", "--n", "3", "--out", str(a_file), "--quiet"],  # a file, not a folder
        ["generate", "--n", "0", "--out", str(tmp / "g"), "--quiet"],
        ["generate", "--n", "3", "--out", str(tmp / "g"), "--rules", "nosuchset", "--quiet"],
        ["export", "--to", "coq", str(empty_dir), str(tmp / "o")],  # a folder with no shards
        ["export", "--to", "coq", str(empty), str(tmp / "o")],
        ["export", "--to", "coq", str(a_file), str(tmp / "o")],  # not JSONL
        ["export", "--to", "coq", str(tmp / "missing.jsonl"), str(tmp / "o")],
        ["rules", "--category", "nosuchcat"],
        ["rules", "--set", "nosuchset"],
        ["check", str(empty)],
        ["check", str(empty_dir)],
        ["check", str(a_file)],
        ["apply", "x ==", "add_zero -> 1"],
        ["apply", "x + 0 == x", "no_such_rule -> 1"],
        ["tactics", "x + 0 == x", "--rules", "nosuchset"],
        ["identities", "--category", "nosuchcat"],
    ]


def test_every_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for argv in _bad_inputs(tmp_path):
        r = subprocess.run([sys.executable, "-m", "equations.cli", *argv], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 2, (argv, r.stdout[-500:], r.stderr[-2000:])
        assert "Traceback" not in r.stderr, (argv, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"equations {argv[0]}: error: "), (argv, r.stderr)


def test_check_reads_dataset_folders_parquet_and_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    pytest.importorskip("pyarrow")
    assert main(["generate", "--n", "12", "--steps", "3", "--out", str(tmp_path / "pq"), "--format", "parquet",
                 "--quiet", "--shard-size", "6"]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "pq")]) == 0  # the folder: every shard
    assert "12 passed, 0 failed" in capsys.readouterr().out
    shard = next((tmp_path / "pq" / "data").glob("shard-*.parquet"))
    assert main(["check", str(shard)]) == 0
    assert "6 passed, 0 failed" in capsys.readouterr().out
    assert main(["generate", "--n", "5", "--steps", "3", "--out", str(tmp_path / "js"), "--quiet"]) == 0
    plain = next((tmp_path / "js" / "data").glob("shard-*.jsonl"))
    packed = tmp_path / "packed.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    capsys.readouterr()
    assert main(["check", str(packed)]) == 0
    assert "5 passed, 0 failed" in capsys.readouterr().out
