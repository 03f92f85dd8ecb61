#!/usr/bin/env bash
# Build the wheel, install it with [rl] into a fresh venv outside the checkout, and use it as a new user
# would: import, gym.make, the core commands, a generated dataset exported to Coq and compiled with coqc
# (the installed package's own data files). Editable installs hide packages or data missing from the wheel.
# Usage: scripts/wheel_smoke.sh [PYTHON]   (coqc must be on PATH: `make coq`)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "wheel smoke test in $WORK"
"$PY" -m pip wheel -q --no-deps -w "$WORK/dist" "$ROOT"
WHEEL="$(ls "$WORK"/dist/equations-*.whl)"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --upgrade pip
"$WORK/venv/bin/python" -m pip install -q "$WHEEL[rl]"
cd "$WORK"  # nothing of the checkout is importable from here
BIN="$WORK/venv/bin"
"$BIN/python" - <<'PY'
import gymnasium as gym
import equations as eq

assert "site-packages" in eq.__file__, eq.__file__
import equations.expr

assert equations.expr.NATIVE, "the wheel has no native node type (equations/_native.c was not built)"
env = gym.make("equations/Equations-v0")
obs, info = env.reset(seed=0)
obs, reward, terminated, truncated, info = env.step(0)
thm = eq.parse("x + 0 == x")
assert eq.check_proof(thm, eq.Proof.chain(["add_zero -> 1"]), eq.load_rules("default"))
import importlib.resources as resources

for name in ("default", "paper"):  # one bundled model per rule set
    model = resources.files("equations.agents") / "data" / "models" / name
    assert (model / "model.safetensors").is_file() and (model / "config.json").is_file(), f"bundled model {name} missing"
print("import, gym.make, step, check_proof, bundled model files: ok")
PY
"$BIN/equations" --help >/dev/null
"$BIN/equations" rules | tail -n 3
"$BIN/equations" identities --category trig 2>/dev/null | head -n 2
"$BIN/equations" generate --method walk --n 6 --steps 3 --out data --quiet --seed 1
"$BIN/equations" check data/data/shard-00000.jsonl | tail -n 2
"$BIN/equations" export --to coq data coq --check --quiet | tail -n 3
echo "wheel smoke test passed"
