"""Every shared corpus file: byte-exact round trip, and the same instructions as BuildKit's own parser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_files

from codi.parser import ParseError, parse_file

dockerfile = pytest.importorskip("dockerfile", reason="BuildKit's parser wheel (dev extra) is needed")

FILES = corpus_files()


def _ours(instr: Any) -> tuple[Any, ...]:
    # The wheel drops ENV/LABEL's "="/"" separator values and reports ONBUILD's trigger as
    # sub_cmd with the trigger's own flags and values; compare in that shape.
    if instr.keyword == "ONBUILD" and instr.inner is not None:
        inner = instr.inner
        return ("ONBUILD", inner.keyword, tuple(f.raw for f in inner.flags), tuple(_values(inner)),
                instr.start_line, instr.end_line)
    return (instr.keyword, None, tuple(f.raw for f in instr.flags), tuple(_values(instr)),
            instr.start_line, instr.end_line)


def _values(instr: Any) -> list[str]:
    if instr.keyword in ("ENV", "LABEL"):
        return [v for i, v in enumerate(instr.args) if i % 3 != 2]
    return list(instr.args)


def _theirs(cmd: Any) -> tuple[Any, ...]:
    return (cmd.cmd.upper(), cmd.sub_cmd.upper() if cmd.sub_cmd else None, tuple(cmd.flags), tuple(cmd.value),
            cmd.start_line, cmd.end_line)


@pytest.mark.skipif(not FILES, reason="shared corpus not found (../shared/corpus/dockerfiles)")
def test_corpus_round_trips_and_matches_buildkit() -> None:
    problems: list[str] = []
    for path in FILES:
        raw = path.read_bytes()
        text = raw.decode("utf-8", "surrogateescape")
        try:
            df = parse_file(path)
        except ParseError as exc:
            ours_error: str | None = str(exc)
            df = None
        else:
            ours_error = None
            if df.print() != text:
                problems.append(f"{path.name}: round trip differs")
                continue
        try:
            theirs = dockerfile.parse_string(raw.decode("utf-8", "replace"))
            their_error = None
        except dockerfile.GoParseError as exc:
            theirs, their_error = (), str(exc)
        if (ours_error is None) != (their_error is None):
            problems.append(f"{path.name}: ours {ours_error!r} vs BuildKit {their_error!r}")
            continue
        if df is None:
            continue
        ours_list = [_ours(i) for i in df.instructions]
        theirs_list = [_theirs(c) for c in theirs]
        if ours_list != theirs_list:
            first = next((f"{a} != {b}" for a, b in zip(ours_list, theirs_list, strict=False) if a != b),
                         f"{len(ours_list)} vs {len(theirs_list)} instructions")
            problems.append(f"{path.name}: {first}")
    assert len(FILES) >= 600
    assert not problems, "\n".join(problems[:20])


def test_parse_file_keeps_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    data = b"\xef\xbb\xbfFROM a\r\nLABEL x=\xff\xfe\r\nRUN echo \\\r\n  hi\r\n"
    path.write_bytes(data)
    df = parse_file(path)
    assert df.print().encode("utf-8", "surrogateescape") == data
    assert [i.keyword for i in df.instructions] == ["FROM", "LABEL", "RUN"]
    assert df.newline == "\r\n"
