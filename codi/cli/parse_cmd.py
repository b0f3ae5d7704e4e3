"""`codi parse FILE`: print the instructions as BuildKit reads them."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from codi.cli.app import app


@app.command("parse")
def parse_cmd(
    file: Annotated[str, typer.Argument(help="The Dockerfile to parse (- for stdin).")],
    format: Annotated[
        str, typer.Option("--format", "-f", help="text (a readable listing) or json.")
    ] = "text",
) -> None:
    """Parse a Dockerfile with BuildKit's semantics and print its instructions."""
    from codi.parser import ParseError, parse
    from codi.parser.dump import dockerfile_json

    if format not in ("text", "json"):
        sys.stderr.write(f"codi: error: unknown format {format!r} (use text or json)\n")
        raise typer.Exit(2)
    try:
        if file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(file, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        sys.stderr.write(f"codi: error: {file}: {exc.strerror or exc}\n")
        raise typer.Exit(2) from None
    try:
        df = parse(data.decode("utf-8", "surrogateescape"), "<stdin>" if file == "-" else file)
    except ParseError as exc:
        sys.stderr.write(f"{exc}\n")
        raise typer.Exit(2) from None
    dumped = dockerfile_json(df)
    if format == "json":
        text = json.dumps(dumped, indent=2, ensure_ascii=False)
        sys.stdout.write(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") + "\n")
        return
    for d, v in df.directives.items():
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
