"""CD303 (a development server as the container's command) and CD306 (no USER in the final image)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from codi.parser.model import Instruction
from codi.parser.shell import parse_script
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.cd.commands import positional, tool_calls, tool_name
from codi.rules.cd.stages import development_image, image_base, image_stages
from codi.rules.registry import register

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
_DEV_SCRIPT = re.compile(r"^(dev|develop|serve|watch|debug|start[:-]dev|dev[:-].*|.*:dev|.*:watch)$")
_ALWAYS_DEV = frozenset({"nodemon", "ts-node-dev", "node-dev", "webpack-dev-server", "react-scripts"})
_SUB_DEV = {
    "next": ("dev",), "nuxt": ("dev",), "nuxi": ("dev",), "vite": ("", "dev", "serve"), "ng": ("serve", "s"),
    "vue-cli-service": ("serve",), "gatsby": ("develop",), "ember": ("serve", "s"), "webpack": ("serve",),
    "remix": ("dev",), "astro": ("dev",), "flask": ("run",), "hugo": ("server", "serve"),
    "jekyll": ("serve", "s"), "mkdocs": ("serve",), "dotnet": ("watch",), "cargo": ("watch",),
    "django-admin": ("runserver",),
}
_RELOADERS = frozenset({"uvicorn", "gunicorn", "hypercorn", "granian"})


def command_lines(instr: Instruction) -> list[list[str]]:
    """The argv(s) a CMD/ENTRYPOINT runs (shell form and ``sh -c "..."`` split into commands)."""
    if not instr.json_form:
        return [c.unwrapped().argv for c in parse_script(instr.args[0] if instr.args else "").commands]
    argv = list(instr.args)
    if argv and PurePosixPath(argv[0]).name in _SHELLS and "-c" in argv[1:-1]:
        return [c.unwrapped().argv for c in parse_script(argv[argv.index("-c") + 1]).commands]
    return [argv]


def dev_server(argv: list[str], env: Mapping[str, str | None]) -> str | None:
    """What makes ``argv`` a development server, or None."""
    tool, rest = tool_name(argv)
    pos = positional(rest)
    sub = pos[0] if pos else ""
    if tool in ("npx", "bunx") or (tool == "bundle" and sub == "exec"):
        return dev_server(rest[rest.index(sub) + 1:] if tool == "bundle" else rest, env)
    if tool in ("npm", "yarn", "pnpm", "bun"):
        script = pos[1] if sub in ("run", "run-script") and len(pos) > 1 else ("" if tool == "npm" else sub)
        return f"`{tool} {' '.join(pos[:2])}`" if script and _DEV_SCRIPT.match(script) else None
    if tool in _ALWAYS_DEV:
        return f"`{tool}`"
    if tool in _SUB_DEV and sub in _SUB_DEV[tool]:
        return f"`{tool} {sub}`".rstrip()
    if tool in _RELOADERS and ("--reload" in rest or any(w.startswith("--reload=") for w in rest)):
        return f"`{tool} --reload`"
    if re.match(r"^python(\d+(\.\d+)*)?$", tool) and pos[:1] and pos[0].endswith("manage.py") and "runserver" in pos:
        return "`manage.py runserver`"
    if tool == "php" and ("-S" in rest or pos[:2] == ["artisan", "serve"]):
        return "`php -S`" if "-S" in rest else "`php artisan serve`"
    if tool == "rails" and sub in ("server", "s"):
        chosen = [rest[i + 1] for i, w in enumerate(rest[:-1]) if w in ("-e", "--environment")]
        chosen += [w.split("=", 1)[1] for w in rest if w.startswith("--environment=")]
        mode = (chosen[-1] if chosen else env.get("RAILS_ENV") or env.get("RACK_ENV") or "development") or ""
        return f"`rails server` in {mode}" if mode.lower() in ("development", "dev") else None
    return None


@register
class DevServerCommand(Rule):
    """The container starts a development server.

    ## What it does
    Looks at the final image's effective `ENTRYPOINT` and `CMD` (exec form, shell form, and
    `sh -c "..."`) and reports development servers and file watchers: `npm run dev` (and `serve`,
    `watch`, `start:dev`, ... scripts of npm, yarn, pnpm, bun), `nodemon`, `ts-node-dev`,
    `next dev`, `vite`, `ng serve`, `vue-cli-service serve`, `react-scripts start`,
    `flask run`, `manage.py runserver`, `uvicorn`/`gunicorn --reload`, `php artisan serve`,
    `php -S`, `rails server` in development (`-e development`, or no `RAILS_ENV`/`RACK_ENV`,
    which means development), `hugo server`, `jekyll serve`, `mkdocs serve`, `dotnet watch`.

    A Dockerfile that declares itself a development image is skipped: a file or folder name with
    a `dev`, `development`, `local` or `debug` part (`Dockerfile.dev`, `dev.Dockerfile`,
    `local/Dockerfile`), a `.devcontainer` folder, or a final stage named `dev`/`development`/
    `debug`/`local`.

    ## Why is this bad?
    Development servers are single-process, unoptimised, watch the file system, often serve
    source maps and debug pages with stack traces or an interactive console, and their authors
    say not to use them in production (Flask's and Django's documentation say so in bold). In a
    container they waste CPU and memory and expose debugging features.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY . /app
    CMD ["flask", "run", "--host=0.0.0.0"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    COPY . /app
    CMD ["gunicorn", "--bind=0.0.0.0:8000", "app:app"]
    ```

    ## References
    - [Flask: deploying to production](https://flask.palletsprojects.com/en/stable/deploying/)
    - [Django: runserver](https://docs.djangoproject.com/en/stable/ref/django-admin/#runserver)
    """

    code = "CD303"
    name = "dev-server-command"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        if development_image(ctx):
            return
        last: dict[str, Instruction] = {}
        for stage in image_stages(ctx.model):
            for instr in stage.instructions:
                if instr.keyword in ("CMD", "ENTRYPOINT"):
                    last[instr.keyword] = instr
        entry, cmd = last.get("ENTRYPOINT"), last.get("CMD")
        candidates: list[tuple[Instruction, list[str]]] = []
        if entry is not None and entry.json_form and cmd is not None and cmd.json_form:
            candidates.append((cmd, list(entry.args) + list(cmd.args)))
        for chosen in (entry, cmd):
            if chosen is not None:
                candidates += [(chosen, argv) for argv in command_lines(chosen)]
        for instr, argv in candidates:
            why = dev_server(argv, ctx.model.vars_at(instr))
            if why is not None:
                yield self.finding(
                    ctx, instr,
                    f"{instr.keyword} starts a development server ({why}); run the production server instead",
                )
                return


_NONROOT_HINTS = ("nonroot", "non-root", "unprivileged", "rootless", "bitnami/", "chainguard/", "cgr.dev/")
_PRIVILEGE_DROPPERS = frozenset({"gosu", "su-exec", "setpriv", "runuser", "s6-setuidgid"})


@register
class NoUserInFinalImage(Rule):
    """The final image never sets a `USER`, so the container runs as root.

    ## What it does
    Reports the final stage's `FROM` when no stage of the final image (the last stage and the
    stages it is built `FROM`) has a `USER` instruction. hadolint's DL3002 only looks at an
    explicit `USER root`; this rule covers the more common case of no `USER` at all.

    Not reported when the base image is known to run as a non-root user (tags or names with
    `nonroot`, `unprivileged`, `rootless`, Bitnami and Chainguard images), for Windows bases, or
    when the image installs or runs a privilege-dropping tool (`gosu`, `su-exec`, `setpriv`,
    `runuser`, `s6-setuidgid`), the usual sign of an entrypoint that switches user itself.
    Development images (see CD303: `Dockerfile.dev`, `.devcontainer/`, ...) are skipped too: the
    user of a dev container is usually chosen by the tool that starts it.

    ## Why is this bad?
    A process running as root inside the container is root on any volume it mounts and is one
    kernel or runtime bug away from root on the host. Most applications need no privileges at all;
    a dedicated user costs one line.

    ## Example
    ```dockerfile
    FROM node:20-slim
    COPY . /app
    CMD ["node", "/app/server.js"]
    ```

    ## Use instead
    ```dockerfile
    FROM node:20-slim
    COPY --chown=node:node . /app
    USER node
    CMD ["node", "/app/server.js"]
    ```

    ## References
    - [Docker: best practices, USER](https://docs.docker.com/build/building/best-practices/#user)
    """

    code = "CD306"
    name = "no-user-in-final-image"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        stages = image_stages(ctx.model)
        final = ctx.model.final_stage
        if final is None or development_image(ctx):
            return
        if any(i.keyword == "USER" for s in stages for i in s.instructions):
            return
        found = image_base(ctx.model)
        base = (found[1] if found else stages[0].base).lower()
        if any(h in base for h in _NONROOT_HINTS) or any(w in base for w in ("windows", "nanoserver", "servercore")):
            return
        for stage in stages:
            for instr in stage.instructions:
                words: list[str] = []
                script = ctx.script(instr)
                if script is not None:
                    words = [w for c in tool_calls(script) for w in [c.tool, c.sub, *c.words]]
                elif instr.keyword in ("CMD", "ENTRYPOINT"):
                    words = [PurePosixPath(w).name for argv in command_lines(instr) for w in argv]
                if any(w in _PRIVILEGE_DROPPERS for w in words):
                    return
        yield self.finding(
            ctx, final.from_instr,
            "the final image has no USER instruction, so its processes run as root; add a non-root USER",
        )
