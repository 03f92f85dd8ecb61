"""``equations show DIR --serve``: browse a run directory live, from the standard library's ``http.server``.

The server binds 127.0.0.1 only and answers only requests addressed to it by that name or ``localhost``
(a web page elsewhere cannot reach it through DNS rebinding). It serves:

* ``/``: the run page: the proved-fraction curve of the run's ``metrics.jsonl`` and the files it can show,
  refreshed every 5 seconds from ``/api/run``;
* ``/view?path=REL``: the page of one file or dataset folder under the directory (the same page ``--out``
  writes), rendered when asked, so proofs written while training runs show up as they land;
* ``/api/run``: the run page's data as JSON.

Nothing outside the directory is served: a path is resolved (symbolic links included) and must stay inside.
"""

from __future__ import annotations

import html
import json
import math
import os
import sys
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .load import ViewerError, dataset_shards, load
from .page import page_for, render

__all__ = ["RunServer", "make_server", "metrics_curve", "run_state", "scan"]

#: Keys of a metrics line that hold an x coordinate, by preference.
X_KEYS = ("step", "iteration", "iter", "epoch", "round", "theorems", "attempts", "expansions")
MAX_FILES = 500
MAX_POINTS = 4000
_SKIP_DIRS = frozenset((".git", ".venv", "node_modules", "__pycache__"))


def _numeric(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def metrics_curve(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The proved-fraction series of a ``metrics.jsonl``: ``({"file", "xkey", "x", "series"}, None)``, or
    ``(None, why)`` when it has none.

    A series is any numeric key naming proofs (``proved``/``solved``); fractions (a key with ``fraction``,
    ``frac``, ``rate`` or ``ratio``, e.g. ``proved_fraction``) are preferred to counts (``cumulative_proved``)
    since the two do not share an axis. Lines without any series key (the supervised trainer's loss lines)
    are skipped; cut lines (a run being written) are ignored."""
    rows: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict):
                    rows.append(rec)
    except (OSError, UnicodeDecodeError) as err:
        return None, f"cannot read {path.name}: {err}"
    keys: dict[str, None] = {}
    for rec in rows:
        for k, v in rec.items():
            low = k.lower()
            if _numeric(v) and ("proved" in low or "solved" in low):
                keys.setdefault(k)
    fractions = [k for k in keys if any(w in k.lower() for w in ("fraction", "frac", "rate", "ratio"))]
    chosen = fractions or list(keys)
    if not chosen:
        seen = sorted({k for rec in rows for k in rec})[:12]
        return None, f"{path.name} has no proved-fraction field (keys: {', '.join(seen) or 'none'})"
    used = [rec for rec in rows if any(_numeric(rec.get(k)) for k in chosen)]
    xkey = next((k for k in X_KEYS if all(_numeric(r.get(k)) for r in used)), None)
    if len(used) > MAX_POINTS:  # keep the last point: the run's current value
        stride = math.ceil(len(used) / MAX_POINTS)
        used = used[::stride] + ([used[-1]] if (len(used) - 1) % stride else [])
    x = [r[xkey] for r in used] if xkey else list(range(1, len(used) + 1))
    series = {k: [r[k] if _numeric(r.get(k)) else None for r in used] for k in chosen}
    return {"file": path.name, "xkey": xkey or "line", "x": x, "series": series}, None


def _sniff(path: Path) -> str | None:
    """What a file under a run directory is, from its first bytes (cheap enough to list hundreds of files
    every few seconds): ``"metrics"``, ``"search"``, ``"proofs"`` or ``None``."""
    if path.name == "metrics.jsonl":
        return "metrics"
    if not path.name.endswith((".json", ".jsonl", ".jsonl.gz")) or path.name.endswith(".tmp"):
        return None
    try:
        with path.open("rb") as f:
            head = f.read(65536)
    except OSError:
        return None
    if head[:2] == b"\x1f\x8b":
        return "proofs"  # gzipped JSONL (check and export read them too); the page says if it is not
    if b'"format"' in head[:200] and b"equations-search" in head[:200]:
        return "search"
    first = head.split(b"\n", 1)[0]
    try:
        rec = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        if path.suffix == ".json" and head.lstrip()[:1] in (b"{", b"["):
            return "proofs" if b'"theorem"' in head else None  # a JSON document longer than what was read
        return None
    if isinstance(rec, dict) and isinstance(rec.get("theorem"), str):
        return "proofs"
    if isinstance(rec, list) and rec and isinstance(rec[0], (str, dict)):
        return "proofs" if b'"theorem"' in head or isinstance(rec[0], str) else None
    return None


def _walk(root: Path, max_depth: int = 4) -> Iterator[tuple[Path, list[str], list[str]]]:
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        depth = len(d.relative_to(root).parts)
        dirnames[:] = sorted(n for n in dirnames if n not in _SKIP_DIRS and not n.startswith(".")
                             and depth < max_depth)
        yield d, dirnames, sorted(filenames)


def scan(root: Path) -> list[dict[str, Any]]:
    """The files (and dataset folders) of ``root`` the viewer can show, with their kind, size and time of
    last change, newest first."""
    out: list[dict[str, Any]] = []
    for d, dirnames, filenames in _walk(root):
        if d != root and dataset_shards(d):
            st = d.stat()
            out.append({"kind": "dataset", "path": d.relative_to(root).as_posix(), "size": "",
                        "mtime": st.st_mtime})
            dirnames[:] = []  # its shards are the dataset
            continue
        for name in filenames:
            p = d / name
            kind = _sniff(p)
            if kind is None:
                continue
            try:
                st = p.stat()
            except OSError:
                continue
            out.append({"kind": kind, "path": p.relative_to(root).as_posix(), "size": _size(st.st_size),
                        "mtime": st.st_mtime})
            if len(out) >= MAX_FILES:
                break
        if len(out) >= MAX_FILES:
            break
    out.sort(key=lambda f: -f["mtime"])
    return out


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB"):
        if n < 1000 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def run_state(root: Path) -> dict[str, Any]:
    """The run page's data: the files and the proved-fraction curve (the root's ``metrics.jsonl``, else the
    first one found below it)."""
    files = scan(root)
    metrics_path = root / "metrics.jsonl"
    if not metrics_path.is_file():
        found = [f for f in files if f["kind"] == "metrics"]
        metrics_path = root / found[0]["path"] if found else metrics_path
    curve, note = metrics_curve(metrics_path) if metrics_path.is_file() else (None, "no metrics.jsonl yet")
    if curve is not None:
        curve["file"] = metrics_path.relative_to(root).as_posix()
    return {"root": root.name, "files": files, "metrics": curve, "metrics_note": note}


class RunServer(ThreadingHTTPServer):
    """The loopback server of one run directory."""

    daemon_threads = True

    def __init__(self, root: Path, port: int, rules: str | None = None, limit: int = 2000, quiet: bool = True):
        self.root = root.resolve()
        self.rules = rules
        self.limit = limit
        self.quiet = quiet
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: RunServer
    server_version = "equations-viewer"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _send(self, status: int, body: str, ctype: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: HTTPStatus, message: str) -> None:
        text = html.escape(message)
        self._send(status, f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{status.value} '
                           f'{status.phrase}</title></head><body><h1>{status.value} {status.phrase}</h1><p '
                           f'id="error">{text}</p><p><a href="/">run directory</a></p></body></html>\n')

    def _host_ok(self) -> bool:
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").lower()
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._host_ok():
            self._send(HTTPStatus.FORBIDDEN, "forbidden: this server answers only 127.0.0.1 and localhost\n",
                       "text/plain; charset=utf-8")
            return
        url = urlsplit(self.path)
        srv = self.server
        try:
            if url.path == "/":
                state = run_state(srv.root)
                self._send(HTTPStatus.OK, render("run", state, f"Run: {srv.root.name}", str(srv.root), live=True))
            elif url.path == "/api/run":
                self._send(HTTPStatus.OK, json.dumps(run_state(srv.root)), "application/json")
            elif url.path == "/view":
                rel = parse_qs(url.query).get("path", [""])[0]
                target = (srv.root / rel).resolve()
                if target != srv.root and srv.root not in target.parents:
                    self._error(HTTPStatus.FORBIDDEN, f"{rel}: outside the run directory")
                    return
                if not target.exists():
                    self._error(HTTPStatus.NOT_FOUND, f"{rel}: no such file")
                    return
                self._send(HTTPStatus.OK, page_for(load(target, srv.limit), srv.rules, live=True))
            else:
                self._error(HTTPStatus.NOT_FOUND, f"{url.path}: not a page of this server")
        except ViewerError as err:
            self._error(HTTPStatus.BAD_REQUEST, str(err))
        except (BrokenPipeError, ConnectionResetError):
            pass


def make_server(root: str | Path, port: int = 8765, rules: str | None = None, limit: int = 2000,
                quiet: bool = True) -> RunServer:
    """A :class:`RunServer` for ``root`` on 127.0.0.1 (``port`` 0: any free port; see ``.url``). Call
    ``serve_forever()``; ``shutdown()`` from another thread stops it."""
    path = Path(root)
    if not path.is_dir():
        raise ViewerError(f"{path}: not a folder (--serve browses a run directory; use --out for a file)")
    try:
        return RunServer(path, port, rules, limit, quiet)
    except OSError as err:
        raise ViewerError(f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}") from None
