"""Random-walk theorem generator (HTPS paper, appendix B.6).

Start from a random expression ``A0`` (uniform over trees with ``ops`` operators) and random hypotheses,
apply ``steps`` random admissible transformation rules at random positions, ``A0 -> A1 -> ... -> AN``, and
emit ``A0 == AN`` with its backward proof: the walk's tactics applied to the left side of the goal, ending
in ``AN == AN`` (closed by ``eq_refl``). A *bidirectional* walk makes two walks ``L`` and ``R`` from the same
``A0`` and emits ``L == R``: the proof undoes the left walk (each step reversed) and replays the right one.
In ``mode="rel"`` the walk runs on a random comparison ``S0`` (term rewrites anywhere, relational rewrites
at the root) and the theorem is ``SN`` with ``S0`` as a hypothesis, proved by undoing the walk.

Rules are sampled per (rule, direction) with probability proportional to ``1 / (count + 1) ** bias``, where
``count`` is how often the rule occurs in theorems emitted so far (over-sampling rare rules), then a
position uniformly among those where it matches (:class:`~equations.generators.sampling.WalkRuleSampler`).
A side condition (instantiated rule hypothesis) is closed automatically (exact arithmetic, a hypothesis, a
hypothesis-free assertion), or proved by a short assertion chain
(:class:`~equations.generators.common.SideProver`), or, with probability ``p_side_hyp`` and while the theorem
has fewer than ``max_hyps`` hypotheses, added as a hypothesis when it is satisfiable at the screening points;
otherwise (false or unprovable) the step is rejected.

Every emitted proof is replayed by :func:`equations.check_proof` before it is yielded, proofs are minimal
(no single step can be dropped), theorems are screened in floating point (defined at enough points where
the hypotheses hold) and deduplicated up to variable names.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from equations.closing import is_closed
from equations.expr import COMPARISON_OPS, Expr, literal_value, make2, num, var
from equations.proof import Proof, ProofError, check_proof, replay
from equations.rules import Rule, RuleSet, load_rules
from equations.tactics import InvalidTactic, Tactic, apply
from equations.theorem import Theorem

from .common import (
    ConfigBase,
    Generated,
    Range,
    Rarity,
    RejectStats,
    SideProver,
    as_range,
    canonical_key,
    derive_seed,
    plain_literal,
    substitution_value,
)
from .expressions import ExprConfig, random_expression
from .sampling import WalkRuleSampler
from .screening import FloatChecker, PointPool, growth_depth


@dataclass
class WalkConfig(ConfigBase):
    """Knobs of the random walk. Ranges are inclusive ``(lo, hi)`` pairs (an int means exactly that).

    ``steps``: walk length (proof length); ``ops``: operators of ``A0``; ``categories``: rule categories the
    walk samples from (None: all; proofs are always checked against the full rule set); ``n_hyps``: random
    initial hypotheses; ``max_hyps``: cap on hypotheses (initial plus side conditions);
    ``p_side_hyp``: probability that an unprovable side condition becomes a hypothesis; ``bias``: rarity
    exponent b; ``fail_weight``: count added to a rule per failed attempt; ``bidirectional``: probability
    that a walk is bidirectional; ``mode``: ``eq`` or ``rel``;
    ``side_depth``/``side_budget``: depth and goals explored by the side-condition prover;
    ``max_size``: largest side (nodes) a walk may reach; ``variables``: variable names.
    """

    steps: int | Range = 10
    ops: int | Range = (2, 6)
    categories: tuple[str, ...] | None = None
    n_hyps: int | Range = (0, 1)
    max_hyps: int = 3
    p_side_hyp: float = 0.5
    side_depth: int = 2
    side_budget: int = 4
    bias: float = 1.0
    fail_weight: float = 0.25
    bidirectional: float = 0.25
    mode: str = "eq"
    max_size: int = 45
    variables: tuple[str, ...] = ("x", "y", "z")
    p_fresh_sub: float = 0.3
    max_sub_size: int = 5
    attempts: int = 12
    keep_unused_hyps: bool = False
    dedup: bool = True
    verify: bool = True
    expr: ExprConfig | None = None



#: operators whose value can be unreliable at 50 digits although their operands' are not (FloatChecker._values:
#: a vanishing argument, cancellation, a huge or pole argument); the others only pass their operands' risks on
_RISK_OPS = frozenset(("sqrt", "inv", "ln", "div", "pow", "add", "sub", "sin", "cos", "tan"))




def _injective(rule: Rule, direction: str | None) -> bool:
    """Whether rewriting with (rule, direction) loses no information (the input is recoverable)."""
    if rule.kind == "arith":
        return direction == "bwd"
    if rule.kind != "rewrite" or direction is None:
        return False
    src = rule.source(direction).variables()
    return src <= rule.target(direction).variables()


@dataclass
class _Step:
    rule: Rule
    direction: str
    pos: int            # position in the walked root (expression, or statement in rel mode)
    bindings: dict[str, Expr]
    sides: tuple[Proof | None, ...]
    fwd_subs: tuple[tuple[str, Expr], ...]
    before: Expr
    after: Expr


#: one proof step of a walk: (tactic, side-condition children, whether the rewrite is injective)
_Link = tuple[Tactic, tuple[Proof | None, ...], bool]


@dataclass
class _Stats(RejectStats):
    attempted: int = 0


class RandomWalkGenerator:
    """Random-walk theorems (see the module docstring). ``generate(n, seed)`` yields :class:`Generated`."""

    name = "walk"

    def __init__(self, rules: str | RuleSet = "default", config: WalkConfig | None = None, **kw: Any):
        self.rules = load_rules(rules) if isinstance(rules, str) else rules
        self.rules_name = rules if isinstance(rules, str) else self.rules.name
        self.config = config or WalkConfig(**kw)
        if config is not None and kw:
            raise TypeError("give either a WalkConfig or keyword parameters, not both")
        cfg = self.config
        if cfg.mode not in ("eq", "rel"):
            raise ValueError(f"walk mode must be 'eq' or 'rel', not {cfg.mode!r}")
        self.domain = self.rules.domain
        self.walk_rules = self.rules if cfg.categories is None else self.rules.subset(cfg.categories)
        if not len(self.walk_rules):
            raise ValueError(f"no rules in categories {cfg.categories}")
        self.expr_cfg = cfg.expr or ExprConfig.for_domain(self.domain, variables=cfg.variables)
        self.vars = tuple(var(v, self.domain) for v in self.expr_cfg.variables)
        self.side = SideProver(self.walk_rules, depth=cfg.side_depth, budget=cfg.side_budget)
        self.stats = _Stats()
        self.rarity = Rarity(cfg.bias)
        self.sampler = WalkRuleSampler(self.walk_rules, self.rarity)
        self._params = self.config.params()
        self._pool: PointPool | None = None
        self._checker: FloatChecker | None = None
        self._seen: dict[str, None] = {}
        self._inj: dict[tuple[str, str | None], bool] = {}
        self._risky: dict[tuple[str, str], bool] = {}

    # -- public -------------------------------------------------------------------------------------------
    def generate(self, n: int, seed: int = 0) -> Iterator[Generated]:
        """Yield ``n`` theorems (fewer only if generation keeps failing); deterministic in ``seed``."""
        rng = random.Random(derive_seed(seed, 0x57A1))
        produced = 0
        failures = 0
        while produced < n:
            g = self.one(rng)
            if g is None:
                failures += 1
                if failures > 200 + 50 * n:
                    return
                continue
            g.meta.update(seed=seed, index=produced)
            produced += 1
            yield g

    def one(self, rng: random.Random) -> Generated | None:
        """One attempt: a theorem, or ``None`` when this walk was rejected (see ``stats.rejected``)."""
        # numpy's floating-point errors (overflow, invalid) are expected in the float screen: ignore them
        # once for the attempt rather than at every evaluation (see FloatChecker.quiet)
        with np.errstate(all="ignore"):
            return self._one(rng)

    def _one(self, rng: random.Random) -> Generated | None:
        cfg = self.config
        st = self.stats
        st.attempted += 1
        t0 = time.perf_counter()
        if self._pool is None:
            self._pool = PointPool(self.expr_cfg.variables, self.domain, rng.getrandbits(63))
        # pole points: tan(x) at x = pi/2 and the like are flagged every time, not only when a random point hits
        # them (the numeric check draws such values on purpose)
        checker = FloatChecker(self.expr_cfg.variables, self.domain, rng, pool=self._pool, pole_points=True)
        checker.quiet = True
        self._checker = checker
        hyps = self._initial_hyps(rng, checker)
        if hyps is None:
            st.reject("hypotheses")
            return None
        points = checker.satisfying(hyps)
        lo, hi = as_range(cfg.ops)
        steps_lo, steps_hi = as_range(cfg.steps)
        n_steps = rng.randint(steps_lo, steps_hi)
        try:
            if cfg.mode == "eq":
                a0 = random_expression(rng, rng.randint(lo, hi), self.expr_cfg, checker)
                if checker.defined_count(a0, points) < checker.min_points:
                    st.reject("A0 undefined")
                    return None
                if growth_depth(a0) >= 3 or checker.overflows(a0, checker.all) or checker.unreliable(a0, points):
                    # the final screen rejects most walks from such a start (85%; 84% when A0 overflows at a
                    # point where the hypotheses hold, the walk's result then overflowing there too): give up
                    # before walking
                    st.reject("A0 overflow")
                    return None
                root0 = a0
            else:
                root0 = self._random_statement(rng, lo, hi, checker, points)
                hyps = (*hyps, root0)
                points = checker.satisfying([root0], points)
        except RuntimeError:
            st.reject("expression")
            return None
        state = _WalkState(list(hyps), points)
        visited: dict[Expr, None] = {root0: None}
        bidir = cfg.mode == "eq" and n_steps >= 2 and rng.random() < cfg.bidirectional
        n_left = rng.randint(1, n_steps - 1) if bidir else 0
        left = self._walk(rng, root0, n_left, visited, state, checker, True) if n_left else []
        if left is None:
            st.reject("walk stuck")
            return None
        right = self._walk(rng, root0, n_steps - n_left, visited, state, checker, cfg.mode == "rel")
        if right is None or not (left or right):
            st.reject("walk stuck")
            return None
        out = self._assemble(root0, left, right, state, checker)
        if out is not None:
            out.meta["seconds"] = time.perf_counter() - t0
            out.meta["bidirectional"] = bool(left)
        return out

    # -- pieces ---------------------------------------------------------------------------------------------
    def _initial_hyps(self, rng: random.Random, checker: FloatChecker) -> tuple[Expr, ...] | None:
        """``n_hyps`` (at most ``max_hyps``) simple bounds on variables, redrawn together (10 tries) until they
        hold at enough screening points. Not shared with the graph generator's: its hypotheses are the graph's
        roots (equations that pin a variable, comparisons of expressions), accepted one by one."""
        lo, hi = as_range(self.config.n_hyps)
        k = min(rng.randint(lo, hi), self.config.max_hyps)
        for _ in range(10):
            hyps: dict[Expr, None] = {}
            for _ in range(k):
                hyps[self._random_hyp(rng)] = None
            out = tuple(hyps)
            if checker.count(checker.satisfying(out)) >= max(checker.min_points, 6):
                return out
        return None

    def _random_hyp(self, rng: random.Random) -> Expr:
        """A bound ``v op c`` on a variable (a small constant; nonnegative over nat), for side conditions."""
        v = rng.choice(self.vars)
        op = rng.choice(("gt", "gt", "ge", "ne", "lt", "le"))
        if self.domain == "nat":
            op = rng.choice(("gt", "ge", "ne"))
        c = rng.choice((0, 0, 0, 1, 1, 2, -1))
        if self.domain == "nat":
            c = abs(c)
        return make2(op, v, num(c))

    def _random_statement(self, rng: random.Random, lo: int, hi: int, checker: FloatChecker,
                          points: Any) -> Expr:
        ops = ("lt", "le", "ne", "gt", "ge") if self.domain == "real" else ("lt", "le", "ne")
        for _ in range(30):
            n = rng.randint(lo, hi)
            k = rng.randint(0, n)
            a = random_expression(rng, k, self.expr_cfg, checker, require_variable=False)
            b = random_expression(rng, n - k, self.expr_cfg, checker, require_variable=False)
            if a is b or (a.const and b.const):
                continue
            s = make2(rng.choice(ops), a, b)
            if checker.count(checker.satisfying([s], points) & checker.clearly_holds(s)) >= max(checker.min_points, 4):
                return s
        raise RuntimeError("no satisfiable statement")

    def _walk(self, rng: random.Random, root: Expr, n: int, visited: dict[Expr, None], state: _WalkState,
              checker: FloatChecker, reversed_: bool) -> list[_Step] | None:
        steps: list[_Step] = []
        for _ in range(n):
            step = self._step(rng, root, visited, state, checker, reversed_)
            if step is None:
                return None
            steps.append(step)
            root = step.after
            visited[root] = None
        return steps

    def _step(self, rng: random.Random, root: Expr, visited: dict[Expr, None], state: _WalkState,
              checker: FloatChecker, reversed_: bool) -> _Step | None:
        """One step of the walk: up to ``attempts`` (rule, direction, position) draws, the first that
        :meth:`_try` accepts; a failed draw makes its rule rarer (``fail_weight``)."""
        sampler = self.sampler
        table = sampler.table(root)
        if table is None:
            return None
        for _ in range(self.config.attempts):
            drawn = sampler.draw(rng, root, table, reversed_)
            if drawn is None:
                continue
            rule, d, pos = drawn
            step = self._try(rng, root, rule, d, pos, visited, state, checker)
            if step is not None:
                return step
            if self.config.fail_weight:
                sampler.record_failure(rule.id, self.config.fail_weight)
        return None

    def _sub_value(self, rng: random.Random, root: Expr) -> Expr:
        """A value for a free variable of a rule (:func:`~equations.generators.common.substitution_value`)."""
        cfg = self.config
        return substitution_value(rng, root, cfg.p_fresh_sub, self._fresh_sub, cfg.max_sub_size, self.vars)

    def _fresh_sub(self, rng: random.Random) -> Expr:
        """A fresh value of at most one operator, screened by this attempt's checker."""
        return random_expression(rng, rng.randint(0, 1), self.expr_cfg, self._checker, require_variable=False)

    def _try(self, rng: random.Random, root: Expr, rule: Rule, d: str, pos: int, visited: dict[Expr, None],
             state: _WalkState, checker: FloatChecker) -> _Step | None:
        node = root.at(pos)
        sides_raw: tuple[Expr, ...]
        if rule.kind == "arith":
            subs: tuple[tuple[str, Expr], ...] = ()
            if d == "fwd" and not all(plain_literal(x) for x in node.args):
                return None  # '-0' operands: the reverse step would rebuild them as '0'
            if d == "bwd":
                c = literal_value(node)
                if c is None or node is not num(c):
                    return None  # '-0' is not the normal numeral: int_* -> would not give it back
                if rule.arith_op == "mul":
                    divs = [k for k in range(1, min(abs(c), 12) + 1) if c % k == 0] or [1]
                    a = rng.choice(divs) * rng.choice((1, 1, -1))
                else:
                    a = rng.randint(-3, 6)
                if self.domain == "nat":
                    a = abs(a)
                subs = (("A", num(a)),)
            try:
                (sub0,) = apply(Theorem(make2("eq", node, node), (), self.domain), Tactic(rule.id, d, 1, subs),
                                self.rules)
            except InvalidTactic:
                return None
            new_node = sub0.goal.args[0]
            b: dict[str, Expr] = dict(subs)
            sides_raw = ()
            fwd_subs = subs
            if d == "fwd" and rule.arith_op != "pow":
                b = {"A": node.args[0]}
        else:
            m = rule.match[d](node)
            if m is None:
                return None
            b = m
            free = rule.free[d]
            for v in free:
                b[v] = self._sub_value(rng, root)
            new_node = rule.build[d](b)
            sides_raw = tuple(h(b) for h in rule.hyp_build)
            fwd_subs = tuple((v, b[v]) for v in free)
        if new_node is node:
            return None
        if sides_raw:
            # side conditions first: they depend only on the bindings, and a step rejected here (about half
            # the steps with side conditions) then costs no new root (its path of new interned nodes)
            res = state.resolve(sides_raw, self, rng, checker)
            if res is None:
                return None
        else:
            res = _NO_SIDES
        max_size = self.config.max_size
        if pos:  # the size limit is checked before the new root is built (building interns new nodes)
            grow = new_node.size - node.size
            if root.op not in COMPARISON_OPS:
                if root.size + grow > max_size:
                    return None
            else:
                ls, rs = root.args[0].size, root.args[1].size
                if pos <= ls:
                    ls += grow
                else:
                    rs += grow
                if ls > max_size or rs > max_size:
                    return None
            new_root = root.replace_at(pos, new_node)
        else:
            new_root = new_node
            half = new_root.args if new_root.op in COMPARISON_OPS else (new_root,)
            if any(h.size > max_size for h in half):
                return None
        if new_root in visited:
            return None
        # Screen the step now rather than the theorem at the end (where a failure throws the whole walk away,
        # a third of all walks before): nested growth and values that a 50-digit check cannot resolve are
        # inherited by every term containing them, so a step that creates them would almost always end in a
        # rejected theorem. Only the rewritten subterm is evaluated (its values are reused by the final
        # screen), and only when the rule builds an operator that can make a value unreliable (the others
        # pass on their operands' risks, which are not this step's doing); the final screen stays the judge.
        if growth_depth(new_root) >= 3 or (self._risky_target(rule, d)
                                           and checker.unreliable(new_node, state.points, overflow=False)):
            return None
        state.commit(res)
        return _Step(rule, d, pos, b, res[0], fwd_subs, root, new_root)

    def _assemble(self, root0: Expr, left: list[_Step], right: list[_Step], state: _WalkState,
                  checker: FloatChecker) -> Generated | None:
        """The theorem and proof of a finished walk, or None when it is rejected (counted in ``stats``). The
        checks run cheapest and most often failing first; nothing is recorded before all have passed."""
        cfg = self.config
        chain, fronts, goal, rhs = self._chain(root0, left, right)
        thm, points = self._theorem(goal, root0, state, checker)
        if is_closed(thm, self.rules):
            self.stats.reject("trivial")
            return None
        if not self._screened(thm, points, checker):
            return None
        # after the screen, which rejects one walk in ten: the key prints the whole theorem
        key = canonical_key(thm) if cfg.dedup else ""
        if cfg.dedup and key in self._seen:
            self.stats.reject("duplicate")
            return None
        proof = self._proof(chain)
        if cfg.verify and not self._verified(thm, proof, chain, fronts, rhs):
            return None
        rules_used = self._record(key, chain)
        meta: dict[str, Any] = {
            "generator": self.name, "params": self._params, "steps": len(chain),
            "mode": cfg.mode, "A0": str(root0),
        }
        return Generated(thm, proof, rules_used, meta)

    def _chain(self, root0: Expr, left: list[_Step], right: list[_Step]) -> tuple[list[_Link], list[Expr], Expr,
                                                                                   Expr | None]:
        """(links, fronts, goal, right side): the proof's steps in order, as (tactic, side children,
        injective) links, with the walked term (or statement) each rewrites, for the theorem ``goal``. In eq
        mode the proof undoes the left walk (reversed steps) and replays the right one, so the goal's right
        side ``rhs`` stays fixed; in rel mode it undoes the walk, from the final statement back to ``S0``."""
        chain: list[_Link] = []
        fronts: list[Expr] = []
        if self.config.mode == "eq":
            lhs = left[-1].after if left else root0
            rhs = right[-1].after
            goal = make2("eq", lhs, rhs)
            for s in reversed(left):
                chain.append(self._reverse(s, 1))
                fronts.append(s.after)
            for s in right:
                chain.append((Tactic(s.rule.id, s.direction, s.pos + 1, s.fwd_subs), s.sides,
                              self._injective(s.rule, s.direction)))
                fronts.append(s.before)
            return chain, fronts, goal, rhs
        goal = right[-1].after
        for s in reversed(right):
            chain.append(self._reverse(s, 0))
            fronts.append(s.after)
        return chain, fronts, goal, None

    def _theorem(self, goal: Expr, root0: Expr, state: _WalkState, checker: FloatChecker) -> tuple[Theorem, Any]:
        """The theorem of ``goal`` with the hypotheses its proof uses (all with ``keep_unused_hyps``; in rel
        mode ``S0`` always), and the screening points where they hold (recomputed only when some were
        dropped: dropping a hypothesis widens them)."""
        hyps_all = tuple(state.hyps)
        used = state.used
        if self.config.mode == "rel":
            used = {**used, root0: None}
        hyps = hyps_all if self.config.keep_unused_hyps else tuple(h for h in hyps_all if h in used)
        points = checker.satisfying(hyps) if len(hyps) != len(hyps_all) else state.points
        return Theorem(goal, hyps, self.domain), points

    def _screened(self, thm: Theorem, points: Any, checker: FloatChecker) -> bool:
        """Whether the theorem passes the float screen (its goal defined and reliable at enough ``points``;
        no hypothesis overflowing anywhere): the walk screened each step, this is the judge."""
        why = checker.screen(thm.goal, points)
        if why is None and any(checker.overflows(h, checker.all) for h in thm.hyps):
            why = "overflow"
        if why is not None:
            self.stats.reject(f"screen: {why}")
            return False
        return True

    @staticmethod
    def _proof(chain: list[_Link]) -> Proof:
        """The backward proof of a chain: each step's first child proves the rest of the chain."""
        proof: Proof | None = None
        for tac, sides, _ in reversed(chain):
            proof = Proof(tac, (proof, *sides))
        assert proof is not None
        return proof

    def _verified(self, thm: Theorem, proof: Proof, chain: list[_Link], fronts: list[Expr],
                  rhs: Expr | None) -> bool:
        """Whether the proof checks (every emitted proof is replayed by the judge) and is minimal."""
        st = self.stats
        try:
            check_proof(thm, proof, self.rules)
        except ProofError as err:
            st.reject("proof failed")
            st.failures.append(f"{thm} :: {err}")
            return False
        if self._droppable(thm, proof, chain, fronts, rhs):
            st.reject("not minimal")
            return False
        return True

    def _droppable(self, thm: Theorem, proof: Proof, chain: list[_Link], fronts: list[Expr],
                   rhs: Expr | None) -> bool:
        """Whether some step of the (checked) proof can be dropped.

        A step can only be dropped if a later step loses information; test those few exactly. Dropping step
        i leaves steps 0..i-1 as they were (same tactics on the same goals, already checked), so the
        shortened proof checks exactly when the steps after i prove the goal that step i rewrote: replay only
        that suffix, from the walk's goal before step i (much cheaper than the general
        :func:`equations.proof.droppable_steps`)."""
        last_lossy = max((i for i, c in enumerate(chain) if not c[2]), default=-1)
        suffixes: list[Proof | None] = []
        p: Proof | None = proof
        while p is not None and len(suffixes) <= last_lossy:
            p = p.children[0]
            suffixes.append(p)  # suffixes[i]: the proof after step i
        for i in range(last_lossy):
            before = make2("eq", fronts[i], rhs) if rhs is not None else fronts[i]
            try:
                check_proof(Theorem(before, thm.hyps, self.domain), suffixes[i], self.rules)
            except ProofError:
                continue
            return True
        return False

    def _record(self, key: str, chain: list[_Link]) -> list[str]:
        """Book an accepted theorem: its dedup key and its rules' counts (one per step: the rarity bias).
        Returns the rules it uses, the walk's in order, then those of the side proofs."""
        if self.config.dedup:
            self._seen[key] = None
        rules_used = list(dict.fromkeys(t.rule for t, _, _ in chain))
        for side_proof in (c for _, sides, _ in chain for c in sides if c is not None):
            for sp in side_proof.steps():
                if sp.tactic.rule not in rules_used:
                    rules_used.append(sp.tactic.rule)
        self.sampler.record_use([t.rule for t, _, _ in chain])
        self.stats.emitted += 1
        return rules_used

    def _reverse(self, s: _Step, offset: int) -> _Link:
        r = s.rule
        rd = "bwd" if s.direction == "fwd" else "fwd"
        if r.kind == "arith":
            subs: tuple[tuple[str, Expr], ...] = (("A", s.bindings["A"]),) if rd == "bwd" else ()
        else:
            subs = tuple((v, s.bindings[v]) for v in r.free[rd])
        return Tactic(r.id, rd, s.pos + offset, subs), s.sides, self._injective(r, rd)

    def _risky_target(self, rule: Rule, direction: str) -> bool:
        """Whether rewriting with (rule, direction) builds an operator that can make a value unreliable at 50
        digits (see FloatChecker._values). Integer arithmetic builds exact small numerals."""
        key = (rule.id, direction)
        hit = self._risky.get(key)
        if hit is None:
            hit = self._risky[key] = rule.kind != "arith" and any(
                n.op in _RISK_OPS for n in rule.target(direction).subterms())
        return hit

    def _injective(self, rule: Rule, direction: str | None) -> bool:
        """:func:`_injective`, cached per rule (of this generator's rule set) and direction."""
        key = (rule.id, direction)
        hit = self._inj.get(key)
        if hit is None:
            hit = self._inj[key] = _injective(rule, direction)
        return hit


#: (a child entry per side condition, conditions added as hypotheses, hypotheses used, points left)
_Resolution = tuple[tuple[Proof | None, ...], list[Expr], list[Expr], Any]
_NO_SIDES: _Resolution = ((), [], [], None)


class _WalkState:
    """Hypotheses of the theorem being built, which of them the proof uses, and the screening points."""

    def __init__(self, hyps: list[Expr], points: Any):
        self.hyps = hyps
        self.points = points
        self.used: dict[Expr, None] = {}

    def resolve(self, sides: tuple[Expr, ...], gen: RandomWalkGenerator, rng: random.Random,
                checker: FloatChecker) -> _Resolution | None:
        """How the side conditions are discharged, or None to reject the step: a child entry per condition
        (None: closed or a hypothesis; a Proof), the conditions that become hypotheses, the hypotheses the
        children use, and the screening points left. Nothing changes until :meth:`commit`."""
        out: list[Proof | None] = []
        added: list[Expr] = []
        points = self.points
        hyps = tuple(self.hyps)
        newly_used: list[Expr] = []
        for h in sides:
            if h in hyps or h in added:
                newly_used.append(h)
                out.append(None)
                continue
            ok, proof = gen.side.prove(h, hyps, gen.domain, lambda g, m=points: checker.refutes(g, m))
            if ok:
                if proof is not None:
                    newly_used.extend(_leaf_hyps(proof, h, hyps, gen))
                out.append(proof)
                continue
            if h.const:
                return None  # a false (or undecidable) variable-free condition
            cfg = gen.config
            if len(hyps) + len(added) >= cfg.max_hyps or rng.random() >= cfg.p_side_hyp:
                return None
            sat = checker.satisfying([h], points)
            if checker.count(sat & checker.clearly_holds(h)) < max(checker.min_points, 4):
                return None  # (nearly) unsatisfiable where the other hypotheses hold
            points = sat
            added.append(h)
            out.append(None)
        return tuple(out), added, newly_used, points

    def commit(self, res: _Resolution) -> None:
        """Record a resolution of the step that is taken."""
        _, added, newly_used, points = res
        if not added and not newly_used:
            return
        for h in added:
            self.hyps.append(h)
            self.used[h] = None
        for h in newly_used:
            self.used[h] = None
        self.points = points


def _leaf_hyps(proof: Proof, goal: Expr, hyps: tuple[Expr, ...], gen: RandomWalkGenerator) -> list[Expr]:
    """Hypotheses closing leaves of a side proof (the caller only asks which: the order is immaterial)."""
    steps = replay(Theorem(goal, hyps, gen.domain), proof, gen.rules)
    return [s.goal for step in steps for _, s in step.leaves() if s.goal in hyps]
