"""DL rules about download tools in RUN scripts: wget and curl."""

from __future__ import annotations

from collections.abc import Iterator

from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.run_edits import insert_after_word
from codi.rules.dl.run_support import shell_runs
from codi.rules.registry import register

_WGET_QUIET = ("--progress", "--quiet", "-nv", "--no-verbose", "--output-file", "--append-output")


def _wget_is_quiet(argv: list[str]) -> bool:
    """``--progress``, quiet, non-verbose or logging to a file (``-q``, ``-qO-``, ``-o log``)."""
    for word in argv[1:]:
        if word == "--":
            break
        if word in _WGET_QUIET or word.startswith(tuple(f + "=" for f in _WGET_QUIET)):
            return True
        if word.startswith("-") and not word.startswith("--"):
            for ch in word[1:]:
                if ch in "qoa":
                    return True
                if not ch.isalpha() or ch in "OPUTtwelDeiBhH":  # options taking a value end the bundle
                    break
    return False


@register
class WgetProgress(Rule):
    """Use `wget --progress=dot:giga` (or `-q`/`-nv`) in builds.

    ## What it does
    Flags `wget` without `--progress`, `-q`/`--quiet`, `-nv`/`--no-verbose` or an output log
    (`-o`, `-a`).

    ## Why is this bad?
    wget's default progress bar falls back to one line per few kilobytes without a
    terminal: downloading a large file floods the build log with thousands of lines.

    ## Example
    ```dockerfile
    RUN wget https://example.com/big.tar.gz
    ```

    ## Use instead
    ```dockerfile
    RUN wget --progress=dot:giga https://example.com/big.tar.gz
    ```

    ## Fix safety
    Safe: adds `--progress=dot:giga` after `wget`; only the build log changes.

    ## References
    - [hadolint DL3047](https://github.com/hadolint/hadolint/wiki/DL3047)
    """

    code = "DL3047"
    name = "wget-progress"
    severity = Severity.INFO
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            edits: list[Edit] = []
            found = False
            for c in run.named("wget"):
                if _wget_is_quiet(c.cmd.argv):
                    continue
                found = True
                edit = insert_after_word(ctx, run.instr, c, 0, " --progress=dot:giga")
                if edit:
                    edits.append(edit)
            if found:
                fix = Fix("Add --progress=dot:giga to wget", Applicability.SAFE, edits) if edits else None
                yield self.finding(
                    ctx,
                    run.instr,
                    "Avoid wget's default progress output: use `wget --progress=dot:giga <url>`",
                    fix,
                )


@register
class CurlOrWget(Rule):
    """Use either wget or curl, not both.

    ## What it does
    Within a stage, once both `curl` and `wget` have been run, flags each RUN that runs
    either of them.

    ## Why is this bad?
    Two download tools do the same job: installing both makes the image bigger, and mixed
    use makes the Dockerfile harder to read and to secure (flags for TLS, retries and
    failures differ).

    ## Example
    ```dockerfile
    RUN curl -fsSLO https://example.com/a.tgz
    RUN wget -q https://example.com/b.tgz
    ```

    ## Use instead
    ```dockerfile
    RUN curl -fsSLO https://example.com/a.tgz \\
     && curl -fsSLO https://example.com/b.tgz
    ```

    ## References
    - [hadolint DL4001](https://github.com/hadolint/hadolint/wiki/DL4001)
    """

    code = "DL4001"
    name = "curl-or-wget"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        seen: dict[int, set[str]] = {}
        for run in shell_runs(ctx):
            tools = {c.name for c in run.named("curl", "wget")}
            if not tools:
                continue
            stage = seen.setdefault(run.stage.index if run.stage else -1, set())
            stage |= tools
            if len(stage) == 2:
                yield self.finding(ctx, run.instr, "Either use wget or curl, but not both")
