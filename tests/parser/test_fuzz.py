"""Mutated real files: the parser either succeeds (and round-trips) or raises ParseError with a line."""

from __future__ import annotations

import random

import pytest
from conftest import corpus_files

from codi.parser import ParseError, parse

CASES = 2400
SEED = 20261123


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True) or [""]
    kind = rng.randrange(11)
    i = rng.randrange(len(lines))
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif kind == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 3 and text:
        k = rng.randrange(len(text))
        return text[:k] + text[k + 1 :]
    elif kind == 4 and text:
        k = rng.randrange(len(text))
        return text[:k] + text[k] * 2 + text[k:]
    elif kind == 5:
        k = rng.randrange(len(text) + 1)
        junk = "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x2FFF), 0x1F600, 0])) for _ in range(5))
        return text[:k] + junk + text[k:]
    elif kind == 6:
        return text.replace("\n", "\r\n")
    elif kind == 7:
        return "\ufeff" + text
    elif kind == 8:
        k = rng.randrange(len(text) + 1)
        return text[:k] + "\x00" + text[k:]
    elif kind == 9:
        lines.insert(i, "RUN " + "x" * (100 * 1024) + "\n")
    else:
        tokens = ["\\\n", "<<EOF\n", "[", "]", '"', "'", "`", "--", "=", "\n\n", "# escape=`\n", "ONBUILD "]
        k = rng.randrange(len(text) + 1)
        return text[:k] + rng.choice(tokens) + text[k:]
    return "".join(lines)


def test_fuzzed_corpus_files_never_crash_the_parser() -> None:
    files = corpus_files()
    if not files:
        pytest.skip("shared corpus not found (../shared/corpus/dockerfiles)")
    rng = random.Random(SEED)
    texts = [f.read_bytes().decode("utf-8", "surrogateescape") for f in files]
    ok = failed = 0
    for _ in range(CASES):
        text = rng.choice(texts)
        for _ in range(rng.randrange(1, 4)):
            text = _mutate(rng, text)
        try:
            df = parse(text)
        except ParseError as exc:
            assert exc.line >= 1, exc
            assert str(exc).startswith("Dockerfile:")
            failed += 1
        else:
            assert df.print() == text
            ok += 1
    assert ok + failed == CASES
    assert ok > 0 and failed > 0  # both paths were exercised
