"""DL rules about COPY and ADD: sources, destinations, archives."""

from __future__ import annotations

import re
from collections.abc import Iterator

from codi.parser.model import Instruction
from codi.parser.semantic import Model, Stage
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.kvpairs import resolve
from codi.rules.registry import register

# Names ADD may unpack: BuildKit detects tar archives (plain, gzip, bzip2, xz, zstd) by content,
# so anything that looks compressed may be unpacked.
_MAYBE_UNPACKED = re.compile(r"\.(tar|tgz|tbz2?|txz|tzst|tlz|gz|bz2|xz|zst|lz4|lzma)$", re.IGNORECASE)
_TAR = re.compile(r"\.(tar(\.(gz|bz2|xz|zst|lzma))?|tgz|tbz2?|txz|tzst)$", re.IGNORECASE)
_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)
_WINDOWS_ABS = re.compile(r"^([A-Za-z]:([\\/]|$)|\\\\)")
_ADD_ONLY_FLAGS = {"checksum", "keep-git-dir", "unpack"}


def _strip_quotes(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def _basename(path: str) -> str:
    return re.split(r"[/\\]", _strip_quotes(path).rstrip("/\\"))[-1]


def _sources_dest(instr: Instruction) -> tuple[list[str], str] | None:
    if len(instr.args) < 2:
        return None
    return instr.args[:-1], _strip_quotes(instr.args[-1])


def _has_workdir(model: Model, stage: Stage, before: Instruction | None) -> bool:
    """A WORKDIR earlier in this stage or anywhere in the stages it is built FROM."""
    current: Stage | None = stage
    while current is not None:
        for instr in current.instructions:
            if instr is before:
                break
            if instr.keyword == "WORKDIR":
                return True
        before = None
        current = model.stages[current.base_stage] if current.base_stage is not None else None
    return False


@register
class AddInsteadOfCopy(Rule):
    """Use `COPY` instead of `ADD` for files and folders.

    ## What it does
    Flags `ADD` whose sources are all local files or folders that ADD would not unpack
    (no URL, no git source, no tar/compressed archive name). Unlike hadolint, git sources
    written as `git@host:repo` are recognised as remote (only `ADD` can fetch them).

    ## Why is this bad?
    `ADD` has magic (remote downloads, archive unpacking) that surprises readers and tools;
    `COPY` does exactly what it says.

    ## Example
    ```dockerfile
    ADD requirements.txt /app/
    ```

    ## Use instead
    ```dockerfile
    COPY requirements.txt /app/
    ```

    ## Fix safety
    Safe: for these sources `ADD` and `COPY` produce the same files (CODI only offers it when
    no source name suggests an archive that `ADD` would unpack).

    ## References
    - [hadolint DL3020](https://github.com/hadolint/hadolint/wiki/DL3020)
    """

    code = "DL3020"
    name = "copy-not-add"
    severity = Severity.ERROR
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("ADD"):
            parts = _sources_dest(instr)
            if parts is None or any(f.name in _ADD_ONLY_FLAGS for f in instr.flags):
                continue
            env = ctx.model.vars_at(instr)
            sources = [resolve(s, env, ctx.dockerfile.escape) for s in parts[0]]
            if any(s is None or _REMOTE.match(s) or _MAYBE_UNPACKED.search(s) for s in sources):
                continue
            replacement = "COPY" if instr.keyword_raw.isupper() else "copy"
            fix = Fix(
                "Replace ADD with COPY",
                Applicability.SAFE,
                [Edit(instr.keyword_span.start, instr.keyword_span.end, replacement)],
            )
            yield self.finding(ctx, instr, "Use COPY instead of ADD for files and folders", fix)


@register
class CopyArchiveThenExtract(Rule):
    """Use `ADD` for extracting local tar archives into an image.

    ## What it does
    Flags a `COPY` of a local tar archive that a later `RUN` of the same stage unpacks with
    `tar -x`.

    ## Why is this bad?
    The archive stays in the `COPY` layer forever, so the image carries it twice (packed and
    unpacked). `ADD` unpacks local tar archives in one layer. Zip files are not flagged:
    `ADD` does not unpack them.

    ## Example
    ```dockerfile
    COPY app.tar.gz /tmp/
    RUN tar -xzf /tmp/app.tar.gz -C /opt
    ```

    ## Use instead
    ```dockerfile
    ADD app.tar.gz /opt/
    ```

    ## References
    - [hadolint DL3010](https://github.com/hadolint/hadolint/wiki/DL3010)
    """

    code = "DL3010"
    name = "add-to-extract-archives"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            archives: dict[str, Instruction] = {}
            flagged: set[int] = set()
            for instr in stage.instructions:
                if instr.keyword == "COPY" and instr.flag("from") is None:
                    parts = _sources_dest(instr)
                    if parts is None:
                        continue
                    sources, dest = parts
                    names = [_basename(dest)] if _TAR.search(dest) else [_basename(s) for s in sources]
                    for name in names:
                        if _TAR.search(name):
                            archives[name] = instr
                    continue
                script = ctx.script(instr)
                if script is None or not archives:
                    continue
                for cmd in script.find("tar"):
                    args = cmd.unwrapped().argv[1:]
                    if not _is_tar_extract(args):
                        continue
                    for arg in args:
                        copy = archives.get(_basename(arg))
                        if copy is not None and id(copy) not in flagged:
                            flagged.add(id(copy))
                            yield self.finding(ctx, copy, "Use `ADD` for extracting archives into an image")


def _is_tar_extract(args: list[str]) -> bool:
    if any(a in ("--extract", "--get") for a in args):
        return True
    if any(a.startswith("-") and not a.startswith("--") and "x" in a for a in args):
        return True
    # old-style bundled options: ``tar xzf file``
    return (
        bool(args)
        and not args[0].startswith("-")
        and re.fullmatch(r"[A-Za-z]*x[A-Za-z]*", args[0]) is not None
    )


@register
class CopyManySourcesToDir(Rule):
    """`COPY`/`ADD` with several sources needs a destination ending in `/`.

    ## What it does
    Flags `COPY` (and `ADD`, which has the same requirement; hadolint checks only `COPY`) with
    more than one source whose destination does not end with `/`.

    ## Why is this bad?
    BuildKit refuses the build: "When using COPY with more than one source file, the
    destination must be a directory and end with a /".

    ## Example
    ```dockerfile
    COPY package.json package-lock.json /app
    ```

    ## Use instead
    ```dockerfile
    COPY package.json package-lock.json /app/
    ```

    ## Fix safety
    Safe: adds the trailing `/` BuildKit requires; the build could not succeed without it.

    ## References
    - [hadolint DL3021](https://github.com/hadolint/hadolint/wiki/DL3021)
    """

    code = "DL3021"
    name = "copy-dest-slash"
    severity = Severity.ERROR
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("COPY", "ADD"):
            parts = _sources_dest(instr)
            if parts is None or len(parts[0]) < 2:
                continue
            dest = parts[1]
            if not dest.endswith(("/", "\\")):
                yield self.finding(
                    ctx,
                    instr,
                    f"{instr.keyword} with more than 2 arguments requires the last argument to end with /",
                    _slash_fix(instr),
                )


def _slash_fix(instr: Instruction) -> Fix | None:
    """Append ``/`` to the destination (inside its quotes), for one-line instructions."""
    if instr.heredocs or instr.start_line != instr.end_line:
        return None
    rest = instr.rest.rstrip()
    if instr.json_form:
        if not rest.endswith("]"):
            return None
        pos = rest.rfind('"', 0, len(rest) - 1)
    else:
        pos = len(rest) - 1 if rest[-1:] in ('"', "'") else len(rest)
    if pos <= 0:
        return None
    at = instr.rest_offsets[pos] if pos < len(rest) else instr.rest_offsets[pos - 1] + 1
    return Fix("Add a trailing / to the destination", Applicability.SAFE, [Edit(at, at, "/")])


@register
class CopyRelativeDestination(Rule):
    """`COPY` to a relative destination without `WORKDIR` set.

    ## What it does
    Flags `COPY` to a relative path when no `WORKDIR` was set earlier in the stage or in the
    stages it is built `FROM`.

    ## Why is this bad?
    A relative destination lands under whatever working directory the base image happens to
    have (often `/`), which can change when the base image changes.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY app.py .
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY app.py .
    ```

    ## References
    - [hadolint DL3045](https://github.com/hadolint/hadolint/wiki/DL3045)
    """

    code = "DL3045"
    name = "copy-relative-without-workdir"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            for instr in stage.instructions:
                if instr.keyword != "COPY":
                    continue
                parts = _sources_dest(instr)
                if parts is None:
                    continue
                dest = parts[1]
                if dest.startswith(("/", "$")) or _WINDOWS_ABS.match(dest):
                    continue
                if not _has_workdir(ctx.model, stage, instr):
                    yield self.finding(ctx, instr, "`COPY` to a relative destination without `WORKDIR` set.")
