"""The versioned candidate catalog (patterns/rules.yml): models, loading with line-numbered errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from codi.optimise.contract.model import DeclaredChange

DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "patterns" / "rules.yml"


class CatalogError(Exception):
    """A catalog that cannot be used; ``str()`` is ``file:line: message``."""


class Predicate(BaseModel):
    """Conditions on the detected stack; all given ones must hold."""

    model_config = {"extra": "forbid"}

    stack: str
    package_managers: list[str] | None = None
    frameworks_any: list[str] | None = None
    frameworks_none: list[str] | None = None
    requires: list[Literal["entrypoint", "build_output", "build_target"]] = Field(default_factory=list)
    files_exist: list[str] = Field(default_factory=list)
    base_any: list[str] | None = None  # a word of the original's final base image, e.g. "alpine"


class CatalogRule(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Literal["multi-stage", "variant"]
    title: str
    description: str
    risk: Literal["low", "medium", "high"]
    specificity: int = Field(ge=0)
    when: Predicate
    template: str
    runtime_base: str  # Jinja string: the final stage's base image (size estimates, reports)
    build_base: str | None = None  # Jinja string: the build stage's base image, where the template uses one
    # Runtime-contract changes the candidate makes on purpose; any other difference rejects it.
    changes: list[DeclaredChange] = Field(default_factory=list)


class Catalog(BaseModel):
    model_config = {"extra": "forbid"}

    schema_version: Literal[1]
    ruleset_version: str
    rules: list[CatalogRule]
    path: str = Field(default="", exclude=True)

    def template_dir(self) -> Path:
        return Path(self.path).parent


def catalog_path(explicit: str | Path | None = None) -> Path:
    """``--rules`` wins, then ``RULES_PATH``, then the active installed rules bundle, then the shipped catalog."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("RULES_PATH")
    if env:
        return Path(env)
    from codi.config.paths import active_rules_file

    return active_rules_file() or DEFAULT_CATALOG


def load_catalog(path: str | Path | None = None) -> Catalog:
    file = catalog_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{file}:1: cannot read catalog: {exc.strerror or exc}") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: much faster
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise CatalogError(f"{file}:{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{file}:1: the catalog must be a mapping with schema_version, ruleset_version and rules")
    try:
        catalog = Catalog.model_validate({**data, "path": str(file)})
    except ValidationError as exc:
        root = yaml.compose(text, Loader=loader)  # node tree only now, for the error's line
        err = exc.errors()[0]
        loc = [p for p in err["loc"]]
        where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")
        raise CatalogError(f"{file}:{_line_of(root, loc)}: {where or 'catalog'}: {err['msg']}") from None
    seen: dict[str, int] = {}
    for index, rule in enumerate(catalog.rules):
        if rule.id in seen:
            line = _line_of(yaml.compose(text, Loader=loader), ["rules", index, "id"])
            raise CatalogError(f"{file}:{line}: duplicate rule id {rule.id!r} (first at rule {seen[rule.id]})")
        seen[rule.id] = index
        if not (file.parent / rule.template).is_file():
            line = _line_of(yaml.compose(text, Loader=loader), ["rules", index, "template"])
            raise CatalogError(f"{file}:{line}: template not found: {rule.template}")
    return catalog


def _line_of(node: Any, loc: list[Any]) -> int:
    """1-based line of the YAML node at ``loc`` (the deepest node that exists)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line
