"""CD102: files or packages removed in a later layer than the one that added them."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from codi.parser.model import Instruction
from codi.parser.shell import Script
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.cd.cachespec import (
    SPECS_BY_TOOL,
    cache_mounts,
    cleaned,
    mounted,
    operands,
    spec_paths,
    triggered,
)
from codi.rules.cd.commands import ToolCall, installed_packages, removed_packages, tool_calls
from codi.rules.cd.stages import copy_paths, covers, image_stages, resolve, workdirs
from codi.rules.registry import register


@dataclass(slots=True)
class Added:
    path: str
    instr: Instruction
    what: str  # "COPY", "RUN", "apt package lists", ...


def _add(added: dict[str, Added], new: list[Added]) -> None:
    """Record additions; a path already there keeps its first adder (the one a message names)."""
    for a in new:
        added.setdefault(a.path, a)


def _url_name(url: str) -> str:
    return posixpath.basename(url.split("?", 1)[0].split("#", 1)[0].rstrip("/"))


_CREATES = frozenset({"cd", "curl", "wget", "git", "cp", "mv", "unzip"})  # the tools created_by_run reads


def created_by_run(script: Script, calls: list[ToolCall], cwd: str) -> list[tuple[int, str]]:
    """(command index, absolute path) for files a RUN visibly creates: downloads, clones, copies
    (``mkdir``/``touch`` make empty entries that cost nothing, so they do not count)."""
    out: list[tuple[int, str]] = []
    for call in calls:
        if call.tool not in _CREATES:
            continue
        ops = operands(call)
        if call.tool == "cd" and ops:
            cwd = resolve(ops[0], cwd)
            continue
        paths: list[str] = []
        if call.tool == "curl":
            paths += call.flag_values("-o", "--output")
            if call.has("-O", "--remote-name"):
                paths += [_url_name(u) for u in ops if "://" in u]
        elif call.tool == "wget":
            named = call.flag_values("-O", "--output-document")
            prefix = (call.flag_values("-P", "--directory-prefix") or ["."])[0]
            urls = [u for u in ops if "://" in u and u not in named]
            paths += named or [posixpath.join(prefix, _url_name(u)) for u in urls]
        elif call.tool == "git" and call.sub == "clone":
            rest = call.positional()
            if len(rest) >= 2:
                paths.append(rest[1])
            elif rest:
                paths.append(_url_name(rest[0]).removesuffix(".git"))
        elif call.tool in ("cp", "mv") and len(ops) >= 2:
            paths.append(ops[-1])
        elif call.tool == "unzip":
            paths += call.flag_values("-d")
        out += [(call.index, resolve(p, cwd)) for p in paths if p and "$" not in p and p != "-"]
    return out


@register
class DeletedInLaterLayer(Rule):
    """Files or packages removed in a later layer than the one that added them.

    ## What it does
    Follows the layers of the final image (the last stage and the stages it is built `FROM`)
    and reports a `RUN` that deletes something an earlier instruction of those stages added:
    - `rm` of a file or directory added by an earlier `COPY`/`ADD`, or downloaded, cloned
      or copied by an earlier `RUN` (`curl -o`, `wget`, `git clone`, `cp`, `mv`, `unzip -d`);
    - `rm` of a package-manager cache that an earlier `RUN` filled (`apt-get update` in one
      `RUN`, `rm -rf /var/lib/apt/lists/*` in the next);
    - `apt-get purge/remove`, `apk del` (including an `apk add --virtual` group), `yum/dnf remove`
      of packages installed by an earlier `RUN`.

    A path that the deleting `RUN` itself creates again before removing it is not reported.

    ## Why is this bad?
    Image layers only add: a deletion in a later layer hides the files but every byte of the
    earlier layer is still pulled and stored. The clean-up costs a layer and saves nothing.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    COPY app.tar.gz /tmp/
    RUN tar -xzf /tmp/app.tar.gz -C /opt
    RUN rm /tmp/app.tar.gz
    RUN apt-get update && apt-get install -y gcc
    RUN apt-get purge -y gcc
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm-slim
    RUN --mount=type=bind,source=app.tar.gz,target=/tmp/app.tar.gz tar -xzf /tmp/app.tar.gz -C /opt
    RUN apt-get update && apt-get install -y gcc \\
        && make -C /opt/app && apt-get purge -y gcc && rm -rf /var/lib/apt/lists/*
    ```
    Or build in an earlier stage and `COPY --from` only the result.

    ## References
    - [Docker: image layers](https://docs.docker.com/build/guide/layers/)
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    """

    code = "CD102"
    name = "deleted-in-later-layer"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        # path -> what added it first (and is still there): one entry per path, so a long file that
        # adds the same paths again and again keeps this small (a list of every addition made each
        # `rm` and each RUN scan everything added so far: quadratic in the file's size)
        added: dict[str, Added] = {}
        packages: dict[str, Instruction] = {}
        for stage in image_stages(ctx.model):
            dirs = workdirs(ctx, stage)
            for instr in stage.instructions:
                cwd = dirs.get(id(instr), "/")
                if instr.keyword in ("COPY", "ADD"):
                    cp = copy_paths(ctx, instr, cwd)
                    if cp is not None:
                        _add(added, [Added(p, instr, instr.keyword) for p in cp.created])
                    continue
                script = ctx.script(instr)
                if script is None:
                    continue
                calls = tool_calls(script)
                own = created_by_run(script, calls, cwd)
                problems = self._deletions(calls, own, cwd, added, packages)
                if problems:
                    yield self.finding(
                        ctx, instr,
                        "removes " + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
                        + ": the bytes stay in the earlier layer; remove them in the RUN that adds them, "
                        "or use a build stage",
                    )
                self._record(ctx, instr, calls, own, cwd, added, packages)

    def _deletions(
        self, calls: list[ToolCall], own: list[tuple[int, str]], cwd: str, added: dict[str, Added],
        packages: dict[str, Instruction],
    ) -> list[str]:
        own_installs = {p for c in calls for p in installed_packages(c)} | {
            v for c in calls if c.tool == "apk" for v in c.flag_values("--virtual", "-t")
        }
        problems: list[str] = []
        for call in calls:
            if call.tool == "rm":
                for target in operands(call):
                    if "$" in target:
                        continue
                    t = resolve(target, cwd)
                    if any(covers(t, p) for i, p in own if i < call.index):
                        continue
                    for a in added.values():
                        if covers(t, a.path):
                            shown = a.path if len(a.path) >= len(t.rstrip("/*")) else t  # the narrower one
                            problems.append(f"{shown} (added by {a.what} on line {a.instr.start_line})")
                            break
            for pkg in removed_packages(call):
                if pkg in packages and pkg not in own_installs:
                    problems.append(f"package {pkg} (installed on line {packages[pkg].start_line})")
        return list(dict.fromkeys(problems))

    def _record(
        self, ctx: RuleContext, instr: Instruction, calls: list[ToolCall], own: list[tuple[int, str]], cwd: str,
        added: dict[str, Added], packages: dict[str, Instruction],
    ) -> None:
        gone = [resolve(t, cwd) for c in calls if c.tool == "rm" for t in operands(c) if "$" not in t]
        if gone:
            for path in [p for p in added if any(covers(t, p) for t in gone)]:
                del added[path]
        _add(added, [Added(p, instr, "RUN") for _, p in own])
        env = ctx.model.vars_at(instr)
        mounts = cache_mounts(instr, cwd)
        for call in calls:
            for pkg in installed_packages(call):
                packages[pkg] = instr
            if call.tool == "apk" and call.sub == "add":
                for virtual in call.flag_values("--virtual", "-t"):
                    packages[virtual] = instr
            for pkg in removed_packages(call):
                packages.pop(pkg, None)
            for spec in SPECS_BY_TOOL.get(call.tool, ()):
                if triggered(spec, call, env):
                    paths = spec_paths(spec, env, cwd)
                    if not mounted(paths, mounts) and not cleaned(spec, paths, calls, call.index, cwd):
                        _add(added, [Added(p, instr, f"`{call.tool} {call.sub}`") for p in paths])
