"""Which groups of a manifest an install installs: its scope (issue 24: part of the dependency contract).

Two installs of the same lockfile ship different packages when one leaves devDependencies (or a Poetry
group, an extra) out. The scope is a sorted list of tokens, compared as a whole:
- npm/yarn/pnpm from package.json: ``prod``, ``dev``, ``optional``, ``peer`` (the dependency kinds);
- poetry: ``group:NAME`` (``group:main`` the main dependencies), ``extra:NAME``, ``extras:all``;
- uv sync: ``project`` (the project's own dependencies), ``group:NAME``, ``extra:NAME``, ``extras:all``;
- pipenv: ``category:packages``, ``category:dev-packages`` (or the ``--categories`` named);
- pip installing the project (``pip install .[a,b]``): ``extra:NAME``.
The tools' documented defaults: npm installs every kind unless NODE_ENV=production (then dev is omitted;
an explicit ``--omit`` replaces that default, ``--include`` wins over ``--omit``); yarn v1 and pnpm skip
devDependencies with ``--production``/``--prod`` or NODE_ENV=production; Poetry installs the main
dependencies and every non-optional group; uv sync the project and its default groups (``dev``, or
``[tool.uv] default-groups``); pipenv ``[packages]`` only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codi.rules.cd.commands import ToolCall

NODE_KINDS = {"npm": ("prod", "dev", "optional", "peer"), "yarn": ("prod", "dev", "optional"),
              "pnpm": ("prod", "dev", "optional")}
KIND_NAMES = {"prod": "dependencies", "dev": "devDependencies", "optional": "optionalDependencies",
              "peer": "peerDependencies"}


@dataclass(slots=True)
class PyGroups:
    """What pyproject.toml declares: Poetry groups (non-optional, optional), uv's groups and defaults, extras."""

    poetry_default: set[str] = field(default_factory=lambda: {"dev"})
    poetry_optional: set[str] = field(default_factory=set)
    uv_groups: set[str] = field(default_factory=lambda: {"dev"})
    uv_default: set[str] = field(default_factory=lambda: {"dev"})
    extras: set[str] | None = None  # None: not known (``extras:all`` stands for them)


def py_groups(project: Path | None) -> PyGroups:
    """The groups of ``project``'s pyproject.toml; without one, Poetry's and uv's usual ``dev`` group."""
    from codi import safefs

    if project is None:
        return PyGroups()
    try:
        data = tomllib.loads(safefs.read_text(project / "pyproject.toml", project, errors="strict"))
    except (OSError, ValueError):
        return PyGroups()
    tool = _table(data, "tool")
    poetry, uv = _table(tool, "poetry"), _table(tool, "uv")
    out = PyGroups(poetry_default=set(), uv_groups=set(), uv_default=set(), extras=set())
    for name, group in _table(poetry, "group").items():
        optional = isinstance(group, dict) and group.get("optional") is True
        (out.poetry_optional if optional else out.poetry_default).add(str(name))
    if poetry.get("dev-dependencies"):
        out.poetry_default.add("dev")
    out.uv_groups = {str(g) for g in _table(data, "dependency-groups")}
    if uv.get("dev-dependencies"):
        out.uv_groups.add("dev")
    default = uv.get("default-groups", ["dev"])
    out.uv_default = set(out.uv_groups) if default == "all" else {
        str(g) for g in (default if isinstance(default, list) else []) if g in out.uv_groups}
    out.extras = set(_table(_table(data, "project"), "optional-dependencies")) | set(_table(poetry, "extras"))
    return out


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _words(values: list[str]) -> list[str]:
    """Flag values as names: ``--without dev,test`` and ``-E "a b"`` name several."""
    return [w for v in values for w in re.split(r"[,\s]+", v) if w]


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _bool_flag(call: ToolCall, *names: str) -> bool | None:
    """``--production`` -> True, ``--production=false`` -> False, absent -> None."""
    for w in call.rest:
        for n in names:
            if w == n:
                return True
            if w.startswith(n + "="):
                return w.split("=", 1)[1].lower() not in {"false", "0", "no"}
    return None


def node_omitted(call: ToolCall, env: Mapping[str, str | None]) -> set[str]:
    """The dependency kinds an npm/yarn/pnpm install (or prune) leaves out under ``env``."""
    env = {**env, **call.prefix_env()}
    production_env = (env.get("NODE_ENV") or "").strip().lower() == "production"
    if call.tool == "npm":
        omit = set(_words(call.flag_values("--omit")) or _words([env.get("npm_config_omit")
                                                                 or env.get("NPM_CONFIG_OMIT") or ""]))
        production = _bool_flag(call, "--production")
        if production is None and _truthy(env.get("npm_config_production") or env.get("NPM_CONFIG_PRODUCTION")):
            production = True
        if production or any(v in {"prod", "production"} for v in call.flag_values("--only")):
            omit.add("dev")
        if not omit and production is None and production_env:
            omit.add("dev")  # the documented default of --omit under NODE_ENV=production
        include = set(_words(call.flag_values("--include")))
        if production is False or call.has("--dev") or set(call.flag_values("--also")) & {"dev", "development"}:
            include.add("dev")
        return omit - include
    omit = set()
    if call.tool == "yarn":
        production = _bool_flag(call, "--production", "--prod")
        if production or (production is None and production_env):
            omit.add("dev")
        if call.has("--ignore-optional"):
            omit.add("optional")
    elif call.tool == "pnpm":
        if call.has("--prod", "-P") or (production_env and not call.has("--dev", "-D")):
            omit.add("dev")
        if call.has("--dev", "-D"):
            omit |= {"prod", "optional"}
        if call.has("--no-optional"):
            omit.add("optional")
    return omit


def node_scope(call: ToolCall, env: Mapping[str, str | None]) -> list[str]:
    return sorted(set(NODE_KINDS[call.tool]) - node_omitted(call, env))


def poetry_scope(call: ToolCall, groups: PyGroups) -> list[str]:
    if call.has("--only-root"):
        chosen: set[str] = set()
    elif call.flag_values("--only"):
        chosen = set(_words(call.flag_values("--only")))
    else:
        chosen = {"main"} | groups.poetry_default | set(_words(call.flag_values("--with")))
        chosen -= set(_words(call.flag_values("--without")))
        if call.has("--no-dev"):  # Poetry before 1.2
            chosen.discard("dev")
    out = {f"group:{g}" for g in chosen}
    return sorted(out | _extras(call, groups, "-E", "--extras"))


def uv_scope(call: ToolCall, env: Mapping[str, str | None], groups: PyGroups) -> list[str]:
    env = {**env, **call.prefix_env()}
    named = set(_words(call.flag_values("--group")))
    only = set(_words(call.flag_values("--only-group")))
    if call.has("--only-dev"):
        chosen, project = {"dev"}, False
    elif only:
        chosen, project = only, False
    else:
        project = True
        default = set() if call.has("--no-default-groups") or _truthy(env.get("UV_NO_DEFAULT_GROUPS")) \
            else set(groups.uv_default)
        chosen = default | named | (set(groups.uv_groups) if call.has("--all-groups") else set())
        if call.has("--dev") or _truthy(env.get("UV_DEV")):
            chosen.add("dev")
        if call.has("--no-dev") or _truthy(env.get("UV_NO_DEV")):
            chosen.discard("dev")
        chosen -= set(_words(call.flag_values("--no-group")))  # an exclusion wins over an inclusion
    out = {f"group:{g}" for g in chosen} | ({"project"} if project else set())
    extras = _extras(call, groups, "--extra", "--extra") - {f"extra:{e}" for e in _words(call.flag_values("--no-extra"))}
    return sorted(out | extras)


def _extras(call: ToolCall, groups: PyGroups, short: str, long: str) -> set[str]:
    if call.has("--all-extras"):
        return {"extras:all"} if groups.extras is None else {f"extra:{e}" for e in groups.extras}
    return {f"extra:{e}" for e in _words(call.flag_values(short, long))}


def pipenv_scope(call: ToolCall) -> list[str]:
    categories = set(_words(call.flag_values("--categories")))
    if not categories:
        categories = {"packages"} | ({"dev-packages"} if call.has("--dev", "-d") else set())
    return sorted(f"category:{c}" for c in categories)


def pip_extras(target: str) -> list[str]:
    """``.[a,b]`` -> ``["extra:a", "extra:b"]``: the extras a local install adds to the project's dependencies."""
    m = re.search(r"\[([^\]]*)\]", target)
    return sorted({f"extra:{e.strip().lower()}" for e in m.group(1).split(",") if e.strip()}) if m else []


def describe(manager: str, scope: list[str]) -> str:
    """The scope in words: ``dependencies, devDependencies and optionalDependencies``."""
    if manager in NODE_KINDS:
        words = [KIND_NAMES[k] for k in KIND_NAMES if k in scope]
    else:
        words = [s.replace("group:", "group ").replace("extra:", "extra ").replace("extras:all", "all extras")
                 .replace("category:", "").replace("project", "the project's dependencies") for s in scope]
    if not words:
        return "no dependency group"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
