"""Writing a file so that no reader ever sees half of it: a temporary file in the same folder, flushed to
disk, then renamed over the target (a rename within one file system is atomic). A crash or ``kill -9`` leaves
the old file or the new one, never a mixture, and no temporary file behind on errors.

Three shapes of the one mechanism: :func:`write_atomic` (the whole content at once), :class:`AtomicWriter`
(streamed text, renamed into place on :meth:`~AtomicWriter.commit`; dataset shards) and :func:`atomic_target`
(a temporary path another library writes, e.g. pyarrow's Parquet writer). Temporary names are
``.NAME.*.tmp`` beside the target, so a resumed job can sweep what an interrupted one left."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: the permissions of a file the user creates normally (``mkstemp`` alone would leave 0600)
USER_MODE = 0o666 & ~_umask()


def _temporary(out: Path) -> tuple[int, Path]:
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp")
    return fd, Path(tmp)


def _publish(tmp: Path, out: Path, mode: int) -> None:
    os.chmod(tmp, mode)
    os.replace(tmp, out)


class AtomicWriter:
    """A text file written to a temporary name beside ``path`` and renamed into place by :meth:`commit`
    (fsynced first); :meth:`abort` removes it. As a context manager it commits on success and aborts on an
    exception. ``mode``: the final permissions (default: those of a file the user creates normally)."""

    def __init__(self, path: str | Path, mode: int | None = None):
        self.path = Path(path)
        self.mode = USER_MODE if mode is None else mode
        fd, self.tmp = _temporary(self.path)
        self.f: IO[str] = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, text: str) -> None:
        self.f.write(text)

    def commit(self) -> None:
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()
        _publish(self.tmp, self.path, self.mode)

    def abort(self) -> None:
        if not self.f.closed:
            self.f.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


@contextmanager
def atomic_target(path: str | Path, mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that wants a file name; when the block ends normally
    the file is fsynced and renamed over ``path``, on an exception it is removed."""
    out = Path(path)
    fd, tmp = _temporary(out)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        _publish(tmp, out, USER_MODE if mode is None else mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: str | bytes, mode: int = 0o644) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, with permissions ``mode`` (world-readable by
    default). Creates the parent folder. Returns the path."""
    out = Path(path)
    fd, tmp = _temporary(out)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        _publish(tmp, out, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
