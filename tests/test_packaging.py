"""The wheel ships every package: the declared package list covers every folder with an ``__init__.py``
or package data under the folders that are installed as ``equations.*`` (editable installs hide a missing
one)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict[str, object]:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as f:
        setuptools: dict[str, object] = tomllib.load(f)["tool"]["setuptools"]
    return setuptools


def _dotted(name: str, base: Path, folder: Path) -> str:
    return ".".join((name, *folder.relative_to(base).parts))


def _package_data(cfg: dict[str, object]) -> list[tuple[str, Path, str]]:
    """(package, its folder, glob pattern) for every pattern of pyproject's package-data."""
    package_dir: dict[str, str] = cfg["package-dir"]  # type: ignore[assignment]
    data: dict[str, list[str]] = cfg["package-data"]  # type: ignore[assignment]
    return [(package, ROOT / package_dir.get(package, package.replace(".", "/")), pattern)
            for package, patterns in data.items() for pattern in patterns]


def test_every_package_folder_is_declared() -> None:
    """Code packages (an ``__init__.py``) and data folders (holding package-data files) are both declared:
    setuptools counts a data folder with an identifier name as an importable package and warns that a
    future release will leave an undeclared one out of the wheel (a new bundled model's folder included)."""
    cfg = _config()
    package_dir: dict[str, str] = cfg["package-dir"]  # type: ignore[assignment]
    declared = set(cfg["packages"])  # type: ignore[call-overload]
    found = set()
    for name, folder in package_dir.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            found.add(_dotted(name, base, init.parent))
    assert found, "no packages found"
    for package, base, pattern in _package_data(cfg):
        found.update(_dotted(package, base, f.parent) for f in base.glob(pattern) if f.parent != base)
    assert found == declared, f"missing from pyproject's packages: {sorted(found - declared)}; " \
                              f"declared but absent: {sorted(declared - found)}"


def test_package_data_files_exist() -> None:
    for package, folder, pattern in _package_data(_config()):
        assert list(folder.glob(pattern)), f"{package}: no file matches {pattern!r}"
