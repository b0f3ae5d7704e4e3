"""`codi analyze`: find, parse and lint a project's Dockerfile, detect its stack, read its facts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from codi import safefs
from codi.optimise.contract import RuntimeContract, compute_contract
from codi.optimise.estimate import ProjectSizes, context_size
from codi.optimise.facts import OriginalFacts, read_facts, target_stage
from codi.optimise.stack import Detection, detect_stack
from codi.optimise.stack.final import prefer_runtime
from codi.parser import ParseError
from codi.parser.model import Dockerfile
from codi.parser.parse import parse_syntax, validated
from codi.parser.semantic import Model, Stage, build_model
from codi.service.errors import InputError
from codi.service.linting import ProjectLinter, lint_project_file
from codi.service.project import find_dockerfile, project_dir, read_dockerfile
from codi.service.texts import Texts
from codi.telemetry.tracing import span


@dataclass(slots=True)
class Analysis:
    project: Path
    dockerfile_path: Path
    dockerfile_rel: str
    text: str
    dockerfile: Dockerfile
    model: Model
    linter: ProjectLinter
    detection: Detection
    facts: OriginalFacts
    sizes: ProjectSizes
    target: Stage | None = None  # the stage that is built (--target, else the shipping stage)
    contract: RuntimeContract | None = None  # the original's runtime contract
    build_args: dict[str, str] | None = None
    # This run's analysed texts (codi.service.texts), the original's first: each text is parsed once.
    texts: Texts = field(init=False)

    def __post_init__(self) -> None:
        self.texts = Texts(str(self.dockerfile_path))
        self.texts.add(self.dockerfile, self.model, self.build_args)

    @property
    def findings(self) -> list:  # type: ignore[type-arg]
        return self.linter.findings


def _read(project: Path, name: str) -> str | None:
    """A project file's text, or None when it is missing, unreadable, too large, not a regular file or a
    link out of the project (codi.safefs)."""
    try:
        return safefs.read_text(project / name, project, errors="replace")
    except (OSError, ValueError):
        return None


def _dockerignore(project: Path) -> list[str]:
    return (_read(project, ".dockerignore") or "").splitlines()


def project_sizes(project: Path, detection: Detection) -> ProjectSizes:
    sizes = ProjectSizes(context_bytes=context_size(project, _dockerignore(project)))
    pkg = _read(project, "package.json")
    if pkg is not None:
        try:
            data = json.loads(pkg)
            sizes.node_deps = len(data.get("dependencies") or {})
            sizes.node_dev_deps = len(data.get("devDependencies") or {})
        except (ValueError, AttributeError):
            pass
    sizes.python_deps, sizes.python_frozen = python_dependencies(project)
    gosum = _read(project, "go.sum")
    if gosum is not None:
        sizes.go_modules = sum(1 for ln in gosum.splitlines() if "/go.mod " not in ln)
    return sizes


def python_dependencies(project: Path) -> tuple[int | None, bool]:
    """(Python dependencies the project declares, whether they are frozen): requirements.txt, else
    pyproject.toml, else Pipfile; (None, False) when it declares none of these files. Frozen: every
    requirement pinned with ``==`` (``pip freeze`` style), so each line is one installed package and
    the packages it needs are lines of their own."""
    req = project / "requirements.txt"
    try:
        if req.is_file():
            count, pinned = _requirements(req, project.resolve(), set())
            return count, count > 0 and pinned == count
        for name, tables in (("pyproject.toml", ("project", "tool.poetry")), ("Pipfile", ("",))):
            if (project / name).is_file():
                return _toml_dependencies(safefs.read_text(project / name, project, errors="replace"), tables), False
    except (OSError, ValueError):
        return None, False
    return None, False


def _requirements(path: Path, root: Path, seen: set[Path]) -> tuple[int, int]:
    """(requirement lines, those pinned with ==) of a requirements file, following ``-r other.txt`` inside
    the project (each file once)."""
    path = path.resolve()
    if path in seen or not path.is_relative_to(root) or not path.is_file() or len(seen) > 20:
        return 0, 0
    seen.add(path)
    count = pinned = 0
    for line in safefs.read_text(path, root, errors="replace").splitlines():
        words = line.split("#", 1)[0].split()
        if words[:1] in (["-r"], ["--requirement"]) and len(words) > 1:
            more, more_pinned = _requirements(path.parent / words[1], root, seen)
            count, pinned = count + more, pinned + more_pinned
        elif words and not words[0].startswith("-"):
            count += 1
            pinned += "==" in words[0]
    return count, pinned


def _toml_dependencies(text: str, tables: tuple[str, ...]) -> int | None:
    import tomllib

    data = tomllib.loads(text)
    if "" in tables:  # Pipfile
        return len(data.get("packages") or {})
    project = data.get("project") or {}
    if isinstance(project.get("dependencies"), list):
        return len(project["dependencies"])
    poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies")
    if isinstance(poetry, dict):
        return len([k for k in poetry if k.lower() != "python"])
    return None


def analyze(project_path: str | Path, dockerfile: str | None = None, stack_hint: str | None = None,
            config_file: str | None = None, target: str | None = None,
            build_args: dict[str, str] | None = None, context: str | None = None) -> Analysis:
    """``context`` is the build context when it is not the project folder (a Dockerfile in a monorepo
    subfolder built from the repository root): manifests and copied files are looked up there."""
    project = project_dir(project_path)
    path = find_dockerfile(project, dockerfile)
    home = None if dockerfile else project  # a Dockerfile CODI found must stay inside the project
    text = read_dockerfile(path, home)
    if context is not None:
        project = project_dir(context)
    try:
        with span("parse", file=path.name, bytes=len(text)):
            df = validated(parse_syntax(text, str(path)))  # the one parse of the original
    except ParseError as exc:
        if exc.kind == "internal":  # CODI failed, not the file: an internal error (exit 3 / 500), no input error
            raise RuntimeError(str(exc)) from None
        raise InputError(f"{path}:{exc.line}: {exc.message}") from None
    model = build_model(df, build_args or {})
    stage = target_stage(model)
    if target is not None:
        stage = model.stage_by_ref(target)
        if stage is None:
            names = ", ".join(s.name or str(s.index) for s in model.stages) or "none"
            raise InputError(f"{path}: --target {target}: no such stage (stages: {names})")
    with span("lint") as traced:
        linter = lint_project_file(path, config_file, home, df, model)
        traced.set(findings=len(linter.findings))
    try:
        rel = path.relative_to(project).as_posix()
    except ValueError:
        rel = path.as_posix()
    with span("detect", hint=stack_hint):
        detection = detect_stack(project, df, rel, stack_hint)
    facts = read_facts(df, model, stage)
    contract = compute_contract(df, model, stage, project)
    detection = prefer_runtime(detection, contract, model, stage, hinted=stack_hint is not None)
    return Analysis(project, path, rel, text, df, model, linter, detection, facts, project_sizes(project, detection),
                    stage, contract, dict(build_args or {}))
