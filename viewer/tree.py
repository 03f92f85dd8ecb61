"""A proof replayed into the tree a page draws.

The page shows what the checker sees, not what a file claims: every goal is recomputed by applying the
tactics with :func:`equations.apply` from the theorem, each leaf says why it closed
(:func:`equations.closed_by`), and a step that does not apply is shown where it breaks instead of making
the whole page fail, since a broken proof is exactly what someone opens a viewer to look at. When no rule
set may be used (a record naming a rule file the user did not pass), the goals the file stores are shown
as they are, marked as not replayed.

The tree is flat (a list of nodes with child indices, parents before children) so that neither Python's
JSON encoder nor the page's code recurses once per proof level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import equations as eq
from equations.rules import bundled_rule_sets

from .load import ViewerError

__all__ = ["latex_of", "proof_tree", "resolve_rules"]


#: The bundled rule set of each domain, for records that name none (``equations prove --json`` writes none).
DOMAIN_RULES = {"real": "default", "nat": "nat", "int": "int"}


def resolve_rules(named: Any, chosen: str | None, domain: str = "real") -> tuple[eq.RuleSet | None, str | None]:
    """The rule set to replay a record with, and a note for the page when there is none: the record's
    bundled set, else the user's ``--rules``, else the bundled set of the theorem's domain.

    As in ``equations check``, the data does not choose what runs on it: a record may name a bundled set;
    a rule *file* is loaded only when the user names it (``--rules``)."""
    if named is not None and not isinstance(named, str):
        raise ViewerError(f"'rules' must be the name of a rule set, not {type(named).__name__}")
    name = named if named in bundled_rule_sets() else None
    if name is None and named is not None and chosen is None:
        return None, f"the record names the rule file {named!r}: pass --rules {named} to replay its proof"
    try:
        return eq.load_rules(name or chosen or DOMAIN_RULES.get(domain, "default")), None
    except (FileNotFoundError, eq.RuleError) as err:
        raise ViewerError(str(err).splitlines()[0]) from None


def latex_of(text: str, domain: str = "real") -> str | None:
    """LaTeX of an infix goal text (``None`` when it does not parse: the page then shows the text)."""
    try:
        return eq.to_latex(eq.parse_expr(text, domain))
    except (eq.ParseError, ValueError, RecursionError):
        return None


def _as_dict(proof: eq.Proof | dict[str, Any] | Sequence[str] | None,
             domain: str) -> tuple[dict[str, Any], eq.Proof] | None:
    """The proof as a ``Proof.to_dict`` dict (goals kept when the file had them: they are shown when it
    is not replayed) and as the :class:`equations.Proof` the replay walks, validated."""
    if proof is None:
        return None
    if isinstance(proof, eq.Proof):
        return proof.to_dict(), proof
    if isinstance(proof, str):
        raise ViewerError("a proof is a JSON object or a list of tactics, not a string")
    if isinstance(proof, dict):
        try:
            # shape and tactic syntax; the replay judges the rest (a substitution's domain included: apply
            # checks it in the domain of the goal it meets, as the checker does)
            return proof, eq.Proof.from_dict(proof)
        except eq.ProofError as err:
            raise ViewerError(f"malformed proof: {err}") from None
    if isinstance(proof, Sequence):
        tactics = [t for t in proof if isinstance(t, str)]
        if len(tactics) != len(proof):
            raise ViewerError("a proof given as a list is a list of tactic texts")
        try:
            chain = eq.Proof.chain(tactics, domain)
        except eq.ProofError as err:
            raise ViewerError(f"malformed proof: {err}") from None
        return chain.to_dict(), chain
    raise ViewerError(f"a proof is a JSON object or a list of tactics, not {type(proof).__name__}")


def proof_tree(theorem: eq.Theorem | str, proof: eq.Proof | dict[str, Any] | Sequence[str] | None,
               rules: eq.RuleSet | None, note: str | None = None) -> dict[str, Any]:
    """The display tree of ``proof`` on ``theorem``.

    Returns ``{"theorem", "tex", "domain", "hypotheses", "nodes", "root", "size", "depth", "replayed",
    "checked", "note", "closed"}``; each node is ``{"goal", "tex", "tactic", "kids", "closed", "error",
    "size", "depth"}`` (``tactic`` null for a leaf, ``closed`` the reason a leaf closed automatically,
    ``error`` what is wrong at that node). ``checked`` is true exactly when the replay found no error,
    i.e. when :func:`equations.check_proof` accepts the proof. ``rules=None``: shown from the stored goals,
    not replayed (``note`` says why)."""
    if isinstance(theorem, str):
        try:
            theorem = eq.parse(theorem)
        except eq.ParseError as err:
            raise ViewerError(f"cannot parse the theorem: {str(err).splitlines()[0]}") from None
    thm = theorem
    domain = thm.domain
    tex_memo: dict[eq.Expr, str] = {}

    def tex(e: eq.Expr) -> str | None:
        s = tex_memo.get(e)
        if s is None:
            try:
                s = tex_memo[e] = eq.to_latex(e)
            except ValueError:
                return None
        return s

    nodes: list[dict[str, Any]] = []

    def add(goal: str | None, tex_: str | None, parent: int | None) -> int:
        nodes.append({"goal": goal, "tex": tex_, "tactic": None, "kids": [], "closed": None, "error": None,
                      "size": 0, "depth": 0})
        k = len(nodes) - 1
        if parent is not None:
            nodes[parent]["kids"].append(k)
        return k

    given = _as_dict(proof, domain)
    out: dict[str, Any] = {
        "theorem": str(thm), "tex": thm.to_latex(), "domain": domain,
        "hypotheses": [eq.to_infix(h) for h in thm.hyps], "nodes": nodes, "root": None, "size": 0, "depth": 0,
        "replayed": rules is not None, "checked": False, "note": note, "closed": None,
    }
    if given is None:
        out["closed"] = eq.closed_by(thm, rules) if rules is not None else None
        out["checked"] = out["closed"] is not None
        return out
    d, p = given
    root = add(eq.to_infix(thm.goal), tex(thm.goal), None)
    out["root"] = root

    def stored(step: dict[str, Any], k: int) -> None:
        """The sub-tree of ``step`` (at node ``k``) as the file gives it: its goals, not replayed."""
        stack = [(step, k)]
        while stack:
            step, k = stack.pop()
            nodes[k]["tactic"] = step["tactic"]
            for child in step.get("subproofs") or []:
                if child is not None:
                    text = child.get("goal")
                    stack.append((child, add(text, latex_of(text, domain) if text else None, k)))

    if rules is None:
        stored(d, root)
    else:
        steps = eq.replay(thm, p, rules, strict=False)
        # at[k][i]: (node, step dict) of the sub-proof of subgoal i of step k; the replay reaches a step
        # after its parent
        at: list[dict[int, tuple[int, dict[str, Any]]]] = []
        for step in steps:
            k, sd = (root, d) if step.parent < 0 else at[step.parent][step.path[-1]]
            below: dict[int, tuple[int, dict[str, Any]]] = {}
            at.append(below)
            node = nodes[k]
            if step.invalid is not None:
                node["error"] = f"the tactic does not apply: {step.invalid.reason}"
                stored(sd, k)  # nothing below a step that does not apply is replayed
                continue
            node["tactic"] = sd["tactic"]
            subproofs: list[Any] = sd.get("subproofs") or []
            if len(subproofs) > len(step.subgoals):
                node["error"] = (f"the tactic gives {len(step.subgoals)} subgoals but the proof has "
                                 f"{len(subproofs)} entries")
            for i, sub in enumerate(step.subgoals):
                c = add(eq.to_infix(sub.goal), tex(sub.goal), k)
                if step.entry(i) is not None:
                    below[i] = (c, subproofs[i])
                    continue
                why = eq.closed_by(sub, rules)
                nodes[c]["closed"] = why
                if why is None:
                    nodes[c]["error"] = "left open: it does not close automatically"
    for node in reversed(nodes):  # children come after their parent
        if node["tactic"] is not None:
            node["size"] = 1 + sum(nodes[c]["size"] for c in node["kids"])
            node["depth"] = 1 + max((nodes[c]["depth"] for c in node["kids"]), default=0)
    out["size"] = nodes[root]["size"]
    out["depth"] = nodes[root]["depth"]
    out["checked"] = rules is not None and not any(n["error"] for n in nodes)
    return out
