"""CD106: chmod/chown in a RUN of files an earlier COPY/ADD added (the files are stored twice)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from codi.parser.model import Instruction
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.cd.cachespec import operands
from codi.rules.cd.commands import ToolCall, tool_calls
from codi.rules.cd.stages import CopyPaths, copy_paths, covers, image_stages, resolve, workdirs
from codi.rules.registry import register

_OCTAL = re.compile(r"^[0-7]{3,4}$")
_OWNER = re.compile(r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$")


def _changes(calls: list[ToolCall], cwd: str) -> list[tuple[ToolCall, str, str]]:
    """(call, mode or owner, absolute target) for each chmod/chown target."""
    out: list[tuple[ToolCall, str, str]] = []
    for call in calls:
        if call.tool == "cd" and operands(call):
            cwd = resolve(operands(call)[0], cwd)
        if call.tool not in ("chmod", "chown"):
            continue
        ops = operands(call)
        if (call.tool == "chmod" and call.has("--reference")) or len(ops) < 2:
            continue
        out += [(call, ops[0], resolve(t, cwd)) for t in ops[1:] if "$" not in t]
    return out


def _single_file(paths: CopyPaths) -> bool:
    """The COPY copies one file (its source names a file, not a folder), as far as the text tells."""
    if len(paths.sources) != 1:
        return False
    source = paths.sources[0]
    return "." in source.rsplit("/", 1)[-1].lstrip(".") and not source.endswith("/")


def _delete_range(ctx: RuleContext, instr: Instruction) -> tuple[int, int]:
    text = ctx.dockerfile.text
    end = instr.span.end
    if text.startswith("\r\n", end):
        end += 2
    elif text.startswith("\n", end):
        end += 1
    return instr.span.start, end


def _fix(
    ctx: RuleContext, copy: Instruction, paths: CopyPaths, run: Instruction, calls: list[ToolCall],
    changes: list[tuple[ToolCall, str, str]], touched_before: bool,
) -> Fix | None:
    """Move the mode/owner into COPY flags and drop the RUN, when that is exactly what the RUN did."""
    tools = [c.tool for c, _, _ in changes]
    if len(calls) != len(changes) or len(set(tools)) != len(tools) or len(paths.sources) != 1:
        return None
    flags: list[str] = []
    safe = True
    for call, value, target in changes:
        if target != paths.dest or copy.flag(call.tool) is not None:
            return None
        if call.tool == "chmod" and not _OCTAL.match(value):
            return None  # symbolic modes (+x) need a newer Dockerfile frontend for --chmod
        if call.tool == "chown" and not _OWNER.match(value):
            return None
        recursive = call.has("-R", "--recursive")
        single_file = _single_file(paths)
        # a recursive change also hits files already under the path, which --chown/--chmod would not
        safe = safe and (single_file or (recursive and not touched_before))
        flags.append(f" --{call.tool}={value}")
    start, end = _delete_range(ctx, run)
    edits = [Edit(copy.keyword_span.end, copy.keyword_span.end, "".join(flags)), Edit(start, end, "")]
    how = Applicability.SAFE if safe else Applicability.DISPLAY
    return Fix(f"use COPY{''.join(flags)} and drop the RUN", how, edits)


def _touched_before(
    copy: Instruction, dest: str, copies: list[tuple[Instruction, CopyPaths]], run_dirs: list[tuple[Instruction, str]]
) -> bool:
    """True if something before ``copy`` may have put files under ``dest``."""
    for other, paths in copies:
        if other is copy:
            break
        if any(covers(dest, p) for p in paths.created):
            return True
    return any(
        covers(dest, cwd) for run, cwd in run_dirs if run.span.start < copy.span.start
    )


@register
class ChmodAfterCopy(Rule):
    """`chmod`/`chown` in a `RUN` of files that a `COPY`/`ADD` just added.

    ## What it does
    In the final image's stages, reports a `RUN` whose `chmod` or `chown` targets a path that an
    earlier `COPY` or `ADD` of the same stage created (its destination, or the copied file inside
    a destination directory), for example `COPY app /app` followed by `RUN chown -R app /app`.
    A non-recursive change of a copied folder (`RUN chown app /app`) is not reported: it rewrites
    the folder's own entry only, not the files in it.

    ## Why is this bad?
    Changing a file's mode or owner rewrites the whole file into the new layer: every copied byte
    is stored twice, once by `COPY` and once by the `RUN`. `COPY --chown=user:group` and
    `COPY --chmod=755` set ownership and mode while copying, in one layer, at no cost.

    ## Example
    ```dockerfile
    FROM node:20-slim
    COPY . /app
    RUN chown -R node:node /app
    COPY entrypoint.sh /usr/local/bin/
    RUN chmod +x /usr/local/bin/entrypoint.sh
    ```

    ## Use instead
    ```dockerfile
    FROM node:20-slim
    COPY --chown=node:node . /app
    COPY --chmod=755 entrypoint.sh /usr/local/bin/
    ```

    ## Fix safety
    When the `RUN` directly follows the `COPY` and does nothing but a recursive `chmod`/`chown`
    (or one on a single copied file) of exactly the copied path with an octal mode or a plain
    owner, the fix moves the mode/owner into `--chmod`/`--chown` and deletes the `RUN`; that is
    safe (same files, same modes). It is offered for display only when a recursive change could
    also reach files that were already under the path (an earlier `COPY` or `RUN` there, or a
    parent stage), which `--chown`/`--chmod` would leave alone. Symbolic modes such as `+x` get no fix
    (`--chmod=+x` needs a recent Dockerfile frontend).

    ## References
    - [Dockerfile reference: COPY --chown --chmod](https://docs.docker.com/reference/dockerfile/#copy---chown---chmod)
    """

    code = "CD106"
    name = "chmod-after-copy"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for stage in image_stages(ctx.model):
            dirs = workdirs(ctx, stage)
            copies: list[tuple[Instruction, CopyPaths]] = []
            # created path -> indexes into copies: a RUN looks up the copies it touches instead of
            # scanning every COPY of the stage (quadratic in a long stage)
            copied_to: dict[str, list[int]] = {}
            run_dirs: list[tuple[Instruction, str]] = []  # (RUN, its working directory)
            previous: Instruction | None = None
            for instr in stage.instructions:
                cwd = dirs.get(id(instr), "/")
                script = ctx.script(instr)
                if instr.keyword in ("COPY", "ADD"):
                    paths = copy_paths(ctx, instr, cwd)
                    if paths is not None:
                        for created in dict.fromkeys(paths.created):
                            copied_to.setdefault(created, []).append(len(copies))
                        copies.append((instr, paths))
                elif script is not None:
                    run_dirs.append((instr, cwd))
                    calls = tool_calls(script)
                    changes = _changes(calls, cwd)
                    candidates = sorted({i for c in changes for i in copied_to.get(c[2], ())}, reverse=True)
                    for copy, paths in (copies[i] for i in candidates):
                        # A non-recursive change of a copied folder touches the folder alone, not its files.
                        # The working directory (`COPY app.py .`) is a folder whatever the source is.
                        folder = not _single_file(paths) or paths.dest == dirs.get(id(copy), "/")
                        hits = [c for c in changes if c[2] in paths.created
                                and not (c[2] == paths.dest and folder and not c[0].has("-R", "--recursive"))]
                        if not hits:
                            continue
                        what = " and ".join(dict.fromkeys(c[0].tool for c in hits))
                        flags = " / ".join(f"--{t}" for t in dict.fromkeys(c[0].tool for c in hits))
                        fix = None
                        if previous is copy:
                            touched = stage.base_stage is not None or _touched_before(copy, paths.dest, copies, run_dirs)
                            fix = _fix(ctx, copy, paths, instr, calls, changes, touched)
                        yield self.finding(
                            ctx, instr,
                            f"{what} of {hits[0][2]} rewrites the files {copy.keyword} added on line "
                            f"{copy.start_line} into a second layer; use {copy.keyword} {flags} instead",
                            fix=fix,
                        )
                        break
                previous = instr
