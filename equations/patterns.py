"""Compilation of rule patterns into specialised Python functions.

A pattern is an expression whose variables are pattern variables (any subtree; a repeated variable
means the *same* subtree, which is an identity test because expressions are interned). Matching and
instantiation are the innermost loop of search and generation, so each pattern is turned once into
straight-line code: a matcher ``m(node) -> dict | None``, a tester ``t(node) -> bool`` and a builder
``b(bindings) -> Expr``. Generated code is small and cached per pattern object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .expr import PI, Expr, make, make1, make2

Bindings = dict[str, Expr]
Matcher = Callable[[Expr], "Bindings | None"]
Tester = Callable[[Expr], bool]
Builder = Callable[[Bindings], Expr]


def _match_source(pattern: Expr, want_dict: bool) -> str:
    lines = ["def f(n0):"]
    binds: dict[str, str] = {}
    fail = "return None" if want_dict else "return False"
    counter = [0]

    def visit(p: Expr, v: str) -> None:
        op = p.op
        if op == "var":
            name = p.value
            if name in binds:
                lines.append(f"    if {v} is not {binds[name]}: {fail}")
            else:
                binds[name] = v
            return
        if op == "int":
            lines.append(f"    if {v}.op != 'int' or {v}.value != {p.value!r}: {fail}")
            return
        lines.append(f"    if {v}.op != {op!r}: {fail}")
        if not p.args:
            return
        names = []
        for _ in p.args:
            counter[0] += 1
            names.append(f"n{counter[0]}")
        if len(names) == 1:
            lines.append(f"    {names[0]} = {v}.args[0]")
        else:
            lines.append(f"    {', '.join(names)} = {v}.args")
        for child, name in zip(p.args, names, strict=True):
            visit(child, name)

    visit(pattern, "n0")
    if want_dict:
        items = ", ".join(f"{k!r}: {v}" for k, v in binds.items())
        lines.append(f"    return {{{items}}}")
    else:
        lines.append("    return True")
    return "\n".join(lines)


def compile_matcher(pattern: Expr) -> Matcher:
    """``m(node)``: the bindings of the pattern variables when ``node`` matches, else ``None``."""
    ns: dict[str, Any] = {}
    exec(_match_source(pattern, True), ns)
    fn: Matcher = ns["f"]
    return fn


def compile_tester(pattern: Expr) -> Tester:
    """``t(node)``: whether ``node`` matches (no bindings built: used to enumerate applicable tactics)."""
    ns: dict[str, Any] = {}
    exec(_match_source(pattern, False), ns)
    fn: Tester = ns["f"]
    return fn


def compile_builder(pattern: Expr) -> Builder:
    """``b(bindings)``: the pattern with its variables replaced; variable-free subtrees are prebuilt."""
    consts: dict[str, Expr] = {}

    def code(p: Expr) -> str:
        if p.op == "var":
            return f"d[{p.value!r}]"
        if p.const:
            name = f"K{len(consts)}"
            consts[name] = p
            return name
        if len(p.args) == 1:
            return f"make1({p.op!r}, {code(p.args[0])})"
        if len(p.args) == 2:
            return f"make2({p.op!r}, {code(p.args[0])}, {code(p.args[1])})"
        return f"make({p.op!r}, {', '.join(code(a) for a in p.args)})"

    body = code(pattern)
    ns: dict[str, Any] = {"make": make, "make1": make1, "make2": make2, "PI": PI}
    src = f"def f(d):\n    return {body}"
    ns.update(consts)
    exec(src, ns)
    fn: Builder = ns["f"]
    return fn


def substitute(e: Expr, bindings: Bindings) -> Expr:
    """Replace variables by ``bindings`` (uncompiled; for one-off use)."""
    if e.op == "var":
        return bindings.get(e.value, e)
    if e.const or not e.args:
        return e
    return make(e.op, *(substitute(a, bindings) for a in e.args))


def match(pattern: Expr, node: Expr, bindings: Bindings | None = None) -> Bindings | None:
    """Uncompiled matching (for one-off use and for checking the compiled matchers in tests)."""
    out: Bindings = {} if bindings is None else dict(bindings)

    def go(p: Expr, n: Expr) -> bool:
        if p.op == "var":
            prev = out.get(p.value)
            if prev is None:
                out[p.value] = n
                return True
            return prev is n
        if p.op != n.op or len(p.args) != len(n.args):
            return False
        if p.op == "int":
            return bool(p.value == n.value)
        return all(go(a, b) for a, b in zip(p.args, n.args, strict=True))

    return out if go(pattern, node) else None
