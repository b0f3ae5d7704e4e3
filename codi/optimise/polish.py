"""Edits of a rendered candidate that a reviewer would otherwise ask for:

- every base image of the same repository as one of the original's keeps the original's full version,
  OS release and (when the reference stays the same) digest: a template writes ``python:3.9-slim``,
  the original has ``python:3.9.10-slim``, the candidate gets ``python:3.9.10-slim``; what still differs
  (the variant, a digest that cannot be kept) is declared with a reason;
- an ENV pair that sets a variable to the value an earlier ENV of the same stage gave it is dropped (the
  template's ``ENV PYTHONUNBUFFERED=1`` and the original's own line).
"""

from __future__ import annotations

from codi.imagedb.tags import ImageRef, parse_ref, refines, same_image
from codi.optimise.review.model import DeclaredBaseChange
from codi.parser import parse
from codi.parser.model import Instruction
from codi.parser.semantic import Model, build_model


def _closest(ref: ImageRef, originals: list[ImageRef]) -> ImageRef | None:
    """The original image that ``ref`` (written by a template) stands for: same repository, a version
    the original's refines; the same variant first."""
    fitting = [o for o in originals if o.repo == ref.repo and o.numeric and ref.numeric
               and refines(ref.version, o.version)]
    fitting.sort(key=lambda o: (o.variants != ref.variants, o.release == "", -len(o.version)))
    return fitting[0] if fitting else None


def _reason(before: ImageRef, after: ImageRef) -> str:
    parts = []
    if before.variants != after.variants:
        variant = "-".join(after.variants) or "full"
        parts.append(f"the {variant} variant of the same {before.repo} {before.version} image")
    if before.release and before.release not in after.written:
        parts.append(f"its OS differs from {before.release}")
    if before.digest and not after.digest:
        parts.append(f"the original's digest pins `{before.without_digest()}` only: pin `{after.written}` by "
                     "digest after review")
    return "; ".join(parts) or "the same image"


def _model(text: str, model: Model | None) -> Model:
    """``model`` when the caller has ``text``'s (no build args; the service's memo), else ``text`` parsed."""
    return model if model is not None and model.dockerfile.text == text else build_model(parse(text, "candidate"))


def keep_base_precision(text: str, original_bases: list[str],
                        model: Model | None = None) -> tuple[str, list[DeclaredBaseChange]]:
    """``model``: ``text``'s model without build args, when the caller has it."""
    originals = [parse_ref(b) for b in original_bases if b and "$" not in b]
    edits: list[tuple[int, int, str]] = []
    declared: list[DeclaredBaseChange] = []
    for stage in _model(text, model).stages:
        if stage.base_stage is not None or "$" in stage.base or stage.base_resolved != stage.base:
            continue
        ref = parse_ref(stage.base)
        if any(o.written == ref.written for o in originals):
            continue
        original = _closest(ref, originals)
        if original is None:
            moving = next((o for o in originals if o.repo == ref.repo and not o.numeric), None)
            if moving is not None:  # `node:lts` -> `node:22-slim`: the version it stands for, named
                digest = (f"; the original's digest pins `{moving.without_digest()}` only: pin `{ref.written}` by "
                          "digest after review") if moving.digest else ""
                declared.append(DeclaredBaseChange(
                    before=moving.written, after=ref.written,
                    reason=f"`{moving.without_digest()}` is a moving tag; the candidate names the version it "
                           f"stands for{digest}"))
            continue
        new = same_image(original, ref.variants)
        instr = stage.from_instr
        at = instr.text.find(stage.base, instr.keyword_span.end - instr.span.start)
        if at < 0:
            continue
        start = instr.span.start + at
        edits.append((start, start + len(stage.base), new))
        if new != original.written:
            change = DeclaredBaseChange(before=original.written, after=new, reason=_reason(original, parse_ref(new)))
            if change not in declared:
                declared.append(change)
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, declared


def _pairs(instr: Instruction) -> list[tuple[str, str]]:
    args = instr.args
    return [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 3)]


def drop_repeated_env(text: str, model: Model | None = None) -> str:
    """Without the ENV pairs that repeat the value a variable already has in the same stage (``model``: as in
    ``keep_base_precision``)."""
    edits: list[tuple[int, int, str]] = []
    for stage in _model(text, model).stages:
        values: dict[str, str] = {}
        for instr in stage.instructions:
            if instr.keyword != "ENV":
                continue
            keep = []
            for name, value in _pairs(instr):
                if values.get(name) != value.strip("\"'"):
                    keep.append((name, value))
                values[name] = value.strip("\"'")
            if len(keep) == len(_pairs(instr)):
                continue
            if not keep:
                end = instr.span.end
                edits.append((instr.span.start, end, ""))
            else:
                line = "ENV " + " ".join(f"{n}={v}" for n, v in keep)
                newline = instr.text[len(instr.text.rstrip("\r\n")):]
                edits.append((instr.span.start, instr.span.end, line + newline))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text
