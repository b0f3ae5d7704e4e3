"""Which build-context paths end up where in a stage's image, through COPY/ADD and COPY --from."""

from __future__ import annotations

import posixpath
from pathlib import Path

from codi.optimise.contract.model import ContextCopy
from codi.parser.expand import expand
from codi.parser.model import Instruction
from codi.parser.semantic import Model, Stage


def norm_source(src: str) -> str:
    """A context path as a comparable key: no leading ./ or /, no trailing /, "" for the root."""
    src = posixpath.normpath("/" + src.strip()).lstrip("/")
    return "" if src in {".", ""} else src


def under(path: str, prefix: str) -> str | None:
    """The rest of ``path`` below ``prefix`` ("" when equal), or None when it is not inside it."""
    if prefix in {"", "/"}:
        return path.lstrip("/")
    if path == prefix:
        return ""
    if path.startswith(prefix.rstrip("/") + "/"):
        return path[len(prefix.rstrip("/")) + 1:]
    return None


class StageFiles:
    """Context files and stage outputs per stage, memoised (COPY --from resolves through stages)."""

    def __init__(self, model: Model, project: Path | None) -> None:
        self.model = model
        self.project = project
        self._memo: dict[int, tuple[list[ContextCopy], list[tuple[str, str]]]] = {}

    def context_files(self, stage: Stage) -> list[ContextCopy]:
        return self._of(stage)[0]

    def outputs(self, stage: Stage) -> list[tuple[str, str]]:
        """(image path, what put it there) for copies from other stages or images."""
        return self._of(stage)[1]

    def _of(self, stage: Stage) -> tuple[list[ContextCopy], list[tuple[str, str]]]:
        if stage.index in self._memo:
            return self._memo[stage.index]
        self._memo[stage.index] = ([], [])  # a cycle guard; BuildKit rejects cycles anyway
        files: list[ContextCopy] = []
        outputs: list[tuple[str, str]] = []
        workdir = "/"  # a stage built FROM another keeps its WORKDIR
        for st in self.model.stage_chain(stage):
            for instr in st.instructions:
                env = self.model.vars_at(instr)
                if instr.keyword == "WORKDIR" and instr.args:
                    workdir = posixpath.normpath(posixpath.join(workdir, expand(instr.args[0], env)))
                elif instr.keyword in {"COPY", "ADD"} and not instr.heredocs and len(instr.args) >= 2:
                    self._copy(st, instr, workdir, env, files, outputs)
        self._memo[stage.index] = (files, outputs)
        return files, outputs

    def _copy(self, st: Stage, instr: Instruction, workdir: str, env: dict[str, str | None],
              files: list[ContextCopy], outputs: list[tuple[str, str]]) -> None:
        srcs = [expand(a, env) for a in instr.args[:-1]]
        dest_raw = expand(instr.args[-1], env)
        dest = posixpath.normpath(posixpath.join(workdir, dest_raw))
        into_dir = dest_raw.endswith("/") or len(srcs) > 1 or dest_raw in {".", "./"}
        chown = instr.flag("chown")
        chmod = instr.flag("chmod")
        source_flag = instr.flag("from")
        if source_flag is None or not source_flag.value:
            for src in srcs:
                if instr.keyword == "ADD" and "://" in src:
                    outputs.append((dest, f"ADD {src} (line {instr.start_line})"))
                    continue
                key = norm_source(src)
                target = posixpath.join(dest, posixpath.basename(key)) if into_dir and self._is_file(key) else dest
                files.append(ContextCopy(source=key, dest=target, line=instr.start_line,
                                         chown=chown.value if chown else None, chmod=chmod.value if chmod else None))
            return
        source = self.model.stage_by_ref(source_flag.value, before=st.index)
        if source is None:
            outputs += [(dest, f"COPY --from={source_flag.value} (line {instr.start_line})")]
            return
        inner = self.context_files(source)
        for src in srcs:
            path = posixpath.normpath(posixpath.join("/", src))
            for f in inner:
                below = under(f.dest, path)
                if below is not None:
                    target = posixpath.join(dest, below) if below else (
                        posixpath.join(dest, posixpath.basename(path)) if into_dir else dest)
                    files.append(ContextCopy(source=f.source, dest=target, line=instr.start_line,
                                             chown=chown.value if chown else f.chown,
                                             chmod=chmod.value if chmod else f.chmod, via=source_flag.value))
                    continue
                above = under(path, f.dest)
                if above is not None:
                    files.append(ContextCopy(source=norm_source(posixpath.join(f.source, above)), dest=dest,
                                             line=instr.start_line, chown=chown.value if chown else f.chown,
                                             chmod=chmod.value if chmod else f.chmod, via=source_flag.value))
            target = posixpath.join(dest, posixpath.basename(path)) if into_dir else dest
            outputs.append((target, f"COPY --from={source_flag.value} {src} (line {instr.start_line})"))

    def _is_file(self, key: str) -> bool:
        """A context path that is a file (checked in the project, else guessed from a file name)."""
        if not key or any(ch in key for ch in "*?["):
            return bool(key) and "." in posixpath.basename(key)[1:]
        if self.project is not None:
            path = self.project / key
            if path.is_file():
                return True
            if path.is_dir():
                return False
        return "." in posixpath.basename(key)[1:]


def covers(outer: ContextCopy, inner: ContextCopy) -> bool:
    """``outer`` puts ``inner``'s source at ``inner``'s destination (same copy, or a parent copy)."""
    rest = under(inner.source, outer.source) if outer.source != inner.source else ""
    if rest is None:
        return False
    expected = posixpath.join(outer.dest, rest) if rest else outer.dest
    return posixpath.normpath(expected) == posixpath.normpath(inner.dest)
