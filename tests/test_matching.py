"""The core's memoised match index (equations.matching) against brute-force matching, including what the
per-node memo makes delicate: nodes shared by the goals of two rule sets used in turn, deep goals, and the
views (triples, environment action counts, generator groups) built on it."""

from __future__ import annotations

from conftest import theorems
from equations.generators.common import MatchIndex as GroupIndex
from hypothesis import given, settings

import equations as eq
from equations.envs.actions import ActionIndex
from equations.expr import COMPARISON_OPS, Expr, make1, make2
from equations.matching import bits
from equations.patterns import match


def brute_keys(rules: eq.RuleSet, node: Expr, at_root: bool) -> set[tuple[str, str | None]]:
    """The (rule, direction) keys whose source (an assertion: its conclusion) matches ``node``, by trying
    every rule of the set: relational rewrites and assertions at a comparison, the others at terms."""
    out: set[tuple[str, str | None]] = set()
    for r in rules:
        if r.kind == "assert":
            assert r.concl is not None
            if at_root and match(r.concl, node) is not None:
                out.add((r.id, None))
        elif r.kind == "rewrite":
            for d in ("fwd",) if r.symmetric else ("fwd", "bwd"):
                src = r.source(d)
                if src.op == "var" or r.relational != at_root:
                    continue
                if match(src, node) is not None:
                    out.add((r.id, d))
    return out


def index_keys(rules: eq.RuleSet, node: Expr, arith: bool = False) -> set[tuple[str, str | None]]:
    ix = rules.matches
    return {(ix.keys[k][0].id, ix.keys[k][1]) for k in bits(ix.at(node))
            if arith or ix.keys[k][0].kind != "arith"}


@settings(max_examples=40, deadline=None)
@given(thm=theorems(7))
def test_keys_at_every_node_are_exactly_the_matching_rules(thm: eq.Theorem, rules: eq.RuleSet) -> None:
    """At every node the index holds exactly the keys brute-force matching finds, and a node's subtree mask
    is the union of the masks below it."""
    ix = rules.matches
    for node in thm.goal.subterms():
        assert index_keys(rules, node) == brute_keys(rules, node, node.op in COMPARISON_OPS)
        want = ix.at(node)
        for a in node.args:
            want |= ix.below(a)
        assert ix.below(node) == want


def test_a_node_shared_with_another_rule_sets_goal_is_reindexed() -> None:
    """The memo holds one index's data: a subterm taken by another rule set's index in between must not
    leak that index's keys into the first one's enumeration (regression: readers trusted the root's memo)."""
    default, paper = eq.load_rules("default"), eq.load_rules("paper")
    thm = eq.parse("x == 0 + y")
    first = [(r.id, d, p) for r, d, p in eq.applicable_triples(thm, default)]
    for other in ("0 + y == z", "cos(0 + y) == x", "0 == x"):
        eq.applicable_triples(eq.parse(other), paper)  # takes 0, y and 0 + y for paper's index
        assert [(r.id, d, p) for r, d, p in eq.applicable_triples(thm, default)] == first
        assert ActionIndex(default).count(thm) == ActionIndex(default).count(eq.parse("x == 0 + y"))
    groups, _ = GroupIndex(default).groups(thm.goal)
    eq.applicable_triples(eq.parse("0 + y == z"), paper)
    again, _ = GroupIndex(default).groups(thm.goal)
    assert {(r.id, d): p for (r, d), p in groups.items()} == {(r.id, d): p for (r, d), p in again.items()}
    for p, node in enumerate(thm.goal.subterms()):
        assert index_keys(default, node) == brute_keys(default, node, p == 0)


def test_deep_goals_are_indexed_without_recursion() -> None:
    """A goal deeper than the interpreter's recursion limit is indexed iteratively, with the same masks."""
    rules = eq.load_rules("default")
    term = eq.parse("x == y").goal.args[0]
    for i in range(1500):
        term = make1("neg" if i % 3 else "exp", term)
    deep = eq.Theorem(make2("eq", term, eq.parse("x == y").goal.args[1]), (), "real")
    triples = eq.applicable_triples(deep, rules)
    anywhere = {(r.id, d) for r, d in rules.anywhere}
    assert {(r.id, d) for r, d, p in triples if p == 1} - anywhere == index_keys(rules, term, arith=True)
    ix = rules.matches
    assert ix.positions(deep.goal, ix.key_id(rules["neg_neg"], "fwd")) == [
        p for p, node in enumerate(deep.goal.subterms()) if node.op == "neg" and node.args[0].op == "neg"]


@settings(max_examples=25, deadline=None)
@given(thm=theorems(7))
def test_positions_list_where_a_key_matches(thm: eq.Theorem, rules: eq.RuleSet) -> None:
    ix = rules.matches
    nodes = list(thm.goal.subterms())
    for k in bits(ix.below(thm.goal)):
        want = [p for p, node in enumerate(nodes) if ix.at(node) >> k & 1]
        assert ix.positions(thm.goal, k) == want
