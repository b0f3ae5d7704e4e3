"""DL rules about pip in RUN scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.run_edits import insert_after_word
from codi.rules.dl.run_support import (
    Cmd,
    Run,
    Word,
    image_stages,
    iter_operands,
    mounts_cache,
    shell_runs,
    split_args,
)
from codi.rules.registry import register

_PIP = re.compile(r"^pip(\d+(\.\d+)*)?$")
_PYTHON = re.compile(r"^python(\d+(\.\d+)*)?$")
_VALUED = frozenset(
    [
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--src",
        "--upgrade-strategy",
        "--trusted-host",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--only-binary",
        "--no-binary",
        "--progress-bar",
        "--root-user-action",
        "--cache-dir",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--global-option",
        "--install-option",
        "-C",
        "--config-settings",
        "--report",
        "--python",
    ]
)
_VCS = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")
_FALSE = ("", "0", "false", "no", "off")


def pip_call(c: Cmd, tools: tuple[str, ...] = ()) -> tuple[Word, list[Word]] | None:
    """(subcommand word, operands after it) for ``pip …``, ``python -m pip …`` or a tool in
    ``tools`` (``pipx``); None for other commands."""
    argv = c.cmd.argv
    if _PIP.match(c.name) or c.name in tools:
        start = 1
    elif (
        _PYTHON.match(c.name)
        and "pip" in argv
        and argv.index("pip") > 1
        and argv[argv.index("pip") - 1] == "-m"
    ):
        start = argv.index("pip") + 1
    else:
        return None
    _, operands = split_args(c.cmd, _VALUED, start)
    if not operands:
        return None
    return operands[0], operands[1:]


def is_pinned(spec: str) -> bool:
    """A requirement with a version constraint, a VCS URL at a ref, an archive or a path."""
    if "://" in spec:
        if spec.startswith(_VCS):
            last = spec.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            return "@" in last
        return True  # a URL to one archive
    if spec.startswith((".", "/", "~")) or spec.endswith(_ARCHIVES):
        return True
    return any(op in spec for op in ("==", ">=", "<=", "~=", "!=", "<", ">", " @ ", "@"))


@register
class PipPinVersions(Rule):
    """Pin versions in `pip install`.

    ## What it does
    Flags `pip install` (also `pip3`, `python -m pip` and `pipx install`) of a package
    without a version constraint. Requirement files (`-r`), constraints, local paths,
    archives and VCS URLs at a ref (`git+https://…/x.git@v1.2`) are fine.

    ## Why is this bad?
    An unpinned package is the newest release on the day of the build; a new major release
    can break the image without any change to the Dockerfile.

    Unlike hadolint, CODI expands packages given through `ARG`/`ENV` values and stays
    silent when a value is only known at build time instead of guessing, and it also reads
    `python3 -m pip install` and pip called by a quoted path (`"$VENV/bin/pip" install`),
    which hadolint misses. RUNs under a non-POSIX shell (Windows `cmd`/PowerShell images)
    are not read, where hadolint reads them as if they were POSIX shell.

    ## Example
    ```dockerfile
    RUN pip install --no-cache-dir flask
    ```

    ## Use instead
    ```dockerfile
    RUN pip install --no-cache-dir flask==3.0.3
    ```

    ## References
    - [hadolint DL3013](https://github.com/hadolint/hadolint/wiki/DL3013)
    """

    code = "DL3013"
    name = "pip-pin-versions"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            unpinned: list[str] = []
            for c in run.cmds:
                call = pip_call(c, ("pipx",))
                if call is None or call[0].text != "install":
                    continue
                for _, value in iter_operands(ctx, run, call[1]):
                    if value and not is_pinned(value):
                        unpinned.append(value)
            if unpinned:
                yield self.finding(
                    ctx,
                    run.instr,
                    f"Pin versions in pip ({', '.join(unpinned)}): use `pip install <package>==<version>` "
                    "or `pip install --requirement <requirements file>`",
                )


def _no_cache_env(ctx: RuleContext, run: Run, c: Cmd) -> bool:
    """PIP_NO_CACHE_DIR set by ENV/ARG or on the command line (``PIP_NO_CACHE_DIR=1 pip …``)."""
    for word in c.full.argv[: len(c.full.argv) - len(c.cmd.argv)]:
        name, eq, value = word.partition("=")
        if eq and name == "PIP_NO_CACHE_DIR" and value.lower() not in _FALSE:
            return True
    env_value = ctx.model.vars_at(run.instr).get("PIP_NO_CACHE_DIR")
    return env_value is not None and env_value.lower() not in _FALSE


@register
class PipNoCacheDir(Rule):
    """Avoid keeping pip's cache: use `pip install --no-cache-dir`.

    ## What it does
    Flags `pip install` without `--no-cache-dir`, unless `PIP_NO_CACHE_DIR` is set (by
    `ENV`, `ARG` or on the command) or pip's cache directory is a cache mount. Only stages
    whose files reach the final image are checked (the final stage and the stages it is
    built FROM); hadolint checks every stage, although a builder's cache never reaches
    the image.

    ## Why is this bad?
    pip keeps every downloaded wheel under `~/.cache/pip`: often as large as the packages
    themselves, and useless in an image.

    ## Example
    ```dockerfile
    RUN pip install flask==3.0.3
    ```

    ## Use instead
    ```dockerfile
    RUN pip install --no-cache-dir flask==3.0.3
    ```

    ## Fix safety
    Safe: adds `--no-cache-dir` after `install`; only the download cache is left out.

    ## References
    - [hadolint DL3042](https://github.com/hadolint/hadolint/wiki/DL3042)
    """

    code = "DL3042"
    name = "pip-no-cache-dir"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        keep = image_stages(ctx)
        for run in shell_runs(ctx):
            if run.stage is None or run.stage.index not in keep or mounts_cache(run.instr, ".cache/pip"):
                continue
            edits: list[Edit] = []
            found = False
            for c in run.cmds:
                call = pip_call(c)
                if call is None or call[0].text != "install" or c.cmd.has_flag("--no-cache-dir"):
                    continue
                if _no_cache_env(ctx, run, c):
                    continue
                found = True
                edit = insert_after_word(ctx, run.instr, c, call[0].index, " --no-cache-dir")
                if edit:
                    edits.append(edit)
            if found:
                fix = Fix("Add --no-cache-dir to pip install", Applicability.SAFE, edits) if edits else None
                yield self.finding(
                    ctx,
                    run.instr,
                    "Avoid use of cache directory with pip: use `pip install --no-cache-dir <package>`",
                    fix,
                )
