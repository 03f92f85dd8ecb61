"""``equations show``: wired into :mod:`equations.cli` by :func:`add_parser`.

    equations show INPUT --out PAGE.html [--rules R] [--limit N] [--title T]
    equations show DIR --serve [--port N]

INPUT is a proof record (``equations prove --json``), a (theorem, proof) pair, a saved search
(``--save-search``), a JSONL of proof records (``evaluate`` results, ``check`` input) or a dataset folder;
what it is is read from its content. Bad input: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Add the ``show`` subcommand to the ``equations`` command line."""
    p = subparsers.add_parser(
        "show", help="an HTML page of a proof, a saved search, proof records or a dataset; --serve: a run directory")
    p.add_argument("input", metavar="INPUT",
                   help="proof record JSON, [theorem, proof] pair, saved search, JSONL of records, dataset folder, "
                        "or with --serve a run directory")
    p.add_argument("--out", metavar="PAGE.html", help="write a self-contained page (no network needed to view it)")
    p.add_argument("--serve", action="store_true", help="browse INPUT (a folder) live on http://127.0.0.1:PORT/")
    p.add_argument("--port", type=int, default=8765, help="port of --serve (0: any free port)")
    p.add_argument("--rules", default=None,
                   help="rule set to replay proofs of records that do not name a bundled set (default: the "
                        "theorem's domain's: default, nat or int); a rule file named inside a record is only loaded "
                        "when given here")
    p.add_argument("--limit", type=int, default=2000, help="records shown from a dataset or a JSONL of records")
    p.add_argument("--title", default=None, help="page title")
    p.set_defaults(fn=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    from equations.cli import UsageError

    from .load import ViewerError, load
    from .page import page_for, write_page
    from .server import make_server

    if args.limit < 1:
        raise UsageError("--limit must be positive")
    if args.serve and args.out:
        raise UsageError("give either --out PAGE.html or --serve, not both")
    try:
        if args.serve:
            if not 0 <= args.port <= 65535:
                raise UsageError(f"--port {args.port} is not a port number (0-65535)")
            server = make_server(args.input, args.port, args.rules, args.limit, quiet=False)
            print(f"serving {Path(args.input).resolve()} at {server.url} (127.0.0.1 only; Ctrl-C stops)", flush=True)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                server.server_close()
            return 0
        if not args.out:
            raise UsageError("give --out PAGE.html (or --serve to browse a folder)")
        loaded = load(args.input, args.limit)
        page = page_for(loaded, args.rules, args.title)
        out = Path(args.out)
        if out.is_dir():
            raise UsageError(f"--out {out} is a folder: give a file name such as page.html")
        if not out.parent.is_dir():
            raise UsageError(f"--out {out}: no such folder {out.parent}")
        write_page(out, page)
    except ViewerError as err:
        raise UsageError(str(err)) from None
    except OSError as err:
        raise UsageError(f"cannot write {args.out}: {err.strerror or err}") from None
    shown = f"{len(loaded.data)} of {loaded.total} records" if loaded.kind in ("records", "dataset") else loaded.kind
    print(f"wrote {out} ({shown}, {len(page.encode('utf-8')) / 1000:.1f} kB)", file=sys.stderr)
    return 0
