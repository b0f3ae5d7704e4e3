"""Experimental BuildKit checks: CopyIgnoredFile (needs the build context) and
InvalidDefinitionDescription (comments above FROM/ARG)."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable

from codi.parser.expand import expand
from codi.parser.model import Instruction, Trivia
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.buildkit.dockerignore import clean_path, load_dockerignore
from codi.rules.buildkit.variables import arg_keys
from codi.rules.buildkit.words import flag_value
from codi.rules.registry import register

_REMOTE_PREFIXES = ("http://", "https://", "git@", "git://", "ssh://")


def copy_sources(instr: Instruction) -> list[str]:
    """Source arguments of COPY/ADD (heredoc sources and the destination left out)."""
    sources = instr.args[:-1]
    return [s for s in sources if not s.startswith("<<")]


@register
class CopyIgnoredFile(Rule):
    """Attempting to Copy file that is excluded by .dockerignore.

    ## What it does
    Reads the build context's `.dockerignore` (or `<Dockerfile>.dockerignore` next to the
    Dockerfile, which Docker prefers) and flags `COPY`/`ADD` sources from the context that
    it excludes, including sources inside an excluded directory. Sources from another stage
    or image (`--from`), URLs and heredocs are not checked. As in BuildKit, the check is
    skipped when the ignore file has `!` exceptions, because a directory may be excluded
    while files inside it are re-included. Runs only when CODI knows the build context (when
    linting files on disk). Experimental in BuildKit, so off by default.

    ## Why is this bad?
    Excluded files are not sent to the builder: the `COPY` fails with "not found", or, with
    a wildcard, silently copies less than the author expects.

    ## Example
    ```dockerfile
    # .dockerignore contains: */tmp/*
    FROM scratch
    COPY ./tmp/helloworld.txt /helloworld.txt
    ```

    ## Use instead
    ```dockerfile
    FROM scratch
    COPY ./forever/helloworld.txt /helloworld.txt
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/copy-ignored-file/
    - https://docs.docker.com/build/concepts/context/#dockerignore-files
    """

    code = "BK019"
    name = "CopyIgnoredFile"
    severity = Severity.WARNING
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        if ctx.context_dir is None:
            return
        ignore = load_dockerignore(ctx.context_dir, posixpath.basename(ctx.path) or "Dockerfile")
        if ignore is None or not ignore.patterns or ignore.has_exclusions:
            return
        for instr in ctx.instructions("COPY", "ADD"):
            if flag_value(instr, "from") is not None:
                continue
            cmd = "Add" if instr.keyword == "ADD" else "Copy"
            env = ctx.model.vars_at(instr)
            for src in copy_sources(instr):
                if src.startswith(_REMOTE_PREFIXES):
                    continue
                value = expand(src, env, ctx.dockerfile.escape) if "$" in src else src
                cleaned = clean_path(value)
                if cleaned != "." and ignore.excluded(cleaned):
                    msg = f"Attempting to {cmd} file {json.dumps(cleaned)} that is excluded by .dockerignore"
                    yield self.finding(ctx, instr, msg)


def _description_comments(ctx: RuleContext, instr: Instruction) -> list[str]:
    """Comment lines directly above ``instr`` (no blank line between), text after ``#``.
    An empty ``#`` line ends the block, as an empty line does."""
    nodes = ctx.dockerfile.nodes
    where = ctx.memo("bk.node-index", lambda: {id(n): i for i, n in enumerate(nodes)})
    index = where.get(id(instr), -1)
    lines: list[str] = []
    i = index - 1
    while i >= 0:
        node = nodes[i]
        if not isinstance(node, Trivia) or node.kind != "comment":
            break
        texts = [t.strip() for t in node.text.splitlines() if t.strip()]
        stop = False
        for text in reversed(texts):
            body = text[1:].strip() if text.startswith("#") else text
            if not body:
                stop = True
                break
            lines.insert(0, body)
        if stop:
            break
        i -= 1
    return lines


@register
class InvalidDefinitionDescription(Rule):
    """Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`.

    ## What it does
    When comment lines sit directly above a `FROM ... AS <stage>` or an `ARG`, the last of
    them should start with the stage or argument name: `docker build --call=outline` and
    `--call=targets` show such comments as descriptions. If the comment is not meant as a
    description, separate it with an empty line. Experimental in BuildKit, so off by default:
    select it (`--select BK020`), or turn it on in the file as `docker build` does, with
    `# check=experimental=InvalidDefinitionDescription` (or `all`) at the top, or in the comments
    just before one instruction for that instruction.

    ## Why is this bad?
    A comment that does not start with the name is either shown as a wrong description or
    lost; the convention keeps the generated outline meaningful.

    ## Example
    ```dockerfile
    # a non-descriptive comment
    FROM scratch AS base
    ```

    ## Use instead
    ```dockerfile
    # base is a stage for compiling source
    FROM scratch AS base
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/invalid-definition-description/
    """

    code = "BK020"
    name = "InvalidDefinitionDescription"
    severity = Severity.STYLE
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.instructions("FROM", "ARG"):
            if instr.keyword == "FROM":
                keys = [instr.args[2].lower()] if len(instr.args) == 3 else []
            else:
                keys = arg_keys(instr)
            if not keys:
                continue
            comments = _description_comments(ctx, instr)
            if not comments or comments[-1].split(" ")[0] in keys:
                continue
            example = keys[0] if len(keys) == 1 else "<arg_key>"
            msg = f"Comment for {instr.keyword} should follow the format: `# {example} <description>`"
            yield self.finding(ctx, instr, msg)
