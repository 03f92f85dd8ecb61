"""The HTML page: our stylesheet and script from ``static/`` with the data inlined as JSON.

A page is one file that opens from disk with no network access: its Content-Security-Policy forbids every
request (a served page may fetch ``/api/run`` from its own server, nothing else). Math is MathML, built by
the page's script from the LaTeX of :func:`equations.to_latex` (Chromium and Firefox render MathML Core
natively), so no math library is bundled; the framework (markup, CSS, script) stays under
:data:`FRAMEWORK_BUDGET` bytes, which the tests hold it to.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import equations as eq
from equations.atomic import write_atomic

from .load import Loaded, ViewerError
from .tree import latex_of, proof_tree, resolve_rules

__all__ = ["FRAMEWORK_BUDGET", "framework_size", "page_for", "proof_page", "records_payload", "render",
           "search_page", "search_payload", "write_page"]

#: Bytes the page framework (everything but the data) may take.
FRAMEWORK_BUDGET = 200_000
#: Below this many nodes a saved search gets the LaTeX of every goal (for the hover); above, only of the
#: expanded goals and those on the minimal proof, so that a 10^5-node page stays a few megabytes.
TEX_ALL_NODES = 20_000

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data:; connect-src @CONNECT@">
<meta name="generator" content="equations @VERSION@ viewer">
<title>@TITLE@</title>
<style>@CSS@</style></head>
<body data-kind="@KIND@">
<header id="top"><h1>@TITLE@</h1><div class="sub">@SUBTITLE@</div></header>
<main id="app"></main>
<div id="tip" class="tip" hidden></div>
<script type="application/json" id="payload">@PAYLOAD@</script>
<script>@JS@</script>
</body></html>
"""


def _asset(name: str) -> str:
    return resources.files("equations.viewer").joinpath("static").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end the ``<script>`` element it sits in: ``<``, ``>`` and ``&`` only occur inside
    JSON strings, where their ``\\u`` escapes mean the same."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(kind: str, payload: Any, title: str, subtitle: str = "", live: bool = False) -> str:
    """The page of ``kind`` (``proof``, ``search``, ``records``, ``run``) showing ``payload``. ``live``: a page
    served by :mod:`.server` (it may call back its own server; it links to the run's index)."""
    if kind not in ("proof", "search", "records", "run"):
        raise ValueError(f"unknown page kind {kind!r}")
    sub = html.escape(subtitle)
    if live and kind != "run":
        sub = '<a href="/" style="color:#9ecbff">\u2190 run directory</a> \u00b7 ' + sub
    parts = {
        "@CONNECT@": "'self'" if live else "'none'", "@VERSION@": html.escape(eq.__version__),
        "@TITLE@": html.escape(title), "@KIND@": kind, "@SUBTITLE@": sub, "@CSS@": _asset("viewer.css"),
        "@JS@": _asset("viewer.js").replace("</", "<\\/"), "@PAYLOAD@": _json_for_script(payload),
    }
    # one pass over the template: text put in (a title, the data) is never scanned for markers again
    return re.sub(r"@[A-Z]+@", lambda m: parts[m.group(0)], _TEMPLATE)


def framework_size() -> int:
    """Bytes of a page without its data: the markup, the stylesheet and the script."""
    return len(render("proof", None, "").encode("utf-8"))


# --- payloads ---------------------------------------------------------------------------------------------

def _domain(theorem: Any) -> str:
    """The domain a theorem's text declares (``nat: ...``), without parsing it (the replay does that)."""
    head = theorem.split(":", 1)[0].strip() if isinstance(theorem, str) and ":" in theorem else ""
    return head if head in ("nat", "int") else "real"


def _record_tree(rec: dict[str, Any], rules_name: str | None) -> dict[str, Any]:
    rules, note = resolve_rules(rec.get("rules"), rules_name, _domain(rec.get("theorem")))
    if rules is not None and rec.get("rules_version") not in (None, rules.version):
        note = (f"the record was made with {rules.name} version {rec['rules_version']}; replayed with version "
                f"{rules.version}")
    return proof_tree(rec["theorem"], rec.get("proof"), rules, note)


def proof_page(theorem: eq.Theorem | str, proof: eq.Proof | dict[str, Any] | list[str] | None,
               rules: eq.RuleSet | str | None = "default", title: str | None = None) -> str:
    """The page of a (theorem, proof) pair: the proof as a collapsible tree of goals, replayed with
    ``rules`` (``None``: the goals stored in the proof dict, not replayed)."""
    rs = eq.load_rules(rules) if isinstance(rules, str) else rules
    tree = proof_tree(theorem, proof, rs)
    return render("proof", tree, title or f"Proof of {tree['theorem']}", f"{tree['size']} steps, depth {tree['depth']}")


def search_payload(obj: dict[str, Any], rules_name: str | None = None) -> dict[str, Any]:
    """A saved search with what the page adds: the theorem's LaTeX, the minimal proof's tree (replayed),
    and the LaTeX of the goals a hover shows as math (the others show their infix text)."""
    out = dict(obj)
    domain = obj.get("domain") or "real"
    try:
        thm: eq.Theorem | None = eq.parse(obj["theorem"])
    except eq.ParseError:
        thm = None  # a search over other goals (the synthetic benchmark's integers): drawn, not replayed
    out["theorem_tex"] = thm.to_latex() if thm is not None else None
    out["tree"] = None
    if thm is not None and obj.get("proof") is not None:
        rules, note = resolve_rules(obj.get("rules"), rules_name, thm.domain)
        out["tree"] = proof_tree(thm, obj["proof"], rules, note)
    fields = obj["node_fields"]
    ig, ie = fields.index("goal"), fields.index("expanded") if "expanded" in fields else None
    im = fields.index("minimal") if "minimal" in fields else None
    rows = obj["nodes"]
    every = len(rows) <= TEX_ALL_NODES
    tex: dict[str, str] = {}
    if thm is not None:
        for i, row in enumerate(rows):
            if every or (ie is not None and row[ie]) or (im is not None and row[im]):
                t = latex_of(row[ig], domain) if isinstance(row[ig], str) else None
                if t is not None:
                    tex[str(i)] = t
    out["tex"] = tex
    return out


def search_page(obj: dict[str, Any], rules: str | None = None, title: str | None = None) -> str:
    """The page of a saved search (:mod:`equations.agents.search_json`)."""
    n, m = len(obj["nodes"]), len(obj["edges"])
    return render("search", search_payload(obj, rules), title or f"Search: {obj['theorem']}",
                  f"saved search, {n} nodes, {m} tactics, {'proved' if obj.get('proved') else 'not proved'}")


_ROW_SKIP = frozenset(("theorem", "proof", "steps", "prefix", "goal", "hypotheses", "id", "rules_used"))


def records_payload(records: list[dict[str, Any]], total: int, rules_name: str | None = None) -> dict[str, Any]:
    """Table rows with each record's proof tree (a record that cannot be shown gets an ``error``; the others
    still show)."""
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(records):
        row: dict[str, Any] = {
            "index": i, "id": str(rec.get("id", f"#{i + 1}")), "theorem": str(rec.get("theorem")),
            "proved": bool(rec.get("proved", rec.get("proof") is not None)), "size": rec.get("proof_size"),
            "depth": rec.get("proof_depth"), "source": rec.get("generator") or rec.get("category"),
            "rules": rec.get("rules"), "rules_used": rec.get("rules_used") or [], "tree": None, "error": None,
            "meta": {k: v for k, v in rec.items() if k not in _ROW_SKIP},
        }
        try:
            tree = _record_tree(rec, rules_name)
            row["tree"] = tree if tree["root"] is not None or tree["closed"] else None
            if tree["root"] is not None:
                row["size"], row["depth"] = tree["size"], tree["depth"]
        except ViewerError as err:
            row["error"] = str(err)
        rows.append(row)
    return {"rows": rows, "total": total}


def page_for(loaded: Loaded, rules: str | None = None, title: str | None = None, live: bool = False) -> str:
    """The page of a :func:`~.load.load` result."""
    if loaded.kind == "search":
        obj = loaded.data
        payload = search_payload(obj, rules)
        n, m = len(obj["nodes"]), len(obj["edges"])
        return render("search", payload, title or f"Search: {obj['theorem']}",
                      f"{loaded.name}: saved search, {n} nodes, {m} tactics", live)
    if loaded.kind == "proof":
        rec = loaded.data
        tree = _record_tree(rec, rules)
        what = f"{tree['size']} steps, depth {tree['depth']}" if tree["root"] is not None else "no steps"
        return render("proof", tree, title or f"Proof of {tree['theorem']}",
                      f"{loaded.name}{' (' + str(rec['id']) + ')' if 'id' in rec else ''}: {what}", live)
    payload = records_payload(loaded.data, loaded.total, rules)
    what = "dataset" if loaded.kind == "dataset" else "proof records"
    return render("records", payload, title or f"{loaded.name}: {what}",
                  f"{loaded.total} records" + (f", first {len(loaded.data)} shown" if loaded.total > len(loaded.data)
                                               else ""), live)


def write_page(path: str | Path, text: str) -> Path:
    """Write a page atomically (a temporary file in the same folder, renamed into place): a browser
    reloading it, or a server serving it, never sees half a page."""
    return write_atomic(path, text)
