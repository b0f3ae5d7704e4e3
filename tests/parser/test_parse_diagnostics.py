"""`codi parse` reports BuildKit's syntax layer: a tree for every file its parser accepts, with the
instruction layer's problems as diagnostics (exit 0; 1 with --strict); exit 2 only for parser errors.

The fixtures reproduce the shapes of BuildKit's parser testfiles (frontend/dockerfile/parser/
testfiles/*: flags, health, continue-at-eof, escape, json, env...), written small; the oracle test
runs BuildKit's own Go parser (the ``dockerfile`` wheel) over the shared corpus and variants of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.parse_cmd  # noqa: F401  (attaches `parse` to the app)
from codi.cli.app import app
from codi.parser import diagnose, parse_syntax

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dockerfiles"


def run(path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["parse", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def parsed(tmp_path: Path, text: str, *args: str) -> tuple[int, dict[str, object], str]:
    path = tmp_path / "Dockerfile"
    path.write_bytes(text.encode())
    code, out, err = run(path, "--format", "json", *args)
    return code, (json.loads(out) if out else {}), err


# (text, [(keyword, flags, args)]) in the shapes of BuildKit's testfiles and their `result` files
SHAPES = [
    (  # flags: unknown flags are kept by the parser, "--" ends them
        "FROM scratch\nCOPY --user=me foo /tmp/\nCOPY --doit=true -- foo /tmp/\nCMD --doit [ \"a\", \"b\" ]\n",
        [("FROM", [], ["scratch"]), ("COPY", ["--user=me"], ["foo", "/tmp/"]),
         ("COPY", ["--doit=true"], ["foo", "/tmp/"]), ("CMD", ["--doit"], ["a", "b"])],
    ),
    (  # continue-at-eof: a trailing backslash on the last line
        "FROM alpine:3.5\n\nRUN something \\",
        [("FROM", [], ["alpine:3.5"]), ("RUN", [], ["something"])],
    ),
    (  # health: HEALTHCHECK forms, NONE and without arguments
        "FROM debian\nHEALTHCHECK --interval=5s CMD [\"ls\"]\nHEALTHCHECK NONE\nHEALTHCHECK\n",
        [("FROM", [], ["debian"]), ("HEALTHCHECK", ["--interval=5s"], ["CMD", "ls"]),
         ("HEALTHCHECK", [], ["NONE"]), ("HEALTHCHECK", [], [])],
    ),
    (  # escape: the backtick escape directive, a backslash is then plain text
        "# escape=`\nFROM image\nRUN dir c:\\windows `\n    /s\n",
        [("FROM", [], ["image"]), ("RUN", [], ["dir c:\\windows     /s"])],
    ),
    (  # jeztah-invalid-json-*: an invalid JSON array silently becomes shell form
        "FROM a\nCMD ['echo', 'hi']\nCMD [\"unterminated\n",
        [("FROM", [], ["a"]), ("CMD", [], ["['echo', 'hi']"]), ("CMD", [], ["[\"unterminated"])],
    ),
    (  # unknown instructions are kept with one empty value (parseIgnore)
        "FROM a\nINVALID some thing\n",
        [("FROM", [], ["a"]), ("INVALID", [], [""])],
    ),
]


@pytest.mark.parametrize("text,expected", SHAPES)
def test_buildkit_testfile_shapes_print_a_tree(
    tmp_path: Path, text: str, expected: list[tuple[str, list[str], list[str]]]
) -> None:
    code, data, _ = parsed(tmp_path, text)
    assert code == 0
    got = [(i["keyword"], i["flags"], i["args"]) for i in data["instructions"]]  # type: ignore[attr-defined]
    assert got == expected


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("RUN echo no from\n", 1, "no build stage in current context"),
        ("ARG A=1\n", 1, "dockerfile contains no stages to build"),
        ("FROM a\nCOPY --user=x a b\n", 2, "Unknown flag: user"),
        ("FROM a\nHEALTHCHECK\n", 2, "HEALTHCHECK requires at least one argument"),
        ("FROM a\nINVALID\n", 2, "unknown instruction: INVALID"),
        ("FROM a\nCOPY onlyone\n", 2, "COPY requires at least two arguments, but only one was provided. "
         "Destination could not be determined"),
        ("# check=skip\nFROM a\n", 1, 'failed to parse check options: invalid check option "skip"'),
    ],
)
def test_instruction_problems_are_diagnostics_not_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    code, data, err = parsed(tmp_path, text)
    assert code == 0
    assert data["instructions"]
    assert {"line": line, "message": message} in data["diagnostics"]  # type: ignore[operator]
    assert f":{line}: warning: {message}" in err
    code, data, err = parsed(tmp_path, text, "--strict")
    assert code == 1 and data["instructions"]
    assert f":{line}: error: {message}" in err


def test_every_invalid_instruction_is_reported_in_order(tmp_path: Path) -> None:
    _, data, _ = parsed(tmp_path, "FROM a\nCOPY --user=x a b\nINVALID\nMAINTAINER me\nHEALTHCHECK\n")
    assert [d["line"] for d in data["diagnostics"]] == [2, 3, 5]  # type: ignore[index,union-attr]


def test_a_valid_file_has_no_diagnostics_and_strict_passes(tmp_path: Path) -> None:
    code, data, err = parsed(tmp_path, "FROM a\nRUN b\n", "--strict")
    assert (code, data["diagnostics"], err) == (0, [], "")


@pytest.mark.parametrize(
    "text,line",
    [("FROM a\nRUN <<EOF\n", 2), ("", 0), ("# only a comment\n", 1), ("FROM busybox\n\nENV PATH\n", 3), ("# escape=x\nFROM a\n", 1)],
)
def test_errors_of_buildkits_parser_exit_2_without_a_tree(tmp_path: Path, text: str, line: int) -> None:
    code, data, err = parsed(tmp_path, text)
    assert code == 2 and data == {}
    assert f"Dockerfile:{max(line, 1)}:" in err


def test_help_documents_strict_and_exit_codes() -> None:
    out = CliRunner().invoke(app, ["parse", "--help"]).stdout
    assert "--strict" in out and "Exit codes" in out


# --- oracle: BuildKit's own parser ------------------------------------------------------------

dockerfile = pytest.importorskip("dockerfile")


def _variants(text: str) -> list[str]:
    """The file, and versions with instruction-level damage BuildKit's parser lets through."""
    out = [text, "INVALID first\n" + text, text.replace("COPY ", "COPY --user=x ", 1),
           "\n".join(line for line in text.split("\n") if not line.upper().startswith("FROM"))]
    return out


def _go_accepts(text: str) -> bool:
    try:
        dockerfile.parse_string(text)
    except dockerfile.GoParseError:
        return False
    return True


def test_oracle_every_file_buildkits_parser_accepts_gets_a_tree() -> None:
    files = sorted(CORPUS.glob("*.Dockerfile")) if CORPUS.is_dir() else []
    if not files:
        pytest.skip(f"shared corpus not found at {CORPUS}")
    accepted = rejected = 0
    disagree: list[str] = []
    for path in files:
        for n, text in enumerate(_variants(path.read_bytes().decode("utf-8", "surrogateescape"))):
            go_ok = _go_accepts(text)
            try:
                df = parse_syntax(text)
                diagnose(df)
                ours = bool(df.instructions)
            except Exception:  # noqa: BLE001 - ParseError, or a bug the assertion names
                ours = False
            accepted += go_ok
            rejected += not go_ok
            if ours != go_ok:
                disagree.append(f"{path.name}#{n}: go={'ok' if go_ok else 'error'}")
    assert not disagree, f"{len(disagree)} disagreements: {disagree[:10]}"
    assert accepted > 1000 and rejected > 0


def test_oracle_through_the_cli(tmp_path: Path) -> None:
    """The CLI itself on the damaged fixtures: Go accepts them, codi parse prints a tree, exits 0."""
    for text, _ in SHAPES:
        for variant in _variants(text):
            if not _go_accepts(variant):
                continue
            code, data, _ = parsed(tmp_path, variant)
            assert code == 0 and data["instructions"], variant
