"""Mathlib lemmas as Equations rules (``equations import-mathlib``; issue 13, section 2; paper B.7, table 8).

Reads Lean 4 source files and keeps the ``theorem``/``lemma`` declarations whose statement our language can
say: an equation or ``↔`` of comparisons becomes a transformation rule, a relation (``=``, ``≠``, ``<``,
``≤``, ``∣``) under hypotheses an assertion rule. Hypotheses come from named binders (``(hb : 0 < b)``) or
arrows (``0 < b → ...``); variables from explicit, implicit, strict-implicit binders, section ``variable`` s,
or a leading ``∀ a b : α,``. The type of each rule is the binders' (``ℝ``/``ℕ``/``ℤ``), or, for a lemma over
a type variable, every one of our types whose instances satisfy all its classes (:data:`CLASS_TYPES`,
conservative: an unknown class rejects the lemma). Terms are read by the goal-state parser of
:mod:`.lean_goals` (one grammar for Lean's precedence), with source-only hooks: ascriptions, namespaces
(``exp`` inside ``namespace Real``), the kind of each ``^`` (ℕ exponent or ``Real.rpow``).

Nothing is kept on faith: every candidate rule must pass :func:`equations.soundness.check_rule` (partial,
Lean and Coq semantics; ℕ's truncated ``-`` and floor ``/`` included), so a lemma whose class we mapped too
generously to ℕ is dropped there. Every rejection is counted by reason.

The Lean template of a rule names the lemma and passes every variable *by name* (``mul_comm (a := {A}) (b :=
{B})``), named hypotheses by name and arrow hypotheses by position, so it does not matter which binders are
implicit; the exporter (:mod:`.lean`) reads the table written beside the rules file
(:func:`.lean_table.use_lean_table`), and theorems generated with the imported rules export under exactly the
imported names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from equations import Expr, make, num
from equations.atomic import write_atomic
from equations.expr import var
from equations.printing import to_infix
from equations.rules import Rule, RuleError, RuleSet, parse_rule
from equations.soundness import check_rule

from .lean_goals import LeanTermParser, UntranslatableGoal

DOMAINS = ("nat", "int", "real")
TYPE_OF = {"ℝ": "real", "Real": "real", "ℕ": "nat", "Nat": "nat", "ℤ": "int", "Int": "int"}
NAMESPACE_OF = {"Real": "real", "Nat": "nat", "Int": "int"}
#: the paper's table 8: imported (transformations, assertions) per type
PAPER_TABLE8 = {"nat": (304, 314), "int": (452, 292), "real": (799, 407)}

_ALL = frozenset(DOMAINS)
_ZR = frozenset({"int", "real"})
_R = frozenset({"real"})
_N = frozenset({"nat"})
_NZ = frozenset({"nat", "int"})
#: which of our types have an instance of each class (conservative; the numeric check is the last word:
#: classes ℕ has with truncated ``-`` or floor ``/`` are listed for ℕ and its lemmas are checked under them)
CLASS_TYPES: dict[str, frozenset[str]] = {
    **dict.fromkeys("""Add Mul Zero One Sub Div Dvd Max Min AddMonoid AddCommMonoid AddSemigroup AddCommSemigroup
    AddZeroClass AddCommMagma Monoid CommMonoid Semigroup CommSemigroup MulOneClass CommMagma MulZeroClass
    MonoidWithZero CommMonoidWithZero SemigroupWithZero MulZeroOneClass NonUnitalNonAssocSemiring
    NonAssocSemiring NonUnitalSemiring Semiring CommSemiring Distrib LeftDistribClass RightDistribClass
    AddMonoidWithOne AddCommMonoidWithOne NatCast Nontrivial NoZeroDivisors CharZero IsLeftCancelAdd
    IsRightCancelAdd IsCancelAdd AddLeftCancelSemigroup AddRightCancelSemigroup AddLeftCancelMonoid
    AddRightCancelMonoid AddCancelMonoid AddCancelCommMonoid IsLeftCancelMulZero IsRightCancelMulZero
    IsCancelMulZero CancelMonoidWithZero CancelCommMonoidWithZero Preorder PartialOrder LinearOrder
    SemilatticeSup SemilatticeInf Lattice DistribLattice DecidableEq DecidableLE DecidableLT
    IsOrderedAddMonoid IsOrderedCancelAddMonoid IsOrderedRing IsStrictOrderedRing OrderedSemiring
    StrictOrderedSemiring LinearOrderedSemiring LinearOrderedCommSemiring OrderedCommSemiring
    StrictOrderedCommSemiring OrderedAddCommMonoid OrderedCancelAddCommMonoid LinearOrderedAddCommMonoid
    LinearOrderedCancelAddCommMonoid ZeroLEOneClass PosMulMono MulPosMono PosMulStrictMono MulPosStrictMono
    PosMulReflectLT MulPosReflectLT PosMulReflectLE MulPosReflectLE AddLeftMono AddRightMono
    AddLeftStrictMono AddRightStrictMono AddLeftReflectLT AddRightReflectLT AddLeftReflectLE
    AddRightReflectLE ExistsAddOfLE OrderedSub LE LT Archimedean FloorSemiring""".split(), _ALL),
    **dict.fromkeys("""Neg AddGroup AddCommGroup SubNegMonoid SubtractionMonoid SubtractionCommMonoid InvolutiveNeg
    HasDistribNeg NegZeroClass Ring CommRing NonUnitalRing NonAssocRing NonUnitalNonAssocRing AddGroupWithOne
    AddCommGroupWithOne IntCast OrderedRing StrictOrderedRing LinearOrderedRing LinearOrderedCommRing
    OrderedCommRing OrderedAddCommGroup LinearOrderedAddCommGroup IsDomain FloorRing""".split(), _ZR),
    **dict.fromkeys("""Inv DivisionRing Field Semifield DivisionSemiring GroupWithZero CommGroupWithZero
    DivisionMonoid DivisionCommMonoid InvolutiveInv DivInvMonoid DivInvOneMonoid LinearOrderedField
    LinearOrderedSemifield""".split(), _R),
    **dict.fromkeys("GCDMonoid NormalizedGCDMonoid".split(), _NZ),
    **dict.fromkeys("CanonicallyOrderedAdd OrderBot CanonicallyOrderedAddCommMonoid".split(), _N),
}

#: text that puts a statement outside our language, with the reason counted
_OUTSIDE = [
    (re.compile(r"∃|\bExists\b"), "∃"),
    (re.compile(r"•"), "• (scalar action)"),
    (re.compile(r"[∑∏]|\bFinset\.(sum|prod)\b|\btsum\b"), "sums/products"),
    (re.compile(r"[↑⇑]|\(\(\w+\s*:\s*[ℕℤℝ]\)\s*:\s*[ℕℤℝℚℂ]\)|\bcast\b"), "casts"),
    (re.compile(r"[∧∨¬]|\bIff\b"), "connectives (∧ ∨ ¬)"),
    (re.compile(r"\bfun\b|λ|↦"), "functions (fun)"),
    (re.compile(r"\bif\b|\bthen\b"), "if-then-else"),
    (re.compile(r"[∈∉⊆⊂∪∩]|\bSet\b|\bFinset\b"), "sets"),
    (re.compile(r"[ℂℚ]|\bComplex\b|\bNNReal\b|ℝ≥0|\bENNReal\b|\bEReal\b"), "other types (ℂ ℚ ℝ≥0 ...)"),
    (re.compile(r"\bderiv\b|\bHasDerivAt\b|\bContinuous|\bTendsto\b|∫|\bintegral\b"), "analysis (deriv, limits)"),
]


class Skip(Exception):
    """A declaration we do not import; ``reason`` is the histogram's key."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Binder:
    """One Lean binder: ``names`` with ``type`` (the class application for ``inst``)."""

    names: tuple[str, ...]
    type: str
    kind: str  # explicit | implicit | strict | inst


@dataclass
class Declaration:
    """A ``theorem``/``lemma``: full Lean name, where it is (file, 1-based line), binders (section variables
    first, then its own) and the statement after the colon."""

    name: str
    file: str
    line: int
    binders: list[Binder]
    statement: str
    opens: frozenset[str] = frozenset()
    n_own: int = 0  # how many of ``binders`` are the declaration's own (a section's hypotheses are not)
    #: the ``@[to_additive]`` twin of a multiplicative lemma: its statement is read with ``* / ⁻¹ 1`` as
    #: ``+ - - 0`` and its classes as their additive counterparts; ``guessed``: the name is to_additive's
    #: rule applied by us (word by word), not written in the source
    additive: bool = False
    guessed: bool = False
    #: why the name cannot be used from another file (``private``, ``@[deprecated]``), or ""
    unusable: str = ""


@dataclass
class Imported:
    """One kept rule and how the exporter proves its instances."""

    rule: Rule
    lean_name: str
    file: str
    line: int
    template: str
    rpow: bool = False


@dataclass
class ImportReport:
    """Kept rules per type and the rejections by reason."""

    imported: dict[str, list[Imported]] = field(default_factory=lambda: {d: [] for d in DOMAINS})
    skipped: Counter[str] = field(default_factory=Counter)
    #: (Lean name, file:line, reason) of every rejection, for inspection and tests
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    declarations: int = 0
    files: int = 0

    def reject(self, decl: Declaration, reason: str, detail: str = "") -> None:
        self.skipped[reason] += 1
        self.rejected.append((decl.name, f"{decl.file}:{decl.line}", f"{reason} {detail}".strip()))

    def counts(self) -> dict[str, tuple[int, int]]:
        out = {}
        for d, items in self.imported.items():
            t = sum(1 for i in items if i.rule.is_transformation)
            out[d] = (t, len(items) - t)
        return out


# ---------------------------------------------------------------------------------------------------------
# reading Lean source: comments, commands, scopes
# ---------------------------------------------------------------------------------------------------------


def strip_comments(text: str) -> str:
    """``text`` with ``-- ...`` and (nested) ``/- ... -/`` comments blanked, newlines kept (line numbers stay)."""
    out: list[str] = []
    i, n, depth = 0, len(text), 0
    while i < n:
        if text.startswith("/-", i):
            depth += 1
            out.append("  ")
            i += 2
        elif depth and text.startswith("-/", i):
            depth -= 1
            out.append("  ")
            i += 2
        elif depth:
            out.append("\n" if text[i] == "\n" else " ")
            i += 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Commands: a line starting at column 0 and the indented lines after it (Mathlib's layout), with the
    1-based line of its first line; attribute-only lines (``@[simp]``) join the next command."""
    start, buf = 0, list[str]()
    for no, line in enumerate(text.split("\n"), 1):
        if line and not line[0].isspace() and not line.startswith(")"):
            if buf and not _only_attributes("\n".join(buf)):
                yield start, "\n".join(buf)
                buf = []
            if not buf:
                start = no
            buf.append(line)
        elif buf:
            buf.append(line)
    if buf:
        yield start, "\n".join(buf)


def _only_attributes(chunk: str) -> bool:
    try:
        return chunk.lstrip().startswith("@[") and not _strip_attributes(chunk).strip()
    except Skip:
        return False


def _close(text: str, i: int) -> int:
    """Index just past the bracket group opening at ``text[i]``."""
    pairs = {"(": ")", "{": "}", "[": "]", "⦃": "⦄", "⟨": "⟩"}
    stack = [pairs[text[i]]]
    j = i + 1
    while j < len(text) and stack:
        c = text[j]
        if c in pairs:
            stack.append(pairs[c])
        elif c == stack[-1]:
            stack.pop()
        j += 1
    if stack:
        raise Skip("unbalanced brackets")
    return j


def _top_split(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside brackets (and outside ``|...|`` is not needed: ``|`` holds no arrows)."""
    parts, depth, last, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in "([{⦃⟨":
            depth += 1
        elif c in ")]}⦄⟩":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[last:i])
            last = i + len(sep)
            i = last
            continue
        i += 1
    parts.append(text[last:])
    return parts


def parse_binders(text: str) -> tuple[list[Binder], str]:
    """The binders at the start of ``text`` and the rest (from the colon of the statement, if any)."""
    out: list[Binder] = []
    i = 0
    kinds = {"(": "explicit", "{": "implicit", "⦃": "strict", "[": "inst"}
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] not in kinds:
            return out, text[i:]
        j = _close(text, i)
        inner = text[i + 1:j - 1]
        kind = kinds[text[i]]
        if inner.startswith("{") and inner.endswith("}"):  # `{{a b : α}}`, the old strict-implicit form
            inner, kind = inner[1:-1], "strict"
        inner = _top_split(inner, ":=")[0]
        parts = _top_split(inner, " : ")
        if kind == "inst":
            typ = parts[-1].strip()
            out.append(Binder((parts[0].strip(),) if len(parts) > 1 else (), typ, kind))
        elif len(parts) >= 2:
            out.append(Binder(tuple(parts[0].split()), " : ".join(parts[1:]).strip(), kind))
        else:  # `variable (a)`: a change of binder kind, no type
            out.append(Binder(tuple(inner.split()), "", kind))
        i = j


_MODIFIERS = re.compile(r"^(?:(?:private|protected|noncomputable|nonrec|public|unsafe|partial|scoped|local)\s+)+")
_DECL = re.compile(r"^(theorem|lemma)\s+(\S+)")


@dataclass
class _Scope:
    kind: str  # namespace | section
    name: str
    binders: list[Binder] = field(default_factory=list)
    opens: set[str] = field(default_factory=set)
    includes: set[str] = field(default_factory=set)


def _strip_attributes(chunk: str) -> str:
    s = chunk.lstrip()
    while s.startswith("@["):
        s = s[_close(s, 1):].lstrip()
    return s


def _statement_end(sig: str) -> str:
    """The signature up to the top-level ``:=`` (or ``where``, or a first ``|`` equation line)."""
    depth, i = 0, 0
    while i < len(sig):
        c = sig[i]
        if c in "([{⦃⟨":
            depth += 1
        elif c in ")]}⦄⟩":
            depth -= 1
        elif depth == 0 and (sig.startswith(":=", i) or re.match(r"\bwhere\b", sig[i:i + 6])
                             or (c == "|" and sig[:i].rstrip(" ").endswith("\n"))):
            return sig[:i]
        i += 1
    return sig


def declarations(text: str, file: str) -> Iterator[Declaration]:
    """The theorems and lemmas of one Lean file, with the section variables in scope at each. A command we
    cannot read (unbalanced brackets, an odd layout) is passed over; the rest of the file still counts."""
    scopes: list[_Scope] = [_Scope("file", "")]
    open_once: set[str] = set()
    for line, raw in _chunks(strip_comments(text)):
        found: list[Declaration] = []
        try:
            chunk = _MODIFIERS.sub("", _strip_attributes(raw))
            words = chunk.split()
            if not words:
                continue
            head = words[0]
            if head == "namespace" and len(words) > 1:
                scopes.append(_Scope("namespace", words[1]))
            elif head in ("section",) or (head == "noncomputable" and words[1:2] == ["section"]):
                scopes.append(_Scope("section", words[1] if len(words) > 1 and head == "section" else ""))
            elif head == "end":
                name = words[1] if len(words) > 1 else ""
                # `end A.B` closes `namespace A.B`; an unmatched `end` (of a `mutual`, say) is ignored
                for k in range(len(scopes) - 1, 0, -1):
                    if scopes[k].name == name:
                        del scopes[k:]
                        break
            elif head == "variable":
                binders, _ = parse_binders(chunk[len("variable"):])
                scopes[-1].binders.extend(binders)
            elif head == "include":  # section hypotheses every later lemma of the scope takes
                scopes[-1].includes |= set(words[1:])
            elif head == "open":
                rest = chunk[4:].split("\n")[0]
                names = {w for w in rest.replace("(", " ").replace(")", " ").split() if w[:1].isupper()}
                if re.search(r"\bin\s*$", rest) or re.search(r"\bin\s+\S", rest):
                    open_once = names
                    after = re.split(r"\bin\b", chunk, maxsplit=1)[1].strip()
                    if _DECL.match(_MODIFIERS.sub("", _strip_attributes(after))):
                        found += _one(after, line, file, scopes, open_once)
                        open_once = set()
                else:
                    scopes[-1].opens |= names
            elif _DECL.match(chunk):
                found += _one(raw, line, file, scopes, open_once)
                open_once = set()
        except Skip:
            continue
        yield from found


def _one(chunk: str, line: int, file: str, scopes: list[_Scope], once: set[str]) -> list[Declaration]:
    """The declaration of one ``theorem``/``lemma`` command, and its ``@[to_additive]`` twin if any."""
    return list(_one_iter(chunk, line, file, scopes, once))


def _one_iter(chunk: str, line: int, file: str, scopes: list[_Scope], once: set[str]) -> Iterator[Declaration]:
    body = _strip_attributes(chunk)
    attrs = chunk.lstrip()[:len(chunk.lstrip()) - len(body)]
    chunk = _MODIFIERS.sub("", body)
    m = _DECL.match(chunk)
    if m is None:
        return
    mods = body[:len(body) - len(chunk)]
    unusable = ("private" if re.search(r"\bprivate\b", mods)
                else "deprecated" if re.search(r"\bdeprecated\b", attrs) else "")
    name = m.group(2)
    ns = ".".join(s.name for s in scopes if s.kind == "namespace")
    full = name.removeprefix("_root_.") if name.startswith("_root_.") or not ns else f"{ns}.{name}"
    sig = _statement_end(chunk[m.end():])
    try:
        own, rest = parse_binders(sig)
    except Skip:
        return
    rest = rest.strip()
    if not rest.startswith(":"):
        return
    included = {n for s in scopes for n in s.includes}
    variables = [b for s in scopes for b in s.binders if not set(b.names) & included]
    # an included binder is the lemma's own argument (a hypothesis we must state, or reject)
    own = [b for s in scopes for b in s.binders if set(b.names) & included] + own
    opens = set(once) | {o for s in scopes for o in s.opens} | {s.name for s in scopes if s.kind == "namespace"}
    for s in scopes:  # `namespace Real.Foo` opens Real too
        opens |= set(s.name.split("."))
    decl = Declaration(full, file, line, [*variables, *own], " ".join(rest[1:].split()), frozenset(opens),
                       len(own), unusable=unusable)
    yield decl
    add = re.search(r"\bto_additive\b([^\]]*)", attrs)
    if add is not None and not re.search(r"\b(existing|reorder|self)\b", add.group(1)):
        arg = re.sub(r"\((?:attr|reorder|relevant_arg)\s*:=[^)]*\)|\"[^\"]*\"", " ", add.group(1)).split()
        explicit = arg[0] if arg and re.fullmatch(r"[A-Za-z_][\w.'₀-₉]*", arg[0]) else ""
        name = explicit or additive_name(name)
        if name:
            full = name.removeprefix("_root_.") if name.startswith("_root_.") or not ns else f"{ns}.{name}"
            yield Declaration(full, file, line, decl.binders, decl.statement, decl.opens, decl.n_own, True,
                              not explicit, unusable)


#: to_additive's word translations (``Mathlib/Tactic/ToAdditive``), the common ones; a name with a word
#: outside this table and the ``_`` joins gets no guess
_ADD_WORDS = {"mul": "add", "one": "zero", "inv": "neg", "div": "sub", "prod": "sum", "pow": "nsmul",
              "npow": "nsmul", "zpow": "zsmul", "monoid": "addMonoid", "group": "addGroup"}
_ADD_PAIRS = {("one", "le"): "nonneg", ("one", "lt"): "pos", ("le", "one"): "nonpos", ("lt", "one"): "neg"}
ADDITIVE_CLASS = {
    "Mul": "Add", "One": "Zero", "Inv": "Neg", "Div": "Sub", "Monoid": "AddMonoid", "CommMonoid": "AddCommMonoid",
    "Group": "AddGroup", "CommGroup": "AddCommGroup", "Semigroup": "AddSemigroup", "CommSemigroup": "AddCommSemigroup",
    "MulOneClass": "AddZeroClass", "InvolutiveInv": "InvolutiveNeg", "DivisionMonoid": "SubtractionMonoid",
    "DivisionCommMonoid": "SubtractionCommMonoid", "DivInvMonoid": "SubNegMonoid", "CommMagma": "AddCommMagma",
    "LeftCancelMonoid": "AddLeftCancelMonoid", "RightCancelMonoid": "AddRightCancelMonoid",
    "CancelMonoid": "AddCancelMonoid", "CancelCommMonoid": "AddCancelCommMonoid", "IsLeftCancelMul":
    "IsLeftCancelAdd", "IsRightCancelMul": "IsRightCancelAdd", "IsCancelMul": "IsCancelAdd",
    "IsOrderedMonoid": "IsOrderedAddMonoid", "IsOrderedCancelMonoid": "IsOrderedCancelAddMonoid",
    "MulLeftMono": "AddLeftMono", "MulRightMono": "AddRightMono", "MulLeftStrictMono": "AddLeftStrictMono",
    "MulRightStrictMono": "AddRightStrictMono", "MulLeftReflectLT": "AddLeftReflectLT",
    "MulRightReflectLT": "AddRightReflectLT", "MulLeftReflectLE": "AddLeftReflectLE",
    "MulRightReflectLE": "AddRightReflectLE", "LeftCancelSemigroup": "AddLeftCancelSemigroup",
    "RightCancelSemigroup": "AddRightCancelSemigroup",
}


def additive_name(name: str) -> str:
    """to_additive's name for a multiplicative lemma, word by word (``mul_one`` -> ``add_zero``, ``one_le_mul``
    -> ``add_nonneg``), or "" when a word is not in our table of its translations (then we do not guess)."""
    words = name.split("_")
    out: list[str] = []
    i = 0
    changed = False
    while i < len(words):
        pair = tuple(words[i:i + 2])
        if len(pair) == 2 and pair in _ADD_PAIRS:
            out.append(_ADD_PAIRS[pair])  # type: ignore[index]
            i += 2
            changed = True
            continue
        w = words[i]
        base = w.rstrip("'₀")
        if base in _ADD_WORDS:
            out.append(_ADD_WORDS[base] + w[len(base):])
            changed = True
        elif re.search(r"(?i)mul|one|inv|div|prod|pow", w) and w not in ("cancel", "comm", "self"):
            return ""  # a compound word (`mulLeft`, `inv₀`...): to_additive has rules we do not copy
        else:
            out.append(w)
        i += 1
    return "_".join(out) if changed else ""



# ---------------------------------------------------------------------------------------------------------
# statements: types, terms, rules
# ---------------------------------------------------------------------------------------------------------

_BARE_REAL = {"exp": "exp", "log": "ln", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan",
              "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh",
              "tanh": "tanh", "arsinh": "asinh", "arcosh": "acosh", "artanh": "atanh", "pi": "pi"}


class _SourceParser(LeanTermParser):
    """The goal-state grammar with source text's extras: ascriptions to the rule's own type, names opened
    by ``namespace``/``open``, renamed variables, and the kind of every ``^``."""

    def __init__(self, text: str, domain: str, names: dict[str, str], var_types: dict[str, str],
                 opens: frozenset[str], namespace: str = "", lean_types: dict[str, str] | None = None):
        super().__init__(text, domain, frozenset(names))
        self.names = names
        # `exp` is Real.exp under `namespace Real` or `open Real`, but not inside another namespace
        # (`namespace Complex` has its own `exp`, which wins)
        self.bare_real = "Real" in opens and set(namespace.split(".")) <= {"", "Real"}
        self.lean_types = lean_types or {}
        self.var_types = var_types
        self.opens = opens
        self.ascribed_real = 0
        self.pow_kinds: set[str] = set()

    def variable(self, tok: str) -> Expr | None:
        if tok not in self.names:
            return None
        return var(self.names[tok], self.domain)

    def function(self, tok: str) -> str | None:
        fn = super().function(tok)
        if (fn is None and self.bare_real and tok in _BARE_REAL and tok != "pi" and tok not in self.names):
            fn = _BARE_REAL[tok]
        if fn is None and tok == "abs" and tok not in self.names:
            fn = "abs"
        return fn

    def atom(self) -> Expr:
        if self.peek() in ("pi", "Real.pi") and "Real" in self.opens and "pi" not in self.names:
            self.toks[self.i] = "π"
        if self.peek() in ("Nat.gcd", "Nat.lcm", "Int.gcd", "Int.lcm") and self.domain != "nat":
            raise UntranslatableGoal(f"{self.peek()} (ℕ-valued)")
        return super().atom()

    def ascription(self, e: Expr, typ: str) -> Expr:
        t = TYPE_OF.get(typ, self.var_types.get(typ))
        if t is None:
            raise UntranslatableGoal(f"ascription to {typ}")
        canon = TYPE_OF.get(typ) or f"tv:{typ}"
        if e.op == "var" and self.lean_types.get(str(e.value), canon) != canon:
            raise UntranslatableGoal("casts")  # `(n : α)` with `n : ℕ`: a cast, even where α is ℕ
        if t != self.domain:
            raise UntranslatableGoal("casts")
        if t == "real":
            self.ascribed_real += 1
        return e

    def exponent(self) -> Expr:
        before = self.ascribed_real
        e = super().exponent()
        if self.domain == "real":
            real = self.ascribed_real > before or bool(e.variables())
            self.pow_kinds.add("rpow" if real else "npow")
        return e

    def statement(self) -> Expr:
        return self.prop()


@dataclass(frozen=True)
class Candidate:
    """A declaration read as a rule over one type (before the numeric check)."""

    domain: str
    kind: str
    text: str  # the rule's text after ``ID:``
    template: str
    rpow: bool


def _type_of(typ: str, tvars: dict[str, frozenset[str]]) -> str | None:
    """``real``/``nat``/``int``, ``tv:α`` for a type variable, None for anything else."""
    t = typ.strip()
    if t in TYPE_OF:
        return TYPE_OF[t]
    if t in tvars:
        return "tv:" + t
    return None


_TYPE_SORT = re.compile(r"^(Type\*?|Type\s+\w+|Type\s*_|Sort\s*\*|Sort\s+\w+)$")
_PROP_HINT = re.compile(r"[=≠<≤>≥∣↔→]")


def candidates(decl: Declaration) -> list[Candidate]:
    """The rules ``decl`` states, one per type it holds over (Skip with the reason when none)."""
    stmt = decl.statement
    for rx, why in _OUTSIDE:
        if rx.search(stmt):
            raise Skip(why)
    # a leading `∀ a b : α,` is the same as explicit binders
    lead = re.match(r"^∀\s*((?:\([^()]*\)\s*|\{[^{}]*\}\s*)+|[^,:]+:\s*[^,]+),\s*(.*)$", stmt)
    binders = list(decl.binders)
    first_own = len(binders) - decl.n_own
    if lead:
        head = lead.group(1).strip()
        if head[0] in "({":
            extra, _ = parse_binders(head)
        else:
            names, typ = head.split(":", 1)
            extra = [Binder(tuple(names.split()), typ.strip(), "explicit")]
        binders += extra
        stmt = lead.group(2)
    if "∀" in stmt:
        raise Skip("∀")
    parts = [p.strip() for p in _top_split(stmt, "→")]
    concl_text, arrow_hyps = parts[-1], parts[:-1]
    tokens = set(re.findall(r"[A-Za-z_α-κμ-ορ-ω][\w'₀-₉!?]*", stmt))
    # which binders matter: those named in the statement, their hypotheses, and the classes of their types
    tvars: dict[str, frozenset[str]] = {}
    for b in binders:
        if b.kind != "inst" and _TYPE_SORT.match(b.type):
            for n in b.names:
                tvars[n] = _ALL
    var_types: dict[str, str] = {}
    named_hyps: list[tuple[str, str]] = []
    for k, b in enumerate(binders):
        if b.kind == "inst" or not b.type:
            continue
        t = _type_of(b.type, tvars)
        if t is not None:
            for n in b.names:
                var_types[n] = t
        elif _TYPE_SORT.match(b.type):
            continue
        elif _PROP_HINT.search(b.type):
            # a section's hypotheses join a lemma only through `include` (then they are among its own)
            if k >= first_own:
                named_hyps += [(n, b.type) for n in b.names]
        elif any(n in tokens for n in b.names):
            raise Skip("variables of another type")
        elif k >= first_own:  # `(hp : p.Prime)`, `(h : Commute a b)`: a proposition we cannot state
            raise Skip("hypothesis outside our language")
    hyp_texts = [*named_hyps, *(("", t) for t in arrow_hyps)]
    for _, t in hyp_texts:
        tokens |= set(re.findall(r"[A-Za-z_α-κμ-ορ-ω][\w'₀-₉!?]*", t))
    used_vars = [n for n in var_types if n in tokens]
    for _, t in hyp_texts:
        for rx, why in _OUTSIDE:
            if rx.search(t):
                raise Skip(why)
        if "∀" in t:
            raise Skip("∀")
    used_tv = {t[3:] for n, t in var_types.items() if n in used_vars and t.startswith("tv:")}
    used_tv |= {tv for tv in tvars if tv in tokens}  # `(0 : α) < 1`: a type named by an ascription
    for b in binders:
        if b.kind != "inst":
            continue
        cls = b.type.split()
        if not cls:
            continue
        args = cls[1:]
        if not any(re.search(rf"(?<![\w'.]){re.escape(tv)}(?![A-Za-z0-9_'₀-₉])", b.type) for tv in used_tv):
            continue  # about another type
        # a class of the type itself, `[Field α]`; `[Subsingleton αˣ]`, `[CovariantClass α α ...]` are not
        # in our table (their meaning for our types is not a fact we hold)
        if len(args) != 1 or args[0].strip("()") not in used_tv:
            raise Skip("typeclass with several arguments")
        name = cls[0].split(".")[-1]
        if decl.additive:
            name = ADDITIVE_CLASS.get(name, name)
        allowed = CLASS_TYPES.get(name)
        if allowed is None:
            raise Skip(f"typeclass {name}")
        tvars[args[0].strip("()")] = tvars[args[0].strip("()")] & allowed
    if len(used_tv) > 1:
        raise Skip("several type variables")
    if len(used_vars) > 26:
        raise Skip("too many variables")
    concrete = {t for n, t in var_types.items() if n in used_vars and not t.startswith("tv:")}
    if not used_vars and not used_tv:
        # a statement about numerals (`Real.exp 0 = 1`, `cos π = -1`): its type from an ascription, a real
        # function, or the namespace (`Nat.`); Lean would default bare numerals to ℕ, which we do not guess
        concrete = {TYPE_OF[t] for t in re.findall(r":\s*(ℝ|ℕ|ℤ)\s*\)", " ".join([stmt, *(t for _, t in hyp_texts)]))}
        if re.search(r"Real\.|\brexp\b|√|π", stmt) or (decl.opens & {"Real"} and tokens & set(_BARE_REAL)):
            concrete.add("real")
        head = decl.name.split(".")[0]
        if not concrete and head in NAMESPACE_OF:
            concrete.add(NAMESPACE_OF[head])
        if not concrete:
            raise Skip("no variables (a numeral fact)")
    if used_tv:
        tv = next(iter(used_tv))
        domains = [d for d in DOMAINS if d in tvars[tv] and concrete <= {d}]
        if not domains:
            raise Skip("variables of several types" if concrete else "no type of ours has these instances")
    else:
        if len(concrete) != 1:
            raise Skip("variables of several types")
        domains = list(concrete)
        tv = ""
    if "Nat" in decl.name.split(".")[:-1] and "nat" not in domains:
        raise Skip("variables of several types")
    letters = [chr(ord("A") + k) for k in range(26)]
    names = {n: letters[k] for k, n in enumerate(used_vars)}
    out: list[Candidate] = []
    first: Skip | None = None
    for d in domains:  # a type can fail alone (a cast that is one only in ℕ); the others are still kept
        try:
            out.append(_candidate(decl, d, names, var_types, hyp_texts, concl_text, tv))
        except Skip as s:
            first = first or s
    if not out and first is not None:
        raise first
    return out


def _candidate(decl: Declaration, domain: str, names: dict[str, str], var_types: dict[str, str],
               hyp_texts: list[tuple[str, str]], concl_text: str, tv: str) -> Candidate:
    vt = {tv: domain} if tv else {}

    def parse(text: str) -> tuple[Expr, set[str]]:
        try:
            p = _SourceParser(text, domain, names, vt, decl.opens, decl.name.rpartition(".")[0],
                              {names[n]: t for n, t in var_types.items() if n in names})
            e = p.statement()
        except UntranslatableGoal as err:
            raise Skip(_reason(err.reason)) from None
        return (_additive(e) if decl.additive else e), p.pow_kinds

    kinds: set[str] = set()
    iff = _top_split(concl_text, "↔")
    if len(iff) > 2:
        raise Skip("connectives (∧ ∨ ¬)")
    hyps = []
    for _, t in hyp_texts:
        h, k = parse(t)
        hyps.append(h)
        kinds |= k
    if len(iff) == 2:
        lhs, k1 = parse(iff[0])
        rhs, k2 = parse(iff[1])
        kinds |= k1 | k2
        body = f"{to_infix(lhs)} <=> {to_infix(rhs)}"
        kind = "rewrite"
    else:
        concl, k = parse(concl_text)
        kinds |= k
        if concl.op == "eq":
            body, kind = f"{to_infix(concl.args[0])} == {to_infix(concl.args[1])}", "rewrite"
        else:
            body, kind = to_infix(concl), "assert"
    if kinds == {"npow", "rpow"}:
        raise Skip("ℕ and real powers mixed")
    if hyps:
        body += " | " + "; ".join(to_infix(h) for h in hyps)
    args = [f"({n} := {{{v}}})" for n, v in names.items()]
    if tv:
        args.insert(0, f"({tv} := {_LEAN_TYPE[domain]})")
    for idx, (n, _) in enumerate(hyp_texts, start=1):
        args.append(f"({n} := {{h{idx}}})" if n and n != "_" else f"{{h{idx}}}")
    template = " ".join([decl.name, *args])
    return Candidate(domain, kind, body, template, "rpow" in kinds)


_LEAN_TYPE = {"real": "ℝ", "nat": "ℕ", "int": "ℤ"}
_ADD_OPS = {"mul": "add", "div": "sub", "inv": "neg"}


def _additive(e: Expr) -> Expr:
    """The additive reading of a multiplicative statement (to_additive's): ``* / ⁻¹ 1`` -> ``+ - - 0``."""
    if e.op == "int":
        if int(e.value) == 1:
            return num(0)
        raise Skip("to_additive: a numeral other than 1")
    if e.op == "pow":
        raise Skip("• (scalar action)")  # a power's additive twin is `n • a`
    if e.op in ("add", "sub", "neg", "exp", "ln", "sqrt", "abs", "gcd", "lcm", "mod", "pi"):
        raise Skip("to_additive: an operator without additive twin")
    if not e.args:
        return e
    return make(_ADD_OPS.get(e.op, e.op), *(_additive(a) for a in e.args))


def _reason(why: str) -> str:
    """A parser message as a histogram key (``'Real.foo' is not a variable ...`` -> unknown function)."""
    if "is not a variable" in why or "unexpected" in why or "expected" in why:
        return "unknown function or notation"
    if "ascription" in why:
        return "casts"
    if "ℕ-valued" in why:
        return "unknown function or notation"
    return why


# ---------------------------------------------------------------------------------------------------------
# the import
# ---------------------------------------------------------------------------------------------------------


def rule_id(lean_name: str) -> str:
    """A rule id for a Lean name (``div_le_iff₀`` -> ``div_le_iff0``, ``foo'`` -> ``foo_p``)."""
    s = lean_name.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")).replace("'", "_p")
    s = re.sub(r"[^A-Za-z0-9_.]", "_", s)
    return s if s[:1].isalpha() or s[:1] == "_" else "r" + s


def lean_files(src: Path) -> Iterator[tuple[str, str]]:
    """``(relative path, text)`` of every ``.lean`` file under a directory, in path order."""
    if src.is_file():
        yield src.name, src.read_text(encoding="utf-8", errors="replace")
        return
    for p in sorted(src.rglob("*.lean")):
        yield p.relative_to(src).as_posix(), p.read_text(encoding="utf-8", errors="replace")


def git_files(git_dir: Path, rev: str, under: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """``(path, text)`` of the ``.lean`` files of a bare git directory at ``rev`` (optionally only under some
    folders), read with ``git ls-tree``/``cat-file --batch`` (no work tree)."""
    import subprocess

    ls = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", rev, "--", *under],
                        capture_output=True, text=True, check=False)
    if ls.returncode != 0:
        raise ValueError(f"git ls-tree {rev}: {ls.stderr.strip().splitlines()[0] if ls.stderr else 'failed'}")
    entries = [(ln.split()[2], ln.split("\t", 1)[1]) for ln in ls.stdout.splitlines() if ln.endswith(".lean")]
    batch = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                           input="".join(f"{sha}\n" for sha, _ in entries).encode(), capture_output=True,
                           check=True)
    data, pos = batch.stdout, 0
    for _, path in entries:
        nl = data.index(b"\n", pos)
        size = int(data[pos:nl].split()[2])
        yield path, data[nl + 1:nl + 1 + size].decode("utf-8", errors="replace")
        pos = nl + 1 + size + 1


_USES = re.compile(r"[A-Za-z_][\w.'₀-₉]*")


def import_files(files: Iterable[tuple[str, str]], n_points: int = 20) -> ImportReport:
    """Read every declaration, convert, check numerically; one rule per (Lean name, type)."""
    report = ImportReport()
    seen: dict[str, set[str]] = {d: {REFL[0]} for d in DOMAINS}
    sources = list(files)
    # a to_additive name we guessed is kept only when the sources use it somewhere (a proof, a doc string):
    # the guess then names a declaration that exists
    used_names = set().union(*(_USES.findall(strip_comments(text)) for _, text in sources)) if sources else set()
    for path, text in sources:
        report.files += 1
        for decl in declarations(text, path):
            report.declarations += 1
            if decl.unusable:
                report.reject(decl, f"{decl.unusable} (not usable from an export)")
                continue
            if decl.guessed and decl.name not in used_names and decl.name.rsplit(".", 1)[-1] not in used_names:
                report.reject(decl, "to_additive: guessed name not used in the sources")
                continue
            try:
                cands = candidates(decl)
            except Skip as s:
                report.reject(decl, s.reason)
                continue
            except (UntranslatableGoal, RecursionError):
                report.reject(decl, "unknown function or notation")
                continue
            for c in cands:
                rid = rule_id(decl.name)
                if rid in seen[c.domain]:
                    report.reject(decl, "duplicate name")
                    continue
                try:
                    rule = parse_rule(f"{c.kind} {rid}: {c.text}", _category(path), c.domain)
                except RuleError:
                    if c.kind != "rewrite" or "<=>" in c.text:
                        report.reject(decl, "not a rule of ours")
                        continue
                    # an equation whose side is a variable absent from the other (`a = b` under hypotheses)
                    try:
                        rule = parse_rule(f"assert {rid}: {c.text}", _category(path), c.domain)
                    except RuleError:
                        report.reject(decl, "not a rule of ours")
                        continue
                from equations.expr import domain_error

                bad = next((e for e in _parts(rule) if domain_error(e, c.domain, e.is_comparison)), None)
                if bad is not None:
                    report.reject(decl, f"operator outside {c.domain}")
                    continue
                res = check_rule(rule, n_points=n_points)
                if not res.ok:
                    msg = res.message or ""
                    why = ("hypotheses rarely hold (numeric check)" if "sampled points" in msg
                           else "undefined where the hypotheses hold (numeric check)" if "undefined" in msg
                           else "unsound numerically")
                    report.reject(decl, f"{why}", f"{c.domain}: {msg}")
                    continue
                seen[c.domain].add(rid)
                report.imported[c.domain].append(Imported(rule, decl.name, decl.file, decl.line, c.template,
                                                          c.rpow))
    return report


def _parts(rule: Rule) -> list[Expr]:
    return [e for e in (rule.lhs, rule.rhs, rule.concl, *rule.hyps) if e is not None]


def _category(path: str) -> str:
    parts = [p for p in Path(path).with_suffix("").parts if p != "Mathlib"][:3]
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)) or "imported"


#: the one rule every written set has without reading it from a source: reflexivity, which closes the last
#: goal of every walk (``A0 == A0``); Lean core's ``Eq.refl`` (a constructor, so no ``theorem`` declares it)
REFL = ("eq_refl", "Eq.refl")


def write_output(report: ImportReport, out: Path, source: str = "") -> list[Path]:
    """``mathlib_<type>.rules`` (what ``load_rules(path)`` reads) and ``mathlib_<type>.lean.tsv`` (the
    exporter's table: rule id, template, flags, then the Lean name, file and line) per type with rules."""
    written: list[Path] = []
    for d, items in report.imported.items():
        if not items:
            continue
        lines = [f"# Imported from Mathlib by `equations import-mathlib` ({source})",
                 "# each rule: Lean name, file and line in the comment above it", "", f"@domain {d}"]
        cat = ""
        lines += ["", "@category core", f"# {REFL[1]}  Lean core (the constructor of Eq; what every walk closes with)",
                  f"assert {REFL[0]}: A == A"]
        for it in sorted(items, key=lambda i: (i.rule.category, i.file, i.line)):
            if it.rule.category != cat:
                cat = it.rule.category
                lines += ["", f"@category {cat}"]
            lines.append(f"# {it.lean_name}  {it.file}:{it.line}")
            lines.append(str(it.rule))
        rules_path = out / f"mathlib_{d}.rules"
        write_atomic(rules_path, "\n".join(lines) + "\n")
        table = ["# rule id\tLean proof of the rule's instance\tflags\tLean name\tfile:line",
                 f"# written by `equations import-mathlib` ({source})"]
        table.append("\t".join([REFL[0], f"{REFL[1]} {{A}}", "", REFL[1], "Lean core"]))
        for it in items:
            table.append("\t".join([it.rule.id, it.template, "rpow" if it.rpow else "", it.lean_name,
                                    f"{it.file}:{it.line}"]))
        tsv = out / f"mathlib_{d}.lean.tsv"
        write_atomic(tsv, "\n".join(table) + "\n")
        written += [rules_path, tsv]
    return written


def summary(report: ImportReport) -> str:
    """Counts per type and kind beside the paper's table 8, then the skip reasons, most frequent first."""
    lines = [f"read {report.declarations} theorems/lemmas in {report.files} files",
             f"{'type':<5} {'transformations':>16} {'assertions':>11}   paper: {'transf.':>7} {'assert.':>8}"]
    sym = {"nat": "ℕ", "int": "ℤ", "real": "ℝ"}
    for d, (t, a) in report.counts().items():
        pt, pa = PAPER_TABLE8[d]
        lines.append(f"{sym[d]:<5} {t:>16} {a:>11}   {'':6} {pt:>7} {pa:>8}")
    lines.append("skipped:")
    for why, n in report.skipped.most_common():
        lines.append(f"  {n:>6}  {why}")
    return "\n".join(lines)


def load_imported(rules_path: Path) -> RuleSet:
    """The rule set of an import's rules file, with its Lean table registered for the exporter."""
    from equations import load_rules

    from .lean_table import use_lean_table

    rules = load_rules(rules_path)
    tsv = rules_path.with_name(rules_path.name.removesuffix(".rules") + ".lean.tsv")
    if tsv.is_file():
        use_lean_table(rules, tsv)
    return rules


__all__ = ["CLASS_TYPES", "PAPER_TABLE8", "Binder", "Candidate", "Declaration", "ImportReport", "Imported",
           "Skip", "candidates", "declarations", "git_files", "import_files", "lean_files", "load_imported",
           "rule_id", "strip_comments", "summary", "write_output"]
