"""``equations generate --backend ray`` (issue 12, Training): each shard a Ray task, the files written by the
driver. The output must be the bytes the local backend writes, a resumed Ray run must keep finished shards,
an interrupted one must leave no temporaries and no Ray behind, and the command line must refuse, in one line
and before any work, a missing ray or an address where no cluster answers.

A local Ray takes several seconds to start on a small machine, so the Ray runs are few: one default test
starts Ray once (a resumed run), a ``slow`` one once more (an interrupted run); the command-line checks start
none."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from equations.generators import dataset
from equations.generators.dataset import RayUnavailable, write_dataset

from equations.cli import main

SHARDS = 3  # 12 theorems in shards of 4


def _walk(out: Path, **kw: Any) -> dict[str, Any]:
    return write_dataset("walk", 12, out, params={"steps": 3}, seed=4, shard_size=4, pairs=True, **kw)


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.parent.name in ("data", "pairs")}


def _half_done(tmp_path: Path) -> tuple[Path, Path]:
    """A local run, and a copy of it that kept only shard 0 (and a temporary of an interrupted run)."""
    local = tmp_path / "local"
    _walk(local)
    out = tmp_path / "ray"
    shutil.copytree(local, out)
    for s in (1, 2):
        (out / "data" / f"shard-0000{s}.jsonl").unlink()
        (out / "pairs" / f"pairs-0000{s}.jsonl").unlink()
    (out / "data" / ".shard-00001.jsonl.x1.tmp").write_text("partial")
    return local, out


@pytest.mark.timeout(240)
def test_ray_backend_writes_the_local_bytes_and_resumes(tmp_path: Path) -> None:
    """Ray resumes the copy: it must generate shards 1 and 2 byte for byte as the pool did (one Ray start)."""
    ray = pytest.importorskip("ray")
    local, out = _half_done(tmp_path)
    expected = json.loads((local / "manifest.json").read_text())
    seen: list[int] = []
    summary = _walk(out, resume=True, backend="ray", workers=2, theorems_done=seen.append)
    assert not ray.is_initialized()  # the Ray it started is shut down
    assert _files(out) == _files(local) and len(_files(out)) == 2 * SHARDS
    assert not list(out.rglob("*.tmp"))
    assert seen[0] == 4 and seen[-1] == 12 and seen == sorted(seen)  # progress starts at the kept shard
    assert summary["backend"] == "ray" and summary["workers"] == 2 and summary["skipped_shards"] == 1
    for key in ("generated", "fingerprint", "mean_proof_size", "proof_size_histogram", "rule_coverage"):
        assert summary[key] == expected[key], key
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    card = (local / "README.md").read_text().replace(f"in {SHARDS} shards", f"in {SHARDS} shards (1 kept from an "
                                                                               "earlier run)")
    assert (out / "README.md").read_text() == card


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_an_interrupted_ray_run_leaves_no_temporaries_and_no_ray(tmp_path: Path) -> None:
    """Interrupted when the first records arrive (where Ctrl-C lands in the driver): the Ray it started is shut
    down, the shards being written leave no temporaries, and the kept shard is untouched."""
    ray = pytest.importorskip("ray")
    local, out = _half_done(tmp_path)

    def interrupt(done: int) -> None:
        if done > 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _walk(out, resume=True, backend="ray", workers=2, theorems_done=interrupt)
    assert not ray.is_initialized()
    assert not list(out.rglob("*.tmp"))
    assert _files(out) == {k: v for k, v in _files(local).items() if "00000" in k}


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["generate", "--n", "4", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    return err


def test_cli_refuses_a_missing_ray_and_a_bad_address_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "d"
    refused = _refused(["--out", str(out), "--backend", "local", "--address", "h:1"], capsys)
    assert "--backend ray" in refused
    real = importlib.util.find_spec
    with monkeypatch.context() as m:
        m.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
        assert "pip install 'equations[train]'" in _refused(["--out", str(out), "--backend", "ray"], capsys)
        with pytest.raises(RayUnavailable, match=r"equations\[train\]"):
            write_dataset("walk", 4, out, backend="ray")
    assert not out.exists()
    if importlib.util.find_spec("ray") is None:
        return
    assert "HOST:PORT" in _refused(["--out", str(out), "--address", "no-port"], capsys)
    with socket.socket() as s:  # a port nobody listens on: refused at once (ray.init would retry for minutes)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in _refused(["--out", str(out), "--address",
                                                                      f"127.0.0.1:{port}"], capsys)
    assert not out.exists()

    # Where a cluster answers, --address reaches write_dataset as the Ray backend.
    given: dict[str, Any] = {}

    def fake(*args: Any, **kw: Any) -> dict[str, Any]:
        given.update(kw)
        raise RayUnavailable("stopped here")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        monkeypatch.setattr(dataset, "write_dataset", fake)
        assert "stopped here" in _refused(["--out", str(out), "--address", f"127.0.0.1:{port}"], capsys)
    assert given["backend"] == "ray" and given["address"] == f"127.0.0.1:{port}"
