"""The "tuned" candidate: the original, kept as it is, with changes that leave its runtime contract alone.

Unlike catalog templates, nothing is re-derived: every instruction keeps its words. Three kinds of edit:
- dependency downloads get a BuildKit cache mount (pip, npm, yarn, go, maven, gradle, cargo), so a
  rebuild after a manifest edit does not download everything again;
- where the whole build context is copied before a node/python install (CD201), the manifests are copied
  first and the whole-context copy moves after the install, so a source edit keeps the install cached;
  only where that is provably the same image (``codi.optimise.reorder``; the notes say why not otherwise);
- the runtime image becomes a smaller variant of the same version (``-slim``; a JDK's JRE) when the
  runtime stage needs nothing the smaller image lacks (codi.optimise.smaller_base); the contract check
  confirms that both images have the same command, user and environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codi.imagedb import normalize_ref
from codi.optimise.contract.model import DeclaredChange
from codi.optimise.manifests import Context
from codi.optimise.reorder import reorder, workdirs
from codi.optimise.review.model import DeclaredBaseChange
from codi.optimise.smaller_base import smaller_base
from codi.optimise.user_step import anchor, mount_free_for
from codi.parser.model import Instruction
from codi.parser.mounts import cache_targets
from codi.parser.semantic import Model, Stage
from codi.parser.shell import parse_script
from codi.rules.cd.cachespec import SPECS, CacheSpec, cleaned
from codi.rules.cd.commands import positional, tool_calls

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


@dataclass(slots=True)
class Tuning:
    text: str
    notes: list[str] = field(default_factory=list)
    risk: str = "low"
    base_changes: list[DeclaredBaseChange] = field(default_factory=list)
    declared: list[DeclaredChange] = field(default_factory=list)  # runtime-contract changes made on purpose
    kept: list[str] = field(default_factory=list)  # edits it did not make, and why (not changes themselves)

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
        words = positional(plain.argv[1:], _VALUED)  # `yarn --network-timeout 600000` has none
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


def _clears(instr: Instruction, target: str, cwd: str) -> bool:
    """Whether the RUN empties or removes the cache folder itself (``yarn cache clean``, ``pip cache purge``,
    ``go clean -modcache``, ``rm -rf ~/.cache``; CD101's ``cachespec.cleaned``): on a cache mount that fails
    (rmdir of a mount point: EBUSY) or throws away what the mount keeps, so that RUN gets none."""
    calls = tool_calls(parse_script(instr.args[0]))
    cleaners = tuple(c for spec in SPECS if target in spec.paths for c in spec.cleaners)
    if cleaned(CacheSpec(target, "", (), (target,), cleaners=cleaners), [target], calls, -1, cwd):
        return True
    return target.endswith("/pkg/mod") and any(c.tool == "go" and c.sub == "clean" and c.has("-modcache")
                                               for c in calls)


# Options of the package managers above that take the next word as their value.
_VALUED = frozenset({"--network-timeout", "--cache-folder", "--modules-folder", "--mutex", "--registry",
                     "--network-concurrency", "--cwd", "--prefix", "-C", "-f", "--file", "-s", "--settings"})


def base_repo(ref: str) -> str:
    """The repository of an image reference as CODI's image knowledge names it (``tune``'s ``bases`` key)."""
    return normalize_ref(ref)[0]


def tune(text: str, model: Model, target: Stage, bases: dict[str, tuple[str, dict[str, str | None]]],
         context: Context | None = None) -> Tuning:
    """``bases`` maps a base repository (``base_repo``) to its image's (user, ENV); stages on bases
    CODI does not know get no cache mount (their user, and so the cache directory, is unknown).
    ``context`` is the build context the reorder reads the manifests from (None: no reorder)."""
    edits: list[tuple[int, int, str]] = []
    notes: list[str] = []
    tuning = Tuning(text)
    for stage in model.stages:
        if stage.index > target.index:
            continue
        moved = reorder(model, stage, context)
        edits += moved.edits
        notes += moved.notes
        tuning.kept += moved.kept
        if moved.edits:
            tuning.risk = "medium"
        repo = _stage_repo(model, stage)
        if repo not in bases:
            continue
        base_user, base_env = bases[repo]
        chain_instrs = [i for st in model.stage_chain(stage) for i in st.instructions]
        cwds = workdirs(model, stage)
        for instr in stage.instructions:
            if instr.keyword != "RUN" or not _runs_as_root(chain_instrs, instr, base_user):
                continue
            env = {**base_env, **model.vars_at(instr)}
            targets = [t for t in _cache_targets(instr, repo, env)
                       if t not in _existing_targets(instr) and not _clears(instr, t, cwds[id(instr)][0])]
            if not targets:
                continue
            pos = instr.keyword_span.end
            flags = "".join(f" --mount=type=cache,target={t}" for t in targets)
            edits.append((pos, pos, flags))
            notes.append(f"line {instr.start_line}: cache mount for {', '.join(targets)} (downloads are reused "
                         "across rebuilds and stay out of the image)")
    smaller = smaller_base(model, target)
    if smaller is not None:
        edits.append((smaller.start, smaller.end, smaller.new))
        notes.append(smaller.note)
        tuning.base_changes.append(smaller.declared)
        if smaller.contract:
            tuning.declared += smaller.contract
            tuning.risk = "medium"
    for start, end, new in sorted(edits, reverse=True):
        tuning.text = tuning.text[:start] + new + tuning.text[end:]
    tuning.notes = notes
    return tuning


def _joinable(instr: Instruction, dirs: list[str] | None = None) -> bool:
    """A shell-form RUN without heredocs whose script ends in a plain command (not in a comment, an
    operator or a continuation), so `` && next`` can follow it. Without flags, or, given the folders the
    next step owns, with only mounts that leave that step alone (``user_step.mount_free_for``)."""
    if instr.keyword != "RUN" or instr.json_form or instr.heredocs or not instr.args:
        return False
    if instr.flags and (dirs is None or not mount_free_for(instr, dirs)):
        return False
    last_line = instr.text.rstrip("\r\n").rsplit("\n", 1)[-1].strip()
    if not last_line or last_line.startswith("#") or last_line.endswith(("\\", "`", "&&", "||", "|", ";", "&")):
        return False
    commands = parse_script(instr.args[0]).commands
    # `exec x && next` never runs next; a backtick escape directive would need another continuation.
    return bool(commands) and commands[-1].unwrapped().name not in {"exec", "exit", "return"}


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
    notes = [f"runs as {who}: files the app writes at run time must be in its volumes or /tmp, or owned "
             "by that user"]
    escaped = "escape=`" in text[:300].replace(" ", "")
    shift = 0
    if lines[0].startswith("RUN ") and not escaped:
        early = _user_step_early(text, model, target, lines[0], dirs or [])
        if early is not None:
            shift, text = len(early) - len(text), early  # inserted before the last instruction
            lines.pop(0)
            notes.append("the user and its folders are set up before the sources are copied: a source edit "
                         "does not redo that step")
    last = target.instructions[-1]
    end = last.span.end + shift
    if lines[0].startswith("RUN ") and _joinable(last) and not escaped:
        # The stage ends in a RUN: a second RUN right after it is hadolint's DL3059, so the user is added
        # in that step, once the original's script has succeeded.
        body = last.text.rstrip("\r\n")
        joined = " \\\n && " + lines.pop(0)[len("RUN "):]
        at = last.span.start + len(body)
        text = text[:at] + joined + text[at:]
        end = last.span.end + len(joined)
    newline = "" if text[:end].endswith(("\n", "\r")) else "\n"
    if last.heredocs:  # hadolint cannot parse an instruction right after a heredoc's end: a blank line
        newline += "\n"
    block = newline + "".join(line + "\n" for line in lines)
    out = Tuning(text[:end] + block + text[end:], risk="medium")
    out.notes = notes
    return out


def _user_step_early(text: str, model: Model, target: Stage, step: str, dirs: list[str]) -> str | None:
    """``text`` with the user step (``step``, a RUN) before the stage's tail of settings and source copies
    (``codi.optimise.user_step``), joined to the RUN it follows (hadolint's DL3059 otherwise); None when it
    belongs at the end, or follows a RUN it cannot join."""
    found = anchor(model, target, dirs)
    if found is None:
        return None
    prev = found[1] or target.from_instr
    if prev.keyword == "RUN":
        if not _joinable(prev, dirs):
            return None
        at = prev.span.start + len(prev.text.rstrip("\r\n"))
        return text[:at] + " \\\n && " + step[len("RUN "):] + text[at:]
    end = prev.span.end
    newline = "" if text[:end].endswith(("\n", "\r")) else "\n"
    if prev.heredocs:
        newline += "\n"
    return text[:end] + newline + step + "\n" + text[end:]
