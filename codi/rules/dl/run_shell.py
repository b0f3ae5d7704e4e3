"""DL rules about the shell a RUN script runs in: pipes without pipefail, relinking /bin/sh."""

from __future__ import annotations

import re
from collections.abc import Iterator

from codi.rules.base import Applicability, Finding, Rule, RuleContext, Severity, run_script_text
from codi.rules.dl.run_fixes import pipefail_fix
from codi.rules.dl.run_support import DEFAULT_SHELL, Run, has_pipefail, shell_name, shell_runs, split_args
from codi.rules.registry import register

_SH_PATHS = ("/bin/sh", "/usr/bin/sh")
# a single "|" inside $(...) or backticks: the shell reader keeps substitutions as one word
_PIPE_IN_SUBSTITUTION = re.compile(r"(\$\(|`)[^`]*?(?<!\|)\|(?!\|)")
# the same in the script text, for words the reader does not give back (`for f in $(a | b)`)
_PIPE_IN_SUBSTITUTION_TEXT = re.compile(r"\$\([^()]*?(?<!\|)\|(?!\|)[^()]*\)")


@register
class UseShellInstruction(Rule):
    """Use SHELL to change the default shell, not `ln -s … /bin/sh`.

    ## What it does
    Flags `ln` commands whose link name is `/bin/sh` (or `/usr/bin/sh`, the same file on
    merged-`/usr` systems, which hadolint misses).

    ## Why is this bad?
    Relinking `/bin/sh` changes the shell of every script and package hook in the image,
    not just of the Dockerfile's RUNs, and hides the choice from readers. The `SHELL`
    instruction changes the shell for the following RUNs only, visibly.

    ## Example
    ```dockerfile
    RUN ln -sf /bin/bash /bin/sh
    ```

    ## Use instead
    ```dockerfile
    SHELL ["/bin/bash", "-c"]
    ```

    ## References
    - [hadolint DL4005](https://github.com/hadolint/hadolint/wiki/DL4005)
    """

    code = "DL4005"
    name = "use-shell-instruction"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            for c in run.named("ln"):
                _, operands = split_args(c.cmd, frozenset(["-S", "--suffix", "-t", "--target-directory"]))
                if len(operands) >= 2 and operands[-1].text.rstrip("/") in _SH_PATHS:
                    yield self.finding(ctx, run.instr, "Use SHELL to change the default shell")
                    break


# Shells whose `-o pipefail` in SHELL does not make a pipe safe: sh may be dash, which lacks it.
_NO_PIPEFAIL = frozenset(["sh", "dash"])


def _sets_pipefail_before(run: Run, index: int) -> bool:
    """``set -o pipefail`` (``set -eo pipefail``, ...) earlier in the same script."""
    return any(c.index < index and c.name == "set" and has_pipefail(tuple(c.cmd.argv)) for c in run.cmds)


def _script_only(run: Run) -> str:
    """The text the shell runs, without heredoc bodies that are only data (``cat <<EOF``)."""
    if run.instr.json_form:
        return ""
    text = run_script_text(run.instr)
    line = run.instr.args[0] if run.instr.args else ""
    return line if run.instr.heredocs and text.startswith(line + "\n") else text


@register
class PipefailBeforePipe(Rule):
    """Set `-o pipefail` before a RUN with a pipe in it.

    ## What it does
    Flags a RUN with a pipeline (`a | b`, also inside `$(...)`) when the stage's shell is a POSIX shell without
    `-o pipefail`: neither the `SHELL` in effect (set earlier in the stage or inherited from
    the stage it is built FROM; `["/bin/ash", "-eo", "pipefail", "-c"]` counts) nor a
    `set -o pipefail` earlier in the script. Exec-form RUNs that call a shell
    (`RUN ["sh", "-c", "a | b"]`) are read with that shell's own options. RUNs under a
    non-POSIX `SHELL` (PowerShell, `cmd`) are skipped.

    `SHELL ["/bin/sh", "-o", "pipefail", "-c"]` (or `dash`) does not count: `/bin/sh` is dash on
    Debian and Ubuntu, which has no `pipefail` (hadolint agrees). Unlike hadolint, any path to
    bash, zsh, ash, ksh or mksh counts (`/usr/bin/bash` too).

    Unlike hadolint, `set -o pipefail && a | b` inside the RUN is accepted: the option is
    set for the pipe that follows (and if the shell lacks it, `set` fails the build, which
    is not a silent failure either).

    ## Why is this bad?
    A pipeline's status is that of its last command: in `curl -fsSL $URL | tar -x` a failed
    download still "succeeds" when `tar` reads an empty stream, and the build goes on with
    a broken layer.

    ## Example
    ```dockerfile
    RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin
    ```

    ## Use instead
    ```dockerfile
    SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin
    ```

    ## Fix safety
    Unsafe (`--unsafe-fixes`): inserts `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` on the
    line before the stage's first offending RUN when the stage's base image (followed through
    earlier stages) is of a family that ships bash (debian, ubuntu, python, node, golang,
    ruby, openjdk, RHEL-likes, ...), or `SHELL ["/bin/ash", "-eo", "pipefail", "-c"]` when it
    is Alpine-based (that form also sets `-e`, so a failing command in a `;` list now
    stops the RUN). The new shell applies to every later RUN of the stage and of stages built
    FROM it, and a pipeline that used to hide a failing first command now fails the build
    (e.g. `grep x f | wc -l` with no match). No fix when the image family is unknown or has
    no POSIX shell (distroless, scratch, Windows), when an ARG in FROM has no value, or when
    a `SHELL` is already in effect (it was chosen on purpose).

    ## References
    - [hadolint DL4006](https://github.com/hadolint/hadolint/wiki/DL4006)
    """

    code = "DL4006"
    name = "pipefail-before-pipe"
    severity = Severity.WARNING
    fix_applicability = Applicability.UNSAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        fixed_stages: set[int] = set()
        for run in shell_runs(ctx):
            if has_pipefail(run.shell) and shell_name(run.shell) not in _NO_PIPEFAIL:
                continue
            piped = [
                c
                for c in run.cmds
                if c.full.piped or any(_PIPE_IN_SUBSTITUTION.search(w) for w in c.full.raw_words)
            ]
            first = piped[0].index if piped else len(run.cmds)
            if not piped and not (run.cmds and _PIPE_IN_SUBSTITUTION_TEXT.search(_script_only(run))):
                continue
            if not _sets_pipefail_before(run, first):
                fix = None
                # one SHELL before the stage's first offending RUN covers the later ones too
                if run.stage is not None and run.stage.index not in fixed_stages:
                    fixed_stages.add(run.stage.index)
                    if not run.instr.json_form and run.shell == DEFAULT_SHELL:
                        fix = pipefail_fix(ctx, run.stage, run.instr)
                yield self.finding(
                    ctx,
                    run.instr,
                    "Set the SHELL option -o pipefail before RUN with a pipe in it "
                    '(e.g. SHELL ["/bin/bash", "-o", "pipefail", "-c"]); on Alpine use /bin/ash',
                    fix,
                )
