"""One pinned Mathlib commit: the constant, the Lake project an export writes, the README, the committed name
table the templates are checked against, and the script that validates them (run here on a small git
repository written in Mathlib's style, since Mathlib itself is not fetched by the tests)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from equations.exporters.common import ExportItem
from equations.exporters.lean import (
    MATHLIB_PIN,
    lakefile_text,
    mathlib_names,
    pinned_names,
    template_entries,
    write_lean,
)

import equations as eq

ROOT = Path(__file__).resolve().parent.parent


def test_the_pin_is_one_commit_with_its_toolchain() -> None:
    assert re.fullmatch(r"[0-9a-f]{40}", MATHLIB_PIN.commit)
    assert re.fullmatch(r"leanprover/lean4:v\d+\.\d+\.\d+(-rc\d+)?", MATHLIB_PIN.toolchain)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", MATHLIB_PIN.date)


def test_export_writes_a_lake_project_on_the_pin(tmp_path: Path) -> None:
    item = ExportItem("a", eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"]))
    write_lean([item], tmp_path, eq.load_rules("default"))
    assert (tmp_path / "lean-toolchain").read_text(encoding="utf-8") == MATHLIB_PIN.toolchain + "\n"
    lakefile = (tmp_path / "lakefile.toml").read_text(encoding="utf-8")
    assert lakefile == lakefile_text(["EquationsDefault0000"])
    assert '[[require]]\nname = "mathlib"\ngit = "https://github.com/leanprover-community/mathlib4"\n' \
           f'rev = "{MATHLIB_PIN.commit}"\n' in lakefile
    assert '[[lean_lib]]\nname = "EquationsExport"\nroots = ["EquationsDefault0000"]\n' in lakefile
    assert 'defaultTargets = ["EquationsExport"]' in lakefile


def test_readme_states_the_pin() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Lean 4**"):readme.index("## Proof search")]
    assert MATHLIB_PIN.commit in section and MATHLIB_PIN.toolchain in section and MATHLIB_PIN.date in section
    assert "lake exe cache get && lake build" in section


def test_every_name_the_exporter_writes_is_in_the_pinned_table() -> None:
    table = pinned_names()
    header = (ROOT / "exporters/data/lean/mathlib_names.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert MATHLIB_PIN.commit in header and MATHLIB_PIN.toolchain in header
    wanted = mathlib_names()
    assert {"Eq.mpr", "congrArg", "Real.rpow_ofNat", "add_lt_add_of_lt_of_le"} <= set(wanted)
    missing = sorted(n for n in wanted if n not in table)
    assert missing == []
    for name, info in table.items():
        assert info.status in ("mathlib", "core"), name
        if info.status == "mathlib":
            assert info.path.startswith("Mathlib/") and info.path.endswith(".lean") and info.line > 0, name
    # every template entry names only constants of the table
    assert all(set(names) <= set(table) for _, names in template_entries())


# -- the validation script ---------------------------------------------------------------------------------


def _script() -> ModuleType:
    path = ROOT / "scripts" / "validate_lean_templates.py"
    spec = importlib.util.spec_from_file_location("validate_lean_templates", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["validate_lean_templates"] = module
    spec.loader.exec_module(module)
    return module


FIXTURE = """\
import Mathlib.Init

/-! A file in Mathlib's style. -/

variable {α : Type*} [CommGroup α] {a b c : α}

namespace Real

/-- The exponential. -/
@[pp_nodot]
noncomputable def exp (x : ℝ) : ℝ := x

variable (x y : ℝ)

theorem exp_add : exp (x + y) = exp x * exp y := sorry

end Real

@[to_additive (attr := simp) sub_le_sub_right]
theorem div_le_div_right' (h : a ≤ b) (c : α) : a / c ≤ b / c := sorry

@[to_additive]
theorem mul_comm' : ∀ a b : α, a * b = b * a := sorry

variable (a b c)

theorem div_div : a / b / c = a / (b * c) := sorry

@[deprecated (since := "2025-01-01")]
alias old_name := div_div

@[to_dual ne_of_gt]
lemma ne_of_lt (h : a < b) : a ≠ b := sorry

lemma uses_core : True := Nat.sub_add_cancel (le_refl 0) ▸ trivial
"""


@pytest.fixture(scope="module")
def mathlib_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("mathlib")
    (repo / "Mathlib").mkdir()
    (repo / "Mathlib" / "Fixture.lean").write_text(FIXTURE, encoding="utf-8")
    (repo / "lean-toolchain").write_text("leanprover/lean4:v4.0.0\n", encoding="utf-8")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                       capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "fixture")
    return repo


def test_script_finds_declarations_with_their_positions(mathlib_repo: Path) -> None:
    v = _script()
    tree = v.Tree(mathlib_repo, "HEAD")
    decls = v.scan(tree.files())
    assert tree.toolchain() == "leanprover/lean4:v4.0.0"
    assert decls.where["Real.exp_add"] == ("Mathlib/Fixture.lean", 15, 9)
    assert decls.where["Real.exp"][:2] == ("Mathlib/Fixture.lean", 11)
    # names made by @[to_additive] (explicit or by the dictionary) and @[to_dual] sit at the source declaration
    assert decls.where["sub_le_sub_right"] == ("Mathlib/Fixture.lean", 20, 9)
    assert decls.where["add_comm'"][1] == 23
    assert decls.where["ne_of_gt"][1] == 33
    result = v.validate(decls, ["Real.exp_add", "sub_le_sub_right", "old_name", "Nat.sub_add_cancel", "no_such"])
    assert set(result.found) == {"Real.exp_add", "sub_le_sub_right", "old_name"}
    assert result.deprecated == ["old_name"]
    assert result.core == ["Nat.sub_add_cancel"]  # not declared here, but used under its full name
    assert result.missing == ["no_such"]


def test_script_counts_explicit_arguments(mathlib_repo: Path) -> None:
    v = _script()
    decls = v.scan(v.Tree(mathlib_repo, "HEAD").files())
    assert v.explicit_arity(decls, "Real.exp_add") == 2  # `variable (x y : ℝ)`
    assert v.explicit_arity(decls, "sub_le_sub_right") == 2  # h and c
    assert v.explicit_arity(decls, "mul_comm'") == 2  # ∀ a b
    assert v.explicit_arity(decls, "div_div") == 3  # after `variable (a b c)`
    report = v.arity_report(decls, [("t:1", "div_div {A} {B}"), ("t:2", "Real.exp_add {A} {B}"),
                                    ("t:3", "(sub_le_sub_right {h1} {C}).trans {h2}")])
    assert len(report) == 1 and "t:1" in report[0] and "div_div takes 3" in report[0]


def test_script_table_round_trips(mathlib_repo: Path, tmp_path: Path) -> None:
    v = _script()
    decls = v.scan(v.Tree(mathlib_repo, "HEAD").files())
    result = v.validate(decls, ["Real.exp_add", "Nat.sub_add_cancel"])
    text = v.table_text(result, "abc", "2026-01-01", "leanprover/lean4:v4.0.0")
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    assert rows == [["Real.exp_add", "mathlib", "Mathlib/Fixture.lean", "15", "9"],
                    ["Nat.sub_add_cancel", "core", "", "", ""]]
