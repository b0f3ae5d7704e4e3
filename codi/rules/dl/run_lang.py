"""DL rules about language package tools in RUN scripts: gem and go."""

from __future__ import annotations

from collections.abc import Iterator

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.dl.run_support import iter_operands, option_value, shell_runs, split_args
from codi.rules.registry import register

_GEM_VALUED = frozenset(
    [
        "-v",
        "--version",
        "-i",
        "--install-dir",
        "-n",
        "--bindir",
        "-s",
        "--source",
        "-P",
        "--trust-policy",
        "--platform",
        "--build-root",
    ]
)


@register
class GemPinVersions(Rule):
    """Pin versions in `gem install`.

    ## What it does
    Flags `gem install` of a gem without a version (`rails:7.1.3` or `-v 7.1.3`). Local
    `.gem` files are fine. Unlike hadolint, option bundles such as `-N` are read correctly
    and `-v` with an attached value counts; gems given through `ARG`/`ENV` values are
    expanded and values known only at build time are not guessed at.

    ## Why is this bad?
    An unpinned gem is the newest release on the day of the build, so rebuilds are not
    reproducible and can break.

    ## Example
    ```dockerfile
    RUN gem install bundler
    ```

    ## Use instead
    ```dockerfile
    RUN gem install bundler:2.5.9
    ```

    ## References
    - [hadolint DL3028](https://github.com/hadolint/hadolint/wiki/DL3028)
    """

    code = "DL3028"
    name = "gem-pin-versions"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            unpinned: list[str] = []
            for c in run.named("gem"):
                _, operands = split_args(c.cmd, _GEM_VALUED)
                if not operands or operands[0].text not in ("install", "i"):
                    continue
                if option_value(c.cmd, "-v", "--version"):
                    continue
                for _, value in iter_operands(ctx, run, operands[1:]):
                    if (
                        value
                        and ":" not in value
                        and not value.endswith(".gem")
                        and not value.startswith((".", "/"))
                    ):
                        unpinned.append(value)
            if unpinned:
                yield self.finding(
                    ctx,
                    run.instr,
                    f"Pin versions in gem install ({', '.join(unpinned)}): use `gem install <gem>:<version>`",
                )


_GO_VALUED = frozenset(
    [
        "-o",
        "-tags",
        "-ldflags",
        "-gcflags",
        "-p",
        "-mod",
        "-modfile",
        "-overlay",
        "-pkgdir",
        "-asmflags",
        "-buildmode",
        "-compiler",
        "-gccgoflags",
        "-installsuffix",
        "-pgo",
        "-toolexec",
        "-C",
    ]
)


@register
class GoPinVersions(Rule):
    """Pin versions in `go install`.

    ## What it does
    Flags `go install` and `go get` of a remote module path (`example.com/tool`) without a
    version, or at `@latest`. Local packages (`./...`, `.`) and standard-library patterns are
    fine, and so is `go run make.go` (a local file; hadolint flags it as an unpinned module).

    ## Why is this bad?
    Without a version Go fetches whatever the module's default branch or latest tag is on
    the day of the build, so rebuilds are not reproducible.

    ## Example
    ```dockerfile
    RUN go install golang.org/x/tools/gopls@latest
    ```

    ## Use instead
    ```dockerfile
    RUN go install golang.org/x/tools/gopls@v0.15.3
    ```

    ## References
    - [hadolint DL3062](https://github.com/hadolint/hadolint/wiki/DL3062)
    """

    code = "DL3062"
    name = "go-pin-versions"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            unpinned: list[str] = []
            for c in run.named("go"):
                _, operands = split_args(c.cmd, _GO_VALUED)
                if not operands or operands[0].text not in ("install", "get"):
                    continue
                for _, value in iter_operands(ctx, run, operands[1:]):
                    path, _, version = value.partition("@") if value else ("", "", "")
                    remote = "." in path.split("/", 1)[0] and not path.startswith((".", "/"))
                    if remote and (not version or version == "latest"):
                        unpinned.append(value or "")
            if unpinned:
                yield self.finding(
                    ctx,
                    run.instr,
                    f"Pin versions in go ({', '.join(unpinned)}): use `go install <package>@<version>`",
                )
