"""CD301 (download piped into a shell), CD302 (upgrade of all packages), CD305 (ADD <url> without --checksum)."""

from __future__ import annotations

from collections.abc import Iterable

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.cd.commands import tool_calls
from codi.rules.registry import register

_DOWNLOADERS = frozenset({"curl", "wget", "fetch"})
_INTERPRETERS = frozenset({"sh", "bash", "zsh", "dash", "ash", "ksh", "python", "python2", "python3", "perl",
                           "ruby", "node", "php"})


@register
class PipeToShell(Rule):
    """A downloaded script is piped straight into a shell.

    ## What it does
    Reports `RUN` scripts that run code as it is downloaded: `curl ... | sh`,
    `wget -qO- ... | sudo bash -s --`, `curl ... | python3 -`, and the command-substitution forms
    `sh -c "$(curl ...)"` and `bash <(curl ...)`.

    ## Why is this bad?
    Nothing checks what was downloaded before it runs as root in the build: a compromised or
    hijacked server, a DNS or proxy mix-up, or a truncated download (the pipe starts executing
    a half-received script) all end up inside the image. The script can also change under the
    same URL, so two builds of the same Dockerfile install different things. Download to a file,
    verify a pinned checksum or signature, then run it.

    ## Example
    ```dockerfile
    RUN curl -fsSL https://example.com/install.sh | sh
    ```

    ## Use instead
    ```dockerfile
    ARG INSTALL_SHA256=5f1c...e9
    RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\
        && echo "${INSTALL_SHA256}  /tmp/install.sh" | sha256sum -c - \\
        && sh /tmp/install.sh && rm /tmp/install.sh
    ```

    ## References
    - [OWASP Docker security cheat sheet](https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html)
    """

    code = "CD301"
    name = "pipe-to-shell"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for _, instr, script in ctx.runs():
            cmds = script.commands
            hit: str | None = None
            for i, cmd in enumerate(cmds):
                name = cmd.unwrapped().name
                if (name in _DOWNLOADERS and cmd.separator == "|" and i + 1 < len(cmds)
                        and cmds[i + 1].unwrapped().name in _INTERPRETERS):
                    hit = f"`{name} ... | {cmds[i + 1].unwrapped().name}`"
                    break
                if name in _INTERPRETERS and any(
                    marker + d in w for w in cmd.raw_words for d in _DOWNLOADERS for marker in ("$(", "`", "<(")
                ):
                    hit = f"`{name}` running the output of a download"
                    break
            if hit:
                yield self.finding(
                    ctx, instr,
                    f"{hit} runs a script nobody verified; download it, check a pinned checksum, then run it",
                )


_UPGRADES = {
    "apt-get": ("upgrade", "dist-upgrade", "full-upgrade"),
    "apk": ("upgrade",),
    "yum": ("update", "upgrade", "distro-sync"),
    "dnf": ("update", "upgrade", "distro-sync"),
    "microdnf": ("update", "upgrade"),
    "zypper": ("update", "up", "dist-upgrade", "dup", "patch"),
}


@register
class PackageUpgrade(Rule):
    """The image upgrades all of its base image's packages.

    ## What it does
    Reports `apt-get upgrade`/`dist-upgrade`/`full-upgrade`, `apt upgrade`, `apk upgrade`,
    `yum`/`dnf update`/`upgrade`, `microdnf update` and `zypper update`/`dist-upgrade` run
    without package names (upgrading everything). Upgrading named packages is not reported.

    Off by default: hadolint retired the same check (DL3005) after Docker's guidance changed to
    accept upgrades as a way to get security fixes faster than the base image is rebuilt. Turn it
    on when reproducible builds matter more to you than that.

    ## Why is this bad?
    The result depends on the day of the build: two builds of the same Dockerfile give images
    with different package versions, so a bug cannot be reproduced from the Dockerfile and the
    build cache hides when it happened. Every upgraded package is also stored twice (old version
    in the base layer, new one in yours). A fresher, pinned base image gives the fixes without
    either problem.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get upgrade -y && apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm-20240513-slim
    RUN apt-get update && apt-get install -y curl
    ```

    ## References
    - [hadolint DL3005 (retired)](https://github.com/hadolint/hadolint/wiki/DL3005)
    """

    code = "CD302"
    name = "package-upgrade"
    severity = Severity.INFO
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for _, instr, script in ctx.runs():
            for call in tool_calls(script):
                if call.sub in _UPGRADES.get(call.tool, ()) and not call.positional():
                    yield self.finding(
                        ctx, instr,
                        f"`{call.tool} {call.sub}` makes the image depend on the day it was built; "
                        "use a newer pinned base image instead",
                    )
                    break


def _remote(src: str) -> bool:
    low = src.lower()
    if not low.startswith(("http://", "https://")):
        return False
    path = low.split("?", 1)[0].split("#", 1)[0]
    return not path.endswith(".git")  # a git repository: pinned by its #ref, not a checksum


@register
class AddUrlWithoutChecksum(Rule):
    """`ADD <url>` without `--checksum`.

    ## What it does
    Reports `ADD` instructions that download an `http(s)://` URL (git repositories excepted)
    without a `--checksum=sha256:...` flag.

    ## Why is this bad?
    Whatever the server returns goes into the image unchecked, and it may change from one build
    to the next under the same URL. `ADD --checksum` (Dockerfile syntax 1.6 and later) makes the
    build fail when the content is not the one you reviewed.

    ## Example
    ```dockerfile
    ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ```

    ## Use instead
    ```dockerfile
    # syntax=docker/dockerfile:1
    ADD --checksum=sha256:93dcc18adc78c65a028a84799ecf8ad40c936fdfc5f2a57b1acda5a8117fa82c \\
        https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ```

    ## References
    - [Dockerfile reference: ADD --checksum](https://docs.docker.com/reference/dockerfile/#add---checksum)
    """

    code = "CD305"
    name = "add-url-without-checksum"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.instructions("ADD"):
            if instr.flag("checksum") is not None or len(instr.args) < 2:
                continue
            urls = [a for a in instr.args[:-1] if _remote(a)]
            if urls:
                yield self.finding(
                    ctx, instr,
                    f"ADD downloads {urls[0]} without --checksum: its content is not verified",
                )
