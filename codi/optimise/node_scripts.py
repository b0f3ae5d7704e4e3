"""Package scripts a node original runs while it builds its image (`npm run build`, `yarn build`,
`pnpm run generate`): a candidate runs each once, in its build stage, where the sources and the
devDependencies are, never again in its runtime stage (which gets their outputs with the copy of the
build stage's app folder). Where CODI cannot tell that the app's folder holds everything a script
makes, the candidates are not offered (``Scripts.problem``) rather than guessed."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from codi.parser.model import Instruction
from codi.parser.shell import Command, parse_script
from codi.rules.cd.commands import ToolCall, positional, tool_calls

NODE_TOOLS = frozenset({"npm", "yarn", "pnpm"})
# What `npm <sub>` runs as a package script (`npm test` is `npm run test`).
_NPM_RUN = frozenset({"run", "run-script", "rum", "urn"})
_NPM_SCRIPT_SUBS = {"test": "test", "t": "test", "tst": "test", "start": "start", "stop": "stop",
                    "restart": "restart"}
# yarn and pnpm run a script by its bare name unless the name is one of their own commands.
_YARN_OWN = frozenset({
    "access", "add", "audit", "autoclean", "bin", "cache", "check", "config", "constraints", "create", "dedupe",
    "dlx", "exec", "explain", "generate-lock-entry", "global", "help", "import", "info", "init", "install",
    "licenses", "link", "list", "login", "logout", "node", "npm", "outdated", "owner", "pack", "patch",
    "patch-commit", "plugin", "policies", "publish", "rebuild", "remove", "set", "stage", "tag", "team",
    "unlink", "unplug", "up", "upgrade", "upgrade-interactive", "version", "versions", "why"})
_PNPM_OWN = frozenset({
    "add", "approve-builds", "audit", "bin", "c", "cat-file", "cat-index", "config", "create", "dedupe",
    "deploy", "dlx", "doctor", "env", "exec", "fetch", "find-hash", "i", "ignored-builds", "import", "install",
    "install-test", "it", "licenses", "link", "list", "ln", "ls", "outdated", "pack", "patch", "patch-commit",
    "patch-remove", "prune", "publish", "rb", "rebuild", "remove", "rm", "root", "self-update", "server", "setup",
    "store", "un", "uninstall", "unlink", "up", "update", "upgrade", "why"})
_PNPM_SCRIPT_SUBS = {"t": "test", "tst": "test"}
# Options that run a script in another package's folder than the one the command is in.
_ELSEWHERE = {"npm": ("--prefix", "-C", "-w", "--workspace", "--workspaces", "-ws"), "yarn": ("--cwd",),
              "pnpm": ("-C", "--dir", "--filter", "-F", "-r", "--recursive")}
# Options that take the next word as their value (so that it is not read as a script's name).
_VALUE_FLAGS = {
    "npm": frozenset({"--prefix", "-C", "-w", "--workspace", "--cache", "--omit", "--include", "--registry",
                      "--loglevel", "--userconfig", "--script-shell"}),
    "yarn": frozenset({"--cwd", "--cache-folder", "--modules-folder", "--network-timeout", "--network-concurrency",
                       "--mutex", "--registry", "--global-folder", "--link-folder", "--preferred-cache-folder",
                       "--otp", "--use-yarnrc"}),
    "pnpm": frozenset({"-C", "--dir", "--filter", "-F", "--store-dir", "--reporter", "--loglevel",
                       "--workspace-concurrency", "--registry"}),
}
_MAX_DEPTH = 8  # scripts that run scripts: how deep CODI follows them


@dataclass(frozen=True, slots=True)
class ScriptRun:
    tool: str  # npm, yarn or pnpm
    script: str  # the package.json script it runs
    text: str  # the command as written
    plain: bool  # nothing but `<tool> [run] <script>`: any package manager can run it the same way
    elsewhere: str  # "" or why it runs in another folder (`--prefix web`, `yarn workspace api`)


def script_run(call: ToolCall) -> ScriptRun | None:
    """The package script a node package manager's command runs, or None (an install, `npx`...)."""
    tool = call.tool
    if tool not in NODE_TOOLS:
        return None
    pos = positional(call.rest, _VALUE_FLAGS[tool])
    if not pos:
        return None
    sub, elsewhere = pos[0], ""
    if tool == "npm":
        script = (pos[1] if len(pos) > 1 else "") if sub in _NPM_RUN else _NPM_SCRIPT_SUBS.get(sub, "")
    elif tool == "yarn" and sub in {"workspace", "workspaces"}:
        # `yarn workspace api build`, `yarn workspaces run build`: a script of another package
        script = pos[2] if len(pos) > 2 else ""
        elsewhere = f"`yarn {' '.join(pos[:2])}`"
    elif sub == "run":
        script = pos[1] if len(pos) > 1 else ""
    elif tool == "pnpm":
        script = "" if sub in _PNPM_OWN else _PNPM_SCRIPT_SUBS.get(sub, sub)
    else:
        script = "" if sub in _YARN_OWN else sub
    if not script:
        return None
    for flag in _ELSEWHERE[tool]:
        if call.has(flag):
            value = call.flag_values(flag) if flag in _VALUE_FLAGS[tool] else []
            elsewhere = elsewhere or f"`{flag}{' ' + value[0] if value else ''}`"
    argv = call.original.argv
    plain = argv in ([tool, "run", script], [tool, "run-script", script]) or \
        (tool != "npm" and argv == [tool, script]) or (tool == "npm" and argv == ["npm", script])
    words = list(call.original.raw_words) + [op + target for op, target in call.original.redirects]
    return ScriptRun(tool, script, " ".join(words), plain, elsewhere)


def run_text(instr: Instruction) -> str | None:
    """The shell script a RUN runs (heredoc bodies, or the JSON form's words), or None when empty."""
    if instr.keyword != "RUN" or not instr.args:
        return None
    if instr.heredocs:
        return "\n".join(h.content for h in instr.heredocs)
    return shlex.join(instr.args) if instr.json_form else instr.args[0]


@dataclass(slots=True)
class Scripts:
    """The scripts of the original's built stage, for a template's build stage."""

    runs: list[ScriptRun] = field(default_factory=list)
    problem: str | None = None  # why CODI cannot run them in a build stage and ship what they make
    env: list[str] = field(default_factory=list)  # the ARG/ENV lines the original sets before them
    where: list[tuple[int, str | None]] = field(default_factory=list)  # (line, WORKDIR) of each RUN of them

    def take(self, instr: Instruction, done: Callable[[Command], bool], workdir: str, here: str | None,
             env_lines: list[str]) -> bool:
        """Whether ``instr`` runs package scripts (then they are taken here, with the ARG/ENV lines set
        before it, ``env_lines``). ``here``: its WORKDIR (None: the base image's)."""
        runs, others = split_run(instr, done, workdir)
        if not runs:
            return False
        if others and self.problem is None:
            self.problem = (f"line {instr.start_line} runs `{runs[0].text}` together with `{others[0]}`: CODI "
                            "cannot tell which of their outputs the app needs, nor run the script alone in a "
                            "build stage")
        self.runs += runs
        self.env = list(env_lines)
        self.where.append((instr.start_line, here))
        return True

    def commands(self, pm: str) -> list[str]:
        """Each run once, in the original's order: a plain one in the template's package manager."""
        out: list[str] = []
        for run in self.runs:
            text = f"{pm} run {run.script}" if run.plain else run.text
            if text not in out:
                out.append(text)
        return out


def split_run(instr: Instruction, done: Callable[[Command], bool],
              workdir: str) -> tuple[list[ScriptRun], list[str]]:
    """(the package scripts a RUN runs, the commands it runs besides them that a template does not do
    itself: ``done(command)`` says whether it does). A script run after a `cd` into another folder than
    ``workdir`` (the RUN's) runs there."""
    text = run_text(instr)
    if text is None:
        return [], []
    script = parse_script(text)
    runs: list[ScriptRun] = []
    others: list[str] = []
    moved = ""
    for call in tool_calls(script):
        run = script_run(call)
        if call.tool == "cd" and (not call.rest or _norm(workdir, call.rest[0]) != _norm(workdir, ".")):
            moved = f"`cd {call.rest[0] if call.rest else '~'}`"
        if run is not None:
            runs.append(ScriptRun(run.tool, run.script, run.text, run.plain, run.elsewhere or moved))
        elif not done(call.command):
            others.append(" ".join(call.command.argv[:2]))
    return runs, others


def check(scripts: Scripts, package: dict[str, object] | None, workdir: str, last: str | None) -> None:
    """Sets ``scripts.problem`` when CODI cannot tell that the app's folder holds what a script makes:
    it runs in another folder, package.json does not define it, or it (or a script it runs) names a
    path outside the app's folder. ``last``: the original's last WORKDIR (None: none)."""
    if not scripts.runs or scripts.problem:
        return
    moved = [line for line, here in scripts.where if here != last]
    if moved:
        scripts.problem = (f"line {moved[0]} runs a package script in another folder than the app's ({workdir}): "
                           "CODI cannot tell which of its outputs the app needs")
        return
    defined = package.get("scripts") if isinstance(package, dict) else None
    defined = {k: v for k, v in defined.items() if isinstance(v, str)} if isinstance(defined, dict) else {}
    for run in scripts.runs:
        if run.elsewhere:
            scripts.problem = (f"`{run.text}` runs a package script in another folder ({run.elsewhere}): CODI cannot "
                               "tell which of its outputs the app needs")
        elif run.script not in defined:
            scripts.problem = (f"`{run.text}` runs `{run.script}`, which package.json does not define: CODI cannot "
                               "tell what it makes, nor which of its outputs the app needs")
        else:
            outside = _outside(defined, run.script, workdir, set(), 0)
            if outside:
                scripts.problem = (f"`{run.text}` {outside}: CODI cannot tell which outputs the app needs outside "
                                   f"its folder ({workdir}), which the candidates copy from their build stage")
        if scripts.problem:
            return


def _outside(defined: dict[str, str], name: str, workdir: str, seen: set[str], depth: int) -> str:
    """How a script (its pre/post scripts and the scripts it runs) reaches outside ``workdir``, or ""."""
    if depth > _MAX_DEPTH or name in seen:
        return ""
    seen.add(name)
    for part in (f"pre{name}", name, f"post{name}"):
        body = defined.get(part)
        if body is None:
            continue
        script = parse_script(body)
        for call in tool_calls(script):
            if call.tool in NODE_TOOLS and (call.has("-g", "--global") or call.sub in {"link", "global"}):
                return f"runs `{' '.join(call.command.argv[:3])}` (script `{part}`), which installs outside the app's folder"
            run = script_run(call)
            if run is not None and not run.elsewhere:
                nested = _outside(defined, run.script, workdir, seen, depth + 1)
                if nested:
                    return nested
            for word in call.command.argv[1:]:
                path = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
                if _outside_path(path, workdir):
                    return f"runs a script (`{part}`) that names `{path}`"
    return ""


def _norm(workdir: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(workdir, path))


def _outside_path(word: str, workdir: str) -> bool:
    if not word.startswith("/") or word.startswith(("/dev/", "/tmp/", "/proc/")) or word in {"/dev/null", "/tmp"}:
        return False
    path, root = posixpath.normpath(word), posixpath.normpath(workdir)
    return root != "/" and path != root and not path.startswith(root.rstrip("/") + "/")
