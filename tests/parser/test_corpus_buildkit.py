"""Every shared corpus file: byte-exact round trip, and the same nodes as BuildKit's own parser.

BuildKit's parser is available as the ``dockerfile`` wheel (BuildKit v0.12.5's Go parser).
The wheel post-processes a few things, so the comparison normalises them:

* ENV/LABEL: newer BuildKit adds a third node per pair ("=" for ``k=v``, "" for legacy
  ``k v``) so that linters can tell the forms apart; v0.12.5 has only key and value.
  We drop every third value before comparing (the markers are tested in test_parse_args).
* ONBUILD: the wheel reports the wrapped instruction as ``sub_cmd`` and its values as
  ``value``; we compare those with our ``inner`` instruction. BuildKit attaches an
  ONBUILD trigger's heredocs to the ONBUILD node, which the wheel does not report.
* ``original``: for heredoc instructions the wheel appends the bodies; we compare it only
  for instructions without heredocs.
* Empty strings for ``cmd``, ``sub_cmd`` and ``original`` come back as None.
* Instruction-level errors (unknown instruction, missing arguments, bad flags) come from
  BuildKit's instructions package, which the wheel does not run: the wheel is compared with
  ``parse_syntax`` (the parser stage alone), and ``parse`` may reject more files only with
  those errors (``kind == "instruction"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codi.parser import ParseError, parse
from codi.parser.model import Instruction
from codi.parser.parse import parse_syntax

dockerfile = pytest.importorskip("dockerfile")

# The shared corpus beside the repository (same place tests/conftest.py looks).
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dockerfiles"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.Dockerfile")) if CORPUS.is_dir() else []


FILES = corpus_files()


def _ours(instr: Instruction) -> dict[str, Any]:
    target = instr.inner if instr.keyword == "ONBUILD" and instr.inner is not None else instr
    args = list(target.args)
    if target.keyword in ("ENV", "LABEL"):
        args = [a for i, a in enumerate(args) if i % 3 != 2]
    if target.keyword == "ONBUILD" and target.inner is not None:
        args = [""]  # ONBUILD ONBUILD x: BuildKit's child-holding node has the value ""
    out: dict[str, Any] = {
        "cmd": instr.keyword_raw or None,
        "sub_cmd": (instr.inner.keyword_raw or None) if instr.inner is not None else None,
        "json": target.json_form,
        "start_line": instr.start_line,
        "end_line": instr.end_line,
        "flags": [f.raw for f in instr.flags],
        "value": args,
        "heredocs": [(h.name, h.fd, h.content) for h in (target.heredocs if target is instr else [])],
    }
    if not instr.heredocs:
        out["original"] = instr.original or None
    return out


def _theirs(cmd: Any, with_original: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cmd": cmd.cmd,
        "sub_cmd": cmd.sub_cmd,
        "json": cmd.json,
        "start_line": cmd.start_line,
        "end_line": cmd.end_line,
        "flags": list(cmd.flags),
        "value": list(cmd.value),
        "heredocs": [(h.name, h.file_descriptor, h.content) for h in cmd.heredocs],
    }
    if with_original:
        out["original"] = cmd.original
    return out


def compare(text: str) -> None:
    """Our parser stage must accept and reject what BuildKit's does, with the same nodes;
    ``parse`` (with the instruction checks) may reject more, but only with instruction errors."""
    try:
        expected = dockerfile.parse_string(text)
        their_error = None
    except dockerfile.GoParseError as exc:
        expected, their_error = (), str(exc)
    try:
        df = parse_syntax(text)
    except ParseError as exc:
        assert "internal parser error" not in exc.message
        assert their_error is not None, f"only we reject: {exc}"
        assert exc.kind == "syntax"
        return
    assert df.print() == text
    assert their_error is None, f"only BuildKit rejects: {their_error}"
    ours = [_ours(i) for i in df.instructions]
    theirs = [_theirs(c, "original" in o) for c, o in zip(expected, ours, strict=False)]
    assert len(ours) == len(expected)
    assert ours == theirs
    try:
        parse(text)
    except ParseError as exc:
        assert exc.kind == "instruction", exc


@pytest.mark.skipif(not FILES, reason="shared corpus not found (clone with ../shared beside the repo)")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_matches_buildkit(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    if "\x00" in text or any("\udc80" <= c <= "\udcff" for c in text):
        pytest.skip("the wheel passes text through a C string: NUL and non-UTF-8 cannot be compared")
    compare(text)
