"""What an image's command runs, read for the review check: a development server, a virtual-env tool.

The command is the contract's ENTRYPOINT + CMD; ``sh -c`` scripts are split into their commands, and
``npm run X`` (yarn, pnpm) is followed into package.json's script X.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

from codi.optimise.contract.model import RuntimeContract
from codi.parser.shell import parse_script

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
_NODE_PMS = frozenset({"npm", "yarn", "pnpm"})
# Programs that are development servers or file watchers whatever their arguments.
_DEV_PROGRAMS = frozenset({"nodemon", "ts-node-dev", "tsx-watch", "webpack-dev-server", "air", "reflex",
                           "watchexec", "entr"})
# (program, sub-command) pairs that start a development server.
_DEV_SUBCOMMANDS = frozenset({("next", "dev"), ("nuxt", "dev"), ("nuxi", "dev"), ("vite", ""), ("vite", "dev"),
                              ("ng", "serve"), ("webpack", "serve"), ("react-scripts", "start"), ("remix", "dev"),
                              ("astro", "dev"), ("flask", "run"), ("cargo", "watch"), ("dotnet", "watch"), ("fastapi", "dev"),
                              ("manage.py", "runserver"), ("gatsby", "develop"), ("svelte-kit", "dev")})
_DEV_FLAGS = frozenset({"--watch", "--reload", "--watch-poll", "--hot", "--debug"})
_DEV_SCRIPTS = frozenset({"dev", "develop", "watch", "start:dev", "serve:dev", "dev:server"})
# Production settings a candidate may add; beside a development command they contradict it.
PRODUCTION_ENV = {"NODE_ENV": {"production"}, "RAILS_ENV": {"production"}, "RACK_ENV": {"production"},
                  "FLASK_ENV": {"production"}, "APP_ENV": {"production", "prod"}, "MIX_ENV": {"prod"},
                  "ASPNETCORE_ENVIRONMENT": {"production"}, "ENVIRONMENT": {"production", "prod"}}
VENV_TOOLS = frozenset({"poetry", "pipenv", "uv"})


def _commands(argv: list[str]) -> list[list[str]]:
    """The simple commands of an exec argv: itself, or the commands of its ``sh -c`` script."""
    if len(argv) >= 3 and posixpath.basename(argv[0]) in _SHELLS and argv[1].startswith("-") and "c" in argv[1]:
        return [c.unwrapped().argv for c in parse_script(argv[2]).commands if c.unwrapped().argv]
    return [argv] if argv else []


def command_argvs(contract: RuntimeContract) -> list[list[str]]:
    """The simple commands of ENTRYPOINT and of CMD, each read on its own (an entrypoint such as
    ``docker-entrypoint.sh`` or ``tini --`` usually runs CMD as it is)."""
    entrypoint, cmd = list(contract.entrypoint or []), list(contract.cmd or [])
    if len(entrypoint) >= 3 and posixpath.basename(entrypoint[0]) in _SHELLS:
        return _commands(entrypoint)  # a shell-form ENTRYPOINT ignores CMD
    return _commands(entrypoint) + _commands(cmd)


def _package_scripts(project: Path | None, workdir_hint: str = "") -> dict[str, str]:
    if project is None:
        return {}
    try:
        data = json.loads((project / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    return {k: v for k, v in scripts.items() if isinstance(v, str)} if isinstance(scripts, dict) else {}


def _script_name(argv: list[str]) -> str | None:
    """``npm run dev`` / ``yarn dev`` / ``pnpm run dev`` / ``npm start`` -> the package.json script name."""
    if not argv or posixpath.basename(argv[0]) not in _NODE_PMS:
        return None
    words = [w for w in argv[1:] if not w.startswith("-")]
    if words[:1] == ["run"] or words[:1] == ["run-script"]:
        return words[1] if len(words) > 1 else None
    if words[:1] in (["start"], ["test"]):
        return words[0]
    if posixpath.basename(argv[0]) in {"yarn", "pnpm"} and words:
        return words[0]
    return None


def _dev_marker(argv: list[str]) -> str | None:
    if not argv:
        return None
    prog = posixpath.basename(argv[0])
    words = [w for w in argv[1:] if not w.startswith("-")]
    if prog in {"python", "python3"} and argv[1:2] == ["-m"] and len(argv) > 2:
        prog, words = argv[2], [w for w in argv[3:] if not w.startswith("-")]
    elif prog in {"python", "python3"} and words:
        prog, words = posixpath.basename(words[0]), words[1:]
    if prog in _DEV_PROGRAMS:
        return prog
    sub = words[0] if words else ""
    if (prog, sub) in _DEV_SUBCOMMANDS:
        return f"{prog} {sub}".strip()
    flags = [w.split("=", 1)[0] for w in argv[1:] if w.startswith("--")]
    for flag in flags:
        if flag in _DEV_FLAGS:
            return f"{prog} {flag}"
    return None


def dev_command(contract: RuntimeContract, project: Path | None) -> str | None:
    """Why the image's command is a development server or watcher (``npm run dev -> node --watch
    server.js``), or None."""
    scripts = _package_scripts(project)
    for argv in command_argvs(contract):
        marker = _dev_marker(argv)
        if marker:
            return f"`{' '.join(argv)}` ({marker})"
        name = _script_name(argv)
        if name is None:
            continue
        body = scripts.get(name)
        for inner in ([c.unwrapped().argv for c in parse_script(body).commands] if body else []):
            marker = _dev_marker(inner)
            if marker:
                return f"`{' '.join(argv)}` runs `{body}` ({marker})"
        if name in _DEV_SCRIPTS:
            return f"`{' '.join(argv)}` (the {name} script)"
    return None


def venv_tool(contract: RuntimeContract) -> str | None:
    """The virtual-env tool the command starts the app through (``poetry run ...``), or None."""
    for argv in command_argvs(contract):
        prog = posixpath.basename(argv[0]) if argv else ""
        if prog in VENV_TOOLS and argv[1:2] == ["run"]:
            return prog
    return None
