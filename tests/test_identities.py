"""Tests for the Identities evaluation set (``equations.identities``).

The data are hand-written, so these tests guard against the mistakes hand-writing makes: a false identity,
a missing or too weak hypothesis, a typo that still parses, a duplicated statement, a renumbered id.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest

import equations
from equations import identities, parse
from equations.numeric import check_theorem

Identity = identities.Identity
CATEGORIES = identities.CATEGORIES
load = identities.load
split = identities.split
results_table = identities.results_table

ID_RE = re.compile(r"^(?P<cat>[a-z]+)-\d{3}$")
EQUALITY_CATEGORIES = ("algebra", "explog", "trig", "hyperbolic", "inverse")


def _data_ids() -> list[str]:
    """Ids read straight from the data files (no parsing), so that collection works even if the engine's
    parser is broken and every failure is reported against its own identity."""
    out: list[str] = []
    for cat in CATEGORIES:
        text = resources.files(identities).joinpath("data").joinpath(f"{cat}.txt").read_text(encoding="utf-8")
        out += [ln.split()[0] for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return out


DATA_IDS = _data_ids()


def _by_id() -> dict[str, Identity]:
    return {it.id: it for it in load()}


# --- shape of the set -----------------------------------------------------------------------------------


def test_counts() -> None:
    items = load()
    assert sum(1 for it in items if it.category in EQUALITY_CATEGORIES) >= 250
    assert len(load("inequalities")) >= 25
    assert {it.category for it in items} == set(CATEGORIES)
    assert {it.difficulty for it in items} == {"easy", "medium", "hard"}


def test_ids_unique_and_well_formed() -> None:
    items = load()
    ids = [it.id for it in items]
    assert len(ids) == len(set(ids)) == len(DATA_IDS)
    assert ids == sorted(ids)
    for it in items:
        m = ID_RE.match(it.id)
        assert m is not None and m["cat"] == it.category, it.id
        assert it.difficulty in ("easy", "medium", "hard")


def test_paper_identities_present() -> None:
    """All 47 rows of Table 9 and the two statements of section 7.1.3 are in the set, tagged."""
    items = load()
    assert sum(it.source == "paper table 9" for it in items) == 47
    assert sum(it.source == "paper 7.1.3" for it in items) == 2
    texts = {it.text for it in items}
    assert "cosh(3*x) == 4*cosh(x)**3 - 3*cosh(x)" in texts
    assert "sin(4*x) == cos(x)*(4*sin(x) - 8*sin(x)**3)" in texts


def test_parse_round_trip() -> None:
    for it in load():
        assert isinstance(it.theorem, equations.Theorem)
        again = equations.parse(str(it.theorem))
        assert again == it.theorem, (it.id, str(it.theorem))


_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _key(it: Identity) -> tuple[Any, ...]:
    """Canonical form up to swapping the two sides of the goal (and ordering of the hypotheses)."""
    goal = it.theorem.goal
    a, b = (str(x) for x in goal.args)
    side = min((a, goal.op, b), (b, _FLIP.get(goal.op, goal.op), a))
    return side, frozenset(str(h) for h in it.theorem.hyps), it.theorem.domain


def test_no_duplicates_up_to_swap() -> None:
    seen: dict[tuple[Any, ...], str] = {}
    for it in load():
        k = _key(it)
        assert k not in seen, f"{it.id} duplicates {seen[k]}"
        seen[k] = it.id


# --- truth ------------------------------------------------------------------------------------------------

def _check(it: Identity) -> tuple[bool, str]:
    """The engine's numeric oracle (mpmath, 50 digits, points satisfying the hypotheses, near-cancellation
    points re-checked at higher precision)."""
    result = check_theorem(it.theorem, n_points=20, dps=50, seed=0)
    return bool(result.ok), str(result.message)


@pytest.mark.parametrize("identity_id", DATA_IDS)
def test_identity_is_true_numerically(identity_id: str) -> None:
    it = _by_id_cached()[identity_id]
    ok, message = _check(it)
    assert ok, f"{it.id}: {it.text}: {message}"


@pytest.mark.parametrize(
    "text", ["sin(2*x) == 2*sin(x)", "cosh(x)**2 + sinh(x)**2 == 1", "sqrt(x**2) == x",
             "exp(x) > 1 + x", "cos(x + y) == cos(x)*cos(y) + sin(x)*sin(y)"],
)
def test_oracle_refutes_false_statements(text: str) -> None:
    """The oracle must be able to fail, or the test above proves nothing."""
    assert not check_theorem(parse(text), n_points=20, dps=50, seed=0).ok


def test_oracle_accepts_true_statements_with_hypotheses() -> None:
    assert check_theorem(parse("ln(x*y) == ln(x) + ln(y) | x > 0; y > 0"), n_points=20, dps=50).ok


_CACHE: dict[str, Identity] = {}


def _by_id_cached() -> dict[str, Identity]:
    if not _CACHE:
        _CACHE.update(_by_id())
    return _CACHE


# --- API ---------------------------------------------------------------------------------------------------


def test_load_filters() -> None:
    trig = load(category="trig")
    assert trig and all(it.category == "trig" for it in trig)
    assert [it.id for it in trig] == sorted(it.id for it in trig)
    hard = load(difficulty="hard")
    assert hard and all(it.difficulty == "hard" for it in hard)
    both = load("hyperbolic", "easy")
    assert both == [it for it in load("hyperbolic") if it.difficulty == "easy"]
    assert sum(len(load(c)) for c in CATEGORIES) == len(load())
    sample = next(it for it in load("explog") if it.id == "explog-014")
    assert sample.text == "2*ln(sqrt(x)) == ln(x) | x > 0"
    assert sample.source == "paper table 9"
    assert sample.difficulty == "medium"


def test_load_unknown_category() -> None:
    with pytest.raises(ValueError, match="geometry"):
        load("geometry")
    with pytest.raises(ValueError, match="impossible"):
        load(difficulty="impossible")


def test_malformed_line_reports_file_and_line() -> None:
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:7: malformed"):
        identities._parse_line("data/trig.txt", 7, "trig-1 easy sin(x) == sin(x)", "trig")
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:8: .*difficulty"):
        identities._parse_line("data/trig.txt", 8, "trig-999 trivial: sin(x) == sin(x)", "trig")
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:9: .*category"):
        identities._parse_line("data/trig.txt", 9, "algebra-999 easy: x == x", "trig")
    with pytest.raises(identities.IdentityDataError, match=r"data/trig\.txt:10: cannot parse"):
        identities._parse_line("data/trig.txt", 10, "trig-999 easy: sin(x == ", "trig")
    assert identities._parse_line("data/trig.txt", 11, "  # a comment", "trig") is None
    ok = identities._parse_line("data/trig.txt", 12, "trig-999 easy: sin(x) == sin(x)  # note", "trig")
    assert ok is not None and ok.source == "note" and ok.text == "sin(x) == sin(x)"


def test_split_deterministic_and_disjoint() -> None:
    items = load()
    kept, held = split(items, held_out_fraction=0.2, seed=0)
    kept2, held2 = split(list(reversed(items)), held_out_fraction=0.2, seed=0)
    assert {it.id for it in kept} == {it.id for it in kept2}
    assert {it.id for it in held} == {it.id for it in held2}
    assert not {it.id for it in kept} & {it.id for it in held}
    assert len(kept) + len(held) == len(items)
    assert 0.1 * len(items) < len(held) < 0.3 * len(items)
    _, held_other = split(items, held_out_fraction=0.2, seed=1)
    assert {it.id for it in held_other} != {it.id for it in held}
    # Membership depends only on the id: a subset splits the same way.
    _, sub_held = split(items[:50], 0.2, 0)
    assert {it.id for it in sub_held} == {it.id for it in held} & {it.id for it in items[:50]}
    assert split(items, 0.0)[1] == [] and split(items, 1.0)[0] == []


def test_results_table_numbers() -> None:
    items = load("trig")[:4] + load("inverse")[:2]
    results = {items[0].id: True, items[1].id: True, items[2].id: False, items[4].id: True}
    table = results_table(results, items)
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[1:]}
    assert rows["trig"] == ["2", "4", "50.0%"]
    assert rows["inverse"] == ["1", "2", "50.0%"]
    assert rows["all"] == ["3", "6", "50.0%"]
    assert "algebra" not in rows
    full = results_table({})
    assert full.splitlines()[-1].split()[1:3] == ["0", str(len(load()))]
