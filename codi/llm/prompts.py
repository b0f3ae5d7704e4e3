"""Short prompts and the facts CODI hands the model (the guard checks the answers against them)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from codi.artifacts.models import CandidateNumbers, CandidateRecord, FindingRecord, ImageNumbers
from codi.llm.guard import Facts

RANK_MAX_TOKENS = 8  # per candidate label in the answer
# Two short sentences fit in ~40 tokens; a sentence cut off by the cap is dropped by the guard.
EXPLAIN_MAX_TOKENS = 48
# The run keeps the model's first sentence only: beside CODI's own sentence it is the "why" a reader
# needs, and the adapter's second sentence was mostly a size claim the guard had to drop, at ~20 ms a
# token on 2 cores. (The prompt still asks for two, as the adapter was trained on.)
EXPLAIN_SENTENCES = 1
# Candidates explained by the model unless --limit says otherwise (best first); the others get
# CODI's deterministic sentences, labelled "deterministic". One generation per run keeps explain
# within its latency budget on 2 cores.
EXPLAIN_LIMIT = 1
PERMUTATION_ENUM_MAX = 5
STOP = ["\n\n", "<|im_end|>", "<|endoftext|>"]
_DIFF_LINES = 3
_FINDINGS = 2


def mb(value: int | None) -> str:
    return "unknown" if value is None else f"{value / 1e6:.0f} MB"


def candidate_line(c: CandidateRecord, n: CandidateNumbers | None) -> str:
    """One short line per candidate for the rank prompt (its label stands for the id)."""
    parts = [c.title, f"risk {c.risk}"]
    if n is not None and n.size_delta_pct is not None:
        parts.append(f"size {n.size_delta_pct:+.1f}%")
    parts.append(f"fixes {len(c.resolves)}")
    return "; ".join(parts)


def rank_schema(ids: Sequence[str]) -> dict[str, object]:
    """{"order": [...]}; up to 5 ids the schema enumerates the permutations, so the grammar admits nothing else."""
    if len(ids) <= PERMUTATION_ENUM_MAX:
        order: dict[str, object] = {"enum": [list(p) for p in itertools.permutations(ids)]}
    else:
        order = {"type": "array", "items": {"type": "string", "enum": list(ids)},
                 "minItems": len(ids), "maxItems": len(ids)}
    return {"type": "object", "properties": {"order": order}, "required": ["order"]}


def rank_messages(lines: Sequence[str]) -> list[dict[str, str]]:
    listing = "\n".join(lines)
    return [
        {"role": "system", "content": "Rank Dockerfile rewrites. Answer with JSON only."},
        {"role": "user", "content": f"{listing}\nPrefer smaller images, lower risk, more fixes. "
                                    "Return {\"order\": [letters, best first]}."},
    ]


def _diff_excerpt(diff: str) -> str:
    """The first changed instruction lines (comments and blank lines carry no facts, only tokens)."""
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))
               and line[1:].strip() and not line[1:].lstrip().startswith("#")]
    return "\n".join(changed[:_DIFF_LINES])


def _finding(ref: str, by_ref: dict[str, FindingRecord]) -> str:
    code, _, line = ref.partition("@")
    found = by_ref.get(ref)
    name = found.name if found is not None else code
    return f"{name} (line {line})" if line else name


def candidate_facts(c: CandidateRecord, n: CandidateNumbers | None, original: ImageNumbers,
                    findings: Sequence[FindingRecord]) -> str:
    """Everything the model may say about one candidate, as a few compact lines.

    On a small CPU model every prompt token costs about as much as a generated one (~300 prompt
    tokens were most of an explain call), so this holds facts only: what changes, the numbers with
    the saving worked out (no sums for the model), a few of the findings fixed by name and line,
    and the first changed lines of the diff.
    """
    by_ref = {f"{f.code}@{f.line}": f for f in findings}
    on = f", on {c.runtime_base}" if c.runtime_base else ""
    lines = [f"Change: {c.title}{on}. {c.description}"]
    if n is not None and n.size_bytes is not None:
        size = f"Size ({n.kind}): {mb(original.size_bytes)} -> {mb(n.size_bytes)}"
        if original.size_bytes is not None and original.size_bytes > n.size_bytes:
            size += f", {mb(original.size_bytes - n.size_bytes)} smaller"
        if n.size_delta_pct is not None:
            size += f" ({n.size_delta_pct:+.1f}%)"
        if n.layers is not None and original.layers is not None:
            size += f". Layers: {original.layers} -> {n.layers}"
        lines.append(size + ".")
    if c.resolves:
        named = ", ".join(_finding(r, by_ref) for r in c.resolves[:_FINDINGS])
        lines.append(f"Fixes {len(c.resolves)} findings, e.g. {named}." if len(c.resolves) > _FINDINGS
                     else f"Fixes: {named}.")
    lines.append(f"Risk: {c.risk}." + ("" if c.verified else " Not verified by CODI."))
    excerpt = _diff_excerpt(c.diff)
    if excerpt:
        lines.append("Diff:\n" + excerpt)
    return "\n".join(lines)


def candidate_claims(c: CandidateRecord, n: CandidateNumbers | None, original: ImageNumbers) -> dict[str, str]:
    """What is true of a candidate, in the guard's terms (``codi.llm.guard.claims``): size and layer
    direction against the original, the risk, and both sizes in MB (for ``Facts.misread_size``)."""
    out = {"risk": c.risk}
    if n is not None and n.size_bytes is not None and original.size_bytes is not None:
        out["size"] = ("same" if n.size_bytes == original.size_bytes
                       else "down" if n.size_bytes < original.size_bytes else "up")
        out["size_mb"] = f"{original.size_bytes / 1e6:.0f}->{n.size_bytes / 1e6:.0f}"  # as the facts write them
    if n is not None and n.layers is not None and original.layers is not None and n.layers != original.layers:
        out["layers"] = "down" if n.layers < original.layers else "up"
    return out


def explain_messages(facts: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "Explain this Dockerfile change to a developer in 2 short, plain "
                                      "sentences, using only the facts given."},
        {"role": "user", "content": f"{facts}\n\nWhy is this change better than the original Dockerfile?"},
    ]


def fixed_heads() -> list[list[dict[str, str]]]:
    """CODI's two prompts with placeholder facts: what they share with every call (the template and the
    system message) is what ``EmbeddedModel.warm`` reads ahead and keeps."""
    return [explain_messages("."), rank_messages(["."])]


def deterministic_explanation(c: CandidateRecord, n: CandidateNumbers | None, original: ImageNumbers) -> list[str]:
    """Plain sentences built only from the facts (used when the model is off or its words failed the guard)."""
    out = [f"{c.title} (risk {c.risk})."]
    if n is not None and n.size_bytes is not None and n.size_delta_pct is not None:
        out.append(f"The {n.kind} image size goes from {mb(original.size_bytes)} to {mb(n.size_bytes)} "
                   f"({n.size_delta_pct:+.1f}%).")
    if c.resolves:
        codes = ", ".join(dict.fromkeys(r.split("@")[0] for r in c.resolves))
        out.append(f"It resolves {len(c.resolves)} finding(s) of the original ({codes}).")
    if c.verified:
        out.append("CODI verified it: it parses, lints with fewer findings, and keeps the stages' behaviour.")
    return out[:4]


def guard_facts(ids: Sequence[str], c: CandidateRecord, n: CandidateNumbers | None, original: ImageNumbers,
                context: str) -> Facts:
    """What the guard accepts in an explanation of ``c``: the prompt's facts (``context``), CODI's own
    sentences and the run's candidate ids; what is true of size, layers and risk as claims; and, as words a
    reader already has (a copy of them is dropped), CODI's sentences and the catalog's title and description."""
    fallback = deterministic_explanation(c, n, original)
    listed = "Candidates: " + ", ".join(ids) + "."
    return Facts("\n".join([listed, context, " ".join(fallback)]), claims=candidate_claims(c, n, original),
                 own_words=[*fallback, c.description, c.title])
