"""The proof checker judges whatever built the proof (issue: false ℕ/ℤ proofs accepted).

Three groups:

* named regressions: the four false statements an adversarial review proved through tactics built with
  the Python API's default (real) domain, and the ℤ exponent cases; each passed ``check_proof`` before;
* a property test: random proofs over ℕ/ℤ goals built from cross-domain substitutions (negations, ``inv``,
  real functions, fractions) and the engine's own tactics; every proof the checker accepts must be of a
  statement true at every small-integer point (Lean's conventions: Euclidean division, x / 0 = 0);
* hostile input (deep, huge, unicode, wrong types) for the parsers, tactics, proof JSON and the CLI:
  one clear error each, quickly.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import equations as eq
from equations import numeric
from equations.exact import decide
from equations.expr import MAX_DEPTH, Expr, make, make1, make2, num, var
from equations.parse import ParseError, Parser, parse_expr, parse_prefix
from equations.proof import ProofError
from equations.tactics import InvalidTactic, applicable_triples, substitution_candidates

NAT = eq.load_rules("nat")
INT = eq.load_rules("int")

# --- named regressions ----------------------------------------------------------------------------------

_INT_1_LE_0 = eq.Proof(
    eq.Tactic.parse("le_trans with B := 9*inv(10)*1/1 + 9*inv(10)*1/1"),
    (eq.Proof.chain(["mul_div_cancel -> 3", "mul_div_cancel -> 7"]),),
)
FALSE_PROOFS = {
    "nat: 2 <= 1": (eq.Proof.chain(["le_trans with B := 2 + -1"]), NAT),
    "nat: a + 1 <= a": (
        eq.Proof(eq.Tactic.parse("le_trans with B := a + 1 + -1"),
                 (None, eq.Proof.chain(["add_assoc <- 1", "int_add -> 3", "add_zero -> 1"]))),
        NAT,
    ),
    "int: 1 <= 0": (_INT_1_LE_0, INT),
    "int: 0 == 1": (eq.Proof(eq.Tactic.parse("le_antisymm"), (None, _INT_1_LE_0)), INT),
}


@pytest.mark.parametrize("text", sorted(FALSE_PROOFS))
def test_false_statement_is_rejected(text: str) -> None:
    proof, rules = FALSE_PROOFS[text]
    with pytest.raises(ProofError, match=r"only defined over the reals|unary minus is not defined over nat"):
        eq.check_proof(eq.parse(text), proof, rules)


def test_checker_rejects_out_of_domain_theorems_built_by_hand() -> None:
    # A theorem object assembled without the parser: ``1 <= 1 + -1`` over ℕ would close exactly if the
    # evaluator computed the negation; ``inv`` inside an ℤ goal likewise.
    nat_thm = eq.Theorem(make2("le", num(1), make2("add", num(1), num(-1))), (), "nat")
    with pytest.raises(ProofError, match="unary minus is not defined over nat"):
        eq.check_proof(nat_thm, None, NAT)
    int_thm = eq.Theorem(make2("le", num(1), make2("add", make1("inv", num(2)), make1("inv", num(2)))), (), "int")
    with pytest.raises(ProofError, match="inv is only defined over the reals"):
        eq.check_proof(int_thm, None, INT)
    mixed = eq.Theorem(make2("eq", var("x", "real"), var("x", "real")), (), "int")
    with pytest.raises(ProofError, match="variable x is real, not int"):
        eq.check_proof(mixed, None, INT)


def test_exact_evaluation_stays_in_the_domain() -> None:
    # Defence in depth: the evaluator itself refuses what the domain does not define.
    assert decide(make2("le", num(1), make2("add", num(1), num(-1))), "nat") is None
    assert decide(make2("eq", make2("add", make1("inv", num(2)), make1("inv", num(2))), num(1)), "int") is None
    assert decide(make2("eq", make2("add", make1("inv", num(2)), make1("inv", num(2))), num(1)), "real") is True


@pytest.mark.parametrize("text", ["int: (-1)**(-1) == -1", "int: 1**(-1) == 1", "int: 0**(-1) == 0",
                                  "int: 2**(-1) == 0"])
def test_negative_integer_exponents_never_close(text: str) -> None:
    thm = eq.parse(text)
    assert decide(thm.goal, "int") is None
    assert not eq.is_closed(thm, INT)


def test_substitutions_are_validated_in_the_goal_domain() -> None:
    # Text read without a domain is permissive; the goal's domain decides at application time.
    tac = eq.Tactic.parse("le_trans with B := a % 2 + 1")
    subgoals = eq.apply(eq.parse("int: a <= 5"), tac, INT)
    assert str(subgoals[0]) == "int: a <= a % 2 + 1"
    with pytest.raises(InvalidTactic, match="mod is only defined over int and nat"):
        eq.apply(eq.parse("x <= 5"), eq.Tactic.parse("le_trans with B := x % 2"), eq.load_rules("default"))
    with pytest.raises(InvalidTactic, match="sqrt is only defined over the reals"):
        eq.apply(eq.parse("nat: a <= 5"), eq.Tactic.parse("le_trans with B := sqrt(a)"), NAT)


def test_check_refuses_a_rule_file_named_by_the_data(tmp_path: Path) -> None:
    evil = tmp_path / "evil.rules"
    evil.write_text("assert evil: A == B\n")
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"theorem": "1 == 0", "proof": json.dumps({"tactic": "evil"}),
                                "rules": str(evil)}) + "\n")
    r = _cli("check", str(data))
    assert r.returncode == 2, r.stdout
    assert "pass --rules" in r.stderr and "Traceback" not in r.stderr
    # The user may choose the file, and the output names the rule set that vouched for the proof.
    r = _cli("check", str(data), "--rules", str(evil))
    assert r.returncode == 0
    assert "evil (version" in r.stdout
    # A bundled set named by a record is used, with its name and version in the output.
    good = tmp_path / "g.jsonl"
    good.write_text(json.dumps({"theorem": "x + 0 == x", "proof": json.dumps({"tactic": "add_zero -> 1"}),
                                "rules": "default"}) + "\n")
    r = _cli("check", str(good))
    assert r.returncode == 0 and f"default (version {eq.load_rules('default').version})" in r.stdout


# --- property: accepted proofs over ℕ/ℤ are true -------------------------------------------------------

# Terms a careless or adversarial program could hand the checker: negations, inverses, real functions,
# fractions, mixed with the goal's own variables.
_HOSTILE_TERMS = [
    "2 + -1", "a + 1 + -1", "a - 1", "-a", "9*inv(10)*1/1 + 9*inv(10)*1/1", "inv(2) + inv(2)", "1/2 + 1/2",
    "sqrt(4)", "exp(0)", "a * inv(a)", "pi - pi", "a + -a", "2**(-1)", "(-1)**(-1)", "0 - 1", "a / 0",
    "a % 0", "abs(-1)", "b", "a", "1", "0", "a + 1", "a * 0",
]


def _term(text: str) -> Expr:
    """A term read with every operator allowed (as tactic text without a domain is)."""
    p = Parser(text, None)
    e = p.expr(0)
    p.finish()
    return e


@st.composite
def _int_goals(draw: st.DrawFn) -> eq.Theorem:
    domain = draw(st.sampled_from(["nat", "int"]))
    leaf = st.sampled_from(["a", "b", "0", "1", "2", "3"])
    expr = st.recursive(leaf, lambda c: st.builds(lambda x, op, y: f"({x} {op} {y})", c,
                                                  st.sampled_from(["+", "-", "*", "/", "%"]), c), max_leaves=4)
    cmp = draw(st.sampled_from(["==", "<=", "<", "!="]))
    return eq.parse(f"{domain}: {draw(expr)} {cmp} {draw(expr)}")


def _random_tactic(rng: random.Random, thm: eq.Theorem, rules: eq.RuleSet) -> eq.Tactic | None:
    """A random (rule, direction, position) that matches, with values for its free variables drawn from the
    goal's subterms or from the hostile terms."""
    triples = applicable_triples(thm, rules)
    if not triples:
        return None
    r, d, p = rng.choice(triples)
    pool = substitution_candidates(thm, 12)
    subs = tuple((v, _term(rng.choice(_HOSTILE_TERMS)) if rng.random() < 0.5 else rng.choice(pool))
                 for v in r.free_variables(d))
    return eq.Tactic(r.id, d, None if d is None else p, subs)


def _build_proof(rng: random.Random, thm: eq.Theorem, rules: eq.RuleSet, depth: int) -> eq.Proof | None:
    """A random proof of ``thm`` (steps that apply, open subgoals proved recursively) or None."""
    for _ in range(6):
        tac = _random_tactic(rng, thm, rules)
        if tac is None:
            return None
        try:
            subgoals = eq.apply(thm, tac, rules)
        except InvalidTactic:
            continue
        children: list[eq.Proof | None] = []
        for sub in subgoals:
            if eq.is_closed(sub, rules):
                children.append(None)
                continue
            if depth <= 1:
                break
            child = _build_proof(rng, sub, rules, depth - 1)
            if child is None:
                break
            children.append(child)
        else:
            return eq.Proof(tac, tuple(children))
    return None


def _true_at_small_points(thm: eq.Theorem) -> bool:
    names = sorted(thm.variables())
    values = range(0, 5) if thm.domain == "nat" else range(-3, 4)
    for point in itertools.product(values, repeat=len(names)):
        env = dict(zip(names, point, strict=True))
        try:
            if all(numeric.holds(h, env, "lean", thm.domain) for h in thm.hyps) and \
                    not numeric.holds(thm.goal, env, "lean", thm.domain):
                return False
        except numeric.Undefined:
            continue
    return True


@settings(max_examples=300, deadline=None)
@given(_int_goals(), st.integers(0, 2**32 - 1))
def test_every_accepted_int_nat_proof_is_true(thm: eq.Theorem, seed: int) -> None:
    rules = NAT if thm.domain == "nat" else INT
    rng = random.Random(seed)
    for _ in range(3):
        proof = _build_proof(rng, thm, rules, depth=3)
        if proof is None:
            continue
        # A tactic built in the real domain, serialised and read back without one, must be judged the same.
        reread = eq.Proof.from_json(proof.to_json())
        assert eq.check_proof(thm, reread, rules)
        assert _true_at_small_points(thm), f"accepted a proof of a false statement: {thm}  {proof.to_json()}"


@pytest.mark.parametrize("text", sorted(FALSE_PROOFS))
def test_property_strategy_finds_the_regressions_shape(text: str) -> None:
    # The hostile terms include those of the named regressions, so the property explores that shape.
    proof, _ = FALSE_PROOFS[text]
    subs = [to for step in proof.steps() for _, to in step.tactic.subs]
    assert all(any(_term(t) is s for t in _HOSTILE_TERMS) for s in subs)


# --- hostile input --------------------------------------------------------------------------------------

_DEEP_NEG = "-" * 500 + "x == 1"
_LONG_SUM = " + ".join(["x"] * 3000) + " == 1"
_HUGE = "x == " + "7" * 5000


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", [
    "x == ²", "x² == 1", "é == 1", _DEEP_NEG, "(" * 5000 + "x" + ")" * 5000 + " == 1",
    "-" * 150 + "(" * 150 + "-" * 100 + "x" + ")" * 150 + " == 1", _LONG_SUM, _HUGE,
    "x == ", "", "== 1", "x ==== 1", "\x00 == 1", "x == 1 |", "f(x) == 1", "sin(x, y) == 1", "nat: -x == 1",
    "int: sqrt(x) == 1", "gcd(x, y) == 1", "1.5 == x",
])
def test_infix_parser_gives_one_clear_error(text: str) -> None:
    with pytest.raises(ParseError) as info:
        eq.parse(text)
    assert len(str(info.value)) < 400


@pytest.mark.timeout(10)
@pytest.mark.parametrize("value", [None, 3, b"x == 1", ["x == 1"]])
def test_parse_of_a_non_string_is_a_parse_error(value: Any) -> None:
    with pytest.raises(ParseError, match="is text"):
        eq.parse(value)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("tokens", "domain"), [
    ("inv INT+ 2", "int"), ("neg INT+ 1", "nat"), ("INT- 1", "nat"), ("sqrt x", "nat"), ("pi", "int"),
    ("mod x INT+ 2", "real"), ("gcd x y", "real"), ("INT+ " + " ".join("9" * 5000), "int"), ("x²", "real"),
    ("neg " * 300 + "x", "real"), ("add x", "real"), ("", "real"), ("INT+", "real"), ("1 2", "real"),
])
def test_prefix_parser_gives_one_clear_error(tokens: str, domain: str) -> None:
    with pytest.raises(ParseError):
        parse_prefix(tokens, domain)
    with pytest.raises(ParseError):
        parse_prefix(tokens.split(), domain)


def test_prefix_parser_unknown_domain_and_types() -> None:
    with pytest.raises(ValueError, match="unknown domain 'foo'"):
        parse_prefix(["x"], "foo")
    with pytest.raises(ValueError, match="unknown domain 'foo'"):
        parse_prefix("x", "foo")
    with pytest.raises(ParseError, match="list of token strings"):
        parse_prefix([1, 2], "real")  # type: ignore[list-item]


def test_deep_trees_print_without_recursion() -> None:
    e: Expr = var("x")
    for _ in range(3000):
        e = make2("add", e, num(1))
    assert eq.to_infix(e).count("+") == 3000
    assert eq.to_prefix(e).count("add") == 3000
    with pytest.raises(ValueError, match="too deep"):
        eq.to_latex(e)
    # ... but the checker refuses it as a theorem, with the reason.
    with pytest.raises(ProofError, match=f"at most {MAX_DEPTH}"):
        eq.check_proof(eq.Theorem(make2("eq", e, e)), None, eq.load_rules("default"))


@pytest.mark.parametrize(("args", "kind"), [
    (("add_zero", "fwd", 1.5), "position"), (("add_zero", "fwd", "1"), "position"),
    (("add_zero", "fwd", True), "position"), (("add_zero", "up", 1), "direction"),
    (("add_zero", "fwd", None), "direction"), (("le_trans", None, None, (("B", num(1)), 5)), "substitution"),
])
def test_malformed_tactics_are_invalid_tactics(args: tuple[Any, ...], kind: str) -> None:
    with pytest.raises(InvalidTactic) as info:
        eq.Tactic(*args)
    assert info.value.kind == kind


@pytest.mark.parametrize(("tactic", "kind"), [
    (eq.Tactic(3, "fwd", 1), "unknown_rule"),  # type: ignore[arg-type]
    (eq.Tactic("le_trans", None, None, (("B", "x"),)), "substitution"),  # type: ignore[arg-type]
    (eq.Tactic("le_trans", None, None, ((1, num(1)),)), "substitution"),  # type: ignore[arg-type]
    (eq.Tactic("le_trans", None, None, (("B", num(1), 2),)), "substitution"),  # type: ignore[arg-type]
    (eq.Tactic("le_trans", None, None, (("B", make2("eq", num(1), num(1))),)), "substitution"),
    ("add_zero -> 1.5", "syntax"), (7, "syntax"),
])
def test_malformed_tactics_do_not_apply(tactic: Any, kind: str) -> None:
    with pytest.raises(InvalidTactic) as info:
        eq.apply(eq.parse("x <= 5"), tactic, eq.load_rules("default"))
    assert info.value.kind == kind


def test_numpy_positions_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    tac = eq.Tactic("add_zero", "fwd", np.int64(1))
    assert type(tac.position) is int
    assert eq.apply(eq.parse("x + 0 == x"), tac, eq.load_rules("default"))[0].goal.op == "eq"


def test_huge_literal_results_are_refused_before_they_exist() -> None:
    thm = eq.parse("x == 10**4400")
    with pytest.raises(InvalidTactic, match="too large") as info:
        eq.apply(thm, "int_pow -> 2", eq.load_rules("default"))
    assert info.value.kind == "arith"
    with pytest.raises(ValueError, match="at most 4000 digits"):
        num(10**4001)


def test_text_env_step_on_a_too_large_result_keeps_its_state() -> None:
    gym = pytest.importorskip("gymnasium")
    import equations.envs  # noqa: F401  (registers the environments)

    env = gym.make("equations/EquationsText-v0", theorems=["x == 10**4400"])
    obs, _ = env.reset(seed=0)
    obs2, reward, terminated, truncated, info = env.step("int_pow -> 2")
    assert not terminated and obs2["goal"] == obs["goal"] and info.get("error")


@pytest.mark.parametrize("raw", [
    "not json", "[" * 100_000, json.dumps({"tactic": 3}), json.dumps({"tactic": "add_zero -> 1", "subproofs": 5}),
    json.dumps({"tactic": "add_zero -> 1", "subproofs": [7]}), json.dumps([1, 2]), json.dumps("x"),
    json.dumps({"tactic": "add_zero -> 1.5"}), json.dumps({"tactic": "add_zero -> 1 with X := (("}),
])
def test_proof_json_errors_are_proof_errors(raw: str) -> None:
    with pytest.raises(ProofError):
        eq.Proof.from_json(raw)


def test_deep_proof_json_round_trips_without_recursion() -> None:
    proof = eq.Proof.chain(["add_zero <- 1"] * 350 + ["add_zero -> 1"] * 350)
    assert proof.depth == 700 and proof.size == 700
    with pytest.raises(ProofError, match="at most 400"):
        proof.to_json()
    short = eq.Proof.chain(["add_zero <- 1"] * 150 + ["add_zero -> 1"] * 150)
    thm = eq.parse("x == x")
    # the default rule set's add_zero gives x + 0 + ... + 0: nested 151 deep, within the limit
    assert eq.check_proof(thm, eq.Proof.from_json(short.to_json()), eq.load_rules("default"))


@pytest.mark.parametrize("items", [[1], [None], ["add_zero -> 1", object()], "add_zero -> 1", []])
def test_proof_chain_of_non_tactics(items: Any) -> None:
    with pytest.raises(ProofError):
        eq.Proof.chain(items)


def test_check_proof_of_wrong_types() -> None:
    rules = eq.load_rules("default")
    with pytest.raises(ProofError, match="expected a Theorem"):
        eq.check_proof("x == x", None, rules)  # type: ignore[arg-type]
    with pytest.raises(ProofError, match="a proof step is a Proof"):
        eq.check_proof(eq.parse("x + 0 == x"), "add_zero -> 1", rules)  # type: ignore[arg-type]
    with pytest.raises(ProofError, match="must be a RuleSet"):
        eq.check_proof(eq.parse("x + 0 == x"), eq.Proof.chain(["add_zero -> 1"]), "default")  # type: ignore[arg-type]


# --- CLI ------------------------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "equations.cli", *args], capture_output=True, text=True, timeout=60)


def _one_line_error(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


_BAD_RECORDS = [
    {"theorem": 3, "proof": None},
    {"theorem": "x + 0 == x", "proof": "{not json"},
    {"theorem": "x + 0 == x", "proof": json.dumps({"tactic": 5})},
    {"theorem": "x + 0 == x", "proof": json.dumps({"tactic": "add_zero -> 1"}), "rules": 7},
    {"theorem": "x + 0 == x", "proof": 12},
    {"theorem": "x + 0 == x", "proof": "[" * 5000},
    {"theorem": _DEEP_NEG, "proof": None},
    {"theorem": "x == ²", "proof": None},
    {"theorem": "x + 0 == x", "proof": json.dumps({"tactic": "add_zero -> 1"}), "rules": "/no/such.rules"},
]


@pytest.mark.parametrize("i", range(len(_BAD_RECORDS)))
def test_check_cli_bad_records(tmp_path: Path, i: int) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps(_BAD_RECORDS[i]) + "\n")
    _one_line_error(_cli("check", str(f)))


def test_check_cli_bad_files(tmp_path: Path) -> None:
    _one_line_error(_cli("check", str(tmp_path)))  # a directory
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    _one_line_error(_cli("check", str(empty)))
    binary = tmp_path / "b.jsonl.gz"
    binary.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe")
    _one_line_error(_cli("check", str(binary)))
    _one_line_error(_cli("apply", "x == ²", "add_zero -> 1"))
    _one_line_error(_cli("apply", "x + 0 == x", "add_zero -> 1.5"))
    _one_line_error(_cli("apply", "nat: a <= 2", "le_trans with B := 2 + -1", "--rules", "nat"))


def test_parse_expr_is_permissive_only_where_asked() -> None:
    # Real-domain parsing still refuses integer-only operators, and int parsing real-only ones.
    with pytest.raises(ParseError):
        parse_expr("x % 2")
    with pytest.raises(ParseError):
        parse_expr("sqrt(x)", "int")
    assert make("add", var("x"), num(1)) is parse_expr("x + 1")


# --- fuzz: any input gives a result or the module's own error, never another exception -------------------

_INFIX_PIECES = [*"xyab0123456789+-*/%()=<>!|;:,. ", "²", "é", "\n", "\t", "sin", "gcd", "divides", "nat:", "int:",
                 "**", "pi", "inv", "==", "<=", "99999999999999999999"]
_PREFIX_PIECES = ["add", "sub", "mul", "div", "pow", "neg", "inv", "sqrt", "mod", "gcd", "eq", "le", "dvd", "pi",
                  "INT+", "INT-", "0", "1", "7", "x", "y", "é", "²", "|", ""]


@pytest.mark.timeout(120)
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_INFIX_PIECES), max_size=40).map("".join))
def test_fuzz_infix_parser(text: str) -> None:
    try:
        thm = eq.parse(text)
    except ParseError:
        return
    assert eq.parse(str(thm)) == thm  # what parses prints back to the same theorem


@pytest.mark.timeout(120)
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PREFIX_PIECES), max_size=30), st.sampled_from(["real", "int", "nat"]))
def test_fuzz_prefix_parser(tokens: list[str], domain: str) -> None:
    try:
        e = parse_prefix(tokens, domain)
    except ParseError:
        return
    from equations.expr import domain_error

    # the prefix parser only builds expressions of its domain (a statement, or a term)
    assert domain_error(e, domain, statement=e.op in ("eq", "le", "dvd")) is None


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
              st.sampled_from(["add_zero -> 1", "le_trans with B := -1", "add_zero -> 1.5", "x :="])),
    lambda ch: st.one_of(st.lists(ch, max_size=3),
                         st.dictionaries(st.sampled_from(["tactic", "subproofs", "goal"]), ch, max_size=3)),
    max_leaves=12,
)


@pytest.mark.timeout(120)
@settings(max_examples=400, deadline=None)
@given(_json_values)
def test_fuzz_proof_json(value: Any) -> None:
    try:
        proof = eq.Proof.from_json(json.dumps(value))
    except ProofError:
        return
    try:
        eq.check_proof(eq.parse("nat: x + 0 == x"), proof, NAT)
    except ProofError:
        pass
