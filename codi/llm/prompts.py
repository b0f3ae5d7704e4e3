"""Short prompts and the facts CODI hands the model (the guard checks the answers against them)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from codi.artifacts.models import CandidateNumbers, CandidateRecord, FindingRecord, ImageNumbers

RANK_MAX_TOKENS = 8  # per candidate label in the answer
EXPLAIN_MAX_TOKENS = 60
PERMUTATION_ENUM_MAX = 5
STOP = ["\n\n", "<|im_end|>", "<|endoftext|>"]
_DIFF_LINES = 6


def mb(value: int | None) -> str:
    return "unknown" if value is None else f"{value / 1e6:.0f} MB"


def candidate_line(c: CandidateRecord, n: CandidateNumbers | None) -> str:
    parts = [f"{c.id}: {c.title}", f"risk {c.risk}"]
    if n is not None and n.size_delta_pct is not None:
        parts.append(f"size {n.size_delta_pct:+.1f}% ({n.kind})")
    parts.append(f"resolves {len(c.resolves)} findings")
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
    listing = "\n".join(f"- {line}" for line in lines)
    return [
        {"role": "system", "content": "You rank Dockerfile rewrites for a developer. Answer with JSON only."},
        {"role": "user", "content": f"Candidates:\n{listing}\nPrefer smaller images, lower risk and more "
                                    "resolved findings. Return {\"order\": [letters, best first]}."},
    ]


def _diff_excerpt(diff: str) -> str:
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip()]
    return "\n".join(changed[:_DIFF_LINES])


def candidate_facts(c: CandidateRecord, n: CandidateNumbers | None, original: ImageNumbers,
                    findings: Sequence[FindingRecord]) -> str:
    """Everything the model may say about one candidate, as short plain lines."""
    by_ref = {f"{f.code}@{f.line}": f for f in findings}
    lines = [f"Candidate {c.id}: {c.title}. Risk {c.risk}. Verified: {'yes' if c.verified else 'no'}."]
    if c.runtime_base:
        lines.append(f"Runtime base image: {c.runtime_base}.")
    if n is not None and n.size_bytes is not None:
        pct = f" ({n.size_delta_pct:+.1f}%)" if n.size_delta_pct is not None else ""
        lines.append(f"Image size ({n.kind}): {mb(original.size_bytes)} before, {mb(n.size_bytes)} after{pct}.")
        if n.layers is not None and original.layers is not None:
            lines.append(f"Layers: {original.layers} before, {n.layers} after.")
    if c.resolves:
        # Codes and names only: full messages would double the prompt, and prompt length is latency.
        named = [f"{r} {by_ref[r].name}" if r in by_ref else r for r in c.resolves[:4]]
        more = f" and {len(c.resolves) - 4} more" if len(c.resolves) > 4 else ""
        lines.append(f"Fixes: {', '.join(named)}{more}.")
    lines.append(f"What it does: {c.description}")
    excerpt = _diff_excerpt(c.diff)
    if excerpt:
        lines.append("Changed lines:\n" + excerpt)
    return "\n".join(lines)


def explain_messages(facts: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You explain a Dockerfile change to a developer in 2 or 3 short, plain "
                                      "sentences. Use only the facts given. No lists, no code."},
        {"role": "user", "content": f"{facts}\n\nWhy is this candidate better than the original Dockerfile?"},
    ]


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
