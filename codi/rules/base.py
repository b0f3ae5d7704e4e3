"""What every rule is made of: severities, findings, fixes, the rule class and its context."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from codi.parser.model import Dockerfile, Instruction, Span
from codi.parser.semantic import Model, Stage
from codi.parser.shell import Script, parse_script

T = TypeVar("T")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    STYLE = "style"

    @property
    def rank(self) -> int:
        """Higher is more severe (error 3 ... style 0)."""
        return {"error": 3, "warning": 2, "info": 1, "style": 0}[self.value]


class Applicability(StrEnum):
    SAFE = "safe"  # image files and runtime behaviour unchanged apart from caches/metadata
    UNSAFE = "unsafe"  # changes behaviour in a way most users want
    DISPLAY = "display"  # shown, never applied


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``Dockerfile.text[start:end]`` with ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(slots=True)
class Fix:
    description: str
    applicability: Applicability
    edits: list[Edit]


@dataclass(slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: Fix | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None and self.fix.applicability is not Applicability.DISPLAY

    def payload(self) -> dict[str, object]:
        """The one JSON shape of a finding (`--format json`, run artefacts, the API), in a fixed key order."""
        return {"file": self.file, "line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column, "code": self.code, "name": self.name, "level": self.severity.value,
                "message": self.message, "fixable": self.fixable}


@dataclass(slots=True)
class RuleConfig:
    """Per-run settings a rule may read (from .codi.toml / .hadolint.yaml / flags)."""

    trusted_registries: list[str] = field(default_factory=list)
    label_schema: dict[str, str] = field(default_factory=dict)  # label -> type (text, url, email, ...)
    strict_labels: bool = False
    allowed_base_images: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RuleContext:
    """Everything a rule may look at for one file."""

    path: str
    dockerfile: Dockerfile
    model: Model
    config: RuleConfig = field(default_factory=RuleConfig)
    context_dir: Path | None = None  # build context (the file's folder) when linting real files
    build_args: Mapping[str, str] = field(default_factory=dict)  # `--build-arg` values (also in ``model``)
    _scripts: dict[int, Script] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per file: what several rules (or one rule per instruction) need."""
        if key not in self._memo:
            self._memo[key] = compute()
        found: T = self._memo[key]
        return found

    def per_stage(self, key: str, own: Callable[[Stage, T | None], T]) -> list[T]:
        """For each stage (by index): ``own(stage, value of the stage it is built FROM, or None)``, in
        one pass over the stages (a FROM names only earlier stages), cached per file. What a stage
        inherits through ``FROM <stage>`` costs one step per stage, never a walk up its chain (a
        file of 10,000 chained stages would make those walks quadratic)."""

        def compute() -> list[T]:
            values: list[T] = []
            for stage in self.model.stages:
                parent = stage.base_stage
                values.append(own(stage, values[parent] if parent is not None and parent < len(values) else None))
            return values

        return self.memo(key, compute)

    def script(self, instr: Instruction) -> Script | None:
        """Parsed shell commands of a shell-form RUN (heredoc bodies included); None for exec form."""
        if instr.keyword != "RUN" or instr.json_form:
            return None
        key = id(instr)
        if key not in self._scripts:
            self._scripts[key] = parse_script(run_script_text(instr))
        return self._scripts[key]

    def runs(self) -> Iterator[tuple[Stage | None, Instruction, Script]]:
        """Every shell-form RUN (ONBUILD RUN excluded) with its stage and parsed script."""
        for instr in self.dockerfile.instructions:
            script = self.script(instr)
            if script is not None:
                yield self.model.stage_of(instr), instr, script

    def instructions(self, *keywords: str) -> Iterator[Instruction]:
        for instr in self.dockerfile.instructions:
            if not keywords or instr.keyword in keywords:
                yield instr


_SHELLS = ("sh", "bash", "dash", "ash", "zsh", "ksh", "busybox")


def run_script_text(instr: Instruction) -> str:
    """The shell script a shell-form RUN executes, heredocs included, as BuildKit runs it.

    ``RUN <<EOF`` alone runs the heredoc's body as the script (unless its shebang names a
    non-shell program, then there is no shell script to read); otherwise the heredoc bodies are
    stdin/files of the command line, written back in shell heredoc syntax so the reader skips them.
    """
    line = instr.args[0] if instr.args else ""
    if not instr.heredocs:
        return line
    words = line.split()
    markers = [w for w in words if w.lstrip("0123456789").startswith("<<")]
    program = [w for w in words if w not in markers]
    # `RUN <<EOF` and `RUN bash -e <<EOF`: the heredoc body is the shell script itself.
    body_is_script = not program or (
        program[0].rsplit("/", 1)[-1] in _SHELLS and all(w.startswith("-") for w in program[1:]))
    if len(markers) == len(instr.heredocs) and body_is_script:
        body = instr.heredocs[0].content
        if body.startswith("#!"):
            program = body[2:].split("\n", 1)[0].split()
            name = program[-1] if program and program[0].endswith("/env") else (program[0] if program else "")
            if name.rsplit("/", 1)[-1] not in _SHELLS:
                return ""
        return body
    return line + "\n" + "".join(h.content + h.name + "\n" for h in instr.heredocs)


class Rule:
    """Base class: subclass, set the class attributes, write a docstring, implement ``check``.

    The docstring is the rule's documentation, in sections: What it does / Why is this bad? /
    Example / Use instead / Fix safety (if fixable) / References.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    enabled_by_default: ClassVar[bool] = True
    fix_applicability: ClassVar[Applicability | None] = None

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        raise NotImplementedError(f"{type(self).__name__}.check")

    @classmethod
    def summary(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        return doc.strip().splitlines()[0] if doc.strip() else cls.name

    @classmethod
    def docs(cls) -> str:
        return inspect.getdoc(cls) or ""

    def finding(
        self,
        ctx: RuleContext,
        at: Instruction | Span,
        message: str,
        fix: Fix | None = None,
    ) -> Finding:
        span = at.span if isinstance(at, Instruction) else at
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            file=ctx.path,
            line=span.start_line,
            column=span.start_col,
            end_line=span.end_line,
            end_column=span.end_col,
            fix=fix,
        )


class BatchRule(Rule):
    """A rule that checks many files at once (ShellCheck: one process per lint run).

    ``code`` is a family prefix (``SC``); findings carry their own codes.
    """

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        return self.check_batch([ctx])

    def check_batch(self, ctxs: list[RuleContext]) -> list[Finding]:
        raise NotImplementedError(f"{type(self).__name__}.check_batch")
