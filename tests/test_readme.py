"""Every Python block of README.md runs as written (in a scratch folder that holds the data the blocks
read, made by the README's own shell commands at a small size)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.timeout(300)
@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_python_block_runs(i: int, tmp_path: Path) -> None:
    code = BLOCKS[i]
    if "gymnasium" in code:
        pytest.importorskip("gymnasium")
    if "import datasets" in code:
        pytest.importorskip("datasets")
        # the block reads the walk shards that the README's `equations generate` line writes
        subprocess.run([sys.executable, "-m", "equations.cli", "generate", "--method", "walk", "--n", "20",
                        "--steps", "4", "--out", "data/walk", "--quiet"], cwd=tmp_path, check=True,
                       capture_output=True)
    script = tmp_path / f"block{i}.py"
    script.write_text("import equations as eq\n" + code, encoding="utf-8")
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=280,
                       env=env)
    assert r.returncode == 0, f"README python block {i} failed:\n{code}\n{r.stderr[-3000:]}"
