"""Python projects: pyproject (PEP 621, poetry), uv, pipenv, requirements, frameworks, entrypoints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codi.optimise.stack.files import line_of, read_text, read_toml
from codi.optimise.stack.model import Entrypoint, Evidence, Framework, StackMatch

FRAMEWORKS = [("django", "Django"), ("fastapi", "FastAPI"), ("flask", "Flask"), ("starlette", "Starlette"),
              ("aiohttp", "aiohttp"), ("tornado", "Tornado"), ("streamlit", "Streamlit")]
SERVERS = ("gunicorn", "uvicorn", "hypercorn", "waitress")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_APP_ASSIGN = re.compile(r"^(\w+)\s*=\s*(FastAPI|Flask|Starlette)\(", re.M)


def _requirement_names(lines: list[str]) -> dict[str, int]:
    names: dict[str, int] = {}
    for i, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = _REQ_NAME.match(line)
        if m:
            names.setdefault(m.group(1).lower().replace("_", "-"), i)
    return names


def detect(project: Path) -> StackMatch | None:
    match = StackMatch(stack="python", package_manager=None)
    deps: dict[str, tuple[str, int | None]] = {}  # name -> (file, line)
    pyproject = read_toml(project / "pyproject.toml")
    pyproject_text = read_text(project / "pyproject.toml")
    if pyproject is not None:
        match.add(0.5, Evidence(file="pyproject.toml", line=1, matched="pyproject.toml"))
        match.manifests.append("pyproject.toml")
        project_table = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else {}
        for dep in project_table.get("dependencies", []) if isinstance(project_table, dict) else []:
            m = _REQ_NAME.match(str(dep))
            if m:
                deps[m.group(1).lower()] = ("pyproject.toml", line_of(pyproject_text, str(dep)))
        poetry = pyproject.get("tool", {}).get("poetry") if isinstance(pyproject.get("tool"), dict) else None
        if isinstance(poetry, dict):
            match.package_manager = "poetry"
            match.evidence.append(Evidence(file="pyproject.toml", line=line_of(pyproject_text, "[tool.poetry"),
                                           matched="[tool.poetry]"))
            for name in (poetry.get("dependencies") or {}):
                if name.lower() != "python":
                    deps[name.lower()] = ("pyproject.toml", line_of(pyproject_text, name))
        if isinstance(project_table, dict) and isinstance(project_table.get("requires-python"), str):
            match.runtime_version = project_table["requires-python"]
    for lock, manager in (("poetry.lock", "poetry"), ("uv.lock", "uv"), ("Pipfile.lock", "pipenv"), ("Pipfile", "pipenv")):
        if (project / lock).is_file():
            match.package_manager = manager
            match.manifests.append(lock)
            match.add(0.2 if lock.endswith("lock") else 0.4, Evidence(file=lock, matched=f"{manager} {lock}"))
            break
    for req in ("requirements.txt", "requirements/base.txt", "requirements/prod.txt", "requirements/production.txt"):
        text = read_text(project / req)
        if text is None:
            continue
        match.manifests.append(req)
        match.package_manager = match.package_manager or "pip"
        match.add(0.5, Evidence(file=req, line=1, matched=req))
        for name, line in _requirement_names(text.splitlines()).items():
            deps.setdefault(name, (req, line))
        break
    for extra in ("setup.py", "setup.cfg", "manage.py"):
        if (project / extra).is_file():
            match.add(0.3, Evidence(file=extra, matched=extra))
    if not match.evidence:
        return None
    match.package_manager = match.package_manager or "pip"
    for dep, framework in FRAMEWORKS:
        if dep in deps:
            file, line = deps[dep]
            match.frameworks.append(Framework(name=framework, evidence=Evidence(file=file, line=line, matched=dep)))
    if (project / ".python-version").is_file():
        version = (read_text(project / ".python-version") or "").strip().splitlines()
        if version:
            match.runtime_version = version[0]
    match.entrypoint = _entrypoint(project, pyproject, pyproject_text, deps, match)
    return match


def _entrypoint(project: Path, pyproject: dict[str, Any] | None, text: str | None,
                deps: dict[str, tuple[str, int | None]], match: StackMatch) -> Entrypoint | None:
    frameworks = {f.name for f in match.frameworks}
    if "Django" in frameworks and (project / "manage.py").is_file():
        wsgi = sorted(project.glob("*/wsgi.py"))
        if wsgi and "gunicorn" in deps:
            module = f"{wsgi[0].parent.name}.wsgi"
            return Entrypoint(argv=["gunicorn", "--bind", "0.0.0.0:8000", module], derived=True,
                              source="Django wsgi module + gunicorn dependency",
                              evidence=Evidence(file=f"{wsgi[0].parent.name}/wsgi.py", matched=module))
        return None  # runserver is a dev server: keep what the project had
    scripts = (pyproject or {}).get("project", {}).get("scripts") if isinstance((pyproject or {}).get("project"), dict) else None
    if isinstance(scripts, dict) and scripts:
        name = next(iter(scripts))
        target = str(scripts[name])
        package = target.split(":", 1)[0].split(".", 1)[0]
        ev = Evidence(file="pyproject.toml", line=line_of(text, f"{name} ="), matched=f"{name} = {target}")
        for folder in (project / package, project / "src" / package):
            if (folder / "__main__.py").is_file():
                # `python -m` runs the same package without installing the project (no build backend needed)
                return Entrypoint(argv=["python", "-m", package], derived=True,
                                  source="pyproject [project.scripts] package with __main__.py", evidence=ev)
        return Entrypoint(argv=[name], derived=True, source="pyproject [project.scripts]", evidence=ev)
    for candidate in ("main.py", "app.py", "server.py", "wsgi.py", "run.py", "src/main.py", "app/main.py"):
        source = read_text(project / candidate, project)
        if source is None:
            continue
        module = candidate[:-3].replace("/", ".")
        assign = _APP_ASSIGN.search(source)
        if assign and assign.group(2) in {"FastAPI", "Starlette"} and "uvicorn" in deps:
            target = f"{module}:{assign.group(1)}"
            return Entrypoint(argv=["uvicorn", target, "--host", "0.0.0.0", "--port", "8000"], derived=True,
                              source=f"{assign.group(2)} app object in {candidate}",
                              evidence=Evidence(file=candidate, line=line_of(source, assign.group(0)), matched=assign.group(0)))
        if assign and assign.group(2) == "Flask" and "gunicorn" in deps:
            target = f"{module}:{assign.group(1)}"
            return Entrypoint(argv=["gunicorn", "--bind", "0.0.0.0:8000", target], derived=True,
                              source=f"Flask app object in {candidate}",
                              evidence=Evidence(file=candidate, line=line_of(source, assign.group(0)), matched=assign.group(0)))
        if "__main__" in source:
            return Entrypoint(argv=["python", candidate], derived=True, source=f"{candidate} has a __main__ block",
                              evidence=Evidence(file=candidate, line=line_of(source, "__main__"), matched="if __name__ == \"__main__\""))
    for pkg_main in sorted(project.glob("*/__main__.py")) + sorted(project.glob("src/*/__main__.py")):
        return Entrypoint(argv=["python", "-m", pkg_main.parent.name], derived=True, source="package __main__",
                          evidence=Evidence(file=pkg_main.relative_to(project).as_posix(), matched="__main__.py"))
    return None
