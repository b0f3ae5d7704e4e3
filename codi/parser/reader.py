"""Read Dockerfile text into the lossless tree, line by line as BuildKit's parser does.

Physical lines are split on "\\n" only. An instruction's logical line is built from its
continuation lines (comment and blank lines inside a continuation are dropped, the escape
character and trailing blanks are removed), keeping the file offset of every character so
that findings and fixes point at the exact source.
"""

from __future__ import annotations

import bisect
import re

from codi.parser import arguments
from codi.parser.errors import ParseError
from codi.parser.heredoc import heredoc_markers
from codi.parser.lexing import GO_SPACE, WHITESPACE_RE, extract_flags, go_trim_left
from codi.parser.model import Dockerfile, Flag, Heredoc, Instruction, Node, Span, Trivia

_DIRECTIVE_RE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_KNOWN_DIRECTIVES = frozenset({"escape", "syntax", "check"})
_HEREDOC_KEYWORDS = frozenset({"add", "copy", "run"})


class _Lines:
    """Offsets of physical lines and offset -> (line, column) lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        if self.starts[-1] == len(text) and len(self.starts) > 1:
            self.starts.pop()  # no empty last line after a final newline
        self.count = 0 if not text else len(self.starts)

    def bounds(self, index: int) -> tuple[int, int]:
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text)
        return start, end

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        """Span of text[start:end]; the end position ignores a trailing newline."""
        last = end
        while last > start and self.text[last - 1] in "\r\n":
            last -= 1
        sl, sc = self.position(start)
        if last == start:
            return Span(start, end, sl, sc, sl, sc)
        el, ec = self.position(last - 1)
        return Span(start, end, sl, sc, el, ec + 1)


class _Directives:
    def __init__(self) -> None:
        self.done = False
        self.values: dict[str, str] = {}
        self.escape = "\\"

    def check(self, token: str, line: int, path: str) -> bool:
        """Record a parser directive; True when ``token`` was one."""
        if self.done:
            return False
        m = _DIRECTIVE_RE.match(token)
        if not m or m.group(1).lower() not in _KNOWN_DIRECTIVES:
            self.done = True
            return False
        name = m.group(1).lower()
        if name in self.values:
            raise ParseError(f"only one {name} parser directive can be used", line, path)
        self.values[name] = m.group(2)
        if name == "escape":
            if m.group(2) not in ("`", "\\"):
                raise ParseError(f"invalid escape token '{m.group(2)}' does not match ` or \\", line, path)
            self.escape = m.group(2)
        return True


def _continuation(escape: str) -> re.Pattern[str]:
    """BuildKit's continuation: the escape char (not itself escaped) and blanks at the end of a line."""
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|^{e}[ \t]*\Z")


def _is_comment(body: str) -> bool:
    return go_trim_left(body).startswith("#")


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.lines = _Lines(text)
        self.directives = _Directives()
        self.bom = 1 if text.startswith("\ufeff") else 0
        self.cont_re = _continuation("\\")

    def _body(self, index: int) -> tuple[str, int]:
        """(line without its newline, offset of its first character)."""
        start, end = self.lines.bounds(index)
        if index == 0:
            start += self.bom
        return self.text[start:end].rstrip("\r\n"), start

    def _trim_continuation(self, piece: str) -> tuple[str, bool]:
        m = self.cont_re.search(piece)
        if m:
            return piece[: m.start()] + (m.group(1) or ""), False
        return piece, True

    def read(self) -> Dockerfile:
        nodes: list[Node] = []
        if self.bom:
            nodes.append(Trivia("bom", "\ufeff", self.lines.span(0, 1)))
        instructions: list[Instruction] = []
        index = 0
        while index < self.lines.count:
            body, offset = self._body(index)
            stripped = go_trim_left(body)
            offset += len(body) - len(stripped)
            is_directive = self.directives.check(stripped, index + 1, self.path)
            if is_directive:
                self.cont_re = _continuation(self.directives.escape)
            token = "" if _is_comment(stripped) else stripped
            piece, end_of_line = self._trim_continuation(token)
            if end_of_line and piece == "":
                start, end = self.lines.bounds(index)
                start += self.bom if index == 0 else 0
                kind = "directive" if is_directive else "comment" if token != stripped else "blank"
                nodes.append(Trivia(kind, self.text[start:end], self.lines.span(start, end)))  # type: ignore[arg-type]
                index += 1
                continue
            instr, index = self._instruction(index, piece, offset, end_of_line)
            nodes.append(instr)
            instructions.append(instr)
        if not instructions:
            raise ParseError("file with no instructions", max(1, self.lines.count), self.path)
        return Dockerfile(self.path, self.text, nodes, dict(self.directives.values), self.directives.escape,
                          "\r\n" if "\r\n" in self.text else "\n", instructions)

    def _instruction(self, index: int, piece: str, offset: int, end_of_line: bool) -> tuple[Instruction, int]:
        first = index
        chars = [piece]
        offsets = list(range(offset, offset + len(piece)))
        index += 1
        while not end_of_line and index < self.lines.count:
            body, start = self._body(index)
            self.directives.check(body, index + 1, self.path)
            index += 1
            if _is_comment(body) or not go_trim_left(body):
                continue
            piece, end_of_line = self._trim_continuation(body)
            chars.append(piece)
            offsets.extend(range(start, start + len(piece)))
        logical = "".join(chars)
        start_line = first + 1
        try:
            instr = self._node(logical, offsets)
        except ParseError as exc:
            raise ParseError(exc.message, start_line, self.path) from None
        if instr.keyword.lower() in _HEREDOC_KEYWORDS and not instr.json_form and "<<" in logical:
            index = self._heredocs(instr, logical, index, start_line)
        begin = self.lines.bounds(first)[0] + (self.bom if first == 0 else 0)
        end = self.lines.bounds(index - 1)[1]
        instr.text = self.text[begin:end]
        instr.span = self.lines.span(begin, end)
        return instr, index

    def _heredocs(self, instr: Instruction, logical: str, index: int, start_line: int) -> int:
        for marker in heredoc_markers(logical):
            content: list[str] = []
            body_start = self.lines.bounds(index)[0] if index < self.lines.count else len(self.text)
            terminated = False
            while index < self.lines.count:
                start, end = self.lines.bounds(index)
                raw = self.text[start:end]
                index += 1
                candidate = raw.rstrip("\r\n")
                if marker.chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == marker.name:
                    terminated = True
                    break
                content.append(raw)
            if not terminated:
                raise ParseError("unterminated heredoc", start_line, self.path)
            body_end = self.lines.bounds(index - 1)[1]
            instr.heredocs.append(Heredoc(marker.name, "".join(content), marker.expand, marker.chomp, marker.fd,
                                          self.lines.span(body_start, body_end)))
        return index

    def _node(self, logical: str, offsets: list[int]) -> Instruction:
        """BuildKit's newNodeFromLine on one logical line."""
        lead = 0
        while lead < len(logical) and logical[lead] in GO_SPACE:
            lead += 1
        trail = len(logical)
        while trail > lead and logical[trail - 1] in GO_SPACE:
            trail -= 1
        trimmed = logical[lead:trail]
        m = WHITESPACE_RE.search(trimmed)
        keyword_raw = trimmed[: m.start()] if m else trimmed
        rest_at = lead + (m.end() if m else len(trimmed))
        rest = logical[rest_at:trail] if m else ""
        rest_offsets = offsets[rest_at:trail] if m else []
        args_at, raw_flags = extract_flags(rest) if rest else (0, [])
        flags = [self._flag(raw, rest_offsets, s, e) for raw, s, e in raw_flags]
        argstr = rest[args_at:]
        args_lead = len(argstr) - len(go_trim_left(argstr))
        args_text = argstr.strip("".join(GO_SPACE))
        keyword = keyword_raw.upper()
        if keyword == "ONBUILD":
            # BuildKit nests the trigger as a child node; it is ``inner`` here and ``args`` stay empty.
            args: list[str] = []
            json_form, inner = False, None
            if args_text:
                base = args_at + args_lead
                inner = self._node(args_text, rest_offsets[base : base + len(args_text)])
        else:
            args, json_form = arguments.parse_args(keyword.lower(), args_text, self.directives.escape)
            inner = None
        kw_start = offsets[lead] if offsets else 0
        kw_end = offsets[lead + len(keyword_raw) - 1] + 1 if keyword_raw else kw_start
        return Instruction(
            keyword=keyword, keyword_raw=keyword_raw, flags=flags, args=args, json_form=json_form, heredocs=[],
            inner=inner, original=logical.strip("".join(GO_SPACE)) if logical else logical, rest=rest,
            rest_offsets=rest_offsets, text="", span=self.lines.span(kw_start, kw_start),
            keyword_span=self.lines.span(kw_start, kw_end))

    def _flag(self, raw: str, rest_offsets: list[int], start: int, end: int) -> Flag:
        name, eq, value = raw[2:].partition("=")
        begin = rest_offsets[start] if start < len(rest_offsets) else 0
        finish = rest_offsets[end - 1] + 1 if 0 < end <= len(rest_offsets) else begin
        return Flag(name, value if eq else None, raw, self.lines.span(begin, finish))


def read(text: str, path: str = "Dockerfile") -> Dockerfile:
    return _Reader(text, path).read()
