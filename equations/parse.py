"""Parsers: infix text (theorems, statements, expressions) and prefix tokens.

The infix parser is a Pratt parser over a token list produced by one ``re.findall`` call (fast path);
columns are recovered only when reporting an error. Every error is a :class:`ParseError` naming the
1-based column and what was expected.
"""

from __future__ import annotations

import re

from .expr import (
    ARITY,
    BINARY_FUNCTIONS,
    COMPARISONS,
    DOMAIN_OPS,
    DOMAINS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LITERAL_DIGITS,
    RESERVED,
    Expr,
    make1,
    make2,
    num,
    operator_error,
    var,
)
from .expr import PI as _PI
from .expr import native_module as _native
from .theorem import Theorem


class ParseError(ValueError):
    """Bad input text. ``column`` is 1-based (``None`` for prefix input, where ``token`` is set)."""

    def __init__(self, message: str, text: str = "", column: int | None = None, token: int | None = None):
        self.message = message
        self.text = text
        self.column = column
        self.token = token
        where = ""
        if column is not None:
            where = f" at column {column}"
        elif token is not None:
            where = f" at token {token}"
        detail = f"{message}{where}"
        if text and column is not None:
            shown, caret = _excerpt(text, column)
            detail += f"\n  {shown}\n  {' ' * caret}^"
        super().__init__(detail)


def _excerpt(text: str, column: int, width: int = 60) -> tuple[str, int]:
    """At most ``2 * width`` characters of one line of ``text`` around ``column`` (1-based), and the
    caret's offset in it: an error message stays short however long the input is."""
    line_start = text.rfind("\n", 0, column - 1) + 1
    line_end = text.find("\n", column - 1)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    col = column - 1 - line_start
    lo = max(0, col - width)
    hi = min(len(line), col + width)
    prefix = "..." if lo else ""
    return prefix + line[lo:hi] + ("..." if hi < len(line) else ""), len(prefix) + col - lo


_TOKEN_RE = re.compile(r"[0-9]+|[A-Za-z_][A-Za-z0-9_]*|<=>|\*\*|==|!=|<=|>=|:=|->|<-|\S")

_BIN = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow"}
_LBP = {"+": 10, "-": 10, "*": 20, "/": 20, "%": 20, "**": 40}
_CMP = {sym: op for op, sym in COMPARISONS.items()}
_UNARY_FUNCS = frozenset(FUNCTIONS)
_BINARY_FUNCS = frozenset(BINARY_FUNCTIONS)
_REAL_ONLY = frozenset(f for f in FUNCTIONS if f != "abs")
_DOMAIN_PREFIX = re.compile(r"\s*(real|int|nat)\s*:(?!=)")


#: Variable leaves by name (strong references: variables are few and tiny), per domain.
_LEAF_LIMIT = 4096
_leaf_cache: dict[str, dict[str, Expr]] = {d: {} for d in DOMAINS}


def _check_domain(domain: str) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {', '.join(DOMAINS)}")


class Parser:
    """A cursor over the tokens of one text; reusable by the rule and tactic parsers.

    ``domain=None`` reads any operator of any domain, with real variables: tactic text read before the
    goal it applies to is known, which :func:`equations.tactics.apply` then validates in the goal's domain.

    Depth: callers check the result against :data:`~equations.expr.MAX_DEPTH` (:meth:`checked`) and turn a
    ``RecursionError`` (input nested far deeper than that) into a :class:`ParseError` (:func:`too_deep`);
    no per-token bookkeeping on the fast path.
    """

    __slots__ = ("domain", "i", "leaves", "n", "text", "toks")

    def __init__(self, text: str, domain: str | None = "real"):
        self.text = text
        self.toks: list[str] = _TOKEN_RE.findall(text)
        self.n = len(self.toks)
        self.i = 0
        self.domain = domain
        self.leaves = _leaf_cache[domain or "real"]

    # -- errors ----------------------------------------------------------------------------------------
    def column(self, k: int) -> int:
        """1-based column of token ``k`` (end of text when ``k`` is past the last token)."""
        for j, m in enumerate(_TOKEN_RE.finditer(self.text)):
            if j == k:
                return m.start() + 1
        return len(self.text.rstrip()) + 1

    def error(self, message: str, k: int | None = None) -> ParseError:
        k = self.i if k is None else k
        return ParseError(message, self.text, self.column(k))

    def _found(self, k: int) -> str:
        return f"{self.toks[k]!r}" if k < self.n else "end of input"

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < self.n else None

    def expect(self, tok: str) -> None:
        if self.i >= self.n or self.toks[self.i] != tok:
            raise self.error(f"expected {tok!r}, found {self._found(self.i)}")
        self.i += 1

    def at_end(self) -> bool:
        return self.i >= self.n

    # -- grammar ---------------------------------------------------------------------------------------
    def expr(self, rbp: int = 0) -> Expr:
        """An arithmetic expression (no comparison) binding tighter than ``rbp``."""
        toks = self.toks
        if self.i >= self.n:
            raise self.error("expected an expression, found end of input")
        k = self.i
        t = toks[k]
        self.i = k + 1
        c = t[0]
        leaf = self.leaves.get(t)
        if leaf is not None and (k + 1 >= self.n or toks[k + 1] != "("):
            left = leaf
        elif "0" <= c <= "9":
            if k + 1 < self.n and toks[k + 1] == ".":
                raise self.error("decimal numbers are not supported: write a fraction such as 3/2", k + 1)
            if len(t) > MAX_LITERAL_DIGITS:
                raise self.error(f"integer literal of {len(t)} digits: at most {MAX_LITERAL_DIGITS} are supported", k)
            left = num(int(t))
        elif c.isascii() and (c.isalpha() or c == "_"):
            left = self._name(t, k)
        elif t == "-":
            if self.domain == "nat":
                raise self.error("the naturals have no negation (write a subtraction)", k)
            left = make1("neg", self.expr(30))
        elif t == "(":
            left = self.expr(0)
            self.expect(")")
        else:
            raise self.error(f"expected an expression, found {t!r}", k)
        lbp = _LBP
        n = self.n
        while self.i < n:
            t = toks[self.i]
            bp = lbp.get(t, 0)
            if bp <= rbp:
                break
            self.i += 1
            if t == "**":
                right = self.expr(39)
            else:
                if t == "%" and self.domain == "real":
                    raise self.error("'%' is only defined over int and nat", self.i - 1)
                right = self.expr(bp)
            left = make2(_BIN[t], left, right)
        return left

    def _name(self, t: str, k: int) -> Expr:
        if t in _UNARY_FUNCS:
            if t in _REAL_ONLY and self.domain not in ("real", None):
                raise self.error(f"{t} is only defined over the reals", k)
            self.expect("(")
            a = self.expr(0)
            if self.peek() == ",":
                raise self.error(f"{t} takes one argument")
            self.expect(")")
            return make1(t, a)
        if t in _BINARY_FUNCS or t == "divides":
            if self.domain == "real":
                raise self.error(f"{t} is only defined over int and nat", k)
            self.expect("(")
            a = self.expr(0)
            self.expect(",")
            b = self.expr(0)
            self.expect(")")
            return make2("dvd" if t == "divides" else t, a, b)
        if t == "pi":
            if self.domain not in ("real", None):
                raise self.error("pi is only defined over the reals", k)
            return _PI
        if t in RESERVED:
            raise self.error(f"{t!r} is a reserved word and cannot be a variable", k)
        if self.peek() == "(":
            raise self.error(f"unknown function {t!r}", k)
        leaf = var(t, self.domain or "real")
        if len(self.leaves) < _LEAF_LIMIT:
            self.leaves[t] = leaf
        return leaf

    def checked(self, e: Expr, start: int) -> Expr:
        """``e`` (parsed from token ``start`` on), or a ParseError when it is nested beyond the limit."""
        if e.depth > MAX_DEPTH:
            raise self.error(f"the expression is nested {e.depth} deep; at most {MAX_DEPTH} is supported", start)
        return e

    def too_deep(self) -> ParseError:
        """The error for input nested so deeply that the recursive descent ran out of stack."""
        return ParseError(f"the expression is nested too deeply (at most {MAX_DEPTH} levels are supported)",
                          self.text, 1)

    def statement(self) -> Expr:
        """``expr CMP expr`` or ``divides(a, b)``."""
        start = self.i
        left = self.expr(0)
        if left.op == "dvd":
            return self.checked(left, start)
        t = self.peek()
        op = _CMP.get(t) if t is not None else None
        if op is None:
            if t is None:
                raise self.error(
                    "expected a comparison (==, !=, <, <=, >, >=) after the expression"
                    if self.i > start
                    else "expected a statement"
                )
            raise self.error(f"expected a comparison (==, !=, <, <=, >, >=), found {t!r}")
        self.i += 1
        right = self.expr(0)
        return self.checked(make2(op, left, right), start)

    def hypotheses(self) -> tuple[Expr, ...]:
        """``stmt ((;|,) stmt)*`` after a ``|``."""
        hyps = [self.statement()]
        while self.peek() in (";", ","):
            self.i += 1
            hyps.append(self.statement())
        return tuple(hyps)

    def tail(self) -> tuple[Expr, ...]:
        """An optional ``| HYP; HYP ...`` and then the end of the text; returns the hypotheses."""
        hyps: tuple[Expr, ...] = ()
        if self.peek() == "|":
            self.i += 1
            hyps = self.hypotheses()
        self.finish()
        return hyps

    def finish(self) -> None:
        if self.i < self.n:
            raise self.error(f"unexpected {self.toks[self.i]!r}")


def split_domain(text: str, domain: str | None) -> tuple[str, str]:
    """Strip a leading ``nat:``/``int:``/``real:`` marker; return (domain, rest)."""
    m = _DOMAIN_PREFIX.match(text)
    if m:
        found = m.group(1)
        if domain is not None and domain != found:
            raise ParseError(f"text says domain {found!r} but {domain!r} was requested", text, m.start(1) + 1)
        return found, text[m.end() :]
    d = domain or "real"
    _check_domain(d)
    return d, text


def parse(text: str, domain: str | None = None) -> Theorem:
    """Parse a theorem: ``[nat:|int:] GOAL [| HYP; HYP ...]``."""
    if not isinstance(text, str):
        raise ParseError(f"a theorem is text, not {type(text).__name__}")
    cache = _theorem_cache.get(domain or "")
    if cache is not None:
        hit = cache.get(text)
        if hit is not None:
            return hit
    thm = _parse_theorem(text, domain)
    if cache is not None:
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[text] = thm
    return thm


def _parse_theorem(text: str, domain: str | None) -> Theorem:
    dom, body = split_domain(text, domain)
    offset = len(text) - len(body)
    p = Parser(body, dom)
    try:
        try:
            goal = p.statement()
            hyps = p.tail()
        except RecursionError:
            raise p.too_deep() from None
    except ParseError as err:
        if offset and err.column is not None:
            raise ParseError(err.message, text, err.column + offset) from None
        raise
    return Theorem(goal, hyps, dom)


def parse_expr(text: str, domain: str = "real") -> Expr:
    """Parse an expression or a single statement (no hypotheses)."""
    if not isinstance(text, str):
        raise ParseError(f"an expression is text, not {type(text).__name__}")
    _check_domain(domain)
    p = Parser(text, domain)
    try:
        e = p.expr(0)
        t = p.peek()
        if t in _CMP:
            p.i += 1
            e = make2(_CMP[t], e, p.expr(0))
    except RecursionError:
        raise p.too_deep() from None
    p.finish()
    return p.checked(e, 0)


# --- prefix -----------------------------------------------------------------------------------------------

_PREFIX_ARITY = {op: a for op, a in ARITY.items() if op not in ("int", "var")}
#: the prefix operators of each domain: an operator the domain does not define is not a token there
_DOMAIN_ARITY = {d: {op: a for op, a in _PREFIX_ARITY.items() if op in DOMAIN_OPS[d]} for d in DOMAINS}
_DIGITS = frozenset("0123456789")


#: Bounded memo of parsed texts (per domain). Parsing is a pure function of the text and the results are
#: interned immutable objects, so a hit returns exactly what a fresh parse would. Cleared when full.
CACHE_LIMIT = 1 << 16
_prefix_cache: dict[str, dict[str, Expr]] = {d: {} for d in DOMAINS}
_theorem_cache: dict[str, dict[str, Theorem]] = {d: {} for d in ("", *DOMAINS)}


def parse_prefix(text: str | list[str], domain: str = "real") -> Expr:
    """Parse prefix tokens (the output of :func:`to_prefix`), e.g. ``add x INT+ 1 2``. The result must be a
    well-formed expression of ``domain`` (:func:`equations.expr.domain_error`): ``neg INT+ 1`` is not a
    natural number, ``inv INT+ 2`` not an integer."""
    if isinstance(text, str):
        cache = _prefix_cache.get(domain)
        if cache is None:
            _check_domain(domain)
            cache = {}
        hit = cache.get(text)
        if hit is not None:
            return hit
        e = _parse_prefix(text.split(), domain)
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[text] = e
        return e
    _check_domain(domain)
    if not isinstance(text, list) or not all(isinstance(t, str) for t in text):
        raise ParseError("prefix input is a string or a list of token strings", token=0)
    return _parse_prefix(text, domain)


def _parse_prefix(toks: list[str], domain: str) -> Expr:
    arity = _DOMAIN_ARITY[domain]
    leaves = _leaf_cache[domain]
    if _native is not None:
        # the common case in C; it returns None for anything else (a new variable, an error), which the
        # loop below then decides with the same result or the same error
        e0: Expr | None = _native.parse_prefix(toks, arity, leaves, _PI, domain != "nat", MAX_DEPTH)
        if e0 is not None:
            return e0
    stack: list[Expr] = []
    push = stack.append
    pop = stack.pop
    digits: list[str] = []
    k = len(toks)
    for tok in reversed(toks):
        k -= 1
        a = arity.get(tok)
        if a is None:
            leaf = leaves.get(tok)
            if leaf is not None and not digits:
                push(leaf)
            elif tok in _DIGITS:
                digits.append(tok)
            elif tok == "INT+" or tok == "INT-":
                if tok == "INT-" and domain == "nat":
                    raise ParseError("negative literal: unary minus is not defined over nat", token=k)
                if not digits:
                    raise ParseError(f"{tok} without digits", token=k)
                if len(digits) > MAX_LITERAL_DIGITS:
                    raise ParseError(f"integer literal of {len(digits)} digits: at most {MAX_LITERAL_DIGITS} are "
                                     "supported", token=k)
                value = int("".join(reversed(digits))) if len(digits) > 1 else int(digits[0])
                digits.clear()
                push(num(-value if tok == "INT-" else value))
            elif digits:
                raise ParseError(f"digits not preceded by INT+ before {tok!r}", token=k + 1)
            elif tok in _PREFIX_ARITY:
                raise ParseError(operator_error(tok, domain), token=k)
            elif (tok in RESERVED or not tok or not tok.isascii() or not (tok[0].isalpha() or tok[0] == "_")
                  or not tok.replace("_", "a").isalnum()):
                raise ParseError(f"invalid prefix token {tok!r}", token=k)
            else:
                leaf = var(tok, domain)
                if len(leaves) < _LEAF_LIMIT:
                    leaves[tok] = leaf
                push(leaf)
        elif a == 2:
            if len(stack) < 2 or digits:
                raise _prefix_error(tok, k, stack, digits)
            x = pop()
            push(make2(tok, x, pop()))
        elif a == 1:
            if not stack or digits:
                raise _prefix_error(tok, k, stack, digits)
            push(make1(tok, pop()))
        else:  # pi
            if digits:
                raise _prefix_error(tok, k, stack, digits)
            push(_PI)
    if digits:
        raise ParseError("digits not preceded by INT+", token=0)
    if len(stack) != 1:
        raise ParseError(
            "empty prefix expression" if not stack else f"{len(stack)} expressions where one was expected",
            token=0,
        )
    e = stack[0]
    if e.depth > MAX_DEPTH:
        raise ParseError(f"the expression is nested {e.depth} deep; at most {MAX_DEPTH} is supported", token=0)
    return e


def _prefix_error(tok: str, k: int, stack: list[Expr], digits: list[str]) -> ParseError:
    if digits:
        return ParseError(f"digits not preceded by INT+ before {tok!r}", token=k + 1)
    return ParseError(f"operator {tok!r} is missing operands", token=k)
