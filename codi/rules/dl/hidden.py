"""Instructions BuildKit's view hides from the DL rules, linted as hadolint lints them.

Not a rule module. hadolint checks two kinds of instructions that have no stage in BuildKit's
model (``RuleContext.model``), so most DL rules never see them:

- instructions **before the first FROM** (other than global ARGs): hadolint lints them as an
  implicit stage of their own (``RUN dnf install -y x`` in a file without FROM gets DL3040 and
  DL3041, not only DL3061);
- instructions **inside ONBUILD**: hadolint runs its RUN rules on ``ONBUILD RUN`` (all but
  DL3003 and DL4006) and DL3064 on ``ONBUILD ARG``/``ONBUILD ENV``; other ONBUILD
  instructions get no DL finding beyond DL3043.

Both are linted on a *view* of the file: the same text with each such ``ONBUILD`` keyword
blanked out (same offsets, so lines, columns and fixes stay valid; one view for the ONBUILD
contents, one for the rest, so that ``ONBUILD RUN`` and ``RUN`` never look consecutive) and,
when instructions precede the first FROM, a ``FROM scratch`` line inserted before them (the
view's lines after it are one further down; findings are moved back). Only the view's findings on those
instructions' lines are kept, and only where the ordinary run did not already report that code
on that line. ONBUILD findings say so in their message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from codi.parser.model import Instruction
from codi.rules.base import Edit, Finding, Fix, Rule, RuleContext

IMPLICIT_FROM = "FROM scratch\n"
IN_ONBUILD = " (in ONBUILD)"

# What hadolint checks inside ONBUILD, by the wrapped instruction's keyword: None = every DL rule
# but the ones listed in ``ONBUILD_SKIPS``.
ONBUILD_CODES: dict[str, frozenset[str] | None] = {
    "RUN": None,
    "ARG": frozenset({"DL3064"}),
    "ENV": frozenset({"DL3064"}),
}
ONBUILD_SKIPS = frozenset({"DL3003", "DL4006", "DL3059"})
# Before the first FROM there is no image, so no "last USER" (hadolint agrees).
BEFORE_FROM_SKIPS = frozenset({"DL3002"})


@dataclass(slots=True)
class View:
    text: str
    inserted_at: int = -1  # offset of the inserted FROM line, -1 if none
    inserted_line: int = 0
    onbuild: dict[int, frozenset[str] | None] = field(default_factory=dict)  # line -> allowed codes
    before_from: set[int] = field(default_factory=set)  # lines of instructions before the first FROM


def _lines(instr: Instruction) -> range:
    return range(instr.span.start_line, instr.span.end_line + 1)


def build_view(ctx: RuleContext, onbuild: bool) -> View | None:
    """The view of the file that shows the hidden instructions of one kind (ONBUILD contents or
    the part before the first FROM), or None when there are none. Both views get the implicit
    stage, so an ``ONBUILD RUN`` before any FROM is linted too."""
    text = ctx.dockerfile.text
    view = View(text)
    blank: list[tuple[int, int]] = []
    first: Instruction | None = None
    seen_from = False
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "FROM":
            seen_from = True
            continue
        if not seen_from and instr.keyword != "ARG":
            first = first or instr
            if not onbuild and instr.keyword != "ONBUILD":
                view.before_from.update(_lines(instr))
        inner = instr.inner
        if onbuild and instr.keyword == "ONBUILD" and inner is not None and inner.keyword in ONBUILD_CODES:
            blank.append((instr.keyword_span.start, inner.keyword_span.start))
            for line in _lines(instr):
                view.onbuild[line] = ONBUILD_CODES[inner.keyword]
    if not (view.onbuild or view.before_from):
        return None
    chars = list(text)
    for start, end in blank:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    out = "".join(chars)
    if first is not None:
        at = first.span.start - (first.span.start_col - 1)  # the start of its line
        view.inserted_at, view.inserted_line = at, first.span.start_line
        out = out[:at] + IMPLICIT_FROM + out[at:]
    view.text = out
    return view


def _context(ctx: RuleContext, text: str) -> RuleContext | None:
    from codi.parser import parse
    from codi.parser.errors import ParseError
    from codi.parser.semantic import build_model

    try:
        df = parse(text, ctx.path, lint_mode=True)
        return RuleContext(ctx.path, df, build_model(df), ctx.config, ctx.context_dir)
    except ParseError as exc:
        if exc.kind == "internal":  # the parser failed, not the view: never a silent "nothing hidden"
            raise
        return None


def _move_back(f: Finding, view: View) -> Finding | None:
    """The view's finding in the original file's coordinates (None: on the inserted line)."""
    if view.inserted_at < 0:
        return f
    if f.line == view.inserted_line:
        return None
    shift = len(IMPLICIT_FROM)

    def line(n: int) -> int:
        return n - 1 if n > view.inserted_line else n

    fix = f.fix
    if fix is not None:
        edits = [Edit(e.start - shift, e.end - shift, e.replacement) if e.start >= view.inserted_at + shift else e
                 for e in fix.edits]
        fix = Fix(fix.description, fix.applicability, edits)
    return replace(f, line=line(f.line), end_line=line(f.end_line), fix=fix)


def _wanted(f: Finding, view: View) -> bool:
    if f.line in view.before_from:
        return f.code not in BEFORE_FROM_SKIPS
    if f.line not in view.onbuild:
        return False
    allowed = view.onbuild[f.line]
    return f.code not in ONBUILD_SKIPS if allowed is None else f.code in allowed


def hidden_findings(
    ctx: RuleContext,
    rules: Sequence[Rule],
    already: Iterable[Finding],
    on_error: Callable[[str, Exception], None],
) -> list[Finding]:
    """DL findings on the instructions before the first FROM and inside ONBUILD."""
    dl = [r for r in rules if r.code.startswith("DL")]
    if not dl:
        return []
    have = {(f.code, f.line) for f in already}
    out: list[Finding] = []
    for onbuild in (False, True):
        view = build_view(ctx, onbuild)
        try:
            shown = _context(ctx, view.text) if view is not None else None
        except Exception as exc:  # reported like a parser crash: the DL checks of this view did not run
            on_error("parser", exc)
            continue
        if view is None or shown is None:
            continue
        for rule in dl:
            try:
                found = list(rule.check(shown))
            except Exception as exc:  # reported like any rule crash
                on_error(rule.code, exc)
                continue
            for raw in found:
                f = _move_back(raw, view)
                if f is None or not _wanted(f, view) or (f.code, f.line) in have:
                    continue
                if onbuild:
                    f.message += IN_ONBUILD
                have.add((f.code, f.line))
                out.append(f)
    return out
