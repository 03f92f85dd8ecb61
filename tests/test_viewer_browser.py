"""The viewer's pages in headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by selenium;
``make test`` installs them): node counts, expanding and collapsing, hovering, a 10^5-node search, the
dataset table, the live server, and screenshots compared by structure (size, not blank, a few region
colours), never pixel by pixel."""

from __future__ import annotations

import io
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from equations.agents import SearchParams, prove
from equations.agents.search_json import EDGE_FIELDS, NODE_FIELDS, to_dict
from equations.viewer.server import make_server

import equations as eq
from equations.cli import main
from equations.paper import FIGURE8, FIGURE8_TACTICS

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install -e '.[data]')")

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)
DRIVER = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver") if p and Path(p).exists()), None)
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="headless Chromium is not installed: `make chromium` (apt-get install chromium "
                              "chromium-driver) installs it; `make test` does"),
    pytest.mark.timeout(300),
]

RULES = eq.load_rules("default")
WIDTH, HEIGHT = 1280, 900
HEADER = (0x1F, 0x29, 0x37)  # --head in viewer.css
SOLVED = (0x2E, 0x9D, 0x4F)
MINIMAL = (0xE0, 0xA1, 0x00)
TACTIC_CHIP = (0xDD, 0xF4, 0xFF)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={WIDTH},{HEIGHT}", "--hide-scrollbars", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(DRIVER))  # a local driver: no download, no network
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver: Any, url: str, timeout: float = 60.0) -> float:
    """Load ``url`` and wait until the page says it has drawn; returns the seconds it took. Fails on any error
    the page's script logged."""
    t0 = time.perf_counter()
    driver.get(url)
    while not driver.execute_script("return document.body && document.body.getAttribute('data-ready')"):
        assert time.perf_counter() - t0 < timeout, f"{url} did not finish drawing in {timeout} s"
        time.sleep(0.05)
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    return time.perf_counter() - t0


def _page(tmp_path: Path, data: Any, name: str, *extra: str) -> str:
    src = tmp_path / f"{name}.json"
    src.write_text(json.dumps(data))
    out = tmp_path / f"{name}.html"
    assert main(["show", str(src), "--out", str(out), *extra]) == 0
    return out.as_uri()


def _visible(driver: Any, selector: str) -> int:
    return int(driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).filter(e => e.getClientRects().length).length",
        selector))


def _near(px: tuple[int, ...], colour: tuple[int, int, int], tol: int = 28) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(px, colour, strict=False))


def _screenshot(driver: Any, path: Path) -> Any:
    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = img.size
    assert w >= WIDTH * 0.9 and h >= HEIGHT * 0.6, img.size  # the viewport, not an empty or tiny image
    assert _near(img.getpixel((6, 6)), HEADER) and _near(img.getpixel((w - 30, 6)), HEADER)  # the header bar
    assert len(img.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50  # not blank: text, math, shapes
    return img


def _count(img: Any, colour: tuple[int, int, int], box: tuple[int, int, int, int] | None = None) -> int:
    region = img.crop(box) if box else img
    return sum(n for n, px in (region.getcolors(maxcolors=1 << 20) or []) if _near(px, colour, 24))


# --- a proof: figure 8 ----------------------------------------------------------------------------------------

def test_figure8_proof_page(browser: Any, tmp_path: Path) -> None:
    thm = eq.parse(FIGURE8)
    record = {"id": "figure8", "theorem": FIGURE8, "proof": eq.Proof.chain(FIGURE8_TACTICS).to_dict(thm, RULES)}
    _open(browser, _page(tmp_path, record, "fig8"))
    # 20 steps and the last subgoal, which closes automatically: 21 goals, each drawn as MathML
    assert _visible(browser, "li.pnode") == 21
    assert _visible(browser, "li.pnode .goal math") == 21
    theorem = browser.execute_script(
        "var m = document.querySelector('.theorem math');"
        "return [m.querySelectorAll('mi').length, m.querySelectorAll('mo[fence]').length, m.textContent]")
    assert theorem == [5, 2, "x\u2212y\u2212(x+y)+2\u22c5y=0"]
    tactics = [e.text for e in browser.find_elements("css selector", "li.pnode .edge code")]
    assert tactics == list(FIGURE8_TACTICS)
    stats = browser.find_element("css selector", ".stats").text
    assert "checks" in stats and "size 20" in stats and "depth 20" in stats
    img = _screenshot(browser, tmp_path / "fig8.png")
    assert _count(img, TACTIC_CHIP) > 500  # the tactic labels on the edges are on screen

    # collapse the subtree under the first subgoal, then expand it again
    tog = browser.find_element("css selector", 'li.pnode[data-k="1"] > .prow > .tog')
    tog.click()
    assert _visible(browser, "li.pnode") == 2
    assert tog.get_attribute("aria-expanded") == "false"
    tog.click()
    assert _visible(browser, "li.pnode") == 21
    browser.find_element("css selector", "button.collapse-all").click()
    assert _visible(browser, "li.pnode") == 1
    browser.find_element("css selector", "button.expand-all").click()
    assert _visible(browser, "li.pnode") == 21


def test_math_is_mathml_from_the_latex_printer(browser: Any, tmp_path: Path) -> None:
    _open(browser, _page(tmp_path, ["sqrt(x)**2 == x | x >= 0", ["sq_sqrt -> 1"]], "sqrt"))
    assert browser.execute_script("return document.querySelectorAll('.theorem math msqrt').length") == 1
    assert browser.execute_script("return document.querySelectorAll('.theorem math msup').length") == 1
    goals = [e.text for e in browser.find_elements("css selector", "li.pnode .badge")]
    assert goals == ["closed: eq_refl", "closed: hypothesis"]
    mathml = browser.execute_script(
        "return new XMLSerializer().serializeToString(equationsViewer.texToMathML(arguments[0]))",
        r"\frac{1}{\cos\left(x\right)} \leq \left|y\right|^{2}")
    assert "<mfrac><mn>1</mn><mrow><mrow><mi>cos</mi><mo>\u2061</mo></mrow><mrow><mo " in mathml  # 1 / cos(x)
    assert "<mo>\u2264</mo>" in mathml
    assert '<msup><mrow><mo fence="true" stretchy="true">|</mo><mi>y</mi>' in mathml and "<mn>2</mn></msup>" in mathml


# --- a search -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def search() -> dict[str, Any]:
    res = prove("sqrt(x)**2 + 0 == x | x >= 0", RULES, SearchParams(expansions=60, seed=0), policy="fast",
                keep_search=True)
    assert res.proved
    return to_dict(res, RULES)


def test_search_page(browser: Any, tmp_path: Path, search: dict[str, Any]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    _open(browser, _page(tmp_path, search, "search"))
    n, root = len(search["nodes"]), search["root"]
    drawn = int(browser.find_element("id", "graph").get_attribute("data-nodes"))
    assert 1 < drawn < n and _visible(browser, "#graph g.node") == drawn  # the top 6 tactics of each node
    assert f"showing {drawn} of {n} nodes" in browser.find_element("id", "search-status").text

    # hover: the root's statistics, then a tactic's
    root_node = browser.find_element("css selector", f'#graph g.node[data-n="{root}"]')
    ActionChains(browser).move_to_element(root_node).perform()
    tip = browser.find_element("id", "tip")
    assert tip.is_displayed()
    rows = dict((td[0].text, td[1].text) for tr in
                tip.find_elements("css selector", "tr") for td in [tr.find_elements("css selector", "td")])
    visits = search["nodes"][root][NODE_FIELDS.index("visits")]
    assert tip.text.startswith("solved") and rows["visits N"] == str(visits) and rows["depth"] == "0"
    assert browser.execute_script("return document.querySelectorAll('#tip math').length") == 1
    edge = next(i for i, row in enumerate(search["edges"]) if row[EDGE_FIELDS.index("minimal")] and row[0] == root)
    ActionChains(browser).move_to_element(browser.find_element("css selector", f'rect.tac[data-e="{edge}"]')).perform()
    assert search["edges"][edge][1] in tip.text and "Q = W/N" in tip.text
    img = _screenshot(browser, tmp_path / "search.png")
    graph = browser.find_element("css selector", ".graphbox").rect
    box = (int(graph["x"]), int(graph["y"]), int(graph["x"] + graph["width"]),
           int(min(HEIGHT, graph["y"] + graph["height"])))
    assert _count(img, SOLVED, box) > 50 and _count(img, MINIMAL, box) > 30  # solved nodes and the proof, drawn

    # click the root: its subtree collapses into one "+k" box; click the box: back as it was
    def click(css: str) -> None:
        browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                               browser.find_element("css selector", css))

    click(f'#graph g.node[data-n="{root}"]')
    assert _visible(browser, "#graph g.node") == 1 and _visible(browser, "#graph g.agg") == 1
    click("#graph g.agg")
    assert _visible(browser, "#graph g.node") == drawn

    # every tactic of every node, every depth: every node is drawn once
    browser.execute_script("var k = document.getElementById('topk'); k.value = 0; k.dispatchEvent(new Event('change'))")
    assert _visible(browser, "#graph g.node") == n
    status = [row[NODE_FIELDS.index("status")] for row in search["nodes"]]
    assert _visible(browser, "#graph g.node.solved") == status.count("solved")
    assert _visible(browser, "#graph g.node.open") == status.count("open")
    minimal_nodes = sum(1 for row in search["nodes"] if row[NODE_FIELDS.index("minimal")])
    minimal_edges = sum(1 for row in search["edges"] if row[EDGE_FIELDS.index("minimal")])
    assert _visible(browser, "#graph g.node.min") == minimal_nodes
    assert _visible(browser, "#graph rect.tac.min") == minimal_edges
    assert _visible(browser, "#graph rect.tac") == len(search["edges"])

    # the minimal proof alone, and the depth filter
    browser.find_element("id", "proof-only").click()
    assert _visible(browser, "#graph g.node") == minimal_nodes
    browser.find_element("id", "proof-only").click()
    browser.execute_script("var d = document.getElementById('depth'); d.value = 1; d.dispatchEvent(new Event('input'))")
    depth1 = {root} | {s for row in search["edges"] if row[0] == root for s in row[6] if s is not None}
    assert _visible(browser, "#graph g.node") == len(depth1)
    assert _visible(browser, "#minimal-proof li.pnode") >= minimal_nodes


def _synthetic_search(expanded: int = 2500, fanout: int = 40) -> dict[str, Any]:
    """A saved search of about ``expanded * fanout`` nodes (10^5 by default): node k expands into ``fanout``
    tactics of one fresh subgoal each, breadth first, every tenth subgoal shared with an earlier node."""
    nodes: list[list[Any]] = [["x == x", "open", True, 0, 0.5, False]]
    edges: list[list[Any]] = []
    for k in range(expanded):
        for t in range(fanout):
            if t % 10 == 9 and len(nodes) > 2:
                child = (k * 7 + t) % (len(nodes) - 1) + 1
            else:
                child = len(nodes)
                nodes.append([f"x + {len(nodes)} == x", "open", child < expanded, 0, 0.5, False])
            edges.append([k, f"add_zero -> {t}", 1.0 / fanout, fanout - t, 0.5, False, [child, None], False])
    return {"format": "equations-search", "version": 1, "theorem": "x == x", "hypotheses": [], "domain": "real",
            "rules": "default", "rules_version": None, "params": None, "stats": {"expansions": expanded},
            "objective": "size", "proved": False, "proof": None, "root": 0, "node_fields": list(NODE_FIELDS),
            "nodes": nodes, "edge_fields": list(EDGE_FIELDS), "edges": edges}


def test_a_search_of_100000_nodes_stays_responsive(browser: Any, tmp_path: Path) -> None:
    data = _synthetic_search()
    assert len(data["nodes"]) > 90_000
    seconds = _open(browser, _page(tmp_path, data, "big"), timeout=120)
    assert seconds < 30, f"{seconds:.1f} s to draw"  # about 1-2 s on an idle core
    drawn = _visible(browser, "#graph g.node")
    assert 10 < drawn <= 1500 and _visible(browser, "#graph g.agg") > 0  # lazy: the rest is aggregated
    t0 = time.perf_counter()
    browser.execute_script("var d = document.getElementById('depth'); d.value = d.max;"
                           "d.dispatchEvent(new Event('input'));"
                           "var k = document.getElementById('topk'); k.value = 0; k.dispatchEvent(new Event('change'))")
    assert time.perf_counter() - t0 < 5  # two redraws
    assert _visible(browser, "#graph g.node") == 1500  # every tactic, every depth: capped at the node budget
    assert "aggregated" in browser.find_element("id", "search-status").text
    browser.execute_script("var c = document.getElementById('cap'); c.value = 200;"
                           "c.dispatchEvent(new Event('change'))")
    assert _visible(browser, "#graph g.node") == 200


# --- a dataset, and a run directory served live ---------------------------------------------------------------

def test_dataset_table(browser: Any, tmp_path: Path) -> None:
    from equations.generators import RandomWalkGenerator
    from equations.generators.dataset import to_record

    ds = tmp_path / "ds" / "data"
    ds.mkdir(parents=True)
    recs = [to_record(g, RULES) for g in RandomWalkGenerator("default", steps=3).generate(130, seed=0)]
    ds.joinpath("shard-00000.jsonl").write_text("".join(json.dumps({**r, "proof": json.dumps(r["proof"])}) + "\n"
                                                        for r in recs))
    out = tmp_path / "ds.html"
    assert main(["show", str(tmp_path / "ds"), "--out", str(out)]) == 0
    _open(browser, out.as_uri())
    assert _visible(browser, "#records tbody tr") == 100  # paged
    browser.find_element("css selector", "#records thead th[data-key='size']").click()
    sizes = [int(td.text) for td in browser.find_elements("css selector", "#records tbody tr td:nth-child(4)")]
    assert sizes == sorted(sizes)
    flt = browser.find_element("id", "filter")
    flt.send_keys(recs[42]["id"])
    assert _visible(browser, "#records tbody tr") == 1
    browser.find_element("css selector", "#records tbody tr").click()
    detail = browser.find_element("id", "detail")
    assert recs[42]["id"] in detail.text and "checks" in detail.text
    assert _visible(browser, "#detail li.pnode .edge code") == recs[42]["proof_size"]


def test_served_run_directory(browser: Any, tmp_path: Path, search: dict[str, Any]) -> None:
    (tmp_path / "metrics.jsonl").write_text("".join(
        json.dumps({"step": s, "cumulative_proved": s * 3, "proved_fraction": s / 20}) + "\n" for s in range(1, 9)))
    (tmp_path / "s.search.json").write_text(json.dumps(search))
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _open(browser, server.url)
        line = browser.find_element("css selector", "svg#curve polyline[data-series='proved_fraction']")
        assert len(line.get_attribute("points").split()) == 8
        assert "proved_fraction = 0.4" in browser.find_element("id", "curve").text
        browser.find_element("link text", "s.search.json").click()
        while browser.execute_script("return document.body.getAttribute('data-kind')") != "search":
            time.sleep(0.05)
        _open(browser, browser.current_url)
        assert _visible(browser, "#graph g.node") > 1
        # a training run appends a line: the page picks it up on its next poll (every 5 s)
        _open(browser, server.url)
        with (tmp_path / "metrics.jsonl").open("a") as f:
            f.write(json.dumps({"step": 9, "proved_fraction": 0.5}) + "\n")
        t0 = time.perf_counter()
        while len(browser.find_element("css selector", "svg#curve polyline").get_attribute("points").split()) < 9:
            assert time.perf_counter() - t0 < 15
            time.sleep(0.2)
    finally:
        server.shutdown()
        server.server_close()
