"""Mutated real files: the parser either succeeds (and round-trips) or raises ParseError with a line."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from codi.parser import ParseError, parse

CASES = 2400
SEED = 20261123

# The shared corpus beside the repository (same place tests/conftest.py looks).
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dockerfiles"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.Dockerfile")) if CORPUS.is_dir() else []


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
        junk = "".join(
            chr(
                rng.choice(
                    [
                        rng.randrange(32, 127),
                        rng.randrange(0x80, 0x2FFF),
                        0x1F600,
                        0,
                        rng.randrange(0xDC80, 0xDD00),
                    ]
                )
            )
            for _ in range(5)
        )
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
            assert "internal parser error" not in exc.message, exc
            assert str(exc).startswith("Dockerfile:")
            failed += 1
        else:
            assert df.print() == text
            for instr in df.instructions:
                assert df.text[instr.span.start : instr.span.end] == instr.text
                assert all(df.text[o] == c for o, c in zip(instr.rest_offsets, instr.rest, strict=True))
            ok += 1
    assert ok + failed == CASES
    assert ok > 0 and failed > 0  # both paths were exercised


# Token soup around the parser's hard parts: continuations, quotes, flags, JSON, heredocs.
_KEYWORDS = [
    "RUN",
    "COPY",
    "ADD",
    "ENV",
    "LABEL",
    "ARG",
    "CMD",
    "ENTRYPOINT",
    "HEALTHCHECK",
    "ONBUILD",
    "FROM",
    "EXPOSE",
    "USER",
    "VOLUME",
    "SHELL",
    "WORKDIR",
    "run",
    "Bogus",
]
_TOKENS = [
    "--a=b",
    "--",
    "--from",
    "x",
    '"x y"',
    "'q r'",
    "\\\n",
    "\\ \n",
    "<<EOF",
    '<<-"E"',
    "3<<X",
    "[",
    "]",
    '"',
    "'",
    "=",
    "k=v",
    "\t",
    " ",
    " ",
    " ",
    "\n#c\n",
    "\n",
    "\nEOF\n",
    "\n\tE\n",
    "\nX\n",
    "$x",
    "${a:-b c}",
    "\\",
    "`",
    "NONE",
    "CMD",
    '["a", "b"]',
    '["a" ,1]',
    "a\\ b",
    "\u00a0",
    "é",
    "\r",
    "\n\n",
    '--x="a b"',
    "--y='c'",
    '\\"',
    "ONBUILD",
    "RUN",
    ",",
    "<<",
    '<<"E F"',
    "[[",
    "\ufeff",
    "\x1c",
    "\u2003",
    "\x0b",
    "\x85",
    "à",
    "\\\\",
]
DIFFERENTIAL_CASES = 2500


def _soup(rng: random.Random) -> str:
    lines = ["# escape=`\n"] if rng.random() < 0.15 else []
    if rng.random() < 0.85:
        lines.append("FROM a\n")
    for _ in range(rng.randrange(1, 4)):
        words = "".join(rng.choice(_TOKENS) for _ in range(rng.randrange(0, 8)))
        lines.append(f"{rng.choice(_KEYWORDS)} {words}\n")
    return "".join(lines)


def test_token_soup_parses_like_buildkit() -> None:
    dockerfile = pytest.importorskip("dockerfile")
    from test_corpus_buildkit import compare

    rng = random.Random(SEED)
    compared = 0
    for _ in range(DIFFERENTIAL_CASES):
        text = _soup(rng)
        try:
            dockerfile.parse_string(text)
        except UnicodeDecodeError:
            continue  # Go produced invalid UTF-8 (bytewise flags) that the wheel cannot return
        except dockerfile.GoParseError:
            pass
        compare(text)
        compared += 1
    assert compared > DIFFERENTIAL_CASES * 0.9
