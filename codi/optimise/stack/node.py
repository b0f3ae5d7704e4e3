"""Node.js projects: package.json, lockfiles, frameworks, the start command."""

from __future__ import annotations

import shlex
from pathlib import Path

from codi.optimise.stack.files import line_of, read_json, read_text
from codi.optimise.stack.model import Entrypoint, Evidence, Framework, StackMatch

LOCKFILES = {"package-lock.json": "npm", "npm-shrinkwrap.json": "npm", "yarn.lock": "yarn", "pnpm-lock.yaml": "pnpm"}

# dependency name -> framework, most specific first
FRAMEWORKS = [
    ("next", "Next.js"),
    ("nuxt", "Nuxt"),
    ("@nestjs/core", "NestJS"),
    ("@remix-run/node", "Remix"),
    ("@angular/core", "Angular"),
    ("react-scripts", "Create React App"),
    ("vite", "Vite"),
    ("express", "Express"),
    ("fastify", "Fastify"),
    ("koa", "Koa"),
    ("@hapi/hapi", "hapi"),
]
FRONTEND_ONLY = {"Create React App", "Vite", "Angular"}


def detect(project: Path) -> StackMatch | None:
    pkg_path = project / "package.json"
    pkg = read_json(pkg_path)
    if pkg is None:
        return None
    text = read_text(pkg_path)
    match = StackMatch(stack="node", package_manager="npm")
    match.add(0.6, Evidence(file="package.json", line=1, matched="package.json"))
    match.manifests.append("package.json")
    for name, manager in LOCKFILES.items():
        if (project / name).is_file():
            match.package_manager = manager
            match.manifests.append(name)
            match.add(0.2, Evidence(file=name, matched=f"{manager} lockfile"))
            break
    declared = pkg.get("packageManager")
    if isinstance(declared, str) and declared.split("@")[0] in {"npm", "yarn", "pnpm"}:
        match.package_manager = declared.split("@")[0]
        match.evidence.append(
            Evidence(file="package.json", line=line_of(text, '"packageManager"'), matched=f"packageManager: {declared}")
        )
    deps: dict[str, object] = {}
    for key in ("dependencies", "devDependencies"):
        section = pkg.get(key)
        if isinstance(section, dict):
            deps.update(section)
    for dep, framework in FRAMEWORKS:
        if dep in deps:
            line = line_of(text, f'"{dep}"')
            match.frameworks.append(
                Framework(name=framework, evidence=Evidence(file="package.json", line=line, matched=f'"{dep}"'))
            )
    engines = pkg.get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        match.runtime_version = engines["node"]
    match.entrypoint = _entrypoint(pkg, text)
    scripts = pkg.get("scripts")
    if isinstance(scripts, dict) and isinstance(scripts.get("build"), str):
        match.build_target = "build"
    return match


def _entrypoint(pkg: dict[str, object], text: str | None) -> Entrypoint | None:
    scripts = pkg.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    if isinstance(start, str) and start.strip():
        ev = Evidence(file="package.json", line=line_of(text, '"start"'), matched=f'"start": "{start}"')
        try:
            words = shlex.split(start)
        except ValueError:
            words = []
        # `node server.js` runs the same without npm in between (npm does not forward signals well)
        if len(words) >= 2 and words[0] == "node" and not any(c in start for c in "&|;$`<>"):
            return Entrypoint(argv=words, derived=True, source="package.json scripts.start", evidence=ev)
        return Entrypoint(argv=["npm", "start"], derived=True, source="package.json scripts.start", evidence=ev)
    main = pkg.get("main")
    if isinstance(main, str) and main.strip():
        ev = Evidence(file="package.json", line=line_of(text, '"main"'), matched=f'"main": "{main}"')
        return Entrypoint(argv=["node", main], derived=True, source="package.json main", evidence=ev)
    return None
