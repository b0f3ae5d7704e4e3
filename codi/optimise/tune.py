"""The "tuned" candidate: the original, kept as it is, with changes that leave its runtime contract alone.

Unlike catalog templates, nothing is re-derived: every instruction stays where it is. Two kinds of edit:
- dependency downloads get a BuildKit cache mount (pip, npm, yarn, go, maven, gradle, cargo), so a
  rebuild after a manifest edit does not download everything again;
- a full Debian runtime image becomes its ``-slim`` variant of the same version when the runtime stage
  installs or compiles nothing itself (the slim image has no compilers); the contract check confirms
  that both images have the same command, user and environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codi.imagedb import normalize_ref
from codi.parser.model import Instruction
from codi.parser.mounts import cache_targets
from codi.parser.semantic import Model, Stage
from codi.parser.shell import parse_script

# program -> (subcommands that download, cache dir for root, base repositories where that dir is right)
_CACHES: dict[str, tuple[frozenset[str], str, frozenset[str] | None]] = {
    "pip": (frozenset({"install"}), "/root/.cache/pip", None),
    "pip3": (frozenset({"install"}), "/root/.cache/pip", None),
    "npm": (frozenset({"ci", "install", "i"}), "/root/.npm", None),
    "yarn": (frozenset({"install", ""}), "/usr/local/share/.cache/yarn", frozenset({"node"})),
    "go": (frozenset({"build", "mod", "install", "test"}), "$GOPATH/pkg/mod", None),
    "mvn": (frozenset({"*"}), "/root/.m2", None),
    "./mvnw": (frozenset({"*"}), "/root/.m2", None),
    "gradle": (frozenset({"*"}), "/root/.gradle", None),
    "./gradlew": (frozenset({"*"}), "/root/.gradle", None),
    "cargo": (frozenset({"build", "install", "fetch", "chef"}), "$CARGO_HOME/registry", None),
}
_GO_BUILD_CACHE = "/root/.cache/go-build"
# Repositories whose full image has a "-slim" variant of the same version (Debian, same config).
_SLIM_REPOS = frozenset({"python", "node", "ruby", "openjdk", "rust", "perl"})
_PURE_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


@dataclass(slots=True)
class Tuning:
    text: str
    notes: list[str] = field(default_factory=list)
    risk: str = "low"

    @property
    def changed(self) -> bool:
        return bool(self.notes)


def _stage_repo(model: Model, stage: Stage) -> str:
    root = model.stage_chain(stage)[0]
    return base_repo(root.base_resolved or root.base)


def _runs_as_root(stage_instrs: list[Instruction], instr: Instruction, base_user: str) -> bool:
    user = base_user
    for other in stage_instrs:
        if other is instr:
            break
        if other.keyword == "USER" and other.args:
            user = other.args[0]
    return user.split(":", 1)[0] in {"", "root", "0"}


def _existing_targets(instr: Instruction) -> set[str]:
    return set(cache_targets(instr))


def _cache_targets(instr: Instruction, repo: str, env: dict[str, str | None]) -> list[str]:
    if instr.json_form or not instr.args or instr.heredocs:
        return []
    wanted: list[str] = []
    for cmd in parse_script(instr.args[0]).commands:
        plain = cmd.unwrapped()
        prog = plain.argv[0] if plain.argv else ""
        spec = _CACHES.get(prog) or _CACHES.get(plain.name if not prog.startswith("./") else prog)
        if spec is None:
            continue
        subs, target, repos = spec
        words = [w for w in plain.argv[1:] if not w.startswith("-")]
        sub = words[0] if words else ""
        if "*" not in subs and sub not in subs:
            continue
        if repos is not None and repo.rsplit("/", 1)[-1] not in repos:
            continue
        if "--no-cache-dir" in plain.argv or "--no-cache" in plain.argv:
            continue  # the tool would not use the cache anyway
        if target.startswith("$"):  # a directory the base image's ENV names (GOPATH, CARGO_HOME)
            name, _, rest = target[1:].partition("/")
            if not env.get(name):
                continue
            target = f"{env[name]}/{rest}"
        for t in ([target, _GO_BUILD_CACHE] if plain.name == "go" and sub == "build" else [target]):
            if t not in wanted:
                wanted.append(t)
    return wanted


def base_repo(ref: str) -> str:
    """The repository of an image reference as CODI's image knowledge names it (``tune``'s ``bases`` key)."""
    return normalize_ref(ref)[0]


def tune(text: str, model: Model, target: Stage, bases: dict[str, tuple[str, dict[str, str | None]]]) -> Tuning:
    """``bases`` maps a base repository (``base_repo``) to its image's (user, ENV); stages on bases
    CODI does not know are left alone (their user, and so the cache directory, is unknown)."""
    edits: list[tuple[int, int, str]] = []
    notes: list[str] = []
    for stage in model.stages:
        if stage.index > target.index:
            continue
        repo = _stage_repo(model, stage)
        if repo not in bases:
            continue
        base_user, base_env = bases[repo]
        chain_instrs = [i for st in model.stage_chain(stage) for i in st.instructions]
        for instr in stage.instructions:
            if instr.keyword != "RUN" or not _runs_as_root(chain_instrs, instr, base_user):
                continue
            env = {**base_env, **model.vars_at(instr)}
            targets = [t for t in _cache_targets(instr, repo, env) if t not in _existing_targets(instr)]
            if not targets:
                continue
            pos = instr.keyword_span.end
            flags = "".join(f" --mount=type=cache,target={t}" for t in targets)
            edits.append((pos, pos, flags))
            notes.append(f"line {instr.start_line}: cache mount for {', '.join(targets)} (downloads are reused "
                         "across rebuilds and stay out of the image)")
    tuning = Tuning(text)
    slim = None if _builds_in(model, target) else _slim_edit(model, target)
    if slim is not None:
        edits.append(slim[0])
        notes.append(slim[1])
    for start, end, new in sorted(edits, reverse=True):
        tuning.text = tuning.text[:start] + new + tuning.text[end:]
    tuning.notes = notes
    return tuning


# Programs that install or compile packages: the -slim image lacks the compilers, headers and git they may need.
_BUILDERS = frozenset({"pip", "pip3", "npm", "yarn", "pnpm", "bundle", "gem", "composer", "go", "cargo", "mvn",
                       "gradle", "make", "gcc", "cc", "g++", "cmake", "python", "python3", "node-gyp", "git"})


def _builds_in(model: Model, target: Stage) -> bool:
    """A RUN of the runtime stage installs or compiles something (the slim image may lack what it needs)."""
    for st in model.stage_chain(target):
        for instr in st.instructions:
            if instr.keyword != "RUN":
                continue
            if instr.json_form or instr.heredocs or not instr.args:
                return True
            if any(c.unwrapped().name in _BUILDERS for c in parse_script(instr.args[0]).commands):
                return True
    return False


def _slim_edit(model: Model, target: Stage) -> tuple[tuple[int, int, str], str] | None:
    root = model.stage_chain(target)[0]
    if root.base_stage is not None or root.base_resolved != root.base or "@" in root.base:
        return None  # a stage, a variable, or a digest pin (the slim image's digest is unknown)
    repo = base_repo(root.base)
    name, _, tag = root.base.rpartition(":") if ":" in root.base.rsplit("/", 1)[-1] else (root.base, "", "latest")
    if repo not in _SLIM_REPOS or not (_PURE_VERSION.match(tag) or tag == "latest"):
        return None
    new_ref = f"{name}:{tag}-slim" if tag != "latest" else f"{name}:slim"
    instr = root.from_instr
    at = instr.text.find(root.base, instr.keyword_span.end - instr.span.start)
    if at < 0:
        return None
    start = instr.span.start + at
    return (start, start + len(root.base), new_ref), \
        f"line {instr.start_line}: runtime image {root.base} -> {new_ref} (same version, Debian, same config)"


def writable_dirs(model: Model, target: Stage, workdir: str, volumes: list[str]) -> list[str]:
    """Directories the app may write to: its WORKDIR, what the runtime stage's RUNs mkdir, its volumes."""
    import posixpath

    dirs: list[str] = [workdir] if workdir not in {"", "/"} else []
    for st in model.stage_chain(target):
        for instr in st.instructions:
            if instr.keyword != "RUN" or instr.json_form or not instr.args:
                continue
            for cmd in parse_script(instr.args[0]).commands:
                plain = cmd.unwrapped()
                if plain.name == "mkdir":
                    for word in plain.argv[1:]:
                        if not word.startswith("-") and "$" not in word:
                            dirs.append(posixpath.normpath(posixpath.join(workdir or "/", word)))
    dirs += [v for v in volumes if v.startswith("/")]
    return list(dict.fromkeys(d for d in dirs if d != "/"))


def nonroot(text: str, model: Model, target: Stage, os_family: str | None, base_repo_name: str,
            dirs: list[str] | None = None) -> Tuning | None:
    """The tuned original run as a non-root user: the image's own unprivileged user where it has one
    (node), else a new system user. None when the OS has no known way to add one."""
    if not target.instructions:
        return None
    if base_repo_name.rsplit("/", 1)[-1] == "node":
        lines, owner = ["USER 1000:1000"], "1000:1000"  # the node image's node user
        who = "the image's unprivileged node user"
    elif os_family in {"debian", "ubuntu"}:
        lines, owner = ["RUN useradd --system --no-log-init --uid 10001 --user-group --no-create-home app",
                        "USER 10001:10001"], "10001:10001"
        who = "a new system user app (uid 10001)"
    elif os_family == "alpine":
        lines, owner = ["RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app",
                        "USER 10001:10001"], "10001:10001"
        who = "a new system user app (uid 10001)"
    else:
        return None
    if dirs:  # the app may create files there; only the folders change owner (no copy of their contents)
        mkdir = "mkdir -p " + " ".join(dirs) + " && chown " + owner + " " + " ".join(dirs)
        # One RUN, not two in a row (hadolint DL3059): the user is added in the same step.
        if lines[0].startswith("RUN "):
            lines[0] += " \\\n && " + mkdir
        else:
            lines.insert(0, "RUN " + mkdir)
    last = target.instructions[-1]
    end = last.span.end
    newline = "" if text[:end].endswith(("\n", "\r")) else "\n"
    block = newline + "".join(line + "\n" for line in lines)
    out = Tuning(text[:end] + block + text[end:], risk="medium")
    out.notes = [f"runs as {who}: files the app writes at run time must be in its volumes or /tmp, or owned "
                 "by that user"]
    return out
