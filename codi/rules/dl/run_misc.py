"""DL rules about other commands in RUN scripts: cd, sudo, interactive tools, useradd."""

from __future__ import annotations

from collections.abc import Iterator

from codi.parser.bounds import decimal
from codi.parser.expand import UnresolvedVariable, expand_strict
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.dl.run_support import option_value, shell_runs
from codi.rules.registry import register

_POINTLESS = ("ssh", "vim", "shutdown", "service", "ps", "free", "top", "kill", "mount", "ifconfig")


@register
class PointlessCommand(Rule):
    """Avoid commands that make no sense in a container build.

    ## What it does
    Flags RUNs that run `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`,
    `mount` or `ifconfig`.

    ## Why is this bad?
    A build step has no services, no terminal and no other processes: these commands either
    do nothing useful (`service x start` does not survive the step), hang waiting for input
    (`vim`), or report on the build machine rather than the image.

    ## Example
    ```dockerfile
    RUN service nginx start
    ```

    ## Use instead
    ```dockerfile
    CMD ["nginx", "-g", "daemon off;"]
    ```

    ## References
    - [hadolint DL3001](https://github.com/hadolint/hadolint/wiki/DL3001)
    """

    code = "DL3001"
    name = "pointless-command"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            names = sorted({c.name for c in run.named(*_POINTLESS)})
            if names:
                yield self.finding(
                    ctx, run.instr, f"`{'`, `'.join(names)}` makes no sense in a container build step"
                )


@register
class UseWorkdir(Rule):
    """Use WORKDIR to switch to a directory.

    ## What it does
    Flags `cd` in a RUN.

    ## Why is this bad?
    `cd` lasts only until the end of the RUN; the next instruction starts in the WORKDIR
    again, which surprises readers. `WORKDIR` sets the directory for every later
    instruction and for the container, and creates it if needed.

    ## Example
    ```dockerfile
    RUN cd /app && make
    ```

    ## Use instead
    ```dockerfile
    WORKDIR /app
    RUN make
    ```

    ## References
    - [hadolint DL3003](https://github.com/hadolint/hadolint/wiki/DL3003)
    """

    code = "DL3003"
    name = "use-workdir"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            if run.named("cd"):
                yield self.finding(ctx, run.instr, "Use WORKDIR to switch to a directory")


@register
class NoSudo(Rule):
    """Do not use `sudo` in a RUN.

    ## What it does
    Flags RUN commands run through `sudo`.

    ## Why is this bad?
    Build steps run as the current `USER`; `sudo` needs a tty or a sudoers entry, behaves
    differently between images and leaves root-owned files where the user expects its own.
    Switch with `USER root` … `USER app`, or use `gosu`/`su-exec` in an entrypoint.

    ## Example
    ```dockerfile
    RUN sudo apt-get update
    ```

    ## Use instead
    ```dockerfile
    USER root
    RUN apt-get update
    ```

    ## References
    - [hadolint DL3004](https://github.com/hadolint/hadolint/wiki/DL3004)
    """

    code = "DL3004"
    name = "no-sudo"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            for c in run.cmds:
                prefix = c.full.argv[: len(c.full.argv) - len(c.cmd.argv)]
                if any(w.rsplit("/", 1)[-1] == "sudo" for w in prefix):
                    yield self.finding(ctx, run.instr, "Do not use sudo: it leads to unpredictable behaviour")
                    break


@register
class UseraddLogInit(Rule):
    """Use `useradd -l` with a high UID.

    ## What it does
    Flags `useradd` with a UID above 99999 and without `-l`/`--no-log-init`. The UID is read
    from `-u`, `-u123`, `--uid 123` and `--uid=123` (hadolint only reads `-u 123`) and
    `ARG`/`ENV` values are expanded; when the UID is only known at build time CODI does not
    guess (hadolint flags it).

    ## Why is this bad?
    `useradd` reserves an entry for the UID in the sparse files `/var/log/lastlog` and
    `/var/log/faillog`. Image layers do not keep files sparse, so a UID of 100000000 can add
    gigabytes to the layer.

    ## Example
    ```dockerfile
    RUN useradd -u 123456 app
    ```

    ## Use instead
    ```dockerfile
    RUN useradd -l -u 123456 app
    ```

    ## References
    - [hadolint DL3046](https://github.com/hadolint/hadolint/wiki/DL3046)
    """

    code = "DL3046"
    name = "useradd-log-init"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            for c in run.named("useradd"):
                if c.cmd.has_flag("-l", "--no-log-init"):
                    continue
                uid = option_value(c.cmd, "-u", "--uid")
                if uid and "$" in uid:
                    try:
                        uid = expand_strict(uid, ctx.model.vars_at(run.instr))
                    except UnresolvedVariable:
                        continue
                if uid and uid.strip().isascii() and uid.strip().isdigit() and decimal(uid.strip()) > 99999:
                    yield self.finding(
                        ctx,
                        run.instr,
                        "`useradd` without flag `-l` and a high UID makes the image excessively large",
                    )
                    break
