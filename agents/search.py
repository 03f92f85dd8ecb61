"""HyperTree Proof Search (paper, section 4 and appendix A).

One search grows a :class:`~equations.agents.hypergraph.Hypergraph` from the root goal by repeating, until the
root is solved or the expansion budget is spent:

1. **selection** of up to ``batch_size`` partial proof hypertrees (Algorithm 1), each node of a tree
   following the search policy (PUCT or RP) restricted to its expandable tactics, with virtual counts so
   that successive simulations differ; a tactic that closes a cycle is killed, the simulation's virtual
   counts are undone and it restarts from the root. Below the root, a solved node is a leaf (section
   4.3): the search never descends into it, even when it still has open tactics. PUCT takes the argmax
   of its score; RP *samples* a tactic from pi_RP (Grill et al. 2020) with the search's seeded RNG;
2. **expansion** of the distinct unexpanded leaves of those trees in one batch (policy, environment,
   critic);
3. **backup** of each tree in topological order (Algorithm 2): a leaf is worth 1 when solved, 0 when
   invalid, the critic's value otherwise; the value of a tactic is the product of its children's values
   times the depth penalty, ``W += v``, ``N += 1``, and the virtual count is removed; a node solved by the
   time of the backup passes 1 on to its parent, otherwise the value of its tactic.

Q uses the first-play urgency and solving-tactic rule of A.2::

    Q(g,t) = max(1,N)/max(1,C)   if t is solving for g
           = fpu/max(1,C)        if N = 0
           = W/C                 otherwise              (C = N + VC)

The exploration terms use ``sqrt(max(1, sum N))`` (PUCT) and ``sqrt(max(1, sum C))`` (RP's lambda), so
that the first simulations through a node already follow the prior instead of the FPU alone.

``SearchParams.max_seconds`` bounds the wall-clock time of :meth:`HTPS.run` (checked between batches);
``SearchStats.timed_out`` says whether the search stopped on it.

The search is generic in the goal type: the environment, policy and critic decide what goals are.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Hashable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Generic, TypeVar

from equations.heap import frozen_heap

from .hypergraph import Edge, Hypergraph, Node
from .policy import Critic, Environment, Policy, SamplingParams

G = TypeVar("G", bound=Hashable)

GRAY = 1
BLACK = 2


@dataclass(frozen=True)
class SearchParams:
    """Hyper-parameters of one search (defaults suit the non-learned prover). :meth:`sample` draws the
    per-search parameters from the distributions of appendix C."""

    expansions: int = 2000
    """Budget: the maximum number of expanded nodes."""
    batch_size: int = 32
    """Simulations per batch (the goals expanded together in one policy/critic call)."""
    policy: str = "puct"
    """Search policy: ``"puct"`` or ``"rp"`` (regularized policy, Grill et al. 2020)."""
    exploration: float = 1.0
    """The exploration constant c."""
    depth_penalty: float = 1.0
    """Multiplies the value at every internal node during the backup (favours shallow proofs when < 1)."""
    num_samples: int | None = None
    """Tactics kept per expansion (None: every candidate of the policy)."""
    temperature: float = 1.0
    """Softmax temperature of the policy's priors."""
    length_penalty: float = 0.0
    """Drawn as in appendix C, where it penalises long generated tactic texts in the paper's decoder; our
    policies score the engine's own enumeration and generate no text, so none of them reads it (kept so that
    sampled parameters and the records of runs match the paper's)."""
    fpu: float = 0.5
    """First-play urgency: the value of an unvisited tactic."""
    stop_on_solve: bool = True
    """Stop as soon as the root is solved (otherwise spend the budget, looking for shorter proofs)."""
    max_restarts: int = 1000
    """Cycle restarts allowed for one simulation before the batch stops."""
    seed: int = 0
    max_seconds: float | None = None
    """Wall-clock limit of :meth:`HTPS.run`, checked between batches (None: no limit)."""
    prune: bool = False
    """Numeric pruning (beyond the paper): a goal about to be expanded that the environment refutes
    (``env.refuted``: false at a random point where its hypotheses hold) is marked invalid instead, without
    a policy call or an expansion of the budget. Sound: it only removes goals, it never closes one."""

    def __post_init__(self) -> None:
        if self.policy not in ("puct", "rp"):
            raise ValueError(f"unknown search policy {self.policy!r}: expected 'puct' or 'rp'")
        if self.expansions < 1 or self.batch_size < 1:
            raise ValueError("expansions and batch_size must be positive")
        if not 0.0 < self.depth_penalty <= 1.0:
            raise ValueError("depth_penalty must be in (0, 1]")
        if self.exploration < 0:
            raise ValueError("exploration must be non-negative")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ValueError("max_seconds must be positive (or None: no limit)")

    @staticmethod
    def sample(rng: random.Random, **fixed: Any) -> SearchParams:
        """Parameters drawn from appendix C: number of samples uniform in {8, 16, 32, 48}; temperature
        uniform in [0.8, 2.0]; length penalty uniform in [0, 1.2]; expansions log-uniform in [1000, 10000];
        depth penalty uniform in {0.8, 0.9, 0.95, 1}; exploration log-uniform in [0.01, 100]. Keyword
        arguments override (e.g. ``expansions=2000`` for evaluation)."""
        p = SearchParams(
            num_samples=rng.choice([8, 16, 32, 48]),
            temperature=rng.uniform(0.8, 2.0),
            length_penalty=rng.uniform(0.0, 1.2),
            expansions=round(math.exp(rng.uniform(math.log(1000), math.log(10000)))),
            depth_penalty=rng.choice([0.8, 0.9, 0.95, 1.0]),
            exploration=math.exp(rng.uniform(math.log(0.01), math.log(100))),
            seed=rng.randrange(2**31),
        )
        return replace(p, **fixed)

    @property
    def sampling(self) -> SamplingParams:
        """The policy's part of these parameters (what :meth:`Policy.propose` is given)."""
        return SamplingParams(self.num_samples, self.temperature)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the two search policies -----------------------------------------------------------------------

def q_value(e: Edge[Any], fpu: float = 0.5) -> float:
    """Q(g, t) with first-play urgency and the solving-tactic rule (A.2)."""
    c = e.n + e.vc
    if e.n_unsolved == 0:
        return max(1, e.n) / max(1, c)
    if e.n == 0:
        return fpu / max(1, c)
    return e.w / c


def puct_scale(c: float, n_sum: int) -> float:
    """The exploration factor ``c * sqrt(max(1, sum N))`` of a node (the ``max`` lets the prior order the
    first visits of a node)."""
    return c * math.sqrt(max(1, n_sum))


def puct_score(q: float, prior: float, count: int, scale: float) -> float:
    """PUCT (A.2): ``Q + scale * P / (1 + C)``, ``scale`` from :func:`puct_scale`, ``C`` the tactic's visits
    (with virtual counts during the search). :meth:`HTPS.select_edge` inlines it (a call per tactic on the
    search's hottest loop); a test checks that the two agree."""
    return q + scale * prior / (1 + count)


def puct_scores(priors: list[float], qs: list[float], counts: list[int], n_sum: int, c: float) -> list[float]:
    """:func:`puct_score` of each tactic of a node."""
    s = puct_scale(c, n_sum)
    return [puct_score(q, p, k, s) for p, q, k in zip(priors, qs, counts, strict=True)]


def rp_policy(priors: list[float], qs: list[float], lam: float, iters: int = 60) -> list[float]:
    """The regularized policy (Grill et al. 2020): ``argmax_y Q.y - lam * KL(prior, y)`` over the simplex.

    The solution is ``y_i = lam * p_i / (alpha - q_i)`` with ``alpha`` such that ``sum y = 1``;
    ``alpha`` lies in ``[max(q + lam p), max(q) + lam]`` and is found by Newton's method from the left end
    (monotone there), with bisection as the fallback. Falls back to the
    greedy policy (one-hot on the best Q, ties by prior) when ``lam`` is (numerically) zero or no prior
    mass is positive.
    """
    n = len(priors)
    total = sum(priors)
    if lam <= 1e-12 or total <= 0.0 or n == 0:
        best = max(range(n), key=lambda i: (qs[i], priors[i], -i)) if n else 0
        return [1.0 if i == best else 0.0 for i in range(n)]
    ps = [p / total for p in priors]
    terms = [(lam * p, q) for p, q in zip(ps, qs, strict=True) if p > 0.0]
    lo = max(a + q for a, q in terms)
    hi = max(qs) + lam
    if hi < lo:
        hi = lo
    # Newton from the left end: f(alpha) = sum a/(alpha - q) - 1 is convex and decreasing, f(lo) >= 0,
    # so the iterates increase monotonically to the root (quadratic convergence)
    alpha = lo
    ok = False
    for _ in range(50):
        s = 0.0
        ds = 0.0
        for a, q in terms:
            d = alpha - q
            s += a / d
            ds += a / (d * d)
        f = s - 1.0
        if f <= 1e-13:
            ok = f >= -1e-9
            break
        step = f / ds
        if not math.isfinite(step) or step <= 0.0:
            break
        alpha += step
    if not ok:  # safe fallback: bisection on [lo, hi]
        lo_b, hi_b = lo, hi
        for _ in range(iters):
            mid = 0.5 * (lo_b + hi_b)
            s = 0.0
            for a, q in terms:
                d = mid - q
                s += a / d if d > 0 else math.inf
            if s > 1.0:
                lo_b = mid
            else:
                hi_b = mid
            if hi_b - lo_b <= 1e-12 * max(1.0, abs(hi_b)):
                break
        alpha = hi_b
    ys = []
    for p, q in zip(ps, qs, strict=True):
        d = alpha - q
        ys.append(lam * p / d if d > 0 else (1.0 if p > 0 else 0.0))
    z = sum(ys)
    if not math.isfinite(z) or z <= 0.0:
        best = max(range(n), key=lambda i: (qs[i], ps[i], -i))
        return [1.0 if i == best else 0.0 for i in range(n)]
    return [y / z for y in ys]


def rp_lambda(c: float, counts: list[int]) -> float:
    """``c * sqrt(max(1, sum C)) / sum(C + 1)`` (A.2; the ``max`` keeps the prior's weight positive at an
    unvisited node, where pi_RP is then the prior itself)."""
    total = sum(counts)
    return c * math.sqrt(max(1, total)) / (total + len(counts)) if counts else 0.0


def sample_index(probs: list[float], rng: random.Random) -> int:
    """An index drawn from the (not necessarily normalised) distribution ``probs`` with one ``rng.random()``
    draw; never an index of probability 0 unless all are 0 (then 0)."""
    total = sum(probs)
    u = rng.random() * total
    acc = 0.0
    last = 0
    for i, p in enumerate(probs):
        if p <= 0.0:
            continue
        acc += p
        last = i
        if u < acc:
            return i
    return last


# --- the search ------------------------------------------------------------------------------------

@dataclass
class Simulation(Generic[G]):
    """One selected partial proof hypertree: its internal nodes with their chosen tactic in topological
    order (children before parents), and its leaves."""

    order: list[tuple[Node[G], Edge[G]]] = field(default_factory=list)
    leaves: list[Node[G]] = field(default_factory=list)


@dataclass
class SearchStats:
    expansions: int = 0
    simulations: int = 0
    batches: int = 0
    restarts: int = 0
    seconds: float = 0.0
    nodes: int = 0
    edges: int = 0
    killed: int = 0
    solved_at: int | None = None
    """Expansions spent when the root was first solved."""
    timed_out: bool = False
    """The search stopped on ``SearchParams.max_seconds``."""
    refuted: int = 0
    """Goals marked invalid by numeric pruning (``SearchParams.prune``) instead of being expanded."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class HTPS(Generic[G]):
    """One proof search. ``run()`` grows the hypergraph; ``graph.root.solved`` says whether a proof exists."""

    def __init__(self, root: G, env: Environment, policy: Policy, critic: Critic,
                 params: SearchParams | None = None):
        self.params = params if params is not None else SearchParams()
        self.env = env
        self.policy = policy
        self.critic = critic
        self.rng = random.Random(self.params.seed)
        self.graph: Hypergraph[G] = Hypergraph(root)
        self.stats = SearchStats()
        self._c = self.params.exploration
        self._fpu = self.params.fpu
        self._rp = self.params.policy == "rp"
        self._sampling = self.params.sampling
        self._penalty = self.params.depth_penalty
        if env.is_closed(root):
            # a goal that closes automatically is proved by the empty proof
            self.graph.root.expanded = True
            self.graph.root.solved = True
            self.graph.root.expandable = False

    # selection ------------------------------------------------------------------------------------

    def select_edge(self, node: Node[G]) -> Edge[G] | None:
        """The tactic the search policy picks at ``node`` among its expandable tactics: PUCT's argmax, or a
        sample of pi_RP drawn with the search's RNG."""
        edges = [e for e in node.edges if e.expandable]
        if not edges:
            return None
        if len(edges) == 1:
            return edges[0]
        fpu = self._fpu
        if not self._rp:
            s = puct_scale(self._c, node.n_sum)
            best = edges[0]
            best_score = -math.inf
            for e in edges:
                n = e.n
                c = n + e.vc
                if e.n_unsolved == 0:
                    q = (n if n > 1 else 1) / (c if c > 1 else 1)
                elif n == 0:
                    q = fpu / (c if c > 1 else 1)
                else:
                    q = e.w / c
                score = q + s * e.prior / (1 + c)  # puct_score(q, e.prior, c, s), inlined
                if score > best_score or (score == best_score and e.prior > best.prior):
                    best = e
                    best_score = score
            return best
        all_edges = node.edges
        counts = [e.n + e.vc for e in all_edges]
        lam = rp_lambda(self._c, counts)
        qs = [q_value(e, fpu) for e in edges]
        pi = rp_policy([e.prior for e in edges], qs, lam)
        return edges[sample_index(pi, self.rng)]

    def simulate(self) -> Simulation[G] | None:
        """Algorithm 1: one partial proof hypertree from the root, with virtual counts added; ``None``
        when the root has no expandable tactic left."""
        graph = self.graph
        root = graph.root
        for _ in range(self.params.max_restarts + 1):
            if not root.expandable:
                return None
            sim: Simulation[G] = Simulation()
            if not root.expanded:
                sim.leaves.append(root)
                return sim
            state: dict[int, int] = {}
            chosen: list[tuple[Node[G], Edge[G]]] = []
            e0 = self.select_edge(root)
            if e0 is None:
                graph.recompute_expandable()
                continue
            e0.vc += 1
            root.vc_sum += 1
            chosen.append((root, e0))
            state[root.id] = GRAY
            stack: list[tuple[Node[G], Edge[G], int]] = [(root, e0, 0)]
            cycle: Edge[G] | None = None
            while stack:
                node, edge, i = stack[-1]
                children = edge.children
                if i == len(children):
                    stack.pop()
                    state[node.id] = BLACK
                    sim.order.append((node, edge))
                    continue
                stack[-1] = (node, edge, i + 1)
                c = children[i]
                st = state.get(c.id)
                if st is not None:
                    if st == GRAY:
                        cycle = edge
                        break
                    continue  # shared: already in this tree
                if c.solved or not c.expanded or not c.expandable:
                    # a solved node is a leaf of value 1: never descend into it (section 4.3)
                    state[c.id] = BLACK
                    sim.leaves.append(c)
                    continue
                ce = self.select_edge(c)
                if ce is None:  # pragma: no cover - flags are consistent
                    state[c.id] = BLACK
                    sim.leaves.append(c)
                    continue
                ce.vc += 1
                c.vc_sum += 1
                chosen.append((c, ce))
                state[c.id] = GRAY
                stack.append((c, ce, 0))
            if cycle is None:
                return sim
            for n, e in chosen:
                e.vc -= 1
                n.vc_sum -= 1
            graph.kill(cycle)
            self.stats.restarts += 1
        return None

    # expansion ------------------------------------------------------------------------------------

    def expand(self, nodes: list[Node[G]]) -> None:
        """Expand ``nodes`` in one batch: policy, environment, critic."""
        if not nodes:
            return
        env = self.env
        graph = self.graph
        if self.params.prune:
            refuted = getattr(env, "refuted", None)
            if refuted is not None:
                kept = []
                for n in nodes:
                    if refuted(n.goal):
                        graph.expand(n, [])  # no tactics: the node becomes invalid, and its parents' tactics
                        self.stats.refuted += 1
                    else:
                        kept.append(n)
                nodes = kept
                if not nodes:
                    return
        suggestions = self.policy.propose([n.goal for n in nodes], self._sampling, self.rng)
        fresh: list[Node[G]] = []
        for node, sugg in zip(nodes, suggestions, strict=True):
            triples: list[tuple[Any, float, tuple[Any, ...]]] = []
            for s in sugg:
                subs = s.subgoals
                if subs is None:
                    applied = env.apply(node.goal, s.tactic)
                    if applied is None:
                        continue
                    subs = tuple(None if env.is_closed(x) else x for x in applied)
                triples.append((s.tactic, s.prior, subs))
            graph.expand(node, triples)  # renormalises the priors over the tactics it keeps
            self.stats.expansions += 1
            if not node.solved and not node.invalid:
                fresh.append(node)
        if fresh:
            values = self.critic.evaluate([n.goal for n in fresh])
            for n, v in zip(fresh, values, strict=True):
                n.value = min(1.0, max(0.0, float(v)))

    # backup ---------------------------------------------------------------------------------------

    def backup(self, sim: Simulation[G]) -> None:
        """Algorithm 2 over the tree's topological order; removes the virtual counts.

        The tactic ``(g, t)`` of the tree gets ``W += penalty * prod(v(c) for c in children(t))``; the value
        ``v(g)`` passed on to the parent is 1 when ``g`` is solved (section 4.3), that product otherwise."""
        values: dict[int, float] = {}
        for leaf in sim.leaves:
            if leaf.solved:
                v = 1.0
            elif leaf.invalid:
                v = 0.0
            elif leaf.expanded:
                v = leaf.value if leaf.value is not None else 0.0
            else:
                v = leaf.value if leaf.value is not None else self._fpu
            values[leaf.id] = v
        penalty = self._penalty
        for node, edge in sim.order:
            v = penalty
            for c in edge.children:
                v *= values[c.id]
            values[node.id] = 1.0 if node.solved else v
            edge.w += v
            edge.n += 1
            edge.vc -= 1
            node.n_sum += 1
            node.vc_sum -= 1

    # main loop ------------------------------------------------------------------------------------

    def step(self) -> bool:
        """One batch: select, expand, back up. False when nothing more can be done."""
        params = self.params
        remaining = params.expansions - self.stats.expansions
        if remaining <= 0:
            return False
        sims: list[Simulation[G]] = []
        to_expand: dict[int, Node[G]] = {}
        for _ in range(params.batch_size):
            if len(to_expand) >= remaining:
                break
            sim = self.simulate()
            if sim is None:
                break
            sims.append(sim)
            for leaf in sim.leaves:
                if not leaf.expanded:
                    to_expand.setdefault(leaf.id, leaf)
            if not self.graph.root.expanded:
                break  # the first expansion is the root alone
        if not sims:
            return False
        self.stats.simulations += len(sims)
        self.stats.batches += 1
        nodes = list(to_expand.values())[:remaining]
        self.expand(nodes)
        left = [n for n in to_expand.values() if not n.expanded and n.value is None]
        if left:  # over the budget: leave them unexpanded but give them a value for this backup
            for n, v in zip(left, self.critic.evaluate([n.goal for n in left]), strict=True):
                n.value = min(1.0, max(0.0, float(v)))
        for sim in sims:
            self.backup(sim)
        return True

    def run(self) -> HTPS[G]:
        """Search until the root is solved (with ``stop_on_solve``), the budget is spent, nothing is left to
        expand, or ``max_seconds`` have passed (checked between batches: ``stats.timed_out``). The heap that
        exists before the search is kept out of the collector's passes meanwhile (:func:`frozen_heap`: 12-15%
        more expansions per second)."""
        with frozen_heap():
            return self._run()

    def _run(self) -> HTPS[G]:
        t0 = time.perf_counter()
        limit = self.params.max_seconds
        deadline = None if limit is None else t0 + limit
        root = self.graph.root
        stop = self.params.stop_on_solve
        stalled = 0
        while not (stop and root.solved):
            if deadline is not None and time.perf_counter() >= deadline:
                self.stats.timed_out = True
                break
            before = self.stats.expansions
            progressed = self.step()
            if progressed and self.stats.expansions == before:
                stalled += 1  # only solved leaves were selected (or stale flags): bounded retries
                if stalled % 8 == 0:
                    self.graph.recompute_expandable()
                if stalled >= 64:
                    break
            elif progressed:
                stalled = 0
            if not progressed:
                if root.expandable or root.solved:
                    break
                # flags may under-approximate after kills: recompute once before giving up
                self.graph.recompute_expandable()
                if not root.expandable or not self.step():
                    break
            if root.solved and self.stats.solved_at is None:
                self.stats.solved_at = self.stats.expansions
        if root.solved and self.stats.solved_at is None:
            self.stats.solved_at = self.stats.expansions
        self.stats.seconds += time.perf_counter() - t0
        gs = self.graph.stats()
        self.stats.nodes = gs["nodes"]
        self.stats.edges = gs["edges"]
        self.stats.killed = gs["killed"]
        return self

    @property
    def solved(self) -> bool:
        return self.graph.root.solved
