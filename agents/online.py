"""Online training (paper, section 5.2) on Ray: a controller, provers and a trainer (extras ``agent`` and
``train``).

* The **controller** (this process) samples theorems from the Identities *train* split
  (:func:`equations.identities.split`; the held-out part is never sampled; each theorem once before any
  twice, :class:`TaskSampler`) and per-search hyper-parameters
  (appendix C, :meth:`SearchParams.sample`, with the expansions fixed to the run's budget), hands them to
  idle provers, re-checks every proof found with :func:`equations.check_proof`, and writes the run folder.
* **Provers** (Ray actors, one CPU each) run HTPS with their copy of the model and send the tactic samples
  (steps of the minimal proofs of every solved node) and critic samples (1 solved, 0 invalid, soft ``W/N``
  targets) straight to the trainer. Every ``reload_seconds`` a prover fetches the trainer's newest weights.
* The **trainer** (a Ray actor; on a GPU when the cluster has one) keeps the two bounded FIFO queues of a
  :class:`~equations.agents.learner.Learner`, samples them uniformly, mixes in supervised batches when
  given data, and publishes a new weight version after every chunk of steps.

``backend="local"`` starts Ray on this machine (what tests use); ``address="HOST:PORT"`` joins a running
cluster. No hand-written RPC: everything travels as Ray calls.

The run folder holds ``config.json``, ``checkpoint/`` (safetensors + config, loadable with
``--policy neural:RUN/checkpoint``), ``metrics.jsonl`` (searches, training chunks, throughput, queue sizes),
``proofs.jsonl`` (every proof found, replayable by ``equations check`` and exportable by ``equations
export``) and ``progress.png`` (cumulative proved fraction and losses over time, redrawn as it runs).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import equations as eq
from equations.atomic import write_atomic

from .learner import LearnerConfig

CHECKPOINT = "checkpoint"
METRICS = "metrics.jsonl"
PROOFS = "proofs.jsonl"
PLOT = "progress.png"


class TrainerLost(RuntimeError):
    """The trainer actor died mid-run (its queues are lost): the run stops; its checkpoint resumes it."""


@dataclass(frozen=True)
class OnlineConfig:
    minutes: float = 2.0
    """Wall-clock length of the run (the controller stops handing out theorems after it)."""
    rules: str = "paper"
    preset: str = "cpu-tiny"
    init: str | None = None
    """Checkpoint to start from (a folder); ``None``: a fresh model of ``preset`` (which *is* the
    non-learned prover until it learns, see :class:`~equations.agents.neural.NeuralAgent`)."""
    provers: int = 1
    theorems: str | None = None
    """A file of theorems to sample from (one a line, ``id<TAB>theorem`` or just the theorem, as
    ``equations evaluate --set FILE`` reads it); ``None``: the Identities train split."""
    max_searches: int | None = None
    """Stop after this many searches, even before ``minutes`` (``None``: no such limit)."""
    budget: int = 500
    """Expansions per search."""
    max_seconds: float = 60.0
    """Wall-clock limit per search."""
    sample_params: bool = True
    """Draw each search's hyper-parameters from appendix C (the budget stays fixed)."""
    sample_revisits: bool = False
    """With ``sample_params`` off: the default parameters for a theorem's first search of the run, appendix C's
    for its later ones (first searches stay comparable with the non-learned prover; repeats get variety)."""
    cover_first: bool = True
    """Search every theorem once, in a seeded random order, before searching any again."""
    prune: bool = False
    """Numeric pruning in every search (:attr:`SearchParams.prune`)."""
    held_out_fraction: float = 0.2
    proved_weight: float = 0.25
    """Sampling weight of a theorem already proved in this run, relative to 1 for the others."""
    reload_seconds: float = 10.0
    train_chunk: int = 8
    """Trainer steps per call (a new weight version after each)."""
    checkpoint_seconds: float = 60.0
    plot_seconds: float = 20.0
    prover_threads: int = 1
    trainer_threads: int = 1
    seed: int = 0
    learner: LearnerConfig = field(default_factory=LearnerConfig)
    supervised: tuple[str, ...] = ()
    """Pairs files or dataset folders mixed into the trainer's batches (``learner.supervised_fraction``)."""
    baseline: str | None = None
    """An ``equations evaluate`` results file of the non-learned prover on the same theorems, drawn in the plot."""
    supervised_limit: int = 4000
    """At most this many supervised pairs are prepared (preparing costs time on the trainer)."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["supervised"] = list(self.supervised)
        return d


# --- actors (plain classes; wrapped with ray.remote when the run starts) ------------------------------------


def _make_agent(rules: str, preset: str, init: str | None, seed: int, device: str | None = None) -> Any:
    from .neural import NeuralAgent, load_agent

    rs = eq.load_rules(rules)
    if not init:
        return NeuralAgent(rs, preset, seed=seed, device=device)
    agent = load_agent(init, rs, device=device)
    if not isinstance(agent, NeuralAgent):
        raise ValueError(f"{init}: a design (a) (decoder) checkpoint; online training runs design (b), the "
                         "scorer the comparison chose (README, 'Design (a) against design (b)')")
    return agent


class Trainer:
    """The trainer actor: a :class:`~equations.agents.learner.Learner` with published weight versions."""

    def __init__(self, cfg: OnlineConfig, device: str | None = None):
        import torch

        from .learner import Learner

        torch.set_num_threads(max(1, cfg.trainer_threads))
        agent = _make_agent(cfg.rules, cfg.preset, cfg.init, cfg.seed, device)
        data = None
        if cfg.supervised:
            from . import supervised as sv

            pairs = sv.read_pairs(list(cfg.supervised))
            random.Random(cfg.seed).shuffle(pairs)
            data = sv.prepare(pairs[: cfg.supervised_limit], agent, cfg.learner.max_candidates, 0.5, cfg.seed)
        self.learner = Learner(agent, cfg.learner, data)
        self.blob = self.learner.weights()

    def add(self, tactic: list[tuple[str, str]], critic: list[tuple[str, float]]) -> int:
        self.learner.add(tactic, critic)
        return len(tactic) + len(critic)

    def step(self, n: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        m = self.learner.step(n)
        if m["steps"]:
            self.blob = self.learner.weights()
        else:
            time.sleep(0.2)  # nothing to learn from yet: do not spin
        return {"chunk_steps": int(m["steps"]), "policy_loss": m["policy_loss"], "critic_loss": m["critic_loss"],
                **self.learner.stats(), "seconds": round(time.perf_counter() - t0, 3)}

    def weights_since(self, version: int) -> tuple[int, bytes | None]:
        """``(version, weights)`` when newer than ``version``, else ``(version, None)``."""
        v = self.learner.version
        return (v, self.blob) if v != version else (v, None)

    def save(self, path: str) -> str:
        self.learner.agent.save(path)
        return path

    def stats(self) -> dict[str, Any]:
        return self.learner.stats()


class Prover:
    """A prover actor: HTPS with its own copy of the model, reloading the trainer's weights now and then."""

    def __init__(self, cfg: OnlineConfig, trainer: str):
        """``trainer``: the trainer actor's name (a name, not a handle: Ray restarts a dead prover with these
        same arguments, and a name always resolves to the live trainer)."""
        import ray
        import torch

        torch.set_num_threads(max(1, cfg.prover_threads))
        self.cfg = cfg
        self.trainer = ray.get_actor(trainer)
        self.agent = _make_agent(cfg.rules, cfg.preset, cfg.init, cfg.seed, "cpu")
        self.version = -1
        self.reloads = 0
        self.last_reload = 0.0
        self._reload()

    def _reload(self) -> None:
        import ray

        from .learner import load_weights

        version, blob = ray.get(self.trainer.weights_since.remote(self.version))
        if blob is not None:
            load_weights(self.agent, blob)
            self.version = version
            self.reloads += 1
        self.last_reload = time.monotonic()

    def prove(self, task_id: str, text: str, params: dict[str, Any]) -> dict[str, Any]:
        from equations.heap import trim_native_heap

        from .neural import NeuralCritic, NeuralPolicy
        from .proofs import critic_samples, tactic_samples
        from .prover import prove
        from .search import SearchParams

        if time.monotonic() - self.last_reload >= self.cfg.reload_seconds:
            self._reload()
        sp = SearchParams(**params)
        t0 = time.perf_counter()
        res = prove(eq.parse(text), self.agent.rules, params=sp, policy=NeuralPolicy(self.agent),
                    critic=NeuralCritic(self.agent), keep_search=True)
        seconds = time.perf_counter() - t0
        assert res.search is not None
        graph = res.search.graph
        tactic = [(str(g), str(t)) for g, t in tactic_samples(graph, all_solved=True)]
        critic = [(str(s.goal), float(s.target)) for s in critic_samples(graph, sp)]
        graph.release()  # a prover runs thousands of searches: free each graph now (Hypergraph.release)
        trim_native_heap()  # and the C heap torch fragmented (equations.heap.trim_native_heap)
        self.trainer.add.remote(tactic, critic)  # samples go to the trainer directly
        return {"id": task_id, "theorem": text, "proved": res.proved,
                "proof": res.proof.to_dict() if res.proof is not None else None,
                "expansions": res.stats.expansions, "seconds": seconds, "timed_out": res.timed_out,
                "version": self.version, "reloads": self.reloads, "tactic_samples": len(tactic),
                "critic_samples": len(critic)}


# --- the controller ----------------------------------------------------------------------------------------


class TaskSampler:
    """Which theorem the controller hands out next.

    With ``cover_first``, every theorem once, in a seeded random order, before any theorem a second time: a
    run of any length then covers the set evenly, and its cumulative count compares directly with a
    one-attempt baseline over the theorems searched so far. After that (or without ``cover_first``), theorems
    are drawn with weight 1, or ``proved_weight`` once proved in this run. ``visited`` (a resumed run's
    searched ids) counts as covered."""

    def __init__(self, items: Sequence[Any], rng: random.Random, proved_weight: float = 0.25,
                 cover_first: bool = True, visited: Iterable[str] = ()):
        self.items = list(items)
        self.rng = rng
        self.proved_weight = proved_weight
        self.visited = set(visited)
        self.queue: list[Any] = []
        if cover_first:
            self.queue = [it for it in self.items if it.id not in self.visited]
            rng.shuffle(self.queue)
            self.queue.reverse()  # popped from the end: the shuffled order

    def next(self, proved: Container[str]) -> tuple[Any, bool]:
        """``(item, first)``: the next theorem, and whether this run has not searched it before."""
        while self.queue:
            item = self.queue.pop()
            if item.id not in self.visited:
                break
        else:
            weights = [self.proved_weight if it.id in proved else 1.0 for it in self.items]
            item = self.rng.choices(self.items, weights=weights)[0]
        first = item.id not in self.visited
        self.visited.add(item.id)
        return item, first


@dataclass
class OnlineResult:
    out: Path
    searches: int = 0
    proved: set[str] = field(default_factory=set)
    tasks: int = 0
    trainer_steps: int = 0
    prover_reloads: int = 0
    provers_lost: int = 0
    """Searches lost because their prover process died (killed, out of memory); Ray restarts the prover."""
    samples_received: int = 0
    seconds: float = 0.0

    @property
    def proved_fraction(self) -> float:
        return len(self.proved) / max(1, self.tasks)


def train_tasks(held_out_fraction: float = 0.2, seed: int = 0) -> tuple[list[Any], list[Any]]:
    """(train, held-out) identities: the controller samples only the first."""
    import importlib

    identities = importlib.import_module("equations.identities")  # a sibling layer, imported by name
    kept, held = identities.split(identities.load(), held_out_fraction, seed=seed)
    return list(kept), list(held)


def plot_progress(out: Path, baseline: str | Path | None = None) -> None:
    """Redraw ``progress.png`` from ``metrics.jsonl``: cumulative proved fraction of the train split and the
    losses over wall-clock minutes. With ``baseline`` (an ``equations evaluate`` results file of the same
    theorems), also the fraction that baseline proves of the theorems the run has searched so far: the fair
    reference while the run has not yet visited every theorem."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t_s: list[float] = []
    frac: list[float] = []
    ref: list[float] = []
    base: dict[str, bool] = {}
    if baseline is not None:
        for line in Path(baseline).read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                base[str(r["id"])] = bool(r.get("proved"))
    seen: set[str] = set()
    ref_proved = 0
    total = 0
    t_l: list[float] = []
    pl: list[float] = []
    cl: list[float] = []
    path = out / METRICS
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        if m.get("kind") == "search":
            t_s.append(m["t"] / 60)
            frac.append(m["cumulative_fraction"])
            if m["cumulative_proved"]:
                total = round(m["cumulative_proved"] / max(m["cumulative_fraction"], 1e-12))
            if m["id"] not in seen:
                seen.add(m["id"])
                ref_proved += base.get(m["id"], False)
            ref.append(ref_proved)
        elif m.get("kind") == "train" and m.get("chunk_steps"):
            t_l.append(m["t"] / 60)
            pl.append(m["policy_loss"])
            cl.append(m["critic_loss"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
    a1.plot(t_s, frac, color="tab:green", label="learned (this run), cumulative")
    if base and total:
        a1.plot(t_s, [r / total for r in ref], color="tab:gray", linestyle="--",
                label="non-learned, one attempt, same theorems")
        a1.legend(loc="upper left", fontsize=8)
    a1.set_xlabel("minutes")
    a1.set_ylabel("cumulative proved fraction (train split)")
    a1.set_ylim(0, max(0.05, max([*frac, *(r / max(1, total) for r in ref)], default=0) * 1.15))
    a1.grid(alpha=0.3)
    a2.plot(t_l, pl, label="policy", color="tab:blue")
    a2.plot(t_l, cl, label="critic", color="tab:orange")
    a2.set_xlabel("minutes")
    a2.set_ylabel("training loss")
    a2.legend()
    a2.grid(alpha=0.3)
    fig.suptitle(f"online training: {out.name}")
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=90)
        os.replace(tmp, out / PLOT)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        plt.close(fig)


def run_online(cfg: OnlineConfig, out: str | Path, address: str | None = None,
               progress: Callable[[OnlineResult], None] | None = None, resume: bool = True) -> OnlineResult:
    """Run online training for ``cfg.minutes`` and write the run folder ``out`` (see the module docstring).

    With ``resume`` and a ``checkpoint/`` in ``out``, training continues from it and the proofs already in
    ``proofs.jsonl`` count towards the cumulative fraction."""
    import ray
    from ray.exceptions import RayActorError

    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    resumed_from: str | None = None
    if resume and (outp / CHECKPOINT / "config.json").exists():
        resumed_from = str(outp / CHECKPOINT)
        cfg = replace(cfg, init=resumed_from)
    elif not resume:
        for name in (METRICS, PROOFS):
            (outp / name).unlink(missing_ok=True)
    write_atomic(outp / "config.json", (json.dumps({**cfg.to_dict(), "resumed_from": resumed_from,
                                                     "address": address}, indent=1) + "\n").encode())
    rules = eq.load_rules(cfg.rules)
    if cfg.theorems is not None:
        from .evaluate import load_tasks

        train = list(load_tasks(cfg.theorems))
        if not train:
            raise ValueError(f"{cfg.theorems}: no theorems")
    else:
        train, _held = train_tasks(cfg.held_out_fraction)
    result = OnlineResult(outp, tasks=len(train))
    if resumed_from and (outp / PROOFS).exists():
        for line in (outp / PROOFS).read_text().splitlines():
            if line.strip():
                result.proved.add(json.loads(line)["id"])
    t_offset = 0.0
    visited: set[str] = set()
    if resumed_from and (outp / METRICS).exists():
        for line in (outp / METRICS).read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                t_offset = max(t_offset, float(rec.get("t", 0.0)))
                if rec.get("kind") == "search":
                    visited.add(rec["id"])

    started = False
    if address is None:
        ray.init(num_cpus=max(2, cfg.provers + 1), include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        started = True
    else:
        ray.init(address=address, log_to_driver=False)
    try:
        gpus = ray.cluster_resources().get("GPU", 0)  # type: ignore[no-untyped-call]
        trainer_cls: Any = ray.remote(Trainer)
        prover_cls: Any = ray.remote(Prover)
        trainer_name = f"equations-trainer-{os.getpid()}-{time.time_ns()}"
        trainer: Any = trainer_cls.options(num_cpus=1, num_gpus=1 if gpus >= 1 else 0, name=trainer_name).remote(
            cfg, "cuda" if gpus >= 1 else "cpu")
        # a prover that dies (the kernel's OOM killer, a kill) is restarted by Ray with its __init__ (current
        # weights from the trainer); the search it was running is lost and logged, the run goes on
        provers: list[Any] = [prover_cls.options(num_cpus=1, max_restarts=-1, max_task_retries=0)
                              .remote(cfg, trainer_name) for _ in range(cfg.provers)]
        rng = random.Random(f"controller:{cfg.seed}:{t_offset}")
        sampler = TaskSampler(train, rng, cfg.proved_weight, cfg.cover_first, visited)
        metrics = open(outp / METRICS, "a")
        proofs = open(outp / PROOFS, "a")

        def log(rec: dict[str, Any]) -> None:
            metrics.write(json.dumps(rec) + "\n")
            metrics.flush()

        def next_task() -> tuple[Any, dict[str, Any]]:
            item, first = sampler.next(result.proved)
            seed = rng.randrange(2**31)
            if cfg.sample_params or (cfg.sample_revisits and not first):
                sp = eq_params_sample(rng, cfg.budget, cfg.max_seconds, seed)
            else:
                sp = {"expansions": cfg.budget, "max_seconds": cfg.max_seconds, "seed": seed}
            sp["prune"] = cfg.prune
            return item, sp

        t0 = time.monotonic()
        deadline = t0 + cfg.minutes * 60
        # search in progress -> (prover index, theorem id, its search parameters)
        in_flight: dict[Any, tuple[int, str, dict[str, Any]]] = {}

        def more() -> bool:
            submitted = result.searches + result.provers_lost + len(in_flight)
            return time.monotonic() < deadline and (cfg.max_searches is None or submitted < cfg.max_searches)

        def submit(i: int) -> None:
            """Hand prover ``i`` its next theorem, while the run has time and searches left."""
            if more():
                item, sp = next_task()
                in_flight[provers[i].prove.remote(item.id, item.text, sp)] = (i, item.id, sp)

        for i in range(len(provers)):
            submit(i)
        train_ref = trainer.step.remote(cfg.train_chunk)
        last_ckpt = last_plot = time.monotonic()
        expansions = 0
        while True:
            now = time.monotonic()
            if not in_flight and not more():
                break
            waiting = [*in_flight, train_ref]
            ready, _ = ray.wait(waiting, num_returns=1, timeout=1.0)
            now = time.monotonic()
            t = t_offset + now - t0
            for ref in ready:
                if ref == train_ref:
                    try:
                        m = ray.get(ref)
                    except RayActorError as e:  # its queues are gone: stop, the checkpoint resumes the run
                        raise TrainerLost(f"the trainer actor died ({type(e).__name__}); {outp / CHECKPOINT} "
                                           "holds its last checkpoint: run the same command again to resume") from e
                    result.trainer_steps = int(m["steps"])
                    result.samples_received = int(m["received_tactic"]) + int(m["received_critic"])
                    log({"kind": "train", "t": round(t, 2), **{k: v for k, v in m.items() if k != "time"},
                         "expansions_per_s": round(expansions / max(1e-9, now - t0), 2),
                         "samples_per_s": round(result.samples_received / max(1e-9, now - t0), 2)})
                    train_ref = trainer.step.remote(cfg.train_chunk)
                    continue
                i, task_id, sp = in_flight.pop(ref)
                try:
                    r = ray.get(ref)
                except RayActorError as e:
                    result.provers_lost += 1
                    log({"kind": "prover_lost", "t": round(t, 2), "id": task_id, "prover": i,
                         "error": str(e).splitlines()[0][:300] if str(e) else type(e).__name__})
                    submit(i)
                    continue
                result.searches += 1
                expansions += int(r["expansions"])
                result.prover_reloads = max(result.prover_reloads, int(r["reloads"]))
                if r["proved"]:
                    # the checker is the judge: a proof that does not check is a bug, never a result. A theorem
                    # that closes at once (an assertion rule's instance: `exp(x) > 0`) is proved with proof None,
                    # as `equations evaluate` counts it; the checker verifies that it closes
                    proof = None if r["proof"] is None else eq.Proof.from_dict(r["proof"])
                    eq.check_proof(eq.parse(r["theorem"]), proof, rules)
                    if r["id"] not in result.proved:
                        result.proved.add(r["id"])
                        proofs.write(json.dumps({"id": r["id"], "theorem": r["theorem"], "proof": r["proof"],
                                                 "rules": cfg.rules, "found_at": round(t, 2),
                                                 "model_version": r["version"]}) + "\n")
                        proofs.flush()
                log({"kind": "search", "t": round(t, 2), "id": r["id"], "proved": r["proved"],
                     "expansions": r["expansions"], "seconds": round(r["seconds"], 3),
                     "timed_out": r["timed_out"], "model_version": r["version"],
                     "tactic_samples": r["tactic_samples"], "critic_samples": r["critic_samples"],
                     "cumulative_proved": len(result.proved), "cumulative_fraction": round(result.proved_fraction, 4),
                     "params": sp})
                submit(i)
                if progress is not None:
                    result.seconds = now - t0
                    progress(result)
            if now - last_ckpt >= cfg.checkpoint_seconds:
                ray.get(trainer.save.remote(str(outp / CHECKPOINT)))
                last_ckpt = now
            if now - last_plot >= cfg.plot_seconds:
                plot_progress(outp, cfg.baseline)
                last_plot = now
        ray.get(train_ref)
        ray.get(trainer.save.remote(str(outp / CHECKPOINT)))
        st = ray.get(trainer.stats.remote())
        result.trainer_steps = int(st["steps"])
        result.samples_received = int(st["received_tactic"]) + int(st["received_critic"])
        result.seconds = time.monotonic() - t0
        log({"kind": "final", "t": round(t_offset + result.seconds, 2), **{k: v for k, v in st.items() if k != "time"},
             "searches": result.searches, "provers_lost": result.provers_lost, "cumulative_proved": len(result.proved),
             "cumulative_fraction": round(result.proved_fraction, 4)})
        metrics.close()
        proofs.close()
        plot_progress(outp, cfg.baseline)
    finally:
        if started:
            ray.shutdown()
    return result


def eq_params_sample(rng: random.Random, budget: int, max_seconds: float, seed: int) -> dict[str, Any]:
    """Appendix C's per-search hyper-parameters with the run's budget and time limit, as a dict for Ray."""
    from .search import SearchParams

    sp = SearchParams.sample(rng, expansions=budget, max_seconds=max_seconds, seed=seed)
    return sp.to_dict()
