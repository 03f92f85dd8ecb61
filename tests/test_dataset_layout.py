"""Dataset folders that load as they are (issue 14, section 4): shards under ``data/`` with the manifest, plot,
data card and pairs beside them; one schema for walk and graph, JSONL and Parquet; pandas and Hugging Face
``datasets`` on the folder; every reader accepting the older flat layout too; the data card; the progress
count of a resumed run; the help texts of ``equations generate``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from equations.generators.dataset import (
    COLUMNS,
    Layout,
    ResumeMismatch,
    arrow_schema,
    pair_files,
    read_records,
    record_shards,
    write_dataset,
)

import equations as eq
from equations.cli import main, record_files

HF_ENV = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
RULES = eq.load_rules("default")


def _walk(out: Path, fmt: str = "jsonl", pairs: bool = True, **kw: Any) -> dict[str, Any]:
    return write_dataset("walk", 12, out, params={"steps": 3}, seed=4, shard_size=6, fmt=fmt, pairs=pairs, **kw)


def _graph(out: Path, fmt: str = "jsonl") -> dict[str, Any]:
    return write_dataset("graph", 12, out, params={"nodes": 40}, seed=4, shard_size=6, fmt=fmt)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Walk and graph datasets in both formats (Parquet ones only with pyarrow)."""
    root = tmp_path_factory.mktemp("datasets")
    made = {"walk": root / "walk", "graph": root / "graph"}
    _walk(made["walk"])
    _graph(made["graph"])
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return made
    made["walk_pq"], made["graph_pq"] = root / "walk_pq", root / "graph_pq"
    _walk(made["walk_pq"], fmt="parquet")
    _graph(made["graph_pq"], fmt="parquet")
    return made


def _flatten(src: Path, dst: Path) -> Path:
    """A copy of ``src`` in the layout written before ``data/`` existed: shards and pairs next to the
    manifest, no data card."""
    shutil.copytree(src, dst)
    for sub in ("data", "pairs"):
        if (dst / sub).is_dir():
            for f in (dst / sub).iterdir():
                f.rename(dst / f.name)
            (dst / sub).rmdir()
    (dst / "README.md").unlink()
    return dst


# --- layout --------------------------------------------------------------------------------------------------

def test_shards_live_alone_under_data(folders: dict[str, Path]) -> None:
    out = folders["walk"]
    top = sorted(p.name for p in out.iterdir())
    assert top == ["README.md", "data", "manifest.json", "pairs"]
    assert sorted(p.name for p in (out / "data").iterdir()) == ["shard-00000.jsonl", "shard-00001.jsonl"]
    assert sorted(p.name for p in (out / "pairs").iterdir()) == ["pairs-00000.jsonl", "pairs-00001.jsonl"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["layout"] == "data" and manifest["data_card"] == "README.md" and manifest["generated"] == 12
    assert [p.name for p in record_shards(out)] == ["shard-00000.jsonl", "shard-00001.jsonl"]
    assert record_shards(out / "data") == record_shards(out)  # the data folder itself is a dataset too


def test_only_the_location_of_records_changes(folders: dict[str, Path], tmp_path: Path) -> None:
    """The same run writes the same bytes in either layout (shard digests are a regression check)."""
    flat = _flatten(folders["walk"], tmp_path / "flat")
    for f in [*flat.glob("shard-*"), *flat.glob("pairs-*")]:
        f.write_text("stale\n")
    _walk(flat)  # a new run (not resumed) into a folder of the older layout keeps that layout
    assert not (flat / "data").exists() and (flat / "shard-00000.jsonl").exists()
    for name in ("shard-00000.jsonl", "shard-00001.jsonl"):
        assert (flat / name).read_bytes() == (folders["walk"] / "data" / name).read_bytes()
    for name in ("pairs-00000.jsonl", "pairs-00001.jsonl"):
        assert (flat / name).read_bytes() == (folders["walk"] / "pairs" / name).read_bytes()


# --- one schema ------------------------------------------------------------------------------------------------

def test_walk_and_graph_parquet_shards_share_one_schema(folders: dict[str, Path]) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pd = pytest.importorskip("pandas")
    schemas = {pq.read_schema(p) for key in ("walk_pq", "graph_pq") for p in record_shards(folders[key])}
    assert len(schemas) == 1 and schemas.pop().equals(arrow_schema())
    assert [name for name, _, _ in COLUMNS] == arrow_schema().names
    # pandas reads the data folder as one table (every file in it is a shard); walk and graph frames agree
    walk, graph = pd.read_parquet(folders["walk_pq"] / "data"), pd.read_parquet(folders["graph_pq"] / "data")
    assert len(walk) == len(graph) == 12 and list(walk.dtypes) == list(graph.dtypes)
    both = pd.concat([walk, graph])
    assert set(both["generator"]) == {"walk", "graph"}
    row = both.iloc[0]
    thm = eq.parse(row["theorem"])
    assert eq.check_proof(thm, eq.Proof.from_json(row["proof"], thm.domain), RULES)
    assert row["steps"][0]["tactic"] == json.loads(row["proof"])["tactic"]  # steps are structured, not text


def test_jsonl_and_parquet_hold_the_same_records(folders: dict[str, Path]) -> None:
    pytest.importorskip("pyarrow")
    for method in ("walk", "graph"):
        jsonl, parquet = list(read_records(folders[method])), list(read_records(folders[f"{method}_pq"]))
        assert len(jsonl) == 12 and jsonl == parquet
        assert all(set(r) == {name for name, _, _ in COLUMNS} for r in jsonl)
        assert all(isinstance(r["params"], dict) and isinstance(r["proof"], dict) for r in parquet)


def test_huggingface_loads_the_folders_as_one_schema(folders: dict[str, Path], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in HF_ENV.items():
        monkeypatch.setenv(k, v)
    datasets = pytest.importorskip("datasets")
    pytest.importorskip("pyarrow")
    cache = str(tmp_path / "hf")
    expected = datasets.Features.from_arrow_schema(arrow_schema())
    loaded = {key: datasets.load_dataset(str(path), split="train", cache_dir=cache) for key, path in folders.items()}
    for key, ds in loaded.items():
        assert len(ds) == 12, key
        assert ds.features == expected, key  # the data card's types: JSONL params become JSON text
    both = datasets.concatenate_datasets(list(loaded.values()))
    assert len(both) == 48 and {json.loads(p)["verify"] for p in both["params"]} == {True}
    row = loaded["graph"][5]
    thm = eq.parse(row["theorem"])
    assert eq.check_proof(thm, eq.Proof.from_json(row["proof"], thm.domain), RULES)
    # the pairs are a configuration of their own, not mixed into the records
    pairs = datasets.load_dataset(str(folders["walk"]), "pairs", split="train", cache_dir=cache)
    assert len(pairs) == sum(r["proof_size"] for r in read_records(folders["walk"]))
    assert set(pairs.column_names) == {"id", "goal", "tactic"}
    # JSONL shards of both generators together, given the schema
    files = [str(p) for key in ("walk", "graph") for p in record_shards(folders[key])]
    mixed = datasets.load_dataset("json", data_files=files, features=expected, split="train", cache_dir=cache)
    assert len(mixed) == 24 and mixed.features == expected


# --- readers accept both layouts --------------------------------------------------------------------------------

def test_every_reader_accepts_the_flat_layout(folders: dict[str, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from equations.exporters.cli import read_items

    new = folders["walk"]
    old = _flatten(new, tmp_path / "old")
    assert Layout.of(old).flat and not Layout.of(new).flat
    assert list(read_records(old)) == list(read_records(new))
    assert [p.name for p in pair_files(old)] == [p.name for p in pair_files(new)] == ["pairs-00000.jsonl",
                                                                                         "pairs-00001.jsonl"]
    assert [p.name for p in record_files(old)] == [p.name for p in record_files(new)]
    for folder in (old, new, new / "data", new.parent):  # new.parent: a folder of dataset folders
        capsys.readouterr()
        assert main(["check", str(folder)]) == 0
        assert "0 failed" in capsys.readouterr().out
    for folder in (old, new):
        assert sum(len(v) for v in read_items(folder).values()) == 12
    try:
        from equations.agents import supervised
    except ImportError:  # torch (extra "agent") absent
        return
    assert supervised.read_pairs(old) == supervised.read_pairs(new) != []


def test_resume_in_either_layout(folders: dict[str, Path], tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(folders["walk"], new)
    old = _flatten(folders["walk"], tmp_path / "old")
    for folder, lost in ((new, new / "data" / "shard-00001.jsonl"), (old, old / "shard-00001.jsonl")):
        before = lost.read_bytes()
        lost.unlink()
        (lost.parent / ".shard-00001.jsonl.x1.tmp").write_text("partial")
        summary = _walk(folder, resume=True)
        assert summary["skipped_shards"] == 1 and summary["generated"] == 12
        assert lost.read_bytes() == before and not list(folder.rglob(".*.tmp"))
        assert summary["layout"] == ("flat" if folder is old else "data")
        assert (folder / "data").exists() == (folder is new)  # one folder never holds shards in two places
        with pytest.raises(ResumeMismatch, match="other parameters"):
            write_dataset("walk", 12, folder, params={"steps": 4}, seed=4, shard_size=6, pairs=True, resume=True)
    card = (old / "README.md").read_text()
    assert "path: shard-*.jsonl" in card and "path: pairs-*.jsonl" in card


# --- data card ------------------------------------------------------------------------------------------------------

def _header(card: str) -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    head = card.split("---\n")[1]
    data: dict[str, Any] = yaml.safe_load(head)
    return data


def test_data_card_describes_the_dataset(folders: dict[str, Path]) -> None:
    out = folders["walk"]
    card = (out / "README.md").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    head = _header(card)
    assert [c["config_name"] for c in head["configs"]] == ["default", "pairs"]
    assert head["configs"][0]["data_files"][0]["path"] == "data/shard-*.jsonl"
    assert [f["name"] for f in head["dataset_info"][0]["features"]] == [name for name, _, _ in COLUMNS]
    for name, kind, _ in COLUMNS:  # the schema table, with types
        assert f"| `{name}` | `{kind}` |" in card
    assert f"version `{RULES.version}`" in card and "rule set: `default`" in card
    assert "| **steps** | **`3`** |" in card and "| max_hyps | `3` |" in card  # given and default parameters
    assert manifest["fingerprint"] in card and "seed 4" in card
    assert "- theorems: 12 in 2 shards" in card
    assert f"mean proof size: {manifest['mean_proof_size']:.2f}" in card
    hist = card.split("## Proof sizes")[1].split("```")[1].strip().splitlines()[1:]
    counted = {int(line.split()[0]): int(line.split()[1]) for line in hist}
    sizes: dict[int, int] = {}
    for r in read_records(out):
        sizes[r["proof_size"]] = sizes.get(r["proof_size"], 0) + 1
    assert counted == sizes == {int(k): v for k, v in manifest["proof_size_histogram"].items()}
    for how in ("pd.read_json", "datasets.load_dataset(str(DIR)", "read_records(DIR)", "equations check"):
        assert how in card


def test_data_card_loading_code_runs(folders: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    pytest.importorskip("pandas")
    for key in ("walk", "graph_pq") if "graph_pq" in folders else ("walk",):
        card = (folders[key] / "README.md").read_text()
        code = card.split("```python\n")[1].split("```")[0]
        code = code.replace('Path("path/to/this/folder")', f"Path({str(folders[key])!r})")
        code += "\nassert len(df) == len(ds) == 12\nassert eq.check_proof(thm, eq.Proof.from_json(ds[0]['proof'], " \
                "thm.domain), eq.load_rules(ds[0]['rules']))\n"
        script = tmp_path / f"{key}.py"
        script.write_text(code)
        env = {**os.environ, **HF_ENV, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
        r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=240)
        assert r.returncode == 0, f"{key}: {code}\n{r.stderr[-3000:]}"


def test_data_card_is_rewritten_and_never_replaces_a_users_readme(tmp_path: Path) -> None:
    out = tmp_path / "d"
    _walk(out, pairs=False)
    assert "## Counts" in (out / "README.md").read_text()
    (out / "data" / "shard-00000.jsonl").unlink()
    again = _walk(out, pairs=False, resume=True)
    card = (out / "README.md").read_text()
    assert again["data_card"] == "README.md" and "(1 kept from an earlier run)" in card
    assert "pairs" not in _header(card)["configs"][0]["config_name"] and len(_header(card)["configs"]) == 1
    assert not list(out.glob(".README.md.*"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README.md").write_text("# my notes\n")
    assert _walk(mine, pairs=False)["data_card"] is None
    assert (mine / "README.md").read_text() == "# my notes\n"


def test_data_card_of_an_unfinished_run_says_so(tmp_path: Path) -> None:
    from equations.generators.dataset import data_card

    info = {"method": "walk", "n": 10, "format": "parquet", "pairs": False, "status": "running", "shard_size": 5,
            "seed": 0, "rules": "default", "params": {}, "fingerprint": "f"}
    about = {"rules_name": "default", "rules_version": "v", "rules_domain": "real", "rules_count": 1,
             "generator_params": {}}
    card = data_card(Layout(tmp_path), info, about)
    assert "Incomplete" in card and "--resume" in card and "## Counts" not in card
    assert "pd.read_parquet(DIR / 'data')" in card


# --- progress ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("workers", [1, 2])
def test_progress_starts_at_the_resumed_count_and_moves_per_theorem(tmp_path: Path, workers: int) -> None:
    out = tmp_path / "d"
    write_dataset("walk", 30, out, params={"steps": 2}, seed=1, shard_size=10)
    (out / "data" / "shard-00001.jsonl").unlink()
    seen: list[int] = []
    write_dataset("walk", 30, out, params={"steps": 2}, seed=1, shard_size=10, resume=True, workers=workers,
                  theorems_done=seen.append)
    assert seen[0] == 20 and seen[-1] == 30 and seen == sorted(seen)
    if workers == 1:
        assert seen == list(range(20, 31))  # one call per theorem


def test_cli_progress_bar_starts_at_the_resumed_count(tmp_path: Path) -> None:
    pytest.importorskip("tqdm")
    out = tmp_path / "d"
    argv = [sys.executable, "-m", "equations.cli", "generate", "--n", "30", "--steps", "2", "--seed", "1",
            "--shard-size", "10", "--out", str(out)]
    subprocess.run([*argv, "--quiet"], check=True, capture_output=True, timeout=240)
    (out / "data" / "shard-00002.jsonl").unlink()
    r = subprocess.run([*argv, "--resume"], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    counts = [int(m) for m in re.findall(r"(\d+)/30", r.stderr)]
    assert counts and counts[0] == 20 and counts[-1] == 30


# --- help texts ---------------------------------------------------------------------------------------------

def test_generate_help_states_the_computed_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from equations.generators import GraphConfig, WalkConfig

    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    walk, graph = WalkConfig(), GraphConfig()
    assert "(default: None)" not in out
    assert f"walk, default {walk.steps}" in out and f"graph, default {graph.min_depth}-{graph.max_depth}" in out
    assert f"walk, default {walk.ops[0]}-{walk.ops[1]}" in out  # type: ignore[index]
    assert f"graph, default {graph.n_hyps[0]}-{graph.n_hyps[1]}" in out  # type: ignore[index]
    assert f"default {graph.nodes}" in out and f"(default: {walk.bias})" in out
    for shown in ("(default: 1)", "(default: 0)", "(default: jsonl)", "(default: default)",
                  "default: every category"):
        assert shown in out

