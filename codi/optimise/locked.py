"""What ``poetry install`` and ``uv sync`` read from the build context (for ``codi.optimise.reorder``).

Both read pyproject.toml and their lockfile, and install the project itself too unless told not to
(``--no-root``, ``--no-install-project``, or a project that is no package): that install needs the
sources, so it is refused. So are path and workspace dependencies, which are other folders of the project.
"""

from __future__ import annotations

import tomllib
from typing import Any

from codi.optimise.manifests import Context, Needs
from codi.rules.cd.commands import ToolCall

# tool -> (its lockfile, settings files it reads from the project when present)
_FILES = {"poetry": ("poetry.lock", ("poetry.toml",)), "uv": ("uv.lock", ("uv.toml", ".python-version"))}


def locked_needs(ctx: Context, call: ToolCall) -> Needs | None:
    """The files ``poetry install``/``uv sync`` reads; None for another command."""
    if (call.tool, call.sub) not in {("poetry", "install"), ("uv", "sync")}:
        return None
    needs = Needs()
    lock, settings = _FILES[call.tool]
    for rel in ("pyproject.toml", lock):
        if (why := ctx.usable(rel)) is not None:
            needs.why_not = why
            return needs
    try:
        project: dict[str, Any] = tomllib.loads(ctx.read("pyproject.toml"))
    except (OSError, ValueError) as exc:
        needs.why_not = f"pyproject.toml cannot be read: {exc}"
        return needs
    needs.why_not = _poetry(project, call) if call.tool == "poetry" else _uv(project, call)
    if needs.why_not is None:
        needs.why_not = _local_project_dependency(project)
    if needs.why_not is not None:
        return needs
    needs.files = ["pyproject.toml", lock] + [f for f in settings if ctx.exists(f)]
    for rel in needs.files[2:]:
        if (why := ctx.usable(rel)) is not None:
            needs.why_not = why
            return needs
    if ctx.exists(".venv"):
        needs.why_not = ("the project's .venv folder is in the build context: the whole-context copy would put it "
                         "over an environment made in the project folder (list .venv in .dockerignore)")
    elif call.tool == "uv" and not (ctx.ignore is not None and ctx.ignore.excluded(".venv")):
        needs.notes.append("the project has no .venv folder now: keep one out of the build context "
                           "(.dockerignore), or the whole-context copy puts it over the environment uv made")
    if not call.has("--frozen", "--locked", "--no-update") and call.tool == "uv":
        needs.notes.append("a uv.lock the install rewrites is the project's again after the whole-context copy "
                           "(the installed packages are the same)")
    return needs


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def _poetry(project: dict[str, Any], call: ToolCall) -> str | None:
    poetry = _table(project, "tool", "poetry")
    if call.has("--only-root"):
        return "`--only-root` installs the project itself"
    if not call.has("--no-root") and poetry.get("package-mode") is not False:
        return "poetry installs the project itself too (it needs the sources): add --no-root"
    tables = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    tables += [_table(group, "dependencies") for group in _table(poetry, "group").values() if isinstance(group, dict)]
    for deps in tables:
        for name, spec in deps.items():
            for one in spec if isinstance(spec, list) else [spec]:
                if isinstance(one, dict) and "path" in one:
                    return f"the dependency {name} is a path in the project ({one['path']})"
    return None


def _uv(project: dict[str, Any], call: ToolCall) -> str | None:
    uv = _table(project, "tool", "uv")
    if "workspace" in uv:
        return "a uv workspace installs its members from their folders"
    if not call.has("--no-install-project") and uv.get("package") is not False:
        return "uv installs the project itself too (it needs the sources): add --no-install-project"
    if call.has("--no-install-workspace", "--package", "--all-packages"):
        return "it installs workspace members"
    for name, source in _table(uv, "sources").items():
        for one in source if isinstance(source, list) else [source]:
            if isinstance(one, dict) and ("path" in one or "workspace" in one):
                return f"the dependency {name} comes from the project ({'path' if 'path' in one else 'workspace'})"
    return None


def _local_project_dependency(project: dict[str, Any]) -> str | None:
    """A PEP 621 dependency that names a local file (``x @ file:///...``)."""
    declared = _table(project, "project")
    specs = list(declared.get("dependencies") or [])
    for extra in _table(declared, "optional-dependencies").values():
        specs += list(extra or [])
    for group in _table(project, "dependency-groups").values():
        specs += [s for s in group or [] if isinstance(s, str)]
    for spec in specs:
        if isinstance(spec, str) and "file:" in spec.lower():
            return f"the dependency `{spec}` is a local file"
    return None
