"""CD101: package-manager caches left in a layer of the final image."""

from __future__ import annotations

from collections.abc import Iterable

from codi.parser.model import Instruction
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.cd.cachespec import (
    SPECS_BY_TOOL,
    CacheSpec,
    cache_mounts,
    cleaned,
    mounted,
    spec_paths,
    triggered,
)
from codi.rules.cd.commands import ToolCall, tool_calls
from codi.rules.cd.stages import image_stages, workdirs
from codi.rules.registry import register

# Managers whose cache an option turns off: (tool, subcommand) -> option.
_OPT_OUT = {("apk", "add"): "--no-cache", ("pip", "install"): "--no-cache-dir"}


def script_end_offset(instr: Instruction, end: int) -> int | None:
    """File offset just after script character ``end - 1`` of a shell-form RUN (None if unknown)."""
    if instr.heredocs or not instr.args or end <= 0:
        return None
    at = instr.rest.find(instr.args[0])
    idx = at + end - 1
    if at < 0 or idx >= len(instr.rest_offsets):
        return None
    return instr.rest_offsets[idx] + 1


def opt_out_fix(instr: Instruction, call: ToolCall, spec: CacheSpec) -> Fix | None:
    """Insert ``--no-cache``/``--no-cache-dir`` after the subcommand."""
    flag = _OPT_OUT.get((spec.tool, call.sub))
    argv, spans = call.command.argv, call.command.word_spans
    if flag is None or call.sub not in argv or len(spans) != len(argv):
        return None
    pos = script_end_offset(instr, spans[argv.index(call.sub)][1])
    if pos is None:
        return None
    return Fix(f"add {flag}", Applicability.SAFE, [Edit(pos, pos, " " + flag)])


@register
class PackageCacheLeft(Rule):
    """Package-manager cache or index left in a layer of the final image.

    ## What it does
    Checks every shell-form `RUN` of the final image (the last stage and the stages it is
    built `FROM`) for package-manager commands that leave a download cache or package index
    behind: apt lists after `apt-get update`, the apk index without `--no-cache`, the yum, dnf,
    microdnf and zypper caches, the pip and uv caches, the npm and yarn caches, the composer
    cache and the RubyGems `.gem` cache of `gem install`/`bundle install`.

    A cache is fine when the same `RUN` removes it (`rm -rf /var/lib/apt/lists/*`,
    `yum clean all`, `npm cache clean --force`, `pip cache purge`, ...), when the command opts out
    (`apk add --no-cache`, `pip install --no-cache-dir`, `PIP_NO_CACHE_DIR=1`,
    `composer --no-cache`, `uv --no-cache`), or when the cache directory is a
    `RUN --mount=type=cache` (or `tmpfs`) mount, which never becomes part of the layer.

    Build stages that the final stage only copies files from are skipped: their caches never
    reach the image (a cache mount there still speeds up rebuilds).

    ## Why is this bad?
    A layer keeps every file that exists when its `RUN` ends. Caches are only useful while
    installing; left behind they add tens to hundreds of megabytes to every pull and every
    node that runs the image. Removing them in a *later* `RUN` does not help (see CD102).

    This generalises hadolint's DL3009, DL3019, DL3032, DL3036, DL3040, DL3042 and DL3060 into
    one check that understands cache mounts and ignores build stages.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends libpq5
    RUN pip install -r requirements.txt
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\
        && rm -rf /var/lib/apt/lists/*
    RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    ```

    ## Fix safety
    For `apk add` and `pip install` the fix adds `--no-cache` / `--no-cache-dir`. It is safe:
    the same packages are installed, only the cache is not written.

    ## References
    - [Docker: best practices, apt-get](https://docs.docker.com/build/building/best-practices/#apt-get)
    - [Docker: cache mounts](https://docs.docker.com/build/cache/optimize/#use-cache-mounts)
    """

    code = "CD101"
    name = "package-cache-left"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for stage in image_stages(ctx.model):
            dirs = workdirs(ctx, stage)
            for instr in stage.instructions:
                script = ctx.script(instr)
                if script is None:
                    continue
                cwd = dirs.get(id(instr), "/")
                env = ctx.model.vars_at(instr)
                calls = tool_calls(script)
                mounts = cache_mounts(instr, cwd)
                reported: set[str] = set()
                for call in calls:
                    for spec in SPECS_BY_TOOL.get(call.tool, ()):
                        if spec.label in reported or not triggered(spec, call, env):
                            continue
                        paths = spec_paths(spec, env, cwd)
                        if mounted(paths, mounts) or cleaned(spec, paths, calls, call.index, cwd):
                            continue
                        reported.add(spec.label)
                        shown = " ".join(w for w in (call.tool.replace("-pip", " pip"), call.sub) if w)
                        yield self.finding(
                            ctx, instr, f"`{shown}` leaves the {spec.label} ({paths[0]}) in this layer; {spec.hint}",
                            fix=opt_out_fix(instr, call, spec),
                        )
