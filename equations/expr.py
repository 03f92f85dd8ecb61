"""Immutable, hash-consed expression trees.

Every expression is built through :func:`make` (or the helpers below), which interns it: two structurally
equal expressions that are alive at the same time are the *same object*. That makes equality and hashing
identity-based (C speed, no recursion), which is what keeps matching and search bookkeeping fast.

The intern table holds weak references, so it never keeps a dead tree alive for long and memory stays flat
during long generation runs; dead entries are swept when the table doubles.

Determinism note: ``hash(expr)`` is identity-based, so never iterate over a ``set`` of expressions where the
order matters; use dicts (insertion ordered) or sort by :attr:`Expr.key`.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

# --- operator tables ------------------------------------------------------------------------------------

DOMAINS = ("real", "int", "nat")

#: unary functions written ``f(x)`` in infix and as their name in prefix
FUNCTIONS = (
    "exp", "ln", "sqrt", "abs", "inv", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
)
#: binary functions written ``f(a, b)`` (integer domains)
BINARY_FUNCTIONS = ("gcd", "lcm")
#: infix binary operators: op name -> symbol
BINARY_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "mod": "%"}
#: comparison operators (roots of statements): op name -> symbol (``dvd`` is written ``divides(a, b)``)
COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
COMPARISON_OPS = frozenset((*COMPARISONS, "dvd"))
#: operators only meaningful over the integers
INTEGER_ONLY = frozenset(("mod", "gcd", "lcm", "dvd"))
#: operators only meaningful over the reals: every function but ``abs``, and ``pi``
REAL_ONLY = frozenset((*(f for f in FUNCTIONS if f != "abs"), "pi"))

#: Deepest expression tree the engine builds or accepts (parsers, tactics, JSON). Recursive algorithms (the
#: exact evaluator, printers, exporters) stay far from Python's recursion limit below it; no theorem of the
#: generators or the Identities set comes near (their depth is below 40).
MAX_DEPTH = 200
#: Longest integer literal, in decimal digits. Python refuses to convert longer integers to text by default
#: (``sys.int_info.default_max_str_digits`` = 4300), so longer literals could be built but never printed.
MAX_LITERAL_DIGITS = 4000
_LITERAL_LIMIT = 10**MAX_LITERAL_DIGITS

ARITY: dict[str, int] = {"int": 0, "var": 0, "pi": 0, "neg": 1}
for _f in FUNCTIONS:
    ARITY[_f] = 1
for _b in (*BINARY_SYMBOLS, *BINARY_FUNCTIONS, *COMPARISON_OPS):
    ARITY[_b] = 2

#: the operators each domain's expressions may use (ℕ has no negation: its subtraction truncates)
DOMAIN_OPS: dict[str, frozenset[str]] = {
    "real": frozenset(ARITY) - INTEGER_ONLY,
    "int": frozenset(ARITY) - REAL_ONLY,
    "nat": frozenset(ARITY) - REAL_ONLY - {"neg"},
}

#: words that cannot be variable names (function names, constants, prefix operator tokens)
RESERVED = frozenset((*ARITY, "divides", "INT+", "INT-", "pi"))


class _Slots:
    """Storage layout shared by :class:`Expr` and its construction-time twin (see :func:`_new`)."""

    __slots__ = ("__weakref__", "_infix", "_memo", "_prefix", "_vars", "args", "const", "depth", "op", "size",
                 "value", "vtype")

    _infix: str | None
    _prefix: str | None
    _vars: frozenset[str] | None
    #: one-entry memo of data derived from the node by one owner, a rule set's match index
    #: (``(owner token, keys at the node, keys in the subtree, ...)``, see :mod:`equations.matching`; the
    #: environments' action index appends its counts): it lives and dies with the node, so a cache of
    #: per-node data needs no dictionary that would keep dead trees alive
    _memo: tuple[Any, ...] | None


class Expr(_Slots):
    """A node of an expression tree. Build with :func:`make`, :func:`num`, :func:`var`, never directly.

    Attributes: ``op`` (operator name, ``"int"``/``"var"``/``"pi"`` for leaves), ``args`` (children),
    ``value`` (the int of an integer literal, the name of a variable), ``vtype`` (a variable's domain),
    ``size`` (number of nodes, i.e. prefix positions), ``depth`` (1 for a leaf), ``const`` (no variables
    below).
    """

    __slots__ = ()

    op: str
    args: tuple[Expr, ...]
    value: Any
    vtype: str | None
    size: int
    depth: int
    const: bool

    def __setattr__(self, name: str, val: Any) -> None:
        raise AttributeError("Expr is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling re-interns on load, so identity equality survives multiprocessing.
        if self.op == "int":
            return (num, (self.value,))
        if self.op == "var":
            return (var, (self.value, self.vtype))
        return (make, (self.op, *self.args))

    def __copy__(self) -> Expr:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Expr:
        return self

    def __repr__(self) -> str:
        from .printing import to_infix

        return f"Expr({to_infix(self)!r})"

    def __str__(self) -> str:
        from .printing import to_infix

        return to_infix(self)

    # Convenience operators for building expressions in Python code (not used on hot paths).
    def __add__(self, o: Expr | int) -> Expr:
        return make("add", self, _lift(o))

    def __radd__(self, o: int) -> Expr:
        return make("add", _lift(o), self)

    def __sub__(self, o: Expr | int) -> Expr:
        return make("sub", self, _lift(o))

    def __rsub__(self, o: int) -> Expr:
        return make("sub", _lift(o), self)

    def __mul__(self, o: Expr | int) -> Expr:
        return make("mul", self, _lift(o))

    def __rmul__(self, o: int) -> Expr:
        return make("mul", _lift(o), self)

    def __truediv__(self, o: Expr | int) -> Expr:
        return make("div", self, _lift(o))

    def __rtruediv__(self, o: int) -> Expr:
        return make("div", _lift(o), self)

    def __pow__(self, o: Expr | int) -> Expr:
        return make("pow", self, _lift(o))

    def __neg__(self) -> Expr:
        return make("neg", self)

    @property
    def is_leaf(self) -> bool:
        return not self.args

    @property
    def is_comparison(self) -> bool:
        return self.op in COMPARISON_OPS

    @property
    def key(self) -> str:
        """A deterministic structural key (the prefix text), usable for sorting and stable hashing."""
        from .printing import to_prefix

        return to_prefix(self)

    def variables(self) -> frozenset[str]:
        """Names of the variables occurring in this expression (cached)."""
        v = self._vars
        if v is None:
            if self.op == "var":
                v = frozenset((self.value,))
            elif not self.args or self.const:
                v = frozenset()
            else:
                v = frozenset[str]().union(*(a.variables() for a in self.args))
            object.__setattr__(self, "_vars", v)
        return v

    def subterms(self) -> Iterator[Expr]:
        """All nodes in prefix order (position ``i`` is the ``i``-th yielded node)."""
        stack = [self]
        while stack:
            e = stack.pop()
            yield e
            if e.args:
                stack.extend(reversed(e.args))

    def at(self, pos: int) -> Expr:
        """The subtree at prefix position ``pos`` (0 is the root). Raises IndexError when out of range."""
        if type(pos) is not int:
            raise TypeError(f"a position is an integer, not {type(pos).__name__}")
        if pos < 0 or pos >= self.size:
            raise IndexError(f"position {pos} out of range 0..{self.size - 1}")
        e = self
        while pos:
            pos -= 1
            for a in e.args:
                if pos < a.size:
                    e = a
                    break
                pos -= a.size
        return e

    def replace_at(self, pos: int, new: Expr) -> Expr:
        """A copy with the subtree at prefix position ``pos`` replaced by ``new`` (shares everything else)."""
        if type(pos) is not int:
            raise TypeError(f"a position is an integer, not {type(pos).__name__}")
        if pos < 0 or pos >= self.size:
            raise IndexError(f"position {pos} out of range 0..{self.size - 1}")
        if not pos:
            return new
        if self.depth <= _RECURSIVE_DEPTH:
            return _replace(self, pos, new)
        path: list[tuple[Expr, int]] = []
        e = self
        while pos:
            pos -= 1
            args = e.args
            a0 = args[0]
            if pos < a0.size:
                path.append((e, 0))
                e = a0
            else:
                pos -= a0.size
                path.append((e, 1))
                e = args[1]
        for node, i in reversed(path):
            args = node.args
            if len(args) == 1:
                new = make1(node.op, new)
            elif i == 0:
                new = make2(node.op, new, args[1])
            else:
                new = make2(node.op, args[0], new)
        return new


#: trees up to this depth are rewritten by recursion (cheaper in CPython than an explicit path), deeper
#: ones, which only the Python API can build, by a loop
_RECURSIVE_DEPTH = 300


def _replace(e: Expr, pos: int, new: Expr) -> Expr:
    """``e`` with the subtree at prefix position ``pos`` (> 0) replaced by ``new``."""
    pos -= 1
    args = e.args
    a = args[0]
    if pos < a.size:
        if pos:
            new = _replace(a, pos, new)
        return make1(e.op, new) if len(args) == 1 else make2(e.op, new, args[1])
    pos -= a.size
    if pos:
        new = _replace(args[1], pos, new)
    return make2(e.op, a, new)


class _Building(_Slots):
    """Mutable twin of :class:`Expr`: a node is filled in as ``_Building`` and then becomes an ``Expr``
    by a ``__class__`` swap, three times cheaper than ``object.__setattr__`` on every slot."""

    __slots__ = ()


_obj_new = object.__new__
_set = object.__setattr__
# key -> weak reference. A key is (op, id(child), id(child)): plain numbers, so a key neither keeps the
# children alive nor is tracked by the garbage collector (tuples of numbers are untracked). Ids are sound
# keys: a live node keeps its children alive, so while an entry's node is alive no other object can have
# its children's ids. A node's death removes its entry at once (the reference's callback), so the table
# holds only live nodes and dead references never pile up for the collector to rescan.
_table: dict[tuple[Any, ...], _Ref] = {}


class _Ref(weakref.ref[Expr]):
    """A weak reference that knows its key in the intern table (built by the C constructor; no Python
    ``__init__``, so it costs no more than a plain reference)."""

    __slots__ = ("key",)

    key: tuple[Any, ...]


def _drop(r: _Ref, _table: dict[tuple[Any, ...], _Ref] = _table) -> None:
    """Callback of a dying node's reference: remove its entry (unless a newer node took the key). The table
    is bound as a default so that callbacks running while the interpreter tears the module down still find it."""
    key = r.key
    if _table.get(key) is r:
        del _table[key]


def _new(op: str, args: tuple[Expr, ...], value: Any, vtype: str | None, key: tuple[Any, ...]) -> Expr:
    e: Any = _obj_new(_Building)
    e.op = op
    e.args = args
    e.value = value
    e.vtype = vtype
    text = None
    if len(args) == 2:
        a, b = args
        e.size = 1 + a.size + b.size
        da = a.depth
        db = b.depth
        e.depth = (da if da > db else db) + 1
        e.const = a.const and b.const
    elif args:
        size = 1
        depth = 0
        const = True
        for a in args:
            size += a.size
            if a.depth > depth:
                depth = a.depth
            const = const and a.const
        e.size = size
        e.depth = depth + 1
        e.const = const
    else:
        e.size = 1
        e.depth = 1
        e.const = op != "var"
        if op != "int":  # a variable's (and pi's) text is its name: the printers never descend to it
            text = value if op == "var" else op
    e._prefix = text
    e._infix = text
    e._vars = None
    e._memo = None
    e.__class__ = Expr
    r = _table[key] = _Ref(e, _drop)
    r.key = key
    return e  # type: ignore[no-any-return]


def make(op: str, *args: Expr) -> Expr:
    """The interned node ``op(*args)``. Arity is the caller's responsibility (the parsers check it)."""
    key = (op, *map(id, args))
    r = _table.get(key)
    if r is not None:
        e = r()
        if e is not None:
            return e
    return _new(op, args, None, None, key)


def make1(op: str, a: Expr) -> Expr:
    """Fast path of :func:`make` for unary nodes."""
    key = (op, id(a))
    r = _table.get(key)
    if r is not None:
        e = r()
        if e is not None:
            return e
    return _new(op, (a,), None, None, key)


def make2(op: str, a: Expr, b: Expr) -> Expr:
    """Fast path of :func:`make` for binary nodes."""
    key = (op, id(a), id(b))
    r = _table.get(key)
    if r is not None:
        e = r()
        if e is not None:
            return e
    return _new(op, (a, b), None, None, key)


def num(n: int) -> Expr:
    """An integer literal. Negative values become ``neg(|n|)``: literals themselves are non-negative.
    ValueError beyond :data:`MAX_LITERAL_DIGITS` digits."""
    if n < 0:
        return make1("neg", num(-n))
    if n >= _LITERAL_LIMIT:
        raise ValueError(f"integer literal too large: at most {MAX_LITERAL_DIGITS} digits")
    key = ("int", n)
    r = _table.get(key)
    if r is not None:
        e = r()
        if e is not None:
            return e
    return _new("int", (), n, None, key)


def var(name: str, vtype: str = "real") -> Expr:
    """A variable of the given domain (``real``, ``int`` or ``nat``)."""
    key = ("var", name, vtype)
    r = _table.get(key)
    if r is not None:
        e = r()
        if e is not None:
            return e
    return _new("var", (), name, vtype, key)


def _pi() -> Expr:
    return _new("pi", (), None, None, ("pi",))


def intern_table_size() -> int:
    """Number of live interned nodes; for memory diagnostics."""
    return len(_table)


def live_nodes() -> list[Expr]:
    """Every live interned node (benchmarks clear their cached strings and memos to measure cold paths)."""
    return [e for e in (r() for r in list(_table.values())) if e is not None]


#: the node slots' own setters: Expr forbids attribute assignment, and calling the member descriptor
#: directly costs less than ``object.__setattr__`` (printing a new goal stores one string per new node)
set_infix: Callable[[Expr, str | None], None] = vars(_Slots)["_infix"].__set__
set_prefix: Callable[[Expr, str | None], None] = vars(_Slots)["_prefix"].__set__


# --- the native node type -----------------------------------------------------------------------------
# ``equations/_native.c`` implements the node type, its intern table and the cold paths that create or
# print nodes (rebuild, prefix print, prefix parse); everything above is the pure-Python implementation
# of the same interface, used when the extension is not built or ``EQUATIONS_PURE_PYTHON=1``. The
# native type takes its methods from the Python class above, so there is one definition of each.


def _load_native() -> Any:
    if os.environ.get("EQUATIONS_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _native  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _native


_native = _load_native()
#: whether the native node type is in use
NATIVE: bool = _native is not None
#: the native module (``None`` in pure Python): the printers, the prefix parser, the match and action
#: indexes and the environment call its functions on the paths they replace
native_module: Any = _native
#: the deepest tree those functions recurse into in C (deeper ones, which only the Python API builds, take
#: the Python paths with their explicit stacks)
NATIVE_DEPTH = 2000

if not TYPE_CHECKING and _native is not None:
    _NativeExpr = _native.Expr
    for _name, _attr in vars(Expr).items():
        if _name not in ("__slots__", "__module__", "__qualname__", "__dict__", "__annotations__"):
            setattr(_NativeExpr, _name, _attr)
    _py_num = num
    _py_var = var
    Expr = _NativeExpr
    make = _native.make
    make1 = _native.make1
    make2 = _native.make2
    _replace = _native.replace
    _leaf = _native.leaf
    _table = None
    set_infix = vars(Expr)["_infix"].__set__
    set_prefix = vars(Expr)["_prefix"].__set__

    def num(n: int) -> Expr:
        if n < 0:
            return make1("neg", num(-n))
        if n >= _LITERAL_LIMIT:
            raise ValueError(f"integer literal too large: at most {MAX_LITERAL_DIGITS} digits")
        return _leaf("int", n, None)

    def var(name: str, vtype: str = "real") -> Expr:
        return _leaf("var", name, vtype)

    def _pi() -> Expr:
        return _leaf("pi", None, None)

    def intern_table_size() -> int:
        return _native.table_size()

    def live_nodes() -> list[Expr]:
        return _native.live_nodes()

    num.__doc__ = _py_num.__doc__
    var.__doc__ = _py_var.__doc__

PI: Expr = _pi()
ZERO: Expr = num(0)
ONE: Expr = num(1)


def literal_value(e: Expr) -> int | None:
    """The integer an integer literal (``3``) or a negated one (``-3``) denotes; ``None`` for anything else.
    The one reading of literals for the integer-arithmetic rules, their enumeration and the generators."""
    if e.op == "int":
        return int(e.value)
    if e.op == "neg" and e.args[0].op == "int":
        return -int(e.args[0].value)
    return None


def _lift(o: Expr | int) -> Expr:
    if isinstance(o, Expr):
        return o
    if isinstance(o, int) and not isinstance(o, bool):
        return num(o)
    raise TypeError(f"cannot use {o!r} in an expression")


def retype(e: Expr, vtype: str) -> Expr:
    """The same expression with every variable given domain ``vtype``."""
    if e.op == "var":
        return var(e.value, vtype) if e.vtype != vtype else e
    if e.const or not e.args:
        return e
    return make(e.op, *(retype(a, vtype) for a in e.args))


def operator_error(op: str, domain: str) -> str:
    """Why operator ``op`` is not one of ``domain``'s (the caller knows it is not)."""
    if op not in ARITY:
        return f"unknown operator {op!r}"
    if op == "neg":
        return "unary minus is not defined over nat (write a subtraction)"
    if op in INTEGER_ONLY:
        return f"{'divides' if op == 'dvd' else op} is only defined over int and nat, not {domain}"
    return f"{op} is only defined over the reals, not {domain}"


def domain_error(e: Expr, domain: str, statement: bool = False) -> str | None:
    """Why ``e`` is not a well-formed term (or, with ``statement``, comparison) of ``domain``; ``None``
    when it is. Checks every node: a known operator of the right arity that the domain defines, variables
    of the domain's type, comparisons only at the root of a statement, literals within the size limit.

    The proof checker calls this on everything it is given, so a proof assembled by hand or by a program
    cannot carry a real-only term (``-1`` in ℕ, ``inv`` in ℤ) into a goal where the domain's rules stop
    holding."""
    if not isinstance(e, Expr):
        return f"expected an expression, got {type(e).__name__}"
    if domain not in DOMAIN_OPS:
        return f"unknown domain {domain!r}; expected one of {', '.join(DOMAINS)}"
    if statement and e.op not in COMPARISON_OPS:
        return f"{e} is a term, not a statement (a comparison)"
    if e.depth > MAX_DEPTH:
        return f"the expression is nested {e.depth} deep; at most {MAX_DEPTH} is supported"
    allowed = DOMAIN_OPS[domain]
    seen: set[int] = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        op = node.op
        if op not in allowed:
            return operator_error(op, domain)
        if len(node.args) != ARITY[op]:
            return f"{op} takes {ARITY[op]} arguments, not {len(node.args)}"
        if op == "var":
            if node.vtype != domain:
                return f"variable {node.value} is {node.vtype}, not {domain}"
        elif op == "int":
            if type(node.value) is not int or node.value < 0 or node.value >= _LITERAL_LIMIT:
                return f"invalid integer literal {node.value!r}"
        elif op in COMPARISON_OPS and (node is not e or not statement):
            return f"a comparison ({op}) cannot be part of a term"
        stack.extend(node.args)
    return None
