"""DL rules about single instructions: WORKDIR, EXPOSE, MAINTAINER, consecutive RUNs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from codi.parser.bounds import decimal
from codi.parser.model import Instruction
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.kvpairs import resolve
from codi.rules.dl.run_fixes import merge_runs_fix
from codi.rules.registry import register

_WINDOWS_ABS = re.compile(r"^([A-Za-z]:([\\/]|$)|\\\\)")


@register
class RelativeWorkdir(Rule):
    """Use an absolute `WORKDIR`.

    ## What it does
    Flags `WORKDIR` with a relative path (after substituting `ARG`/`ENV` values; a path whose
    variable has no known value is not flagged). Windows paths such as `C:\\app` are absolute.

    ## Why is this bad?
    A relative `WORKDIR` is relative to the previous one, which depends on the base image and
    on every earlier `WORKDIR`: hard to read and easy to break.

    ## Example
    ```dockerfile
    WORKDIR app
    ```

    ## Use instead
    ```dockerfile
    WORKDIR /app
    ```

    ## References
    - [hadolint DL3000](https://github.com/hadolint/hadolint/wiki/DL3000)
    """

    code = "DL3000"
    name = "absolute-workdir"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("WORKDIR"):
            if not instr.args:
                continue
            path = resolve(instr.args[0], ctx.model.vars_at(instr), ctx.dockerfile.escape)
            if path is None or path.startswith("/") or _WINDOWS_ABS.match(path):
                continue
            yield self.finding(ctx, instr, "Use absolute WORKDIR")


@register
class ExposeInvalidPort(Rule):
    """Valid UNIX ports range from 0 to 65535.

    ## What it does
    Flags `EXPOSE` of a port (or port range) above 65535, after substituting `ARG`/`ENV` values.

    ## Why is this bad?
    Such a port cannot exist; the build or the container start fails.

    ## Example
    ```dockerfile
    EXPOSE 80800
    ```

    ## Use instead
    ```dockerfile
    EXPOSE 8080
    ```

    ## References
    - [hadolint DL3011](https://github.com/hadolint/hadolint/wiki/DL3011)
    """

    code = "DL3011"
    name = "valid-port"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("EXPOSE"):
            env = ctx.model.vars_at(instr)
            for word in instr.args:
                value = resolve(word, env, ctx.dockerfile.escape)
                if value is None:
                    continue
                port = value.partition("/")[0]
                if any(p.isascii() and p.isdigit() and decimal(p) > 65535 for p in port.split("-")):
                    shown = port if len(port) <= 40 else port[:20] + f"... ({len(port)} characters)"
                    yield self.finding(ctx, instr, f"Valid UNIX ports range from 0 to 65535 (got {shown})")


def _quoted_label_value(value: str, escape: str) -> str:
    """``value`` in double quotes, escaped so that LABEL reads it back unchanged."""
    out = []
    for ch in value:
        if ch in ('"', "$", escape):
            out.append(escape)
        out.append(ch)
    return '"' + "".join(out) + '"'


@register
class Maintainer(Rule):
    """`MAINTAINER` is deprecated.

    ## What it does
    Flags `MAINTAINER` and offers to replace it with `LABEL maintainer="..."`.

    ## Why is this bad?
    `MAINTAINER` has been deprecated since Docker 1.13; a label is visible to every tool that
    reads image metadata (`docker inspect`, registries, SBOM tools).

    ## Example
    ```dockerfile
    MAINTAINER Jane Doe <jane@example.com>
    ```

    ## Use instead
    ```dockerfile
    LABEL maintainer="Jane Doe <jane@example.com>"
    ```

    ## Fix safety
    Safe: only image metadata changes (the `Author` field becomes a `maintainer` label).
    Offered when the instruction fits on one line.

    ## References
    - [hadolint DL4000](https://github.com/hadolint/hadolint/wiki/DL4000)
    """

    code = "DL4000"
    name = "maintainer-deprecated"
    severity = Severity.ERROR
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("MAINTAINER"):
            yield self.finding(ctx, instr, "MAINTAINER is deprecated", self._fix(ctx, instr))

    @staticmethod
    def _fix(ctx: RuleContext, instr: Instruction) -> Fix | None:
        value = instr.args[0].strip() if instr.args else ""
        rest = instr.rest.rstrip()
        if not value or instr.start_line != instr.end_line or not rest:
            return None
        keyword = "LABEL" if instr.keyword_raw.isupper() else "label"
        text = f"{keyword} maintainer={_quoted_label_value(value, ctx.dockerfile.escape)}"
        end = instr.rest_offsets[len(rest) - 1] + 1
        return Fix(
            "Replace MAINTAINER with LABEL maintainer",
            Applicability.SAFE,
            [Edit(instr.keyword_span.start, end, text)],
        )


def _run_size(ctx: RuleContext, instr: Instruction) -> int:
    script = ctx.script(instr)
    return len(script.commands) if script is not None else 1


@register
class ConsecutiveRun(Rule):
    """Multiple consecutive `RUN` instructions; consider consolidation.

    ## What it does
    Flags a `RUN` that directly follows another `RUN` of the same stage (comments and blank
    lines in between do not count) with the same flags. Not flagged: RUNs whose `--mount`,
    `--network` or `--security` flags differ (they cannot be merged), and pairs where either
    RUN already chains several commands (`a && b`: the split is then deliberate, usually for
    layer caching), as in hadolint.

    Commands are counted as in hadolint (a pipeline `a | b` is two), with two deliberate
    differences: a command substitution does not count as a command of its own
    (`RUN CAROOT=$(pwd) mkcert ...` is one step and is flagged; hadolint stays silent), and
    the `[` test does (`RUN [ -e f ] && grep x f` is a chain of two commands and is not
    flagged; hadolint ignores the `[` and flags it). Under a Windows shell (PowerShell,
    `cmd`) statements separated by `;` count as several commands, so multi-statement
    PowerShell RUNs are not flagged (hadolint reads them as POSIX shell and does).

    ## Why is this bad?
    Each `RUN` is a layer: more layers, more metadata, and files deleted in a later RUN still
    take space in the earlier one.

    ## Example
    ```dockerfile
    RUN apt-get update
    RUN apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    Unsafe (`--unsafe-fixes`): the second RUN's script is joined onto the first with
    `` && \\`` and a new line, keeping both scripts' text and the file's line ending; the
    two steps then share one layer and one shell, and a failure of the first now stops the
    second in the same step. No fix when either RUN is exec form or has a heredoc, when the
    first RUN changes shell state the second would inherit (`cd`, `export`, `set`, `source`
    or `.`, `pushd`, `umask`, `ulimit`, `alias`, a bare `X=1`, a function definition,
    `exec`, `exit`, ...), when the first ends in a shell comment or operator, or when a
    comment stands between the two RUNs (it usually explains the split and has no place
    inside the merged command).

    ## References
    - [hadolint DL3059](https://github.com/hadolint/hadolint/wiki/DL3059)
    """

    code = "DL3059"
    name = "consecutive-run"
    severity = Severity.INFO
    fix_applicability = Applicability.UNSAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            previous: Instruction | None = None
            for instr in stage.instructions:
                if instr.keyword != "RUN":
                    previous = None
                    continue
                if (
                    previous is not None
                    and sorted(f.raw for f in previous.flags) == sorted(f.raw for f in instr.flags)
                    and _run_size(ctx, previous) <= 1
                    and _run_size(ctx, instr) <= 1
                ):
                    yield self.finding(
                        ctx,
                        instr,
                        "Multiple consecutive `RUN` instructions. Consider consolidation.",
                        merge_runs_fix(ctx, previous, instr),
                    )
                previous = instr
