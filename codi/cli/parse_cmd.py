"""`codi parse FILE`: print the instructions as BuildKit's parser reads them.

The tree is printed for every file BuildKit's parser accepts. Problems of the instruction layer
(an unknown instruction, a bad flag, no FROM: `docker build` rejects them after parsing) are
diagnostics: in the JSON and on stderr, exit 0, or exit 1 with ``--strict``. Exit 2 is for input
errors and for files BuildKit's parser itself rejects.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from codi.cli.app import app


@app.command("parse")
def parse_cmd(
    file: Annotated[str, typer.Argument(help="The Dockerfile to parse (- for stdin).")],
    format: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT",
                          help="tty (a readable listing, as `codi lint`'s; `text` is its old name) or json.")
    ] = "tty",
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 1 when there are diagnostics (instructions `docker build` would reject); "
            "the tree is printed all the same.",
        ),
    ] = False,
    max_file_size: Annotated[
        str | None,
        typer.Option("--max-file-size", help="Refuse a file larger than this: bytes or 4M, 512k (default 4M; "
                                             "env CODI_MAX_FILE_SIZE)."),
    ] = None,
) -> None:
    """Parse a Dockerfile with BuildKit's parser semantics and print its instructions.

    Every file BuildKit's parser accepts gets its tree. Instruction-level problems (an unknown
    instruction, an unknown flag, an instruction before FROM, a bad `# check=` directive) are
    reported as diagnostics ("line", "message") in the JSON and as warnings on stderr.

    Exit codes: 0 parsed (diagnostics or not); 1 with --strict when there are diagnostics;
    2 unreadable file or a syntax error BuildKit's parser raises (printed as FILE:LINE: message);
    3 the parser failed inside (a bug, or a limit such as memory): never read as a parse error.
    """
    from codi import safefs
    from codi.cli.output import parse_max_file_size
    from codi.parser import ParseError, parse_syntax
    from codi.parser.dump import dockerfile_json
    from codi.parser.validate import diagnose
    from codi.service.lint import binary_line, binary_message

    if format == "tty":  # one name for the readable output across commands; "text" still accepted
        format = "text"
    if format not in ("text", "json"):
        sys.stderr.write(f"codi: error: unknown format {format!r} (use tty or json)\n")
        raise typer.Exit(2)
    try:
        limit = parse_max_file_size(max_file_size) or safefs.max_file_bytes()
    except ValueError as exc:  # a bad CODI_MAX_FILE_SIZE
        sys.stderr.write(f"codi: error: {exc}\n")
        raise typer.Exit(2) from None
    try:
        if file == "-":
            data = sys.stdin.buffer.read(limit + 1)
            if len(data) > limit:
                raise safefs.too_large("<stdin>", limit)
        else:
            data = safefs.read_bytes(file, limit=limit)  # a regular file only: a FIFO or device ends here
    except OSError as exc:
        sys.stderr.write(f"codi: error: {file}: {exc.strerror or exc}\n")
        raise typer.Exit(2) from None
    path = "<stdin>" if file == "-" else file
    text = data.decode("utf-8", "surrogateescape")
    line = binary_line(text)
    if line is not None:
        sys.stderr.write(f"codi: error: {binary_message(path, line)}\n")
        raise typer.Exit(2)
    try:
        df = parse_syntax(text, path)
        diagnostics = diagnose(df)
    except ParseError as exc:
        if exc.kind == "internal":
            sys.stderr.write(f"codi: internal error: {exc} (a bug in CODI: please report it)\n")
            raise typer.Exit(3) from None
        sys.stderr.write(f"{exc}\n")
        raise typer.Exit(2) from None
    dumped = dockerfile_json(df)
    dumped["diagnostics"] = [{"line": d.line, "message": d.message} for d in diagnostics]
    if format == "json":
        text = json.dumps(dumped, indent=2, ensure_ascii=False)
        sys.stdout.write(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") + "\n")
    else:
        _print_text(df.directives, dumped)
    level = "error" if strict else "warning"
    for d in diagnostics:
        sys.stderr.write(f"{path}:{d.line}: {level}: {d.message}\n")
    if strict and diagnostics:
        raise typer.Exit(1)


def _print_text(directives: dict[str, str], dumped: dict[str, Any]) -> None:
    for d, v in directives.items():
        sys.stdout.write(f"# {d}={v}\n")
    for item in dumped["instructions"]:
        lines = (
            f"{item['start_line']}"
            if item["start_line"] == item["end_line"]
            else f"{item['start_line']}-{item['end_line']}"
        )
        flags = " ".join(item["flags"])
        form = "json" if item["json_form"] else "shell"
        inner = f" -> {item['inner']['keyword']} {item['inner']['args']}" if item["inner"] else ""
        sys.stdout.write(
            f"{lines:>8}  {item['keyword']:<11} {flags + ' ' if flags else ''}{item['args']!r} "
            f"[{form}]{inner}\n"
        )
        for h in item["heredocs"]:
            sys.stdout.write(
                f"{'':10}heredoc {h['name']} ({len(h['content'])} chars, expand={h['expand']})\n"
            )
