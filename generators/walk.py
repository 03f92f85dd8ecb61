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
position uniformly among those where it matches. A side condition (instantiated rule hypothesis) is closed
automatically (exact arithmetic, a hypothesis, a hypothesis-free assertion), or proved by a short
assertion chain (:class:`~equations.generators.common.SideProver`), or, with probability
``p_side_hyp`` and while the theorem has fewer than ``max_hyps`` hypotheses, added as a hypothesis when it
is satisfiable at the screening points; otherwise (false or unprovable) the step is rejected.

Every emitted proof is replayed by :func:`equations.check_proof` before it is yielded, proofs are minimal
(no single step can be dropped), theorems are screened in floating point (defined at enough points where
the hypotheses hold) and deduplicated up to variable names.
"""

from __future__ import annotations

import random
import time
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np

from equations.closing import is_closed
from equations.expr import COMPARISON_OPS, Expr, literal_value, make2, num, var
from equations.proof import Proof, ProofError, check_proof, replay
from equations.rules import Rule, RuleSet, load_rules, signature
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
)
from .expressions import ExprConfig, random_expression
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
        self._anywhere = [(r, d) for r, d in self.walk_rules.anywhere
                          if not (r.kind == "rewrite" and r.relational)]
        self._anywhere_of: dict[str, list[int]] = {}  # rule id -> its entries in _anywhere
        for j, (r, _d) in enumerate(self._anywhere):
            self._anywhere_of.setdefault(r.id, []).append(j)
        self._mask_cache: dict[Expr, tuple[int, int]] = {}
        self._key_id: dict[tuple[Rule, str], int] = {}
        self._keys: list[tuple[Rule, str]] = []
        self._keys_of: dict[str, list[int]] = {}  # rule id -> its key ids (to refresh their weights)
        self._w: list[float] = []                  # rarity weight per key id
        self._cand_bits: dict[int, list[tuple[Any, int]]] = {}
        self._cands_alive: list[Any] = []
        # node signature (op, child ops) -> (candidates of the rule index, their (tester, key bit) list)
        self._sig_bits: dict[tuple[str, ...], tuple[list[Any], list[tuple[Any, int]]]] = {}
        self.stats = _Stats()
        self.rarity = Rarity(cfg.bias)
        self._any_w = [self.rarity.weight(r.id) for r, _d in self._anywhere]  # rarity weight per entry
        self._any_cum: list[float] | None = None
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

    def _kid(self, r: Rule, d: str) -> int:
        """The id of key (rule, direction), given in order of first match (the order in which the sampler
        lists keys, so it is part of what a seed determines)."""
        key = (r, d)
        i = self._key_id.get(key)
        if i is None:
            i = self._key_id[key] = len(self._keys)
            self._keys.append(key)
            self._keys_of.setdefault(r.id, []).append(i)
            self._w.append(self.rarity.weight(r.id))
        return i

    def _refresh_weights(self, rule_ids: Any) -> None:
        """Recompute the weights of the keys of ``rule_ids`` after their counts changed."""
        w = self._w
        weight = self.rarity.weight
        anywhere = self._anywhere_of
        for rid in rule_ids:
            ks = self._keys_of.get(rid)
            if ks:
                x = weight(rid)
                for k in ks:
                    w[k] = x
            js = anywhere.get(rid)
            if js:
                x = weight(rid)
                for j in js:
                    self._any_w[j] = x
                self._any_cum = None  # rebuilt by the next step

    def _bits_for(self, cands: list[tuple[Rule, str, Any]]) -> list[tuple[Any, int]]:
        """(tester, key bit) of a candidate list of the rule index (cached per list: the index keeps them);
        ``~i`` (negative) until entry i first matches."""
        hit = self._cand_bits.get(id(cands))
        if hit is None:
            hit = self._cand_bits[id(cands)] = [(t, ~i) for i, (_r, _d, t) in enumerate(cands)]
            self._cands_alive.append(cands)  # keep the list (and so its id) alive
        return hit

    def _masks(self, node: Expr) -> tuple[int, int]:
        """(rules matching at this node, rules matching somewhere in its subtree) as bitmasks over key ids
        (cached per interned node, so a step only computes the masks of its new nodes)."""
        hit = self._mask_cache.get(node)
        if hit is not None:
            return hit
        own = 0
        sig = signature(node)
        entry = self._sig_bits.get(sig)
        if entry is None:  # the rule index's candidates depend only on this signature
            cands = self.walk_rules.candidates(node)
            entry = self._sig_bits[sig] = (cands, self._bits_for(cands))
        cands, bits = entry
        for t, bit in bits:
            if t(node):
                if bit < 0:  # first match of entry ~bit: give its key an id now (discovery order)
                    i = ~bit
                    r, d, _ = cands[i]
                    bit = 1 << self._kid(r, d)
                    bits[i] = (t, bit)
                own |= bit
        sub = own
        cache = self._mask_cache
        for a in node.args:
            h = cache.get(a)
            sub |= (h if h is not None else self._masks(a))[1]
        if len(cache) > 300_000:
            cache.clear()
        out = cache[node] = (own, sub)
        return out

    def _root_masks(self, root: Expr) -> tuple[int, int]:
        """(mask at position 0, mask of the whole statement or term)."""
        if root.op not in COMPARISON_OPS:
            return self._masks(root)
        own = 0
        for r, d, t in self.walk_rules.relational.get(root.op, ()):
            if t(root):
                own |= 1 << self._kid(r, d)
        sub = own
        for a in root.args:
            sub |= self._masks(a)[1]
        return own, sub

    def _positions(self, root: Expr, k: int) -> list[int]:
        """Positions where key ``k`` matches (only subtrees whose mask has the key are visited)."""
        bit = 1 << k
        out: list[int] = []
        masks = self._masks
        if root.op in COMPARISON_OPS:
            if self._root_masks(root)[0] & bit:
                out.append(0)
            stack = [(root.args[1], 1 + root.args[0].size), (root.args[0], 1)]
        else:
            stack = [(root, 0)]
        get = self._mask_cache.get
        pop = stack.pop
        push = stack.append
        while stack:
            node, pos = pop()
            own, sub = get(node) or masks(node)  # cached for the whole root unless the cache was just cleared
            if not sub & bit:
                continue
            if own & bit:
                out.append(pos)
            args = node.args
            if args:
                a0 = args[0]
                if len(args) == 2:
                    push((args[1], pos + 1 + a0.size))
                push((a0, pos + 1))
        return out

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
        is_stmt = root.op in COMPARISON_OPS
        mask = self._root_masks(root)[1]
        any_cum = self._any_cum
        if any_cum is None:
            any_cum = self._any_cum = [0.0, *accumulate(self._any_w)]
        has_terms = root.size > 1 or not is_stmt
        n_any = len(any_cum) - 1 if has_terms else 0
        # keys matching somewhere (ascending key id), weights summed left to right after the "anywhere" rules
        # (a plain loop over the ~30 set bits: cheaper than numpy's per-call overhead at this size)
        cum = any_cum[1:n_any + 1]
        total = any_cum[n_any]
        ids: list[int] = []
        w = self._w
        append_c = cum.append
        append_i = ids.append
        while mask:
            low = mask & -mask
            k = low.bit_length() - 1
            mask ^= low
            total += w[k]
            append_c(total)
            append_i(k)
        n_keys = len(cum)
        if not n_keys:
            return None
        lo_pos = 1 if is_stmt else 0
        for _ in range(self.config.attempts):
            j = min(bisect(cum, rng.random() * total), n_keys - 1)
            if j < n_any:
                rule, d = self._anywhere[j]
                pos = rng.randrange(lo_pos, root.size)
            else:
                k = ids[j - n_any]
                rule, d = self._keys[k]
                if reversed_ and rule.arith_op == "pow":
                    continue  # int_pow only rewrites forward: a walk that is undone cannot use it
                pos = rng.choice(self._positions(root, k))
            step = self._try(rng, root, rule, d, pos, visited, state, checker)
            if step is not None:
                return step
            if self.config.fail_weight:
                self.rarity.add((rule.id,), self.config.fail_weight)
                self._refresh_weights((rule.id,))
        return None

    def _sub_value(self, rng: random.Random, root: Expr) -> Expr:
        if rng.random() < self.config.p_fresh_sub:
            return random_expression(rng, rng.randint(0, 1), self.expr_cfg, self._checker, require_variable=False)
        # the subterms of at most max_sub_size nodes, in prefix order
        limit = self.config.max_sub_size
        pool: list[Expr] = []
        stack = [root]
        while stack:
            n = stack.pop()
            if n.size <= limit:
                if n.op not in COMPARISON_OPS:
                    pool.append(n)
            if n.args:
                stack.extend(reversed(n.args))
        return rng.choice(pool) if pool else rng.choice(self.vars)

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
        cfg = self.config
        st = self.stats
        # (tactic, side children) in proof order, and the walked term (or statement) each step rewrites
        chain: list[tuple[Tactic, tuple[Proof | None, ...], bool]] = []
        fronts: list[Expr] = []
        if cfg.mode == "eq":
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
        else:
            goal = right[-1].after
            for s in reversed(right):
                chain.append(self._reverse(s, 0))
                fronts.append(s.after)
        hyps_all = tuple(state.hyps)
        used = state.used
        if cfg.mode == "rel":
            used = {**used, root0: None}
        hyps = hyps_all if cfg.keep_unused_hyps else tuple(h for h in hyps_all if h in used)
        thm = Theorem(goal, hyps, self.domain)
        if is_closed(thm, self.rules):
            st.reject("trivial")
            return None
        points = checker.satisfying(hyps) if len(hyps) != len(hyps_all) else state.points
        why = checker.screen(goal, points)
        if why is None and any(checker.overflows(h, checker.all) for h in hyps):
            why = "overflow"
        if why is not None:
            st.reject(f"screen: {why}")
            return None
        # after the screen, which rejects one walk in ten: the key prints the whole theorem
        key = canonical_key(thm) if cfg.dedup else ""
        if cfg.dedup and key in self._seen:
            st.reject("duplicate")
            return None
        proof: Proof | None = None
        for tac, sides, _ in reversed(chain):
            proof = Proof(tac, (proof, *sides))
        assert proof is not None
        if cfg.verify:
            try:
                check_proof(thm, proof, self.rules)
            except ProofError as err:
                st.reject("proof failed")
                st.failures.append(f"{thm} :: {err}")
                return None
            # A step can only be dropped if a later step loses information; test those few exactly. Dropping
            # step i leaves steps 0..i-1 as they were (same tactics on the same goals, already checked), so
            # the shortened proof checks exactly when the steps after i prove the goal that step i rewrote:
            # replay only that suffix, from the walk's goal before step i.
            last_lossy = max((i for i, c in enumerate(chain) if not c[2]), default=-1)
            suffixes: list[Proof | None] = []
            p: Proof | None = proof
            while p is not None and len(suffixes) <= last_lossy:
                p = p.children[0]
                suffixes.append(p)  # suffixes[i]: the proof after step i
            for i in range(last_lossy):
                before = make2("eq", fronts[i], rhs) if cfg.mode == "eq" else fronts[i]
                try:
                    check_proof(Theorem(before, hyps, self.domain), suffixes[i], self.rules)
                except ProofError:
                    continue
                st.reject("not minimal")
                return None
        if cfg.dedup:
            self._seen[key] = None
        rules_used = list(dict.fromkeys(t.rule for t, _, _ in chain))
        for side_proof in (c for _, sides, _ in chain for c in sides if c is not None):
            for sp in side_proof.steps():
                if sp.tactic.rule not in rules_used:
                    rules_used.append(sp.tactic.rule)
        used_ids = [t.rule for t, _, _ in chain]
        self.rarity.add(used_ids)
        self._refresh_weights(dict.fromkeys(used_ids))
        st.emitted += 1
        meta: dict[str, Any] = {
            "generator": self.name, "params": self._params, "steps": len(chain),
            "mode": cfg.mode, "A0": str(root0),
        }
        return Generated(thm, proof, rules_used, meta)

    def _reverse(self, s: _Step, offset: int) -> tuple[Tactic, tuple[Proof | None, ...], bool]:
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
