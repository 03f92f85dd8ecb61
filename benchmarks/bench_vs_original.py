"""Side-by-side speed of our core and of the original Equations environment (issue #16).

Why: the paper's environment (facebookresearch/Evariste, ``formal/evariste/envs/eq``) is the reference
implementation; this script measures the same logical operations on both, on the same statements, so
that "how many times faster" claims rest on a measurement rather than on a guess.

The original is NOT vendored (its licence is non-commercial): build a scratch copy outside this
repository and point ``--original`` at its ``formal`` folder (see ``SCRATCH_HELP`` below, printed when
``--original`` is missing)::

    python benchmarks/bench_vs_original.py --original /work/scratch/evariste/formal \\
        --original-python /work/scratch/venv-orig/bin/python [--rounds 3] [--n 197] [--walks N] [--json out.json]

Workload: statements of the Identities set (``equations.identities``) that both sides parse, whose
original parse is exactly the expected tree and which both sides print and re-read in prefix; ``--n`` of
them, picked by a stable hash of their ids. Variables are renamed to single letters that are not rule
variables of the original (x y z t ...); the original's prefix language only knows ``x0..x9``, so its trees
are renamed to those after the infix parse (outside the timers). Our text is our own infix; the
original's is the same statement in its infix dialect (``pow2(A)`` for ``A**2``, ``inv(A)`` for
``A**-1``, ``PI``, fully parenthesised).

Rules: our ``paper`` rule set restricted to transformation rules (kinds ``rewrite`` and ``arith``) against
the original's ``ALL_RULES["default"]`` restricted to its transformation rules (``TRule``); both counts are
reported. The walks use each side's full library (they need assertions for side conditions).

Each side runs in its own worker process (this script with ``--worker ours|original``), pinned to one
core, numerical libraries single-threaded, timed with ``time.process_time()``; a round runs ours then
the original in fresh processes. Every operation is timed over the whole workload ``--passes`` times
and the best pass is kept. "Cold" for ours: before each pass every result cache is cleared (the node
string slots ``_prefix``/``_infix``, ``_vars``, ``_memo`` on every live node, the infix and prefix parse
memos, the rule index's per-signature candidate memo), interning kept; the parse rows run with no tree
of the workload alive. The original is cold by construction: every pass gets freshly parsed trees.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SCRATCH_HELP = """\
--original is required: the path of the 'formal' folder of a scratch copy of facebookresearch/Evariste.
Build it OUTSIDE this repository (the original is under a non-commercial licence; never copy it here):

  G=<git dir of a clone of facebookresearch/Evariste>
  mkdir -p /work/scratch/evariste && cd /work/scratch/evariste
  git --git-dir=$G archive HEAD formal/evariste/__init__.py formal/evariste/envs/__init__.py \\
      formal/evariste/envs/eq formal/evariste/json.py formal/evariste/clusters | tar -x
  # tiny stubs (the eq env only needs names from these heavy modules):
  #   formal/params/__init__.py              class Params: pass
  #   formal/evariste/utils.py               MyTimeoutError + a SIGALRM timeout(seconds) decorator
  #   formal/evariste/backward/__init__.py, backward/env/__init__.py, backward/env/equations/__init__.py
  #   formal/evariste/backward/env/equations/graph.py   empty classes EQTactic EQTheorem EQRuleTactic
  #                                                     EQSimpTactic EQNormNumTactic
  python3.11 -m venv /work/scratch/venv-orig && /work/scratch/venv-orig/bin/pip install numpy sympy numexpr

then: python benchmarks/bench_vs_original.py --original /work/scratch/evariste/formal \\
          --original-python /work/scratch/venv-orig/bin/python
"""

LETTERS = "xyztuvwsrq"  # single letters: the original's infix parser takes only those; none is a rule variable
ORIG_UNARY = "neg,exp,ln,sqrt,abs,inv,sin,cos,tan,pow2,sinh,cosh,tanh,atan"  # ~ our walk's REAL_UNARY
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "NUMEXPR_MAX_THREADS")

# rows: key, label, what "one operation" is
ROWS: tuple[tuple[str, str, str], ...] = (
    ("infix_parse", "a. infix parse (cold)", "statement"),
    ("prefix_print", "b. prefix print (cold)", "goal"),
    ("prefix_print_cached", "b'. prefix print (cached)", "goal"),
    ("prefix_parse", "c. prefix parse (cold)", "goal"),
    ("apply", "d. apply one tactic", "application"),
    ("triples", "e. enumerate (rule,dir,pos)", "goal"),
    ("applicable", "e'. all applicable tactics", "goal"),
    ("walk", "f. 10-step walk+check+write", "walk"),
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {0})
        except OSError:
            pass


def collect() -> None:
    gc.collect()


def best_pass(fn: Callable[[], int], passes: int, before: Callable[[], None] | None = None) -> tuple[float, int]:
    """Run ``fn`` (which returns its operation count) ``passes`` times; best process time and the count."""
    best = float("inf")
    count = 0
    for _ in range(passes):
        if before is not None:
            before()
        t0 = time.process_time()
        count = fn()
        dt = time.process_time() - t0
        best = min(best, dt)
    return best, count


# --------------------------------------------------------------------------------------------------------
# workload (driver side, our environment)


def _orig_infix(e: Any, names: dict[str, str]) -> str:
    """Our expression as text for the original's infix parser (fully parenthesised)."""
    op, args = e.op, e.args
    if op == "int":
        v = int(e.value)
        return str(v) if v >= 0 else f"({v})"
    if op == "var":
        return names[e.value]
    if op == "pi":
        return "PI"
    if op == "neg":
        return f"(-({_orig_infix(args[0], names)}))"
    if op == "pow":
        base, ex = args
        if ex.op == "int" and ex.value == 2:
            return f"pow2({_orig_infix(base, names)})"
        if (ex.op == "int" and ex.value == -1) or (ex.op == "neg" and ex.args[0].op == "int" and ex.args[0].value == 1):
            return f"inv({_orig_infix(base, names)})"
        return f"({_orig_infix(base, names)} ** {_orig_infix(ex, names)})"
    if len(args) == 1:
        return f"{op}({_orig_infix(args[0], names)})"
    sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "eq": "==", "ne": "!=", "lt": "<", "le": "<=",
           "gt": ">", "ge": ">="}[op]
    return f"({_orig_infix(args[0], names)} {sym} {_orig_infix(args[1], names)})"


def _orig_prefix(e: Any, names: dict[str, str]) -> list[str]:
    """The prefix tokens the original should print for its parse of ``_orig_infix(e)`` (a sanity check)."""
    op, args = e.op, e.args
    if op == "int":
        v = int(e.value)
        return ["+" if v >= 0 else "-", *str(abs(v))]
    if op == "var":
        return [names[e.value]]
    if op == "pi":
        return ["PI"]
    if op == "pow":
        base, ex = args
        if ex.op == "int" and ex.value == 2:
            return ["pow2", *_orig_prefix(base, names)]
        if (ex.op == "int" and ex.value == -1) or (ex.op == "neg" and ex.args[0].op == "int" and ex.args[0].value == 1):
            return ["inv", *_orig_prefix(base, names)]
        return ["**", *_orig_prefix(base, names), *_orig_prefix(ex, names)]
    if op in ("gt", "ge"):  # the original reads a > b as b < a
        return ["<" if op == "gt" else "<=", *_orig_prefix(args[1], names), *_orig_prefix(args[0], names)]
    cmp = {"eq": "==", "ne": "!=", "lt": "<", "le": "<="}
    out = [cmp.get(op, op)]
    for a in args:
        out += _orig_prefix(a, names)
    return out


SUPPORTED = frozenset(("int", "var", "pi", "neg", "add", "sub", "mul", "div", "pow", "eq", "ne", "lt", "le", "gt",
                       "ge", "exp", "ln", "sqrt", "abs", "inv", "sin", "cos", "tan", "asin", "acos", "atan",
                       "sinh", "cosh", "tanh", "asinh", "acosh", "atanh"))


def _ops(e: Any) -> Iterator[str]:
    yield e.op
    for a in e.args:
        yield from _ops(a)


def candidates() -> list[dict[str, Any]]:
    """Every Identities statement over the reals with operators both sides have, with both texts."""
    import equations as eq

    identities = importlib.import_module("equations.identities")
    out: list[dict[str, Any]] = []
    for it in identities.load():
        thm = it.theorem
        roots = (thm.goal, *thm.hyps)
        if thm.domain != "real" or not all(op in SUPPORTED for r in roots for op in _ops(r)):
            continue
        vs = sorted(thm.variables())
        if len(vs) > len(LETTERS):
            continue
        names = dict(zip(vs, LETTERS, strict=False))
        # rename through prefix tokens (a variable token is its name)
        ren = [eq.parse_prefix(" ".join(names.get(t, t) for t in eq.to_prefix(r).split())) for r in roots]
        ours = eq.to_infix(ren[0]) + ("" if len(ren) == 1 else " | " + "; ".join(eq.to_infix(h) for h in ren[1:]))
        if eq.parse(ours) != eq.Theorem(ren[0], tuple(ren[1:]), "real"):
            continue
        ident = {v: v for v in names.values()}
        orig = [_orig_infix(r, ident) for r in ren]
        out.append({
            "id": it.id,
            "ours": ours,
            "orig": orig[0] + ("" if len(orig) == 1 else " | " + "; ".join(orig[1:])),
            "orig_prefix": [" ".join(_orig_prefix(r, ident)) for r in ren],
            "vars": sorted(names.values()),
        })
    return out


# --------------------------------------------------------------------------------------------------------
# worker: ours


def worker_ours(work: dict[str, Any], passes: int, walks: int, seed: int, tmp: str) -> dict[str, Any]:
    import equations as eq
    ex = importlib.import_module("equations.expr")
    ps = importlib.import_module("equations.parse")  # the module: ``equations.parse`` is also a function
    tc = importlib.import_module("equations.tactics")
    RandomWalkGenerator = importlib.import_module("equations.generators").RandomWalkGenerator
    ds = importlib.import_module("equations.generators.dataset")

    texts: list[str] = [s["ours"] for s in work["statements"]]
    full = eq.load_rules("paper")
    trules = eq.RuleSet("paper-transform", full.domain, [r for r in full.rules.values() if r.is_transformation])
    res: dict[str, Any] = {"rules": {"paper": len(full.rules), "transformation": len(trules.rules),
                                     "transformation_kinds": sorted({r.kind for r in trules.rules.values()})}}
    setter = object.__setattr__
    slots = [s for s in ("_prefix", "_infix", "_vars", "_memo") if s in getattr(ex.Expr, "__slots__", ())
             or hasattr(ex.Expr, s)]

    def clear() -> None:
        for e in ex.live_nodes():
            for s in slots:
                setter(e, s, None)
        for caches in (getattr(ps, "_theorem_cache", {}), getattr(ps, "_prefix_cache", {})):
            for c in caches.values():
                c.clear()
        for rs in (trules, full):
            by_sig = getattr(rs, "_by_sig", None)
            if by_sig is not None:
                by_sig.clear()

    live: list[int] = []

    def cold_nothing_alive() -> None:
        clear()
        gc.collect()
        live.append(ex.intern_table_size())  # interned nodes alive before the pass (rules, leaves, nothing else)

    def rec(key: str, secs: float, count: int, **extra: Any) -> None:
        res[key] = {"seconds": secs, "count": count, "per_op": secs / max(count, 1), **extra}
        log(f"  ours {key}: {secs:.4f}s / {count} = {secs / max(count, 1) * 1e6:.2f} us")

    # a. infix parse, nothing of the workload alive
    res["live_nodes_idle"] = ex.intern_table_size()

    def op_a() -> int:
        out = [eq.parse(t) for t in texts]
        n = len(out)
        del out
        return n

    secs, n = best_pass(op_a, passes, cold_nothing_alive)
    rec("infix_parse", secs, n, live_nodes_before=max(live))

    thms = [eq.parse(t) for t in texts]

    # b. prefix print
    def op_b() -> int:
        return len([eq.to_prefix(t.goal) for t in thms])

    secs, n = best_pass(op_b, passes, clear)
    rec("prefix_print", secs, n)
    secs, n = best_pass(op_b, passes)
    rec("prefix_print_cached", secs, n)

    # c. prefix parse, nothing of the workload alive
    ptexts = [eq.to_prefix(t.goal) for t in thms]
    del thms
    gc.collect()

    def op_c() -> int:
        out = [eq.parse_prefix(p) for p in ptexts]
        n = len(out)
        del out
        return n

    live.clear()
    secs, n = best_pass(op_c, passes, cold_nothing_alive)
    rec("prefix_parse", secs, n, live_nodes_before=max(live))

    thms = [eq.parse(t) for t in texts]
    # d. apply one tactic: every (rule, direction, position) of a rule without free variables there
    apps: list[tuple[Any, Any]] = []
    rejected = 0
    for t in thms:
        for rule, d, pos in eq.applicable_triples(t, trules):
            if rule.free_variables(d):
                continue
            tac = eq.Tactic(rule.id, d, pos if d is not None else None)
            try:
                eq.apply(t, tac, trules)
            except tc.InvalidTactic:
                rejected += 1
                continue
            apps.append((t, tac))

    def op_d() -> int:
        for t, tac in apps:
            eq.apply(t, tac, trules)
        return len(apps)

    secs, n = best_pass(op_d, passes, clear)
    rec("apply", secs, n, rejected=rejected)

    # e. enumeration
    counts: list[int] = []

    def op_e1() -> int:
        counts[:] = [len(eq.applicable_triples(t, trules)) for t in thms]
        return len(thms)

    secs, n = best_pass(op_e1, passes, clear)
    rec("triples", secs, n, items=sum(counts))

    def op_e2() -> int:
        counts[:] = [len(eq.applicable(t, trules)) for t in thms]
        return len(thms)

    secs, n = best_pass(op_e2, passes, clear)
    rec("applicable", secs, n, items=sum(counts))

    # f. random walks: generated, proof checked, written as JSON lines
    line = getattr(ds, "_jsonl_line", None)
    best = float("inf")
    produced = 0
    for p in range(max(1, passes - 1)):
        gen = RandomWalkGenerator("paper", steps=10)
        clear()
        path = Path(tmp) / f"ours-walks-{p}.jsonl"
        t0 = time.process_time()
        produced = 0
        with path.open("w") as fh:
            for g in gen.generate(walks, seed=seed + p):
                eq.check_proof(g.theorem, g.proof, gen.rules)
                r = ds.to_record(g, gen.rules, "paper")
                fh.write(line(r) if line is not None else json.dumps(r) + "\n")
                produced += 1
        best = min(best, time.process_time() - t0)
    rec("walk", best, produced, rejected_attempts=gen.stats.attempted - produced)
    return res


# --------------------------------------------------------------------------------------------------------
# worker: the original


def worker_original(work: dict[str, Any], original: str, passes: int, walks: int, seed: int, tmp: str,
                    check: bool) -> dict[str, Any]:
    import contextlib

    sys.path.insert(0, original)
    with contextlib.redirect_stdout(sys.stderr):  # rules_lib prints a notice on import
        from evariste.envs.eq.env import EquationEnv, EquationsEnvArgs  # type: ignore[import-not-found]
        from evariste.envs.eq.generation import EquationGraphGenerator  # type: ignore[import-not-found]
        from evariste.envs.eq.graph import Node, VNode  # type: ignore[import-not-found]
        from evariste.envs.eq.rules import TRule  # type: ignore[import-not-found]
        from evariste.envs.eq.rules_lib import ALL_RULES  # type: ignore[import-not-found]
        from evariste.envs.eq.utils import infix_to_node  # type: ignore[import-not-found]

    stmts = work["statements"]

    def parse_text(text: str) -> tuple[Any, list[Any]]:
        goal, _, hyps = text.partition("|")
        return infix_to_node(goal), [infix_to_node(h) for h in hyps.split(";")] if hyps.strip() else []

    def renamed(node: Any, vs: list[str]) -> Any:
        return node.set_vars({v: VNode(f"x{i}") for i, v in enumerate(vs)}, mandatory=False)

    if check:  # which statements this side reads exactly as intended
        ok: list[str] = []
        with contextlib.redirect_stdout(sys.stderr):
            for s in stmts:
                try:
                    g, hs = parse_text(s["orig"])
                    got = [n.prefix() for n in (g, *hs)]
                    if got != s["orig_prefix"]:
                        continue
                    r = renamed(g, s["vars"])
                    if not Node.from_prefix_tokens(r.prefix().split()).eq(r):
                        continue
                except Exception:  # a statement the original cannot read is simply left out
                    continue
                ok.append(s["id"])
        return {"ok": ok}

    default = ALL_RULES["default"]
    trules = [r for r in default if isinstance(r, TRule)]
    res: dict[str, Any] = {"rules": {"default": len(default), "transformation": len(trules),
                                     "transformation_arith": sum(r.arithmetic for r in trules)}}
    texts = [s["orig"] for s in stmts]
    env_args = EquationsEnvArgs(vtype="real", unary_ops_str=ORIG_UNARY, binary_ops_str="add,sub,mul,div",
                                comp_ops_str="==,!=,<=,<", n_vars=3, leaf_probs_str="0.5,0.5,0")
    env = EquationEnv.build(env_args, seed=seed)

    def fresh_goals() -> list[Any]:
        return [renamed(infix_to_node(s["orig"].partition("|")[0]), s["vars"]) for s in stmts]

    def rec(key: str, secs: float, count: int, **extra: Any) -> None:
        res[key] = {"seconds": secs, "count": count, "per_op": secs / max(count, 1), **extra}
        log(f"  orig {key}: {secs:.4f}s / {count} = {secs / max(count, 1) * 1e6:.2f} us")

    def op_a() -> int:
        return len([parse_text(t) for t in texts])

    secs, n = best_pass(op_a, passes, collect)
    rec("infix_parse", secs, n)

    holder: dict[str, list[Any]] = {}

    def refresh() -> None:
        holder["g"] = fresh_goals()
        gc.collect()

    def op_b() -> int:
        return len([g.prefix() for g in holder["g"]])

    secs, n = best_pass(op_b, passes, refresh)
    rec("prefix_print", secs, n)
    secs, n = best_pass(op_b, passes)
    rec("prefix_print_cached", secs, n)

    ptexts = [g.prefix() for g in fresh_goals()]
    holder.clear()

    def op_c() -> int:
        return len([Node.from_prefix_tokens(p.split()) for p in ptexts])

    secs, n = best_pass(op_c, passes, collect)
    rec("prefix_parse", secs, n)

    # d. the same kind of applications: rule directions with no variable to invent (arithmetic rules compute
    # theirs), at every position where the source pattern matches
    goals = fresh_goals()
    apps: list[tuple[int, Any, bool, int]] = []
    rejected = 0
    for i, g in enumerate(goals):
        for r in trules:
            for fwd in (True, False):
                src, tgt = (r.l_vars, r.r_vars) if fwd else (r.r_vars, r.l_vars)
                if (tgt | r.h_vars) - src and not r.arithmetic:
                    continue
                for pos, _ in r.eligible(g, fwd):
                    try:
                        env.apply_t_rule(g, r, fwd, pos, to_fill={})
                    except Exception:  # e.g. an arithmetic rule whose result is not an integer
                        rejected += 1
                        continue
                    apps.append((i, r, fwd, pos))

    def op_d() -> int:
        gs = holder["g"]
        for i, r, fwd, pos in apps:
            env.apply_t_rule(gs[i], r, fwd, pos, to_fill={})
        return len(apps)

    secs, n = best_pass(op_d, passes, refresh)
    rec("apply", secs, n, rejected=rejected)

    # e. what its random walk / graph generator enumerates: TRule.eligible for every rule and direction
    counts: list[int] = []

    def op_e1() -> int:
        counts[:] = [sum(len(r.eligible(g, fwd)) for r in trules for fwd in (True, False)) for g in holder["g"]]
        return len(counts)

    secs, n = best_pass(op_e1, passes, refresh)
    rec("triples", secs, n, items=sum(counts))
    res["applicable"] = {**res["triples"], "note": "same as triples (no substitution enumeration)"}

    # f. random walks (EquationGraphGenerator.random_walk), replayed step by step, written as JSON lines
    best = float("inf")
    produced = 0
    failed = 0
    for p in range(max(1, passes - 1)):
        wenv = EquationEnv.build(env_args, seed=seed + p)
        gen = EquationGraphGenerator(wenv, rules=default, hyp_max_ops=3, bias_rules=1.0)
        path = Path(tmp) / f"orig-walks-{p}.jsonl"
        gc.collect()
        t0 = time.process_time()
        produced = failed = 0
        with path.open("w") as fh:
            while produced < walks:
                try:
                    w = gen.random_walk(bidirectional=produced % 4 == 0, n_steps=10, n_init_ops=4,
                                        max_created_hyps=3, prob_add_hyp=0.5, op_values=["=="])
                    steps = w["steps"]
                    eqn = steps[0]["eq"]
                    for st in steps[1:]:  # the check: replay every step and compare
                        out = wenv.apply_t_rule(eqn, st["rule"], st["fwd"], st["prefix_pos"], to_fill=st["to_fill"])
                        if not out["eq"].eq(st["eq"]):
                            raise RuntimeError("replay mismatch")
                        eqn = out["eq"]
                except Exception:  # count and retry, as a generator would
                    failed += 1
                    continue
                record = {
                    "start": w["start"].prefix(), "end": w["end"].prefix(), "init": w["init_eq"].prefix(),
                    "hyps": [h.prefix() for h in w["hyps"]],
                    "steps": [{"rule": st["rule"].name, "fwd": st["fwd"], "pos": st["prefix_pos"],
                               "eq": st["eq"].prefix(), "hyps": [h.prefix() for h in st["hyps"]]}
                              for st in steps[1:]],
                }
                fh.write(json.dumps(record) + "\n")
                produced += 1
        best = min(best, time.process_time() - t0)
    rec("walk", best, produced, failed=failed)
    return res


# --------------------------------------------------------------------------------------------------------
# driver


def run_worker(side: str, python: str, args: argparse.Namespace, work_path: str, tmp: str,
               check: bool = False) -> dict[str, Any]:
    out = Path(tmp) / f"{side}-{time.monotonic_ns()}.json"
    cmd = [python, str(Path(__file__).resolve()), "--worker", side, "--work", work_path, "--out", str(out),
           "--passes", str(args.passes), "--walks", str(args.walks), "--seed", str(args.seed), "--tmp", tmp]
    if side == "original":
        cmd += ["--original", args.original]
    if check:
        cmd.append("--check")
    env = {**os.environ, **dict.fromkeys(THREAD_ENV, "1")}
    if side == "ours":
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run(cmd, check=True, env=env)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def fmt(x: float) -> str:
    return f"{x * 1e6:10.2f} us" if x < 1e-2 else f"{x * 1e3:10.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--original", help="the 'formal' folder of a scratch copy of facebookresearch/Evariste")
    ap.add_argument("--original-python", default=sys.executable, help="interpreter with numpy, sympy, numexpr")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=197, help="statements in the workload")
    ap.add_argument("--walks", type=int, default=None, help="random walks per pass (row f; default: --n)")
    ap.add_argument("--passes", type=int, default=3, help="timed passes per operation (best kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="save the results here")
    ap.add_argument("--worker", choices=("ours", "original"), help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    ap.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.walks is None:
        args.walks = args.n

    if args.worker:
        pin_one_core()
        work = json.loads(Path(args.work).read_text())
        tmp = args.tmp or tempfile.gettempdir()
        if args.worker == "ours":
            res = worker_ours(work, args.passes, args.walks, args.seed, tmp)
        else:
            res = worker_original(work, args.original, args.passes, args.walks, args.seed, tmp, args.check)
        Path(args.out).write_text(json.dumps(res))
        return 0

    if not args.original:
        print(SCRATCH_HELP, file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-vs-orig-") as tmp:
        cands = candidates()
        cand_path = str(Path(tmp) / "candidates.json")
        Path(cand_path).write_text(json.dumps({"statements": cands}))
        log(f"{len(cands)} candidate statements (real, operators of both); checking the original reads them")
        ok = set(run_worker("original", args.original_python, args, cand_path, tmp, check=True)["ok"])
        eligible = sorted((s for s in cands if s["id"] in ok),
                          key=lambda s: hashlib.sha256(s["id"].encode()).hexdigest())
        chosen = sorted(eligible[: args.n], key=lambda s: s["id"])
        work_path = str(Path(tmp) / "workload.json")
        Path(work_path).write_text(json.dumps({"statements": chosen}))
        cats: dict[str, int] = {}
        for s in chosen:
            cat = s["id"].split("-")[0]
            cats[cat] = cats.get(cat, 0) + 1
        workload = {"candidates": len(cands), "eligible": len(eligible), "chosen": len(chosen), "categories": cats,
                    "hyps": sum("|" in s["ours"] for s in chosen)}
        log(f"workload: {workload}")

        rounds: list[dict[str, Any]] = []
        for k in range(args.rounds):
            log(f"round {k + 1}/{args.rounds}: ours")
            ours = run_worker("ours", sys.executable, args, work_path, tmp)
            log(f"round {k + 1}/{args.rounds}: original")
            orig = run_worker("original", args.original_python, args, work_path, tmp)
            rounds.append({"ours": ours, "original": orig})

    lines = [f"workload: {workload['chosen']} Identities statements ({workload['eligible']} eligible of "
             f"{workload['candidates']} candidates; {workload['hyps']} with hypotheses) {cats}",
             f"rules: ours paper transformation {rounds[0]['ours']['rules']['transformation']} "
             f"(of {rounds[0]['ours']['rules']['paper']}); original default TRule "
             f"{rounds[0]['original']['rules']['transformation']} (of {rounds[0]['original']['rules']['default']})",
             f"{args.rounds} rounds x {args.passes} passes (best pass per round; median over rounds), "
             f"{args.walks} walks per pass",
             "",
             f"{'operation':<32} {'per':<12} {'ours/op':>13} {'original/op':>13} {'ratio':>8} {'min':>7} {'max':>7}"
             f"   counts ours / original"]
    table: list[dict[str, Any]] = []
    for key, label, per in ROWS:
        o = [r["ours"][key]["per_op"] for r in rounds]
        g = [r["original"][key]["per_op"] for r in rounds]
        ratios = [gg / oo for oo, gg in zip(o, g, strict=True)]
        om, gm = statistics.median(o), statistics.median(g)
        co, cg = rounds[0]["ours"][key], rounds[0]["original"][key]
        cnt_o = co.get("items", co["count"])
        cnt_g = cg.get("items", cg["count"])
        table.append({"key": key, "label": label, "per": per, "ours": om, "original": gm, "ratio": gm / om,
                      "ratio_min": min(ratios), "ratio_max": max(ratios), "count_ours": cnt_o, "count_original": cnt_g})
        lines.append(f"{label:<32} {per:<12} {fmt(om):>13} {fmt(gm):>13} {gm / om:>7.1f}x {min(ratios):>6.1f}x "
                     f"{max(ratios):>6.1f}x   {cnt_o} / {cnt_g}")
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({"workload": workload, "table": table, "rounds": rounds,
                                               "args": {k: v for k, v in vars(args).items() if k != "worker"}},
                                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
