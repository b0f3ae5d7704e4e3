"""Whether CODI can establish that a node image's command uses none of package.json's devDependencies.

Only then may a candidate leave them out where the original installs them (issue 24: the install scope
is part of the dependency contract). What counts as established, from the project's files alone:
- the command is ``node [flags] FILE`` (directly, or the package.json script `npm start`/`npm run X` runs);
- FILE is in the build context, and neither it nor a file it requires or imports with a relative path
  (followed transitively, bounded) names a devDependency, nor loads a module with a computed name;
- ``node -r/--require/--import/--loader M`` names no devDependency, and no install-time script
  (preinstall, install, postinstall, prepare) mentions one.
Anything else (a built ``dist/`` file, ts-node, a bundler, a file over the limits) is not established.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from codi import safefs
from codi.optimise.contract.model import RuntimeContract

_MAX_FILES = 400
_MAX_BYTES = 2_000_000
_SPEC = re.compile(r"""(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s+|\bimport\s+)(['"])([^'"\n]+)\1""")
_COMPUTED = re.compile(r"""\b(?:require|import)\s*\(\s*[^'"\s)]""")
_SUFFIXES = ("", ".js", ".cjs", ".mjs", ".json", "/index.js", "/index.cjs", "/index.mjs", "/index.json")
_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare")
_VALUE_FLAGS = {"-r", "--require", "--import", "--loader", "--experimental-loader"}


@dataclass(slots=True)
class DevUse:
    established: bool  # the command provably uses no devDependency
    why: str  # the evidence (established) or what stops it (not)
    command: str  # the command as the reason names it


def dev_use(project: Path, contract: RuntimeContract) -> DevUse:
    try:
        package = json.loads(safefs.read_text(project / "package.json", project, errors="strict"))
    except (OSError, ValueError):
        return DevUse(False, "package.json cannot be read", "")
    if not isinstance(package, dict):
        return DevUse(False, "package.json is not an object", "")
    dev = package.get("devDependencies")
    if not dev:
        return DevUse(True, "package.json declares no devDependencies", "")
    if not isinstance(dev, dict):
        return DevUse(False, "package.json's devDependencies is not an object", "")
    names = set(dev)
    found = package.get("scripts")
    scripts: dict[str, object] = found if isinstance(found, dict) else {}
    for name in _INSTALL_SCRIPTS:
        text = scripts.get(name)
        if isinstance(text, str) and any(re.search(rf"(^|[\s/'\"]){re.escape(n)}($|[\s/'\"@])", text) for n in names):
            return DevUse(False, f"the install runs the `{name}` script (`{text}`), which names a devDependency", "")
    argv = _node_argv(contract.cmd or [], scripts)
    shown = " ".join(contract.cmd or []) or "(none)"
    if argv is None:
        return DevUse(False, "the command does not run `node FILE`", shown)
    shown = " ".join(argv)
    file, preloads = _script_of(argv)
    used = sorted(m for m in preloads if _package(m) in names)
    if used:
        return DevUse(False, f"node preloads {', '.join(used)}, a devDependency", shown)
    if file is None:
        return DevUse(False, "the command names no script file", shown)
    rel = posixpath.normpath(posixpath.join(contract.workdir or "/", file))
    base = posixpath.normpath(contract.workdir or "/")
    rel = rel[len(base):].lstrip("/") if base != "/" and rel.startswith(base + "/") else rel.lstrip("/")
    return _scan(project, rel, names, shown)


def _node_argv(cmd: list[str], scripts: dict[str, object]) -> list[str] | None:
    """``node ...`` argv the command runs: itself, through ``sh -c``, or through an npm/yarn/pnpm script."""
    from codi.parser.shell import parse_script

    argv = list(cmd)
    for _ in range(3):
        if len(argv) >= 3 and argv[0].endswith("sh") and argv[1] == "-c":
            commands = parse_script(argv[2]).commands
            if len(commands) != 1:
                return None
            argv = commands[0].unwrapped().argv
        if not argv:
            return None
        prog = argv[0].rsplit("/", 1)[-1]
        if prog == "node" or prog == "nodejs":
            return argv
        if prog not in {"npm", "yarn", "pnpm"}:
            return None
        words = [w for w in argv[1:] if not w.startswith("-")]
        name = words[1] if words[:1] == ["run"] and len(words) > 1 else (words[0] if words else "")
        text = scripts.get(name)
        if not isinstance(text, str):
            return None
        argv = ["sh", "-c", text]
    return None


def _script_of(argv: list[str]) -> tuple[str | None, list[str]]:
    preloads: list[str] = []
    skip = False
    for w in argv[1:]:
        if skip:
            preloads.append(w)
            skip = False
        elif w in _VALUE_FLAGS:
            skip = True
        elif w.startswith("-"):
            if "=" in w and w.split("=", 1)[0] in _VALUE_FLAGS:
                preloads.append(w.split("=", 1)[1])
            elif w in {"-e", "--eval", "-p", "--print"}:
                return None, preloads
        else:
            return w, preloads
    return None, preloads


def _package(spec: str) -> str:
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


def _scan(project: Path, entry: str, dev: set[str], shown: str) -> DevUse:
    todo, seen = [entry], set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        if len(seen) > _MAX_FILES:
            return DevUse(False, f"the code the command loads has over {_MAX_FILES} files", shown)
        path = project / rel
        try:
            text = safefs.read_text(path, project, limit=_MAX_BYTES, errors="replace")
        except OSError:
            return DevUse(False, f"`{rel}` is not in the build context (built in the image, or missing)", shown)
        if rel.endswith(".json"):
            continue
        if _COMPUTED.search(text):
            return DevUse(False, f"`{rel}` loads a module by a computed name", shown)
        for m in _SPEC.finditer(text):
            spec = m.group(2)
            if spec.startswith("."):
                found = _resolve(project, posixpath.normpath(posixpath.join(posixpath.dirname(rel), spec)))
                if found is None:
                    return DevUse(False, f"`{rel}` loads `{spec}`, which is not in the build context", shown)
                todo.append(found)
            elif not spec.startswith(("node:", "/")) and _package(spec) in dev:
                return DevUse(False, f"`{rel}` loads `{spec}`, a devDependency", shown)
    return DevUse(True, f"`{entry}` and the {len(seen) - 1} file(s) it loads import none of them", shown)


def _resolve(project: Path, rel: str) -> str | None:
    for suffix in _SUFFIXES:
        candidate = rel + suffix
        if not candidate.startswith("..") and safefs.found_file(project / candidate):
            return candidate
    return None
