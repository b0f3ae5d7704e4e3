"""The programs an image's command and health check call, and what in the image provides each."""

from __future__ import annotations

import json
import posixpath
import re

from codi.imagedb import normalize_ref
from codi.optimise.contract.files import under
from codi.optimise.contract.model import Executable, RuntimeContract

# Programs that start another program given as their next arguments.
WRAPPERS = {"tini", "dumb-init", "gosu", "su-exec", "catatonit", "s6-svscan", "exec", "env", "sudo"}
SHELLS = {"sh", "bash", "ash", "dash", "zsh"}
# Programs a language runtime image ships, by runtime.
RUNTIME_PROGRAMS = {
    "python": {"python", "python3", "pip", "pip3"},
    "node": {"node", "npm", "npx", "yarn", "corepack", "docker-entrypoint.sh"},
    "java": {"java", "jshell", "keytool"},
    "ruby": {"ruby", "gem", "bundle", "bundler", "irb", "rake"},
    "php": {"php", "php-fpm", "docker-php-entrypoint", "pecl", "apache2-foreground"},
    "dotnet": {"dotnet"},
    "go": {"go", "gofmt"},
    "rust": {"cargo", "rustc"},
    "nginx": {"nginx", "/docker-entrypoint.sh"},
}
# Programs only some images of a runtime ship (the build tool images), by repository.
IMAGE_PROGRAMS = {"maven": {"mvn"}, "gradle": {"gradle"}, "composer": {"composer"},
                  "httpd": {"httpd", "httpd-foreground"}}
# Packages whose name differs from the program they install.
PACKAGE_OF = {"nc": ("netcat", "netcat-openbsd", "netcat-traditional"), "pg_isready": ("postgresql-client",),
              "dumb-init": ("dumb-init",), "su-exec": ("su-exec",)}
SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _first_words(argv: list[str], shell: list[str]) -> list[str]:
    """The program names an argv starts (through shell -c and wrappers like tini)."""
    from codi.parser.shell import parse_script

    out: list[str] = []
    words = list(argv)
    while words:
        prog = words[0]
        out.append(prog)
        name = posixpath.basename(prog)
        if name in SHELLS and len(words) >= 3 and words[1].startswith("-") and "c" in words[1]:
            commands = parse_script(words[2]).commands
            if not commands:
                break
            words = commands[0].unwrapped().argv
            if not words:
                break
            out.pop()  # the shell itself is checked as its own program only when written
            if argv[:len(shell)] != shell:
                out.append(prog)
            continue
        if name in WRAPPERS:
            words = [w for w in words[1:] if not w.startswith("-")]
            if name in {"gosu", "su-exec"} and words:
                words = words[1:]  # the user argument
            continue
        break
    return [w for w in out if w and not w.startswith("$")]


FILE_SUFFIXES = (".jar", ".js", ".mjs", ".cjs", ".py", ".sh", ".rb", ".php", ".dll", ".war")


def _file_args(argv: list[str], shell: list[str]) -> list[str]:
    """Files a command names as arguments (a jar, a script): they must be in the image too."""
    from codi.parser.shell import parse_script

    words = list(argv)
    if len(words) >= 3 and posixpath.basename(words[0]) in SHELLS and words[1].startswith("-") and "c" in words[1]:
        words = [w for cmd in parse_script(words[2]).commands for w in cmd.unwrapped().argv]
    return [w for w in words[1:] if w.endswith(FILE_SUFFIXES) and not w.startswith(("-", "$")) and "*" not in w
            and "=" not in w]


def find_executables(c: RuntimeContract, outputs: list[tuple[str, str]], packages: list[tuple[str, int]],
                     run_texts: list[tuple[str, int]]) -> list[Executable]:
    out: list[Executable] = []
    programs: list[tuple[str, str]] = []
    if c.entrypoint:
        programs += [(p, "ENTRYPOINT") for p in _first_words(c.entrypoint, c.shell)]
        if c.cmd and not c.cmd[0].startswith("-"):  # an entrypoint script or wrapper runs "$@"
            programs += [(p, "CMD") for p in _first_words(c.cmd, c.shell)]
    elif c.cmd:
        programs += [(p, "CMD") for p in _first_words(c.cmd, c.shell)]
    for used_by, argv in (("ENTRYPOINT", c.entrypoint), ("CMD", c.cmd)):
        programs += [(w, used_by) for w in _file_args(argv or [], c.shell)]
    if c.healthcheck and c.healthcheck != "NONE":
        from codi.optimise.contract.programs import healthcheck_argv

        argv = healthcheck_argv(c.healthcheck) or []
        programs += [(p, "HEALTHCHECK") for p in _first_words(argv, ["/bin/sh", "-c"])]
    seen: set[tuple[str, str]] = set()
    for name, used_by in programs:
        if (name, used_by) in seen:
            continue
        seen.add((name, used_by))
        provider, detail = _provider(c, name, outputs, packages, run_texts)
        if provider in {"context", "stage"} and _chmod_by_run(c, name, run_texts):
            detail += "; made executable by RUN chmod"
        out.append(Executable(name=name, used_by=used_by, provider=provider, detail=detail))  # type: ignore[arg-type]
    return out


def _chmod_by_run(c: RuntimeContract, name: str, run_texts: list[tuple[str, int]]) -> bool:
    """A RUN in the image's stages makes ``name`` executable (the copied file may not be)."""
    paths = _candidates(c, name)
    return any("chmod" in text and any(p in text or posixpath.basename(p) in text.split() for p in paths)
               for text, _ in run_texts)


def _candidates(c: RuntimeContract, name: str) -> list[str]:
    if "/" in name:
        return [posixpath.normpath(posixpath.join(c.workdir, name))]
    path = c.env.get("PATH") or ":".join(SYSTEM_DIRS)
    return [posixpath.join(d, name) for d in path.split(":") if d.startswith("/")]


def _provider(c: RuntimeContract, name: str, outputs: list[tuple[str, str]], packages: list[tuple[str, int]],
              run_texts: list[tuple[str, int]]) -> tuple[str, str]:
    paths = _candidates(c, name)
    for f in c.files:
        for path in paths:
            rest = under(path, f.dest)
            if rest is not None:
                src = posixpath.join(f.source, rest) if rest else f.source
                return "context", f"copied from the build context: {src or '.'} (line {f.line})"
    for dest, what in outputs:
        for path in paths:
            if under(path, dest) is not None:
                return "stage", what
    base = posixpath.basename(name)
    wanted = PACKAGE_OF.get(base, (base,))
    for pkg, line in packages:
        if pkg in wanted:
            return "package", f"installed by RUN (line {line}): {pkg}"
    for text, line in run_texts:
        if any(re.search(re.escape(path) + r"(?![\w.-])", text) for path in paths):
            return "package", f"made by RUN (line {line})"
    if c.base_known:
        repo = normalize_ref(c.base or "")[0].rsplit("/", 1)[-1]
        if base in IMAGE_PROGRAMS.get(repo, set()):
            return "base", f"{base} of the {repo} image"
        if base in {p for progs in IMAGE_PROGRAMS.values() for p in progs} and repo not in IMAGE_PROGRAMS:
            return "unknown", ""
        if c.runtime and base in RUNTIME_PROGRAMS.get(c.runtime, set()):
            return "runtime", f"{c.runtime} in the base image"
        if c.entrypoint_origin == "base" and c.entrypoint and c.entrypoint[0] == name:
            return "base", "the base image's entrypoint"
        if c.cmd_origin == "base" and c.cmd and c.cmd[0] == name:
            return "base", "the base image's command"
        if base in SHELLS - {"bash", "zsh"} and c.os_family not in {"distroless", "scratch"}:
            return "base", f"{base} of the {c.os_family} base image"
        if base == "bash" and c.os_family in {"debian", "ubuntu", "ubi"}:
            return "base", f"bash of the {c.os_family} base image"
    return "unknown", ""


def healthcheck_argv(text: str | None) -> list[str] | None:
    """The argv a normalised health check runs (["/bin/sh", "-c", ...] for CMD-SHELL)."""
    if not text or text == "NONE":
        return None
    test = json.loads(text[text.index("["):])
    if test[:1] == ["CMD-SHELL"]:
        return ["/bin/sh", "-c", *test[1:]]
    return list(test[1:])
