"""Saved searches (agents/search_json.py) and the viewer without a browser: input detection, proof replay,
page assembly, the ``show`` command and the loopback server. The pages in a real browser:
tests/test_viewer_browser.py."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from equations.agents import SearchParams, prove
from equations.agents.search_json import EDGE_FIELDS, NODE_FIELDS, save_search, search_file_name, to_dict
from equations.viewer import ViewerError, detect, framework_size, load, page_for, proof_page, proof_tree
from equations.viewer.page import FRAMEWORK_BUDGET, search_payload
from equations.viewer.server import make_server, metrics_curve

import equations as eq
from equations.cli import main
from equations.paper import FIGURE8, FIGURE8_TACTICS

RULES = eq.load_rules("default")
EASY = "sqrt(x)**2 + 0 == x | x >= 0"


def _payload(page: str) -> Any:
    m = re.search(r'<script type="application/json" id="payload">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def easy_search() -> dict[str, Any]:
    res = prove(EASY, RULES, SearchParams(expansions=60, seed=0), policy="fast", keep_search=True)
    assert res.proved
    return to_dict(res, RULES)


# --- saved searches -------------------------------------------------------------------------------------------

def test_saved_search_schema_matches_the_graph(easy_search: dict[str, Any]) -> None:
    d = easy_search
    assert d["format"] == "equations-search" and d["version"] == 1
    assert d["node_fields"] == list(NODE_FIELDS) and d["edge_fields"] == list(EDGE_FIELDS)
    assert len(d["nodes"]) == d["stats"]["nodes"] and len(d["edges"]) == d["stats"]["edges"]
    assert d["hypotheses"] == ["x >= 0"] and d["rules"] == "default" and d["proved"] is True
    node = dict(zip(NODE_FIELDS, d["nodes"][d["root"]], strict=True))
    assert node["goal"] == "sqrt(x)**2 + 0 == x" and node["status"] == "solved" and node["minimal"]
    for row in d["edges"]:
        e = dict(zip(EDGE_FIELDS, row, strict=True))
        assert 0 <= e["node"] < len(d["nodes"]) and 0.0 <= e["prior"] <= 1.0
        assert all(s is None or 0 <= s < len(d["nodes"]) for s in e["subgoals"])
        assert (e["q"] is None) == (e["visits"] == 0)
    # the minimal edges are exactly the steps of the saved proof, which re-checks
    minimal = sorted(row[1] for row in d["edges"] if row[-1])
    proof = eq.Proof.from_dict(d["proof"])
    assert minimal == sorted(str(p.tactic) for p in proof.steps())
    assert eq.check_proof(eq.parse(EASY), proof, RULES)
    assert json.loads(json.dumps(d)) == d


def test_save_search_is_atomic_and_names_are_safe(tmp_path: Path) -> None:
    res = prove("x + 0 == x", RULES, SearchParams(expansions=5), keep_search=True)
    out = save_search(tmp_path / "sub" / "s.json", res, RULES)
    assert json.loads(out.read_text())["proved"] is True
    assert sorted(p.name for p in out.parent.iterdir()) == ["s.json"]  # no temporary file left
    with pytest.raises(ValueError, match="keep_search"):
        to_dict(prove("x + 0 == x", RULES, SearchParams(expansions=5)))
    assert search_file_name("trig/../x y") == "trig_.._x_y.search.json"
    assert search_file_name("..") == "theorem.search.json"


def test_prove_and_evaluate_save_searches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.json"
    assert main(["prove", EASY, "--budget", "50", "--save-search", str(f)]) == 0
    assert json.loads(f.read_text())["proved"] is True
    # a failed search is saved too: it is the one worth looking at
    assert main(["prove", "cos(x)**4 - sin(x)**4 == cos(2*x)", "--budget", "3", "--save-search", str(f)]) == 1
    failed = json.loads(f.read_text())
    assert failed["proved"] is False and failed["proof"] is None and failed["stats"]["expansions"] == 3
    tasks = tmp_path / "thms.txt"
    tasks.write_text("a/1\tx + 0 == x\nb\tx*1 == x\n")
    searches = tmp_path / "searches"
    assert main(["evaluate", "--set", str(tasks), "--budget", "20", "--out", str(tmp_path / "r.jsonl"),
                 "--save-searches", str(searches), "-q"]) == 0
    records = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [r["search"] for r in records] == ["a_1.search.json", "b.search.json"]
    assert sorted(p.name for p in searches.iterdir()) == ["a_1.search.json", "b.search.json"]
    assert detect(searches / "a_1.search.json") == "search"
    capsys.readouterr()


# --- input detection ------------------------------------------------------------------------------------------

def _fig8_record() -> dict[str, Any]:
    thm = eq.parse(FIGURE8)
    return {"id": "figure8", "theorem": FIGURE8, "proof": eq.Proof.chain(FIGURE8_TACTICS).to_dict(thm, RULES)}


def test_detects_each_input_kind(tmp_path: Path, easy_search: dict[str, Any]) -> None:
    rec = _fig8_record()
    (tmp_path / "one.json").write_text(json.dumps(rec))
    (tmp_path / "pair.json").write_text(json.dumps([FIGURE8, list(FIGURE8_TACTICS)]))
    (tmp_path / "search.json").write_text(json.dumps(easy_search))
    (tmp_path / "many.jsonl").write_text(json.dumps(rec) + "\n" + json.dumps({**rec, "id": "again"}) + "\n")
    prove_out = "proved x + 0 == x: 1 steps\n  1. x + 0 == x\n       add_zero -> 1\n" + json.dumps(
        {"theorem": "x + 0 == x", "proof": {"tactic": "add_zero -> 1", "subproofs": [None]}}) + "\n"
    (tmp_path / "prove.txt").write_text(prove_out)
    ds = tmp_path / "ds" / "data"
    ds.mkdir(parents=True)
    (ds / "shard-00000.jsonl").write_text(json.dumps({**rec, "proof": json.dumps(rec["proof"])}) + "\n")
    kinds = {name: detect(tmp_path / name) for name in ("one.json", "pair.json", "search.json", "many.jsonl",
                                                         "prove.txt", "ds")}
    assert kinds == {"one.json": "proof", "pair.json": "proof", "search.json": "search", "many.jsonl": "records",
                     "prove.txt": "proof", "ds": "dataset"}
    loaded = load(tmp_path / "ds")
    assert loaded.data[0]["proof"] == rec["proof"]  # the shard's JSON text is decoded
    assert load(tmp_path / "many.jsonl", limit=1).total == 2


@pytest.mark.parametrize(("content", "fragment"), [
    ("# a readme\n", "not JSON"),
    ('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n', "not a proof record"),
    ('{"format": "something-else"}', "unknown format"),
    ('{"format": "equations-search", "version": 99}', "version 99"),
    ("", "empty file"),
    ("[1, 2, 3]", "a JSON array of 3 items"),
])
def test_anything_else_is_a_clear_error(tmp_path: Path, content: str, fragment: str) -> None:
    f = tmp_path / "in.json"
    f.write_text(content)
    with pytest.raises(ViewerError, match=re.escape(fragment)):
        detect(f)


def test_damaged_search_is_named(tmp_path: Path, easy_search: dict[str, Any]) -> None:
    bad = json.loads(json.dumps(easy_search))
    bad["edges"][3][6] = [10**6]
    f = tmp_path / "s.json"
    f.write_text(json.dumps(bad))
    with pytest.raises(ViewerError, match="edge 3 names a node outside"):
        load(f)
    with pytest.raises(ViewerError, match="folder without dataset shards"):
        load(tmp_path)


# --- proof replay ---------------------------------------------------------------------------------------------

def test_figure8_tree() -> None:
    tree = proof_tree(FIGURE8, eq.Proof.chain(FIGURE8_TACTICS), RULES)
    assert tree["checked"] and tree["size"] == 20 and tree["depth"] == 20
    nodes = tree["nodes"]
    assert len(nodes) == 21  # 20 steps, each with one subgoal; the last closes automatically
    assert [n["tactic"] for n in nodes[:20]] == list(FIGURE8_TACTICS)
    assert nodes[20]["tactic"] is None and (nodes[20]["goal"], nodes[20]["closed"]) == ("0 == 0", "exact")
    assert nodes[0]["goal"] == "x - y - (x + y) + 2*y == 0"
    assert nodes[0]["tex"] == r"x - y - \left(x + y\right) + 2 \cdot y = 0"
    assert [n["size"] for n in nodes[:20]] == list(range(20, 0, -1))


def test_broken_proofs_show_where_they_break() -> None:
    tree = proof_tree(FIGURE8, list(FIGURE8_TACTICS[:-1]), RULES)
    assert not tree["checked"]
    errors = [(k, n["error"]) for k, n in enumerate(tree["nodes"]) if n["error"]]
    assert errors == [(19, "left open: it does not close automatically")]
    wrong = list(FIGURE8_TACTICS)
    wrong[3] = "add_zero -> 1"
    tree = proof_tree(FIGURE8, wrong, RULES)
    bad = [n for n in tree["nodes"] if n["error"]]
    assert len(bad) == 1 and bad[0]["tactic"] == "add_zero -> 1" and "does not apply" in bad[0]["error"]
    # with a side condition: the hypothesis subgoal is a leaf saying why it closed
    tree = proof_tree("sqrt(x)**2 == x | x >= 0", ["sq_sqrt -> 1"], RULES)
    assert [(n["goal"], n["closed"]) for n in tree["nodes"][1:]] == [("x == x", "eq_refl"), ("x >= 0", "hypothesis")]


def test_a_record_naming_a_rule_file_is_not_replayed_without_rules(tmp_path: Path) -> None:
    rec = {**_fig8_record(), "rules": str(tmp_path / "mine.rules")}
    f = tmp_path / "r.json"
    f.write_text(json.dumps(rec))
    tree = _payload(page_for(load(f)))
    assert tree["replayed"] is False and "--rules" in tree["note"]
    assert [n["goal"] for n in tree["nodes"]][:2] == ["x - y - (x + y) + 2*y == 0", "x - y + -(x + y) + 2*y == 0"]


def test_records_without_rules_replay_with_their_domains_set(tmp_path: Path) -> None:
    f = tmp_path / "nat.json"  # what `equations prove --rules nat --json` prints: no "rules" key
    f.write_text(json.dumps({"theorem": "nat: (a + 0)*1 == a", "proof": {"tactic": "mul_one -> 1", "subproofs": [
        {"tactic": "add_zero -> 1", "subproofs": [None]}]}}))
    tree = _payload(page_for(load(f)))
    assert tree["checked"] and tree["domain"] == "nat" and tree["nodes"][-1]["closed"] == "eq_refl"
    tree = _payload(page_for(load(f), rules="default"))  # the user's choice wins, and is shown failing
    assert not tree["checked"] and "over real" in tree["nodes"][0]["error"]


# --- pages ----------------------------------------------------------------------------------------------------

def test_page_is_self_contained_and_within_budget() -> None:
    page = proof_page(FIGURE8, eq.Proof.chain(FIGURE8_TACTICS), "default")
    assert framework_size() < FRAMEWORK_BUDGET
    assert "default-src 'none'" in page and "connect-src 'none'" in page
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/1998/Math/MathML", "http://www.w3.org/2000/svg"}, urls
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert _payload(page)["size"] == 20


def test_data_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script>"
    rec = {**_fig8_record(), "id": evil}
    f = tmp_path / "evil.jsonl"
    f.write_text(json.dumps(rec) + "\n" + json.dumps({**rec, "id": "2"}) + "\n")
    page = page_for(load(f), title=evil)
    assert evil not in page and page.count("</script>") == 2
    assert _payload(page)["rows"][0]["id"] == evil


def test_search_payload_adds_latex_and_the_minimal_proof(easy_search: dict[str, Any]) -> None:
    p = search_payload(easy_search)
    assert p["theorem_tex"] == r"x \geq 0 \implies \sqrt{x}^{2} + 0 = x"
    assert p["tree"]["checked"] and p["tree"]["size"] == eq.Proof.from_dict(easy_search["proof"]).size
    assert len(p["tex"]) == len(easy_search["nodes"])  # small: every goal has its LaTeX for the hover


def test_records_page_keeps_bad_records_visible(tmp_path: Path) -> None:
    good = _fig8_record()
    f = tmp_path / "r.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [good, {"id": "bad", "theorem": "x +", "proof": None},
                                                    {"id": "open", "theorem": "x == y", "proved": False}]) + "\n")
    rows = _payload(page_for(load(f)))["rows"]
    assert [r["id"] for r in rows] == ["figure8", "bad", "open"]
    assert rows[0]["tree"]["checked"] and rows[0]["size"] == 20
    assert "cannot parse" in rows[1]["error"] and rows[2]["tree"] is None and not rows[2]["proved"]


def test_show_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "fig8.json"
    src.write_text(json.dumps(_fig8_record()))
    out = tmp_path / "fig8.html"
    assert main(["show", str(src), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err and _payload(out.read_text())["size"] == 20
    for argv, fragment in [
        (["show", str(src)], "give --out"),
        (["show", str(src), "--out", str(out), "--serve"], "not both"),
        (["show", str(src), "--serve"], "not a folder"),
        (["show", str(tmp_path / "nope.json"), "--out", str(out)], "no such file"),
        (["show", str(src), "--out", str(tmp_path / "no" / "p.html")], "no such folder"),
        (["show", str(src), "--out", str(out), "--limit", "0"], "--limit"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


# --- the run-directory server ---------------------------------------------------------------------------------

def test_metrics_curve_prefers_fractions_and_skips_other_lines(tmp_path: Path) -> None:
    m = tmp_path / "metrics.jsonl"
    m.write_text("\n".join([
        json.dumps({"step": 1, "split": "train", "loss": 2.0}),
        json.dumps({"step": 10, "cumulative_proved": 3, "proved_fraction": 0.1}),
        json.dumps({"step": 20, "cumulative_proved": 9, "proved_fraction": 0.3}),
        '{"step": 30, "proved_fr',  # a line being written
    ]) + "\n")
    curve, note = metrics_curve(m)
    assert note is None and curve == {"file": "metrics.jsonl", "xkey": "step", "x": [10, 20],
                                      "series": {"proved_fraction": [0.1, 0.3]}}
    m.write_text(json.dumps({"iteration": 1, "cumulative_proved": 4}) + "\n")
    curve, _ = metrics_curve(m)
    assert curve is not None and curve["xkey"] == "iteration" and curve["series"] == {"cumulative_proved": [4]}
    m.write_text(json.dumps({"step": 1, "loss": 2.0}) + "\n")
    curve, note = metrics_curve(m)
    assert curve is None and note is not None and "no proved-fraction field" in note and "loss" in note


@pytest.fixture()
def run_dir(tmp_path: Path, easy_search: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    (tmp_path / "metrics.jsonl").write_text("".join(
        json.dumps({"step": s, "proved_fraction": s / 10}) + "\n" for s in range(1, 6)))
    (tmp_path / "searches").mkdir()
    (tmp_path / "searches" / "t.search.json").write_text(json.dumps(easy_search))
    (tmp_path / "proofs.jsonl").write_text(json.dumps(_fig8_record()) + "\n")
    (tmp_path / "notes.txt").write_text("not shown")
    server = make_server(tmp_path, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, server.url
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str, host: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_server_lists_the_run_and_renders_files(run_dir: tuple[Path, str]) -> None:
    root, url = run_dir
    assert url.startswith("http://127.0.0.1:")
    status, body = _get(url + "api/run")
    state = json.loads(body)
    assert status == 200 and {f["path"]: f["kind"] for f in state["files"]} == {
        "metrics.jsonl": "metrics", "searches/t.search.json": "search", "proofs.jsonl": "proofs"}
    assert state["metrics"]["series"] == {"proved_fraction": [0.1, 0.2, 0.3, 0.4, 0.5]}
    status, body = _get(url)
    assert status == 200 and 'data-kind="run"' in body and "connect-src 'self'" in body
    status, body = _get(url + "view?path=searches/t.search.json")
    assert status == 200 and 'data-kind="search"' in body
    status, body = _get(url + "view?path=proofs.jsonl")
    assert status == 200 and _payload(body)["size"] == 20
    assert _get(url + "view?path=notes.txt")[0] == 400
    assert _get(url + "view?path=../../etc/passwd")[0] == 403
    assert _get(url + "view?path=missing.json")[0] == 404
    assert _get(url + "elsewhere")[0] == 404
    port = url.rsplit(":", 1)[1].strip("/")
    assert _get(url, host=f"evil.example:{port}")[0] == 403  # DNS rebinding: only 127.0.0.1 / localhost
    assert _get(url, host=f"localhost:{port}")[0] == 200
