"""Render catalog templates into candidate Dockerfiles (Jinja2, StrictUndefined)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from codi.optimise.catalog import Catalog, CatalogRule
from codi.optimise.facts import BUILD_ONLY_PACKAGES
from codi.optimise.stack.model import StackMatch
from codi.optimise.template_context import TemplateContext
from codi.templating import environment

_ENVS: dict[str, jinja2.Environment] = {}


def _env(folder: Path) -> jinja2.Environment:
    key = str(folder)
    if key not in _ENVS:
        # Output is a Dockerfile, not HTML: autoescape would corrupt it. Reports escape separately.
        _ENVS[key] = environment([folder, folder / "templates"], autoescape=False, extensions=["jinja2.ext.do"])
    return _ENVS[key]


def matches(rule: CatalogRule, stack: StackMatch, project: Path, base: str | None = None) -> bool:
    when = rule.when
    if when.stack != stack.stack:
        return False
    if when.base_any is not None and not any(word in (base or "").lower() for word in when.base_any):
        return False
    if when.package_managers is not None and stack.package_manager not in when.package_managers:
        return False
    names = {f.name for f in stack.frameworks}
    if when.frameworks_any is not None and not names & set(when.frameworks_any):
        return False
    if when.frameworks_none is not None and names & set(when.frameworks_none):
        return False
    for need in when.requires:
        if need == "entrypoint" and stack.entrypoint is None:
            return False
        if need in {"build_output", "build_target"} and not getattr(stack, need):
            return False
    return all((project / f).exists() for f in when.files_exist)


def render(rule: CatalogRule, catalog: Catalog, ctx: TemplateContext) -> tuple[str, str]:
    """(Dockerfile text, resolved runtime base) for one catalog rule."""
    env = _env(catalog.template_dir())
    values = ctx.as_dict()
    runtime_base = env.from_string(rule.runtime_base).render(values)
    build_base = env.from_string(rule.build_base).render(values) if rule.build_base else None
    values.update(
        runtime_base=runtime_base,
        build_base=build_base,
        # as the original writes them, version pins included
        build_packages=[ctx.facts.apt_specs.get(p, p) for p in ctx.facts.apt_packages if p not in _runtime_packages(ctx)],
        runtime_packages=[ctx.facts.apt_specs.get(p, p) for p in _runtime_packages(ctx)],
        alpine="alpine" in runtime_base,
        apk_packages=ctx.facts.apk_specs,  # the original's pins stay
        apk_runtime_packages=[spec for name, spec in zip(ctx.facts.apk_packages, ctx.facts.apk_specs,
                                                         strict=True)
                              if name not in BUILD_ONLY_PACKAGES and name not in {"build-base", "musl-dev"}
                              and not name.endswith("-dev")],
        rule=rule,
        gem_home=_gem_home(ctx),
        native_libs=ctx.native_libs,
        vendor_dir=_vendor_dir(ctx),
    )
    text = env.get_template(rule.template).render(values)
    return _tidy(_with_global_args(text, ctx.global_args)), runtime_base


def _gem_home(ctx: TemplateContext) -> str:
    """Where bundler installs gems in the original's image (its BUNDLE_PATH, else GEM_HOME)."""
    import posixpath

    path = ctx.contract.env.get("BUNDLE_PATH") or ctx.contract.env.get("GEM_HOME") or "/usr/local/bundle"
    return posixpath.normpath(posixpath.join(ctx.workdir, path))


def _vendor_dir(ctx: TemplateContext) -> str:
    import posixpath

    return posixpath.join(ctx.workdir, "vendor")


def _runtime_packages(ctx: TemplateContext) -> list[str]:
    """The original's run-time packages, plus any build tool its command or health check calls (curl)."""
    needed = {e.detail.rsplit(": ", 1)[-1] for e in ctx.contract.executables if e.provider == "package"}
    return [p for p in ctx.facts.apt_packages if p in ctx.facts.runtime_packages or p in needed]


def _with_global_args(text: str, lines: list[str]) -> str:
    """The original's ARGs before the first FROM go before the candidate's first FROM (its EXPOSE and
    ENV lines may use them)."""
    if not lines:
        return text
    out = text.splitlines(keepends=True)
    for i, line in enumerate(out):
        if line.upper().startswith("FROM "):
            return "".join(out[:i] + [ln + "\n" for ln in lines] + out[i:])
    return text


def _tidy(text: str) -> str:
    """No runs of blank lines, exactly one final newline."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
