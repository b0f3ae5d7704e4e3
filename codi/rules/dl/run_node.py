"""DL rules about npm and yarn in RUN scripts."""

from __future__ import annotations

from collections.abc import Iterator

from codi.parser.shell import Command
from codi.rules.base import Applicability, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.run_edits import append_to_run
from codi.rules.dl.run_support import (
    Cmd,
    image_stages,
    iter_operands,
    mounts_cache,
    shell_runs,
    split_args,
)
from codi.rules.registry import register

# npm's own spellings of `install` (npm accepts these abbreviations and typos)
_NPM_INSTALL = frozenset(
    ["install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"]
)
_NPM_VALUED = frozenset(
    [
        "--loglevel",
        "--registry",
        "--prefix",
        "--cache",
        "--userconfig",
        "--tag",
        "-w",
        "--workspace",
        "--omit",
        "--include",
        "--save-prefix",
        "--install-strategy",
    ]
)
_GIT = ("git+", "git://", "github:", "gitlab:", "bitbucket:", "gist:")
_ARCHIVES = (".tgz", ".tar.gz", ".tar")


def npm_is_pinned(spec: str) -> bool:
    """A package with a version other than ``latest``, a git spec with ``#ref``, or a path,
    archive or tarball URL."""
    if spec.startswith((".", "/", "~", "file:")) or spec.endswith(_ARCHIVES):
        return True
    if spec.startswith(_GIT) or spec.endswith(".git"):
        return "#" in spec
    if "://" in spec:
        return True
    name = spec[1:] if spec.startswith("@") else spec
    if "@" in name:
        version = name.rsplit("@", 1)[1]
        return bool(version) and version != "latest"
    if "/" in name and not spec.startswith("@"):
        return "#" in spec  # GitHub shorthand user/repo
    return False


@register
class NpmPinVersions(Rule):
    """Pin versions in `npm install`.

    ## What it does
    Flags `npm install <package>` (and its aliases `npm i`, `npm add`, ...) of a package
    without a version (`express@4.19.2`), a git spec without `#ref`, or `@latest`. A plain
    `npm install`/`npm ci` (from `package.json` and the lock file) is fine, as are paths and
    tarballs.

    ## Why is this bad?
    An unpinned package is the newest release on the day of the build, so rebuilds are not
    reproducible and can break.

    Unlike hadolint, CODI also checks the `i`/`add` aliases, treats `@latest` as unpinned
    (it is a moving tag, not a version), expands packages given through `ARG`/`ENV` values
    and stays silent when a value is only known at build time.

    ## Example
    ```dockerfile
    RUN npm install -g typescript
    ```

    ## Use instead
    ```dockerfile
    RUN npm install -g typescript@5.4.5
    ```

    ## References
    - [hadolint DL3016](https://github.com/hadolint/hadolint/wiki/DL3016)
    """

    code = "DL3016"
    name = "npm-pin-versions"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            unpinned: list[str] = []
            for c in run.named("npm"):
                _, operands = split_args(c.cmd, _NPM_VALUED)
                if not operands or operands[0].text not in _NPM_INSTALL:
                    continue
                for _, value in iter_operands(ctx, run, operands[1:]):
                    if value and not npm_is_pinned(value):
                        unpinned.append(value)
            if unpinned:
                yield self.finding(
                    ctx,
                    run.instr,
                    f"Pin versions in npm ({', '.join(unpinned)}): use `npm install <package>@<version>`",
                )


def _yarn_installs(c: Cmd) -> bool:
    """``yarn``, ``yarn install``, ``yarn add …``, ``yarn global add …``."""
    if c.name != "yarn":
        return False
    _, operands = split_args(
        c.cmd, frozenset(["--cwd", "--cache-folder", "--modules-folder", "--network-timeout"])
    )
    words = [w.text for w in operands[:2]]
    if not words:  # a bare `yarn` installs, unless it only prints something
        return not c.cmd.has_flag("--version", "-v", "--help", "-h")
    return words[0] in ("install", "add") or words == ["global", "add"]


def _cleans_yarn_cache(cmd: Command) -> bool:
    if cmd.name == "yarn":
        _, operands = split_args(cmd)
        return [w.text for w in operands[:2]] == ["cache", "clean"]
    if cmd.name == "rm":
        _, operands = split_args(cmd)
        return any(".cache/yarn" in w.text or w.text.rstrip("/*").endswith("/yarn") for w in operands)
    return False


@register
class YarnCacheClean(Rule):
    """Run `yarn cache clean` after `yarn install`.

    ## What it does
    Flags a RUN that installs packages with yarn (`yarn`, `yarn install`, `yarn add`,
    `yarn global add`) and does not run `yarn cache clean` (or remove yarn's cache folder)
    later in the same RUN, unless the cache is a cache mount. Only stages whose files reach
    the final image are checked. hadolint only looks at `yarn install`; a bare `yarn` and
    `yarn add` fill the same cache.

    ## Why is this bad?
    Yarn keeps a copy of every package tarball in its cache: often as large as
    `node_modules` itself, and useless in an image.

    ## Example
    ```dockerfile
    RUN yarn install --frozen-lockfile
    ```

    ## Use instead
    ```dockerfile
    RUN yarn install --frozen-lockfile && yarn cache clean
    ```

    ## Fix safety
    Safe: appends `&& yarn cache clean` to the RUN; only the download cache is removed.

    ## References
    - [hadolint DL3060](https://github.com/hadolint/hadolint/wiki/DL3060)
    """

    code = "DL3060"
    name = "yarn-cache-clean"
    severity = Severity.INFO
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        keep = image_stages(ctx)
        for run in shell_runs(ctx):
            if (
                run.stage is None
                or run.stage.index not in keep
                or mounts_cache(run.instr, ".cache/yarn", "yarn")
            ):
                continue
            installs = [c for c in run.cmds if _yarn_installs(c)]
            if not installs or any(_cleans_yarn_cache(c.cmd) for c in run.after(installs[-1])):
                continue
            edit = append_to_run(ctx, run, "yarn cache clean")
            fix = (
                Fix("Run yarn cache clean at the end of the RUN", Applicability.SAFE, [edit])
                if edit
                else None
            )
            yield self.finding(ctx, run.instr, "`yarn cache clean` missing after `yarn install` was run", fix)
