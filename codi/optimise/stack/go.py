"""Go projects: go.mod, the main package and the binary it builds."""

from __future__ import annotations

import re
from pathlib import Path

from codi.optimise.stack.files import find_first, read_text, rel
from codi.optimise.stack.model import Entrypoint, Evidence, Framework, StackMatch

_MODULE = re.compile(r"^module\s+(\S+)", re.M)
_GO = re.compile(r"^go\s+(\d+(?:\.\d+)*)", re.M)
_FRAMEWORKS = [("github.com/gin-gonic/gin", "Gin"), ("github.com/labstack/echo", "Echo"),
               ("github.com/gofiber/fiber", "Fiber"), ("github.com/go-chi/chi", "chi")]


def detect(project: Path) -> StackMatch | None:
    text = read_text(project / "go.mod")
    if text is None:
        return None
    match = StackMatch(stack="go", package_manager="go", manifests=["go.mod"])
    match.add(0.7, Evidence(file="go.mod", line=1, matched="go.mod"))
    if (project / "go.sum").is_file():
        match.manifests.append("go.sum")
        match.add(0.1, Evidence(file="go.sum", matched="go.sum"))
    module = _MODULE.search(text)
    version = _GO.search(text)
    if version:
        match.runtime_version = version.group(1)
    for path, name in _FRAMEWORKS:
        if path in text:
            match.frameworks.append(Framework(name=name, evidence=Evidence(
                file="go.mod", line=text.count("\n", 0, text.find(path)) + 1, matched=path)))
    main_dir = _main_package(project)
    if main_dir is not None:
        target = "." if main_dir == project else "./" + rel(project, main_dir)
        binary = main_dir.name if main_dir != project else (module.group(1).rsplit("/", 1)[-1] if module else "app")
        binary = re.sub(r"[^A-Za-z0-9._-]", "-", binary) or "app"
        match.build_target = target
        match.build_output = binary
        match.entrypoint = Entrypoint(argv=[f"/app/{binary}"], derived=True, source="go.mod module + main package",
                                      evidence=Evidence(file=rel(project, main_dir / "main.go") if (main_dir / "main.go").is_file()
                                                        else "go.mod", matched=f"package main ({target})"))
    return match


def _main_package(project: Path) -> Path | None:
    """The folder holding `package main`: the root first, then cmd/<name>/."""
    for go_file in find_first(project, ["*.go"], max_depth=3):
        if go_file.name.endswith("_test.go"):
            continue
        source = read_text(go_file, project) or ""
        if re.search(r"^package\s+main\b", source, re.M) and "func main()" in source:
            return go_file.parent
    return None
