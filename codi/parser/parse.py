"""``parse``: text -> lossless CST with BuildKit's node values (frontend/dockerfile/parser)."""

from __future__ import annotations

import os
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from codi.parser.args import DISPATCH, GO_SPACE, ArgError, parse_ignore
from codi.parser.errors import ParseError
from codi.parser.flags import extract_flags, split_command
from codi.parser.heredoc import heredoc_markers
from codi.parser.lines import MAX_LINE_BYTES, DirectiveError, Directives, Locator, split_lines, too_long
from codi.parser.model import Dockerfile, Flag, Heredoc, Instruction, Node, Trivia
from codi.parser.validate import Diagnostic, diagnose, validate, without_invalid

_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_BOM = "\ufeff"


@dataclass(slots=True)
class _Built:
    """An instruction node before its text and heredocs are known."""

    instr: Instruction
    inner_heredoc_ok: bool


def parse(text: str, path: str = "Dockerfile", *, lint_mode: bool = False) -> Dockerfile:
    """Parse Dockerfile ``text``; raise ParseError where ``docker build`` would reject it.

    ``lint_mode`` lets through the instruction errors a lint rule reports by name
    (e.g. DL3061, an instruction before the first FROM), so the linter can explain them.
    """
    return validated(parse_syntax(text, path), lint_mode=lint_mode)


def validated(df: Dockerfile, *, lint_mode: bool = False) -> Dockerfile:
    """``parse``'s checks on a tree ``parse_syntax`` made: ``df`` itself, or ParseError."""
    try:
        validate(df, skip_rule_covered=lint_mode)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: only ParseError escapes
        raise internal_error(exc, df.path) from exc
    return df


def parse_lenient(text: str, path: str = "Dockerfile") -> tuple[Dockerfile, list[Diagnostic]]:
    """For the linter: BuildKit's parser stage (ParseError only where it fails), then the
    instruction problems no lint rule names, as diagnostics. The instructions they concern are
    left out of the returned file's ``instructions`` (its text and nodes stay whole), so the rules
    check the rest of the file as BuildKit checks what comes before its first error."""
    return lenient(parse_syntax(text, path))


def lenient(df: Dockerfile) -> tuple[Dockerfile, list[Diagnostic]]:
    """``parse_lenient``'s second step on a tree ``parse_syntax`` made: one parse serves the service's
    strict check (``validated``) and the linter."""
    try:
        diagnostics = [d for d in diagnose(df) if d.rule is None]
    except Exception as exc:  # noqa: BLE001 - the contract: only ParseError escapes
        raise internal_error(exc, df.path) from exc
    return without_invalid(df, diagnostics), diagnostics


def internal_error(exc: Exception, path: str) -> ParseError:
    """A bug (or a limit: RecursionError, MemoryError) inside the parser: not the input's fault, and
    never a finding about it. Callers tell it by ``kind == "internal"`` and fail the result."""
    return ParseError(f"internal parser error: {type(exc).__name__}: {exc}", 1, path, kind="internal")


def parse_syntax(text: str, path: str = "Dockerfile") -> Dockerfile:
    """BuildKit's parser stage only (frontend/dockerfile/parser), without the instruction checks.

    This accepts exactly what BuildKit's ``parser.Parse`` accepts, e.g. an unknown
    instruction or ``COPY`` with one argument; ``parse`` rejects those as ``docker build`` does.
    """
    try:
        return _Parser(text, path).run()
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: only ParseError escapes
        raise internal_error(exc, path) from exc


def parse_file(path: str | os.PathLike[str], *, lint_mode: bool = False) -> Dockerfile:
    """Read ``path`` (bytes that are not UTF-8 kept via surrogateescape) and parse it."""
    with open(path, "rb") as fh:
        data = fh.read()
    return parse(data.decode("utf-8", "surrogateescape"), str(path), lint_mode=lint_mode)


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.lines, self.offsets = split_lines(text)
        self.loc = Locator(self.offsets)
        self.directives = Directives()
        self.nodes: list[Node] = []
        self.instructions: list[Instruction] = []

    def error(self, message: str, line: int) -> ParseError:
        return ParseError(message, max(line, 1), self.path)

    def run(self) -> Dockerfile:
        lines = self.lines
        limit = len(lines)
        long_line = 0
        for i, line in enumerate(lines):
            if too_long(line):
                limit, long_line = i, i + 1
                break
        i = 0
        while i < limit:
            i = self._top_line(i, limit)
        if not self.instructions:
            raise self.error("file with no instructions", limit)
        if long_line:
            raise self.error(f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}", long_line)
        d = self.directives
        newline = "\r\n" if "\r\n" in self.text else "\n"
        return Dockerfile(
            path=self.path,
            text=self.text,
            nodes=self.nodes,
            directives=dict(d.values),
            escape=d.escape,
            newline=newline,
            instructions=self.instructions,
        )

    def _trivia(self, kind: str, start: int, end: int) -> None:
        self.nodes.append(Trivia(kind, self.text[start:end], self.loc.span(start, end)))  # type: ignore[arg-type]

    def _top_line(self, i: int, limit: int) -> int:
        """Handle the line at index ``i``; return the index of the next unhandled line."""
        raw = self.lines[i]
        start = self.offsets[i]
        if i == 0 and raw.startswith(_BOM):
            self._trivia("bom", 0, 1)
            raw = raw[1:]
            start = 1
        content = raw.rstrip("\r\n")
        stripped = content.lstrip(GO_SPACE)
        try:
            is_directive = self.directives.check(stripped)
        except DirectiveError as exc:
            raise self.error(str(exc), i + 1) from None
        is_comment = stripped.startswith("#")
        token = "" if is_comment else stripped
        first, ended = self.directives.trim_continuation(token)
        end = start + len(raw)
        if ended and not first:
            kind = "directive" if is_directive else "comment" if is_comment else "blank"
            self._trivia(kind, start, end)
            return i + 1
        lead = start + len(content) - len(stripped)
        chars = [first]
        offs = [range(lead, lead + len(first))]
        j = i + 1
        while not ended and j < limit:
            raw_j = self.lines[j]
            content_j = raw_j.rstrip("\r\n")
            try:
                self.directives.check(content_j)
            except DirectiveError as exc:
                raise self.error(str(exc), j + 1) from None
            j += 1
            rest_j = content_j.lstrip(GO_SPACE)
            if rest_j.startswith("#") or not rest_j:
                continue
            piece, ended = self.directives.trim_continuation(content_j)
            chars.append(piece)
            offs.append(range(self.offsets[j - 1], self.offsets[j - 1] + len(piece)))
        line = "".join(chars)
        loff: Sequence[int]
        if len(offs) == 1:  # one physical line (most instructions): its offsets are a range
            loff = offs[0]
        else:
            # 8 bytes an offset, not a list of int objects (~36): the offsets of every character of
            # a continued instruction are held, so this is most of a parsed file's memory
            loff = array("q")
            for r in offs:
                loff.extend(r)
        try:
            built = self._node(line, loff)
        except ArgError as exc:
            raise self.error(str(exc), i + 1) from None
        instr = built.instr
        heredocs: list[Heredoc] = []
        if built.inner_heredoc_ok:
            j = self._heredocs(line, heredocs, i + 1, j, limit)
            instr.heredocs = heredocs
            if instr.inner is not None:
                instr.inner.heredocs = heredocs
        stop = self.offsets[j] if j < len(self.offsets) else len(self.text)
        instr.text = self.text[start:stop]
        instr.span = self.loc.span(start, stop)
        self.nodes.append(instr)
        self.instructions.append(instr)
        return j

    def _heredocs(self, line: str, out: list[Heredoc], start_line: int, j: int, limit: int) -> int:
        for marker in heredoc_markers(line):
            body_start = self.offsets[j] if j < len(self.offsets) else len(self.text)
            parts: list[str] = []
            while True:
                if j >= limit:
                    raise self.error("unterminated heredoc", start_line)
                raw = self.lines[j]
                j += 1
                candidate = raw.rstrip("\r\n")
                if marker.chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == marker.name:
                    break
                parts.append(raw)
            stop = self.offsets[j] if j < len(self.offsets) else len(self.text)
            out.append(
                Heredoc(
                    name=marker.name,
                    content="".join(parts),
                    expand=marker.expand,
                    chomp=marker.chomp,
                    fd=marker.fd,
                    span=self.loc.span(body_start, stop),
                )
            )
        return j

    def _node(self, line: str, loff: Sequence[int]) -> _Built:
        """BuildKit's newNodeFromLine over ``line``, whose chars sit at ``loff`` in the file."""
        keyword_raw, kw_start, rest_start = split_command(line)
        rest_end = len(line.rstrip(GO_SPACE))
        rest_start = min(rest_start, rest_end)
        rest = line[rest_start:rest_end]
        rest_offsets = loff[rest_start:rest_end]
        words, args_pos = extract_flags(rest)
        flags = [self._flag(w.value, rest_offsets, w.start, w.end) for w in words]
        args_text = rest[args_pos:]
        args_start = args_pos + len(args_text) - len(args_text.lstrip(GO_SPACE))
        args_text = args_text.strip(GO_SPACE)
        keyword = keyword_raw.upper()
        inner: Instruction | None = None
        heredoc_ok = False
        if keyword == "ONBUILD":
            # BuildKit nests the trigger as a child node: it is ``inner`` here, and ``args`` stay empty.
            args: list[str] = []
            json_form = False
            if args_text:
                sub_offsets = rest_offsets[args_start : args_start + len(args_text)]
                sub = self._node(args_text, sub_offsets)
                inner = sub.instr
                heredoc_ok = sub.inner_heredoc_ok
        else:
            parser = DISPATCH.get(keyword, parse_ignore)
            args, json_form = parser(args_text, self.directives.escape)
            if keyword not in DISPATCH:
                args = [""]  # BuildKit's parseIgnore leaves one empty node
            heredoc_ok = keyword in _HEREDOC_KEYWORDS and not json_form
        kw_end = kw_start + len(keyword_raw)
        if kw_end > kw_start:
            keyword_span = self.loc.span(loff[kw_start], loff[kw_end - 1] + 1)
        else:
            at = loff[0] if loff else 0
            keyword_span = self.loc.span(at, at)
        first = loff[kw_start] if kw_start < len(loff) else (loff[0] if loff else 0)
        last = (rest_offsets[-1] + 1) if rest_offsets else keyword_span.end
        instr = Instruction(
            keyword=keyword,
            keyword_raw=keyword_raw,
            flags=flags,
            args=args,
            json_form=json_form,
            heredocs=[],
            inner=inner,
            original=line,
            rest=rest,
            rest_offsets=rest_offsets,
            text=self.text[first:last],
            span=self.loc.span(first, last),
            keyword_span=keyword_span,
        )
        return _Built(instr, heredoc_ok)

    def _flag(self, value: str, offsets: Sequence[int], start: int, end: int) -> Flag:
        body = value[2:]
        name, sep, val = body.partition("=")
        span = self.loc.span(offsets[start], offsets[end - 1] + 1)
        return Flag(name=name, value=val if sep else None, raw=value, span=span)
