"""Theorem-graph generator (HTPS paper, appendix B.6).

Start from random hypotheses (one node each), then repeatedly apply rules *forward* to nodes already in the
graph:

* a **transformation** (term rewrite at any position, relational rewrite at the root, integer arithmetic)
  turns a fact ``F`` into a new fact ``G``; every instantiated rule hypothesis must be a node of the graph or
  trivially true (closed automatically: exact arithmetic or a hypothesis-free assertion), and trivially true
  facts are added as nodes;
* an **assertion** with hypotheses ``H1..Hk`` derives its conclusion from nodes matching ``H1..Hk`` (or
  trivially true instances): transitivity chains (``le_trans``, ``lt_of_le_of_lt``...), monotonicity
  (``add_le_add``, ``mul_le_mul_of_nonneg_left``...), signs, congruences;
* a **hypothesis-free assertion** (``sq_nonneg``, ``le_abs_self``, ``exp_pos``...) instantiated on subterms
  of the graph adds a trivially true fact that later steps can chain with.

Rules are drawn with probability proportional to ``1 / (count + 1) ** bias`` (rarity bias:
:class:`~equations.generators.sampling.GraphRuleSampler`). Theorems are then
sampled among the derived nodes with weights ``depth ** prefer_depth * size ** prefer_size *
rarity ** prefer_rare``; each theorem is the node's statement with the hypothesis nodes it depends on, and
its backward proof is the hypertree of the steps that produced it: a fact derived by assertion ``R`` is
proved by ``R with <its free variables>`` whose subgoals are its premises; a fact obtained by rewriting
``F`` at position ``p`` is proved by the *reverse* rewrite at ``p``, whose subgoals are ``F`` and the rule's
hypotheses. Hypotheses and trivially true nodes are leaves (closed automatically).

Every emitted proof is checked with :func:`equations.check_proof` and is minimal (no step can be dropped).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from equations.closing import is_closed
from equations.expr import Expr, literal_value, make2, num, var
from equations.patterns import Bindings, compile_builder, match
from equations.proof import Proof, ProofError, check_proof, droppable_steps
from equations.rules import Rule, RuleSet, load_rules
from equations.tactics import InvalidTactic, Tactic, apply
from equations.theorem import Theorem

from .common import (
    ConfigBase,
    Generated,
    Range,
    Rarity,
    RejectStats,
    as_range,
    canonical_key,
    derive_seed,
    plain_literal,
    substitution_value,
)
from .expressions import ExprConfig, random_expression
from .sampling import GraphRuleSampler
from .screening import FloatChecker


@dataclass
class GraphConfig(ConfigBase):
    """Knobs of the graph generator.

    ``n_hyps``: initial hypotheses (inclusive range); ``hyp_ops``: operators per side of a hypothesis;
    ``nodes``: derived nodes per graph; ``theorems_per_graph``: theorems sampled from each graph;
    ``min_depth``/``max_depth``: proof depth of sampled theorems; ``max_proof_size``: largest proof tree;
    ``categories``: rule categories used (proofs are checked against the full set); ``p_assert``: share of
    assertion steps; ``p_trivial``: share of hypothesis-free assertion steps; ``bias``: rarity exponent;
    ``prefer_depth``/``prefer_size``/``prefer_rare``/``prefer_hyps``: theorem sampling preferences (exponents
    of depth, proof size, mean rarity of the rules used, 1 + number of hypotheses); ``max_size``: largest
    statement (nodes); ``p_eq_hyp``: probability that a hypothesis is an equation ``v == e``.
    """

    n_hyps: int | Range = (2, 4)
    hyp_ops: int | Range = (0, 2)
    nodes: int = 150
    theorems_per_graph: int = 15
    min_depth: int = 2
    max_depth: int = 12
    max_proof_size: int = 40
    categories: tuple[str, ...] | None = None
    p_assert: float = 0.5
    p_trivial: float = 0.1
    bias: float = 1.0
    prefer_depth: float = 1.0
    prefer_size: float = 0.0
    prefer_rare: float = 1.0
    prefer_hyps: float = 1.0
    max_size: int = 25
    p_eq_hyp: float = 0.15
    variables: tuple[str, ...] = ("x", "y", "z")
    max_sub_size: int = 5
    attempts_per_node: int = 30
    dedup: bool = True
    verify: bool = True
    check_minimal: bool = True
    expr: ExprConfig | None = None



@dataclass
class _Node:
    stmt: Expr
    kind: str                     # hyp | trivial | assert | rewrite
    depth: int = 0
    rule: Rule | None = None
    direction: str | None = None
    pos: int = 0
    bindings: Bindings | None = None
    premises: tuple[int, ...] = ()  # assert: one per rule hypothesis; rewrite: (source, *sides)
    size: int = 0                  # proof-tree size (steps)
    hyps: frozenset[int] = frozenset()
    rules: frozenset[str] = frozenset()


@dataclass
class _Stats(RejectStats):
    graphs: int = 0
    nodes: int = 0
    attempts: int = 0


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[_Node] = []
        self.index: dict[Expr, int] = {}
        self.by_op: dict[str, list[int]] = {}

    def add(self, node: _Node) -> int:
        i = len(self.nodes)
        self.nodes.append(node)
        self.index[node.stmt] = i
        self.by_op.setdefault(node.stmt.op, []).append(i)
        return i


class GraphGenerator:
    """Theorem-graph theorems (see the module docstring). ``generate(n, seed)`` yields :class:`Generated`."""

    name = "graph"

    def __init__(self, rules: str | RuleSet = "default", config: GraphConfig | None = None, **kw: Any):
        if config is not None and kw:
            raise TypeError("give either a GraphConfig or keyword parameters, not both")
        self.rules = load_rules(rules) if isinstance(rules, str) else rules
        self.config = config or GraphConfig(**kw)
        cfg = self.config
        self.domain = self.rules.domain
        self.use_rules = self.rules if cfg.categories is None else self.rules.subset(cfg.categories)
        if not len(self.use_rules):
            raise ValueError(f"no rules in categories {cfg.categories}")
        self.expr_cfg = cfg.expr or ExprConfig.for_domain(self.domain, variables=cfg.variables)
        self.vars = tuple(var(v, self.domain) for v in self.expr_cfg.variables)
        self.asserts = [r for r in self.use_rules if r.kind == "assert" and r.hyps]
        self.free_asserts = [r for r in self.use_rules if r.kind == "assert" and not r.hyps]
        self._hyp_builders: dict[str, tuple[Any, ...]] = {}
        self.stats = _Stats()
        self.rarity = Rarity(cfg.bias)
        self.sampler = GraphRuleSampler(self.use_rules, self.rarity)
        self.index = self.sampler.index
        self._seen: dict[str, None] = {}
        self._params = cfg.params()
        self._proofs: dict[int, Proof | None] = {}
        self._sub_checker: FloatChecker | None = None
        self._pin_checkers: dict[tuple[Expr, ...], FloatChecker] = {}  # per graph: see _checker_for

    # -- public -------------------------------------------------------------------------------------------
    def generate(self, n: int, seed: int = 0) -> Iterator[Generated]:
        """Yield ``n`` theorems, building as many graphs as needed; deterministic in ``seed``."""
        rng = random.Random(derive_seed(seed, 0x6EA9))
        produced = 0
        empty = 0
        while produced < n:
            got = 0
            for g in self.theorems_from_graph(rng):
                g.meta.update(seed=seed, index=produced)
                produced += 1
                got += 1
                yield g
                if produced >= n:
                    return
            empty = 0 if got else empty + 1
            if empty > 50:
                return

    def theorems_from_graph(self, rng: random.Random) -> Iterator[Generated]:
        """Build one graph and yield the theorems sampled from it."""
        t0 = time.perf_counter()
        graph, checker, mask = self.build_graph(rng)
        if graph is None:
            return
        yield from self._sample(rng, graph, checker, mask, t0)

    # -- building -------------------------------------------------------------------------------------------
    def build_graph(self, rng: random.Random) -> tuple[_Graph | None, FloatChecker, Any]:
        cfg = self.config
        st = self.stats
        st.graphs += 1
        checker = FloatChecker(self.expr_cfg.variables, self.domain, random.Random(rng.getrandbits(64)),
                               n_points=32, min_points=4)
        hyps = self._initial_hyps(rng, checker)
        graph = _Graph()
        if hyps is None:
            st.reject("hypotheses")
            return None, checker, checker.all
        mask = checker.all
        for h in hyps:
            mask = checker.satisfying([h], mask)
            i = graph.add(_Node(h, "hyp"))
            graph.nodes[i].hyps = frozenset((i,))
        self._proofs = {}
        self.sampler.new_graph()
        self._pin_checkers = {}
        derived = 0
        failures = 0
        while derived < cfg.nodes and failures < cfg.attempts_per_node:
            st.attempts += 1
            u = rng.random()
            if u < cfg.p_trivial:
                ok = self._trivial_step(rng, graph)
            elif u < cfg.p_trivial + cfg.p_assert:
                ok = self._assert_step(rng, graph)
            else:
                ok = self._rewrite_step(rng, graph)
            if ok:
                derived += 1
                failures = 0
            else:
                failures += 1
        st.nodes += len(graph.nodes)
        return graph, checker, mask

    def _initial_hyps(self, rng: random.Random, checker: FloatChecker) -> list[Expr] | None:
        """The graph's roots: ``n_hyps`` hypotheses drawn one by one, each kept only when the ones kept so far
        still hold at enough points; an equation ``v == e`` pins ``v`` to the values of ``e`` in ``checker``
        (at most one per variable, no cycles). Up to 20 rounds, until at least ``max(1, lo)`` are kept."""
        lo, hi = as_range(self.config.n_hyps)
        olo, ohi = as_range(self.config.hyp_ops)
        k = rng.randint(lo, hi)
        for _ in range(20):
            hyps: dict[Expr, None] = {}
            checker.unpin()
            mask = checker.all
            pinned: list[tuple[str, Expr]] = []
            for _ in range(k):
                h = self._random_hyp(rng, olo, ohi, checker)
                if h is None or h in hyps:
                    continue
                if h.op == "eq":
                    name = h.args[0].value
                    if any(name == p for p, _ in pinned) or any(name in e.variables() for _, e in pinned):
                        continue
                    checker.pin(name, h.args[1])
                    m = checker.satisfying([*hyps, h])
                    if checker.count(m) < 6:
                        checker.unpin()  # undo: re-pin the accepted equations only
                        for p, e in pinned:
                            checker.pin(p, e)
                        continue
                    pinned.append((name, h.args[1]))
                    mask = m
                    hyps[h] = None
                    continue
                m = checker.satisfying([h], mask)
                if checker.count(m) < 6:
                    continue
                mask = m
                hyps[h] = None
            if len(hyps) >= max(1, lo):
                return list(hyps)
        return None

    def _random_hyp(self, rng: random.Random, olo: int, ohi: int, checker: FloatChecker) -> Expr | None:
        """A root hypothesis: an equation ``v == e`` (``p_eq_hyp``), a bound on a variable, or a comparison
        of two expressions of ``hyp_ops`` operators; None when none could be drawn."""
        cfg = self.config
        try:
            if rng.random() < cfg.p_eq_hyp:
                v = rng.choice(self.vars)
                others = tuple(n for n in self.expr_cfg.variables if n != v.value)
                if not others:
                    return None
                sub_cfg = ExprConfig(**{**asdict(self.expr_cfg), "variables": others})
                e = random_expression(rng, rng.randint(max(olo, 1), max(ohi, 1)), sub_cfg, checker)
                return make2("eq", v, e)
            ops = ("lt", "le", "ne", "gt", "ge", "lt", "le") if self.domain == "real" else ("lt", "le", "ne")
            op = rng.choice(ops)
            if rng.random() < 0.4:
                c = rng.randint(-2, 3) if self.domain != "nat" else rng.randint(0, 3)
                return make2(op, rng.choice(self.vars), num(c))
            a = random_expression(rng, rng.randint(olo, ohi), self.expr_cfg, checker)
            b = random_expression(rng, rng.randint(olo, ohi), self.expr_cfg, checker, require_variable=False)
            if a is b:
                return None
            return make2(op, a, b)
        except RuntimeError:
            return None

    def _ensure(self, graph: _Graph, stmt: Expr) -> int | None:
        """The node of ``stmt``: existing, or added as trivially true; None if neither."""
        i = graph.index.get(stmt)
        if i is not None:
            return i
        if is_closed(Theorem(stmt, (), self.domain), self.rules):
            return graph.add(_Node(stmt, "trivial"))
        return None

    def _add_derived(self, graph: _Graph, node: _Node) -> bool:
        """Add a derived fact (premises are node ids); trivially true facts become trivial nodes."""
        if node.stmt in graph.index:
            return False
        half = node.stmt.args
        if any(h.size > self.config.max_size for h in half):
            return False
        if is_closed(Theorem(node.stmt, (), self.domain), self.rules):
            graph.add(_Node(node.stmt, "trivial"))
            return True
        prem = [graph.nodes[i] for i in node.premises]
        node.depth = 1 + max((p.depth for p in prem), default=0)
        if node.depth > self.config.max_depth:
            return False
        node.size = 1 + sum(p.size for p in prem)
        hy: frozenset[int] = frozenset()
        rs: frozenset[str] = frozenset()
        for p in prem:
            hy = hy | p.hyps
            rs = rs | p.rules
        assert node.rule is not None
        node.hyps = hy
        node.rules = rs | {node.rule.id}
        graph.add(node)
        return True

    def _sub_value(self, rng: random.Random, around: Expr) -> Expr:
        """A value for a free variable of a rule (:func:`~equations.generators.common.substitution_value`)."""
        return substitution_value(rng, around, 0.3, self._fresh_sub, self.config.max_sub_size, self.vars)

    def _fresh_sub(self, rng: random.Random) -> Expr:
        """A fresh value of at most one operator (a variable when none can be drawn)."""
        if self._sub_checker is None:
            # one fixed point set for these tiny expressions (0 or 1 operator) instead of a fresh checker
            # per call: sampling the points cost more than everything else in the call
            self._sub_checker = FloatChecker(self.expr_cfg.variables, self.domain, random.Random(0x5B))
        try:
            return random_expression(rng, rng.randint(0, 1), self.expr_cfg, self._sub_checker,
                                     require_variable=False)
        except RuntimeError:
            return rng.choice(self.vars)

    def _pick_node(self, rng: random.Random, graph: _Graph) -> int:
        # favour recent (deeper) nodes a little, so that chains grow
        n = len(graph.nodes)
        if rng.random() < 0.5:
            return rng.randrange(max(0, n - 20), n)
        return rng.randrange(n)

    def _rewrite_step(self, rng: random.Random, graph: _Graph) -> bool:
        fi = self._pick_node(rng, graph)
        f = graph.nodes[fi].stmt
        drawn = self.sampler.draw(rng, f)
        if drawn is None:
            return False
        rule, d, pos = drawn
        node = f.at(pos)
        if rule.kind == "arith":
            return self._arith_step(rng, graph, fi, f, rule, d, pos, node)
        b = rule.match[d](node)
        if b is None:
            return False
        for v in rule.free[d]:
            b[v] = self._sub_value(rng, f)
        new_node = rule.build[d](b)
        if new_node is node:
            return False
        new = f.replace_at(pos, new_node) if pos else new_node
        sides: list[int] = []
        for h in rule.hyp_build:
            j = self._ensure(graph, h(b))
            if j is None:
                return False
            sides.append(j)
        return self._add_derived(graph, _Node(new, "rewrite", rule=rule, direction=d, pos=pos, bindings=b,
                                              premises=(fi, *sides)))

    def _arith_step(self, rng: random.Random, graph: _Graph, fi: int, f: Expr, rule: Rule, d: str, pos: int,
                    node: Expr) -> bool:
        subs: tuple[tuple[str, Expr], ...] = ()
        if d == "fwd":
            if rule.arith_op == "pow" or not all(plain_literal(x) for x in node.args):
                return False  # the proof applies the reverse step: int_pow has none; '-0' would not come back
            b: Bindings = {"A": node.args[0]}
        else:
            c = literal_value(node)
            if c is None or node is not num(c):
                return False
            a = rng.randint(-3, 6) if self.domain != "nat" else rng.randint(0, 6)
            if rule.arith_op == "mul":
                divs = [k for k in range(1, min(abs(c), 12) + 1) if c % k == 0] or [1]
                a = rng.choice(divs)
            subs = (("A", num(a)),)
            b = dict(subs)
        try:
            (sub0,) = apply(Theorem(make2("eq", node, node), (), self.domain), Tactic(rule.id, d, 1, subs),
                            self.rules)
        except InvalidTactic:
            return False
        new_node = sub0.goal.args[0]
        new = f.replace_at(pos, new_node)
        return self._add_derived(graph, _Node(new, "rewrite", rule=rule, direction=d, pos=pos, bindings=b,
                                              premises=(fi,)))

    def _builders(self, r: Rule) -> tuple[Any, ...]:
        hit = self._hyp_builders.get(r.id)
        if hit is None:
            assert r.concl is not None
            hit = self._hyp_builders[r.id] = (compile_builder(r.concl),)
        return hit

    def _assert_step(self, rng: random.Random, graph: _Graph) -> bool:
        if not self.asserts:
            return False
        r = self.sampler.choose(rng, "assert", self.asserts)
        k = len(r.hyps)
        order = list(range(k))
        rng.shuffle(order)
        b: Bindings = {}
        chosen: dict[int, int] = {}
        for idx in order:
            pat = r.hyps[idx]
            if pat.variables() <= b.keys():
                stmt = r.hyp_build[idx](b)
                j = self._ensure(graph, stmt)
                if j is None:
                    return False
                chosen[idx] = j
                continue
            cands = graph.by_op.get(pat.op, ())
            if not cands:
                return False
            found = False
            n = len(cands)
            start = rng.randrange(n)
            for t in range(min(n, 40)):
                j = cands[(start + t) % n]
                m = match(pat, graph.nodes[j].stmt, b)
                if m is not None:
                    b = m
                    chosen[idx] = j
                    found = True
                    break
            if not found:
                return False
        assert r.concl is not None
        for v in sorted(r.concl.variables() - b.keys()):
            around = graph.nodes[chosen[order[0]]].stmt if chosen else graph.nodes[-1].stmt
            b[v] = self._sub_value(rng, around)
        concl = self._builders(r)[0](b)
        premises = tuple(chosen[i] for i in range(k))
        return self._add_derived(graph, _Node(concl, "assert", rule=r, bindings=b, premises=premises))

    def _trivial_step(self, rng: random.Random, graph: _Graph) -> bool:
        if not self.free_asserts:
            return False
        r = self.sampler.choose(rng, "free", self.free_asserts)
        assert r.concl is not None
        around = graph.nodes[self._pick_node(rng, graph)].stmt
        b: Bindings = {v: self._sub_value(rng, around) for v in sorted(r.concl.variables())}
        stmt = self._builders(r)[0](b)
        if stmt in graph.index or any(h.size > self.config.max_size for h in stmt.args):
            return False
        graph.add(_Node(stmt, "trivial"))
        return True

    # -- proofs and sampling --------------------------------------------------------------------------------
    def proof_of(self, graph: _Graph, i: int) -> Proof | None:
        """The backward proof (hypertree) of node ``i``; None for hypotheses and trivially true nodes."""
        if i in self._proofs:
            return self._proofs[i]
        node = graph.nodes[i]
        out: Proof | None
        if node.kind in ("hyp", "trivial"):
            out = None
        else:
            r = node.rule
            assert r is not None and node.bindings is not None
            b = node.bindings
            kids = tuple(self.proof_of(graph, j) for j in node.premises)
            if node.kind == "assert":
                tac = Tactic(r.id, None, None, tuple((v, b[v]) for v in r.free[None]))
            else:
                rd = "bwd" if node.direction == "fwd" else "fwd"
                if r.kind == "arith":
                    subs: tuple[tuple[str, Expr], ...] = (("A", b["A"]),) if rd == "bwd" else ()
                else:
                    subs = tuple((v, b[v]) for v in r.free[rd])
                tac = Tactic(r.id, rd, node.pos, subs)
            out = Proof(tac, kids)
        self._proofs[i] = out
        return out

    def _sample(self, rng: random.Random, graph: _Graph, checker: FloatChecker, mask: Any,
                t0: float) -> Iterator[Generated]:
        cfg = self.config
        st = self.stats
        cands = [i for i, nd in enumerate(graph.nodes)
                 if nd.kind in ("assert", "rewrite") and cfg.min_depth <= nd.depth
                 and nd.size <= cfg.max_proof_size]
        if not cands:
            return
        weights = []
        for i in cands:
            nd = graph.nodes[i]
            rare = sum(self.rarity.weight(r) for r in nd.rules) / max(1, len(nd.rules))
            weights.append(nd.depth ** cfg.prefer_depth * nd.size ** cfg.prefer_size * rare ** cfg.prefer_rare
                           * (1 + len(nd.hyps)) ** cfg.prefer_hyps)
        picked: list[int] = []
        pool = list(zip(cands, weights, strict=True))
        while pool and len(picked) < cfg.theorems_per_graph * 2:
            k = rng.choices(range(len(pool)), [w for _, w in pool])[0]
            picked.append(pool.pop(k)[0])
        build_time = time.perf_counter() - t0
        emitted = 0
        for i in picked:
            if emitted >= cfg.theorems_per_graph:
                break
            g = self._emit(graph, i, checker, mask)
            if g is None:
                continue
            emitted += 1
            g.meta["graph_nodes"] = len(graph.nodes)
            g.meta["graph_seconds"] = build_time
            yield g
        st.emitted += emitted

    def _checker_for(self, graph: _Graph, hyps: tuple[Expr, ...], checker: FloatChecker) -> FloatChecker:
        """The graph's checker has every equation hypothesis ``v == e`` pinned (``v`` takes the values of ``e``);
        a theorem that does not assume one of them must be screened without that pin, or ``v`` would only be
        tested at the values of ``e`` (e.g. never negative for ``x == y**2``)."""
        eqs = [nd.stmt for nd in graph.nodes if nd.kind == "hyp" and nd.stmt.op == "eq"]
        if not eqs:
            return checker
        kept = tuple(h for h in eqs if h in hyps)
        if len(kept) == len(eqs):
            return checker
        hit = self._pin_checkers.get(kept)
        if hit is None:
            hit = self._pin_checkers[kept] = checker.pinned_only([(h.args[0].value, h.args[1]) for h in kept])
        return hit

    def _emit(self, graph: _Graph, i: int, checker: FloatChecker, mask: Any) -> Generated | None:
        """The theorem of node ``i`` with its proof, or None when it is rejected (counted in ``stats``). The
        checks run cheapest and most often failing first; nothing is recorded before all have passed."""
        cfg = self.config
        node = graph.nodes[i]
        hyps = tuple(graph.nodes[j].stmt for j in sorted(node.hyps))
        thm = Theorem(node.stmt, hyps, self.domain)
        key = canonical_key(thm) if cfg.dedup else ""
        if cfg.dedup and key in self._seen:
            self.stats.reject("duplicate")
            return None
        if not self._screened(graph, thm, checker):
            return None
        proof = self.proof_of(graph, i)
        assert proof is not None
        if cfg.verify and not self._verified(thm, proof):
            return None
        rules_used = self._record(key, proof)
        kinds = {"assert": 0, "rewrite": 0}
        for s in proof.steps():
            kinds["assert" if s.tactic.direction is None else "rewrite"] += 1
        meta: dict[str, Any] = {"generator": self.name, "params": self._params, "node": i,
                                "assertion_steps": kinds["assert"], "rewrite_steps": kinds["rewrite"]}
        return Generated(thm, proof, rules_used, meta)

    def _screened(self, graph: _Graph, thm: Theorem, checker: FloatChecker) -> bool:
        """Whether the theorem passes the float screen (its goal defined and reliable at enough points where
        its hypotheses hold, no hypothesis overflowing), with the equation pins it assumes only."""
        checker = self._checker_for(graph, thm.hyps, checker)
        if checker.screen(thm.goal, checker.satisfying(thm.hyps)) is not None or any(
                checker.overflows(h, checker.all) for h in thm.hyps):
            self.stats.reject("screen")
            return False
        return True

    def _verified(self, thm: Theorem, proof: Proof) -> bool:
        """Whether the proof checks (every emitted proof is replayed by the judge) and, with
        ``check_minimal``, no step of it can be dropped."""
        st = self.stats
        try:
            check_proof(thm, proof, self.rules)
        except ProofError as err:
            st.reject("proof failed")
            if len(st.failures) < 20:
                st.failures.append(f"{thm} :: {err}")
            return False
        if self.config.check_minimal and droppable_steps(thm, proof, self.rules):
            st.reject("not minimal")
            return False
        return True

    def _record(self, key: str, proof: Proof) -> list[str]:
        """Book an accepted theorem: its dedup key and its rules' counts (the rarity bias; this drops the
        sampler's cached weights). Returns the rules it uses, in proof order."""
        if self.config.dedup:
            self._seen[key] = None
        rules_used = list(dict.fromkeys(s.tactic.rule for s in proof.steps()))
        self.sampler.record_use(rules_used)
        return rules_used
