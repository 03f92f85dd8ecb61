"""Writing a file so that no reader ever sees half of it: a temporary file in the same folder, flushed to
disk, then renamed over the target (a rename within one file system is atomic). A crash or ``kill -9`` leaves
the old file or the new one, never a mixture, and no temporary file behind on errors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: str | bytes, mode: int = 0o644) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, with permissions ``mode`` (world-readable by
    default: ``mkstemp`` would leave 0600). Creates the parent folder. Returns the path."""
    out = Path(path)
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
