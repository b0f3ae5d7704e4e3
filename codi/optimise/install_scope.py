"""The install options a catalog template writes so that it installs the original's scope (issue 24).

A template installs the same groups of the manifest as the original (its contract's dependency scope,
codi.optimise.contract.scope), except devDependencies where ``drop_dev`` says CODI established that the
command needs none of them (codi.optimise.node_dev); the catalog declares that change. An original that
installs no such source (or does not ship its node_modules) gets the template's usual production scope (the contract check then reports the
new source anyway).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codi.optimise.contract.model import DependencySource, RuntimeContract
from codi.optimise.contract.scope import NODE_KINDS, PyGroups, py_groups


def source(contract: RuntimeContract, manager: str, file: str) -> DependencySource | None:
    return next((d for d in contract.dependencies if d.manager == manager and d.source == file), None)


def scope_values(contract: RuntimeContract, pm: str | None, pinned: dict[str, dict[str, str]],
                 project: Path | None, drop_dev: bool) -> dict[str, Any]:
    """Template values: ``node_install`` / ``node_build_install`` (options of the deps and build installs),
    ``prune_dev`` (the build stage removes devDependencies after the build), ``poetry``, ``uv``."""
    out: dict[str, Any] = {}
    node = pm if pm in NODE_KINDS else "npm"
    kinds = NODE_KINDS[node]
    src = source(contract, node, "package.json")
    target = set(src.scope) if src is not None and src.shipped else set(kinds) - {"dev"}
    if drop_dev:
        target.discard("dev")
    omit = [k for k in kinds if k not in target]
    out["node_install"] = _node_flags(node, omit, target)
    out["node_build_install"] = _node_flags(node, [k for k in omit if k != "dev"], target | {"dev"})
    out["prune_dev"] = "dev" in omit
    groups = py_groups(project) if any(d.manager in {"poetry", "uv"} for d in contract.dependencies) else PyGroups()
    out["poetry"] = _poetry(source(contract, "poetry", "poetry.lock"), pinned, groups)
    out["uv"] = _uv(source(contract, "uv", "uv.lock"), groups)
    return out


def _node_flags(pm: str, omit: list[str], target: set[str]) -> str:
    if pm == "npm":
        return "".join(f" --omit={k}" for k in omit)
    flags = []
    if pm == "pnpm" and "prod" not in target and "dev" in target:
        flags.append("--dev")
    elif "dev" in omit:
        flags.append("--production" if pm == "yarn" else "--prod")
    if "optional" in omit:
        flags.append("--ignore-optional" if pm == "yarn" else "--no-optional")
    return "".join(f" {f}" for f in flags)


def _poetry(src: DependencySource | None, pinned: dict[str, dict[str, str]], groups: PyGroups) -> str:
    """`poetry install` options: the original's groups and extras (main only where it installs no poetry.lock)."""
    spec = pinned.get("pip", {}).get("poetry", "")
    m = re.search(r"==\s*(\d+)\.(\d+)", spec)
    old = bool(m and (int(m.group(1)), int(m.group(2))) < (1, 2))  # before 1.2: --no-dev, no groups
    main_only = " --no-dev" if old else " --only main"
    if src is None:
        return main_only
    chosen = {s.split(":", 1)[1] for s in src.scope if s.startswith("group:")}
    if chosen == {"main"}:
        flags = main_only
    elif chosen == {"main"} | groups.poetry_default:
        flags = ""
    else:
        flags = f" --only {','.join(sorted(chosen))}"
    if "extras:all" in src.scope:
        flags += " --all-extras"
    flags += "".join(f" -E {s.split(':', 1)[1]}" for s in src.scope if s.startswith("extra:"))
    return flags


def _uv(src: DependencySource | None, groups: PyGroups) -> str:
    """`uv sync` options: the original's groups and extras (no dev group where it installs no uv.lock)."""
    if src is None:
        return " --no-dev"
    chosen = {s.split(":", 1)[1] for s in src.scope if s.startswith("group:")}
    if "project" not in src.scope:
        flags = "".join(f" --only-group {g}" for g in sorted(chosen))
    elif chosen == groups.uv_default:
        flags = ""
    elif chosen == groups.uv_default - {"dev"}:
        flags = " --no-dev"
    else:
        flags = " --no-default-groups" + "".join(f" --group {g}" for g in sorted(chosen))
    if "extras:all" in src.scope:
        flags += " --all-extras"
    flags += "".join(f" --extra {s.split(':', 1)[1]}" for s in src.scope if s.startswith("extra:"))
    return flags
