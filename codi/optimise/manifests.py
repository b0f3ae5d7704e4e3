"""The build-context files a dependency install reads, and whether it may read anything more.

For the tuned candidate's reorder (``codi.optimise.reorder``): an install may run before the whole
context is copied only when these files are all it reads. Every answer is either the list of files or
the reason CODI cannot prove that (``Needs.why_not``). Paths are build-context paths (relative to the
project folder, which is the context); every file is read through ``codi.safefs``.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from codi import safefs
from codi.rules.buildkit.dockerignore import DockerIgnore
from codi.rules.cd.commands import ToolCall

# package.json scripts npm, yarn and pnpm run on a plain install of the project: they may read any source.
_LIFECYCLE = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")
# Every lockfile present is copied: npm 7+ also takes resolutions from a yarn.lock.
_LOCKS = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml")
_CONFIGS = {"npm": (".npmrc",), "pnpm": (".npmrc",), "yarn": (".npmrc", ".yarnrc", ".yarnclean")}  # yarn autoclean
# Files that make an install read more than the manifests (per tool) and why.
_REFUSED = {
    "npm": {"binding.gyp": "npm compiles the project's binding.gyp (node-gyp) at install time"},
    "yarn": {".yarnrc.yml": "Yarn 2+ (.yarnrc.yml) reads its release and plugins from .yarn/ and writes .pnp.cjs",
             "binding.gyp": "yarn compiles the project's binding.gyp (node-gyp) at install time"},
    "pnpm": {"pnpm-workspace.yaml": "a pnpm workspace installs its member packages from their folders",
             ".pnpmfile.cjs": "pnpm runs the .pnpmfile.cjs hooks at install time",
             "binding.gyp": "pnpm compiles the project's binding.gyp (node-gyp) at install time"},
}
_DEP_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "overrides",
               "resolutions")
_LOCAL_SPEC = ("file:", "link:", "portal:", "workspace:", "./", "../", "/", "~/")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar")
_RELATIVE_SETTING = re.compile(r"""[=\s]["']?\.\.?/""")  # `cafile=./ca.pem`, `yarn-offline-mirror "./cache"`
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._/+@-]+$")  # written into the COPY as is (no quoting, no variables)
_MAX_FILES = 32  # requirement files followed through -r/-c (a cycle or a fan-out is cut there)


@dataclass(slots=True)
class Needs:
    files: list[str] = field(default_factory=list)  # context paths the install reads, in copy order
    why_not: str | None = None  # why the install may read more than ``files``
    notes: list[str] = field(default_factory=list)  # what holds only while the project stays as it is now


class Context:
    """The build context (the project folder) as the reorder reads it: present, confined, not ignored."""

    def __init__(self, root: Path, ignore: DockerIgnore | None) -> None:
        self.root = root
        self.ignore = ignore

    def exists(self, rel: str) -> bool:
        """Something named ``rel`` reaches the build context (a file, a folder or a link)."""
        return os.path.lexists(self.root / rel) and not (self.ignore is not None and self.ignore.excluded(rel))

    def usable(self, rel: str) -> str | None:
        """Why ``rel`` cannot be copied on its own as the install reads it (None: a plain file that can)."""
        if not _SAFE_NAME.match(rel) or rel.startswith("../") or rel == "..":
            return f"`{rel}` is not a plain path inside the build context"
        path = self.root / rel
        if not os.path.lexists(path):
            return f"`{rel}` is not in the project"
        if self.ignore is not None and self.ignore.excluded(rel):
            return f"`{rel}` is left out of the build context by .dockerignore"
        if os.path.islink(path):  # copied alone, a link is followed; inside `COPY .` it stays a link
            return f"`{rel}` is a symbolic link"
        try:
            safefs.resolve_inside(path, self.root)
        except OSError as exc:
            return f"`{rel}`: {exc.strerror}"
        return None if path.is_file() else f"`{rel}` is not a regular file"

    def read(self, rel: str) -> str:
        return safefs.read_text(self.root / rel, self.root, errors="strict")


def node_needs(ctx: Context, call: ToolCall) -> Needs:
    """What ``npm install``/``npm ci``/``yarn``/``pnpm install`` reads from the project folder."""
    needs = Needs()
    why = ctx.usable("package.json")
    if why is not None:
        needs.why_not = why
        return needs
    try:
        pkg = json.loads(ctx.read("package.json"))
    except (OSError, ValueError) as exc:
        needs.why_not = f"package.json cannot be read: {exc}"
        return needs
    if not isinstance(pkg, dict):
        needs.why_not = "package.json is not a JSON object"
        return needs
    needs.why_not = _package_json_problem(pkg, call) or _refused_file(ctx, call)
    if needs.why_not is not None:
        return needs
    needs.files = ["package.json"] + [f for f in _LOCKS + _CONFIGS.get(call.tool, ()) if ctx.exists(f)]
    for rel in needs.files:
        if (why := ctx.usable(rel)) is not None:
            needs.why_not = why
            return needs
        if rel in {".npmrc", ".yarnrc"} and (why := _config_problem(ctx, rel)) is not None:
            needs.why_not = why
            return needs
    if ctx.exists("node_modules"):
        needs.why_not = ("the project's node_modules folder is in the build context: the whole-context copy "
                         "would put it over the installed one (list node_modules in .dockerignore)")
        return needs
    if not (ctx.ignore is not None and ctx.ignore.excluded("node_modules")):
        needs.notes.append("the project has no node_modules folder now: keep one out of the build context "
                           "(.dockerignore), or the whole-context copy puts it over the installed one")
    frozen = call.sub == "ci" or call.has("--frozen-lockfile", "--immutable")
    if not frozen and any(f in _LOCKS for f in needs.files):
        needs.notes.append("a lockfile the install rewrites is the project's again after the whole-context copy "
                           "(the installed packages are the same)")
    return needs


def _config_problem(ctx: Context, rel: str) -> str | None:
    try:
        text = ctx.read(rel)
    except OSError as exc:
        return f"{rel} cannot be read: {exc}"
    return f"{rel} names a file or folder of the project (a relative path)" if _RELATIVE_SETTING.search(text) else None


def _package_json_problem(pkg: dict[str, object], call: ToolCall) -> str | None:
    scripts = pkg.get("scripts")
    if isinstance(scripts, dict) and not call.has("--ignore-scripts"):
        ran = [s for s in _LIFECYCLE if s in scripts]
        if ran:
            return f"package.json has a `{ran[0]}` script, which runs at install time and may read the sources"
    if "workspaces" in pkg:
        return "package.json declares workspaces, installed from their own folders"
    pnpm = pkg.get("pnpm")
    if "patchedDependencies" in pkg or (isinstance(pnpm, dict) and "patchedDependencies" in pnpm):
        return "package.json patches dependencies from files in the project"
    manager = pkg.get("packageManager")
    if call.tool == "yarn" and isinstance(manager, str) and re.match(r"^yarn@([2-9]|\d\d)", manager):
        return f"package.json asks for {manager} (Yarn 2+ reads .yarn/ and writes .pnp.cjs)"
    for name in _DEP_FIELDS:
        for spec in _strings(pkg.get(name)):
            if spec.startswith(_LOCAL_SPEC) or spec in {".", ".."}:
                return f"package.json has a local dependency (`{spec}` in {name})"
    return None


def _strings(value: object) -> list[str]:
    """Every string value in a (nested) JSON object: ``overrides`` nest."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def _refused_file(ctx: Context, call: ToolCall) -> str | None:
    for name, why in _REFUSED.get(call.tool, {}).items():
        if name == "binding.gyp" and call.has("--ignore-scripts"):
            continue
        if ctx.exists(name):
            return why
    return None


def pip_needs(ctx: Context, call: ToolCall, dest: str, cwd: str) -> Needs:
    """What ``pip install -r FILE`` (or ``uv pip install``) run in ``cwd`` reads from the project folder,
    whose contents are copied to ``dest``; named packages from an index read nothing."""
    needs = Needs()
    if call.has("-e", "--editable"):
        needs.why_not = "it installs a project in editable mode (-e)"
        return needs
    if any(re.match(r"^-[rce]\S", w) for w in call.rest):
        needs.why_not = "it names a requirement file in a form CODI does not read (`-rFILE`)"
        return needs
    for word in call.positional():
        if (why := _local_requirement(word)) is not None:
            needs.why_not = why
            return needs
    needs.why_not = _local_options(call, dest)
    if needs.why_not is not None:
        return needs
    first: list[str] = []
    for name in call.flag_values("-r", "--requirement", "-c", "--constraint"):
        if _URL.match(name):
            continue
        full = posixpath.normpath(posixpath.join(cwd, name))
        rel = _below(full, dest)
        if rel is None:
            needs.why_not = f"`{name}` is not in the copied folder {dest}"
            return needs
        first.append(rel)
    needs.files, needs.why_not = _requirement_files(ctx, first)
    return needs


def _below(path: str, dest: str) -> str | None:
    """``path`` (absolute) as a context path when it lies under ``dest``, the copy's destination."""
    base = dest.rstrip("/") or "/"
    if base == "/":
        return path.lstrip("/") or None
    return path[len(base) + 1:] if path.startswith(base + "/") else None


def _local_options(call: ToolCall, dest: str) -> str | None:
    for value in call.flag_values("-f", "--find-links", "-i", "--index-url", "--extra-index-url"):
        if not _URL.match(value) or value.lower().startswith("file:"):
            return f"it reads packages from a local folder (`{value}`)"
    for value in call.flag_values("-t", "--target", "--prefix", "--root", "--src"):
        full = posixpath.normpath(value)
        if not value.startswith("/") or full == dest.rstrip("/") or full.startswith(dest.rstrip("/") + "/"):
            return f"it installs into `{value}`, which the whole-context copy may overwrite"
    return None


def _local_requirement(spec: str) -> str | None:
    """Why a requirement (a command-line word or a requirements-file line) reads the project, or None."""
    spec = spec.split(";", 1)[0].strip()
    if "$" in spec:
        return f"the requirement `{spec}` names a variable"
    if _URL.match(spec) or re.search(r"@\s*[a-z][a-z0-9+.-]*://", spec, re.IGNORECASE):
        return f"the requirement `{spec}` is a local file" if "file:" in spec.lower() else None
    if spec.startswith((".", "/", "~")) or "/" in spec or "\\" in spec or spec.lower().endswith(_ARCHIVES):
        return f"the requirement `{spec}` is a local path"
    return None


# Options a requirements-file line may have that read nothing from the project.
_HARMLESS = frozenset({"--hash", "--pre", "--prefer-binary", "--only-binary", "--no-binary", "--trusted-host",
                       "--no-index", "--use-feature", "--config-settings", "--global-option"})


def _requirement_files(ctx: Context, first: list[str]) -> tuple[list[str], str | None]:
    """The requirement files ``first`` name, with their own ``-r``/``-c`` includes (relative to the
    including file, as pip reads them); the reason when one of them reads the project otherwise."""
    todo = list(first)
    seen: list[str] = []
    while todo:
        rel = todo.pop(0)
        if rel in seen:
            continue
        if len(seen) >= _MAX_FILES:
            return seen, f"more than {_MAX_FILES} requirement files"
        if (why := ctx.usable(rel)) is not None:
            return seen, why
        seen.append(rel)
        try:
            text = ctx.read(rel)
        except (OSError, ValueError) as exc:
            return seen, f"`{rel}` cannot be read: {exc}"
        for number, line in _logical_lines(text):
            where = f"`{rel}` line {number}"
            if not line.startswith("-"):
                if (why := _local_requirement(line.split(" --", 1)[0])) is not None:
                    return seen, f"{where}: {why}"
                continue
            option, _, value = line.replace("=", " ", 1).partition(" ") if line.startswith("--") else (
                line[:2], "", line[2:])
            value = value.strip().split(" ", 1)[0] if value.strip() else ""
            if option in {"-r", "--requirement", "-c", "--constraint"}:
                if not value or "$" in value:
                    return seen, f"{where}: `{line}` names no file CODI can follow"
                if not _URL.match(value):
                    todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(rel), value)))
            elif option in {"-e", "--editable"}:
                return seen, f"{where}: an editable install (-e)"
            elif option in {"-f", "--find-links", "-i", "--index-url", "--extra-index-url"}:
                if not _URL.match(value) or value.lower().startswith("file:"):
                    return seen, f"{where}: packages from a local folder (`{value}`)"
            elif option not in _HARMLESS:
                return seen, f"{where}: an option CODI does not read (`{option}`)"
    return seen, None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) with ``\\`` continuations joined and comments dropped, as pip reads them."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\") and not raw.endswith("\\\\"):
            pending += raw[:-1] + " "
            continue
        line = re.sub(r"(^|\s)#.*$", "", pending + raw).strip()
        pending = ""
        if line:
            out.append((start, " ".join(line.split())))
    if pending.strip():
        out.append((start, " ".join(re.sub(r"(^|\s)#.*$", "", pending).split())))
    return out
