"""CD104: development dependencies installed into the final image."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.cd.commands import ToolCall, tool_calls
from codi.rules.cd.stages import development_image, image_stages
from codi.rules.registry import register

_DEV_REQUIREMENTS = re.compile(r"(^|[/_.-])(dev|devel|develop|development|test|tests|testing|lint|ci)([/_.-]|$)", re.I)
_DEV_EXTRAS = re.compile(r"\[([^\]]*)\]")
_DEV_NAMES = {"dev", "devel", "develop", "development", "test", "tests", "testing", "lint", "all"}


# The tools dev_install reads (keep in step with it).
_INSTALLERS = frozenset({"npm", "yarn", "pnpm", "pip", "uv-pip", "poetry", "uv", "pipenv", "bundle", "composer"})


def _production(env: Mapping[str, str | None], *names: str) -> bool:
    return any((env.get(n) or "").lower() in ("production", "prod") for n in names)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def dev_install(call: ToolCall, env: Mapping[str, str | None], config: dict[str, str]) -> str | None:
    """Why ``call`` installs development dependencies, or None."""
    if call.tool not in _INSTALLERS:  # most commands: no need to merge the environment
        return None
    env = {**env, **call.prefix_env()}
    tool, sub = call.tool, call.sub
    node_prod = _production(env, "NODE_ENV") or _truthy(env.get("npm_config_production")) or (
        "dev" in (env.get("npm_config_omit") or env.get("NPM_CONFIG_OMIT") or "")
    )
    if tool == "npm" and sub in ("install", "i", "ci") and not call.positional():
        if call.has("-g", "--global", "--production", "--only", "--omit") or node_prod:
            return None
        return f"`npm {sub}` installs devDependencies (add `--omit=dev` or set NODE_ENV=production)"
    if tool == "yarn" and sub in ("", "install"):
        if call.has("--production", "--prod") or node_prod:
            return None
        return "`yarn install` installs devDependencies (use `--production`, or a build stage)"
    if tool == "pnpm" and sub in ("install", "i"):
        if call.has("--prod", "-P", "--production") or node_prod:
            return None
        return "`pnpm install` installs devDependencies (use `--prod`)"
    if tool in ("pip", "uv-pip") and sub == "install":
        for req in call.flag_values("-r", "--requirement"):
            if _DEV_REQUIREMENTS.search(req):
                return f"`pip install -r {req}` installs development requirements"
        for target in call.positional() + call.flag_values("-e", "--editable"):
            m = _DEV_EXTRAS.search(target)
            if m and {e.strip().lower() for e in m.group(1).split(",")} & _DEV_NAMES:
                return f"`pip install {target}` installs development extras"
        return None
    if tool == "poetry" and sub == "install":
        if call.has("--no-dev", "--only-root"):
            return None
        if "main" in " ".join(call.flag_values("--only")) or "dev" in " ".join(call.flag_values("--without")):
            return None
        return "`poetry install` installs the dev group (use `--only main` or `--without dev`)"
    if tool == "uv" and sub == "sync":
        if call.has("--no-dev", "--only-group", "--no-default-groups") or _truthy(env.get("UV_NO_DEV")):
            return None
        return "`uv sync` installs the dev group (use `--no-dev`)"
    if tool == "pipenv" and sub in ("install", "sync") and call.has("--dev", "-d"):
        return f"`pipenv {sub} --dev` installs dev packages"
    if tool == "bundle" and sub == "install":
        without = " ".join(call.flag_values("--without")) + " " + (env.get("BUNDLE_WITHOUT") or "")
        without += " " + config.get("without", "")
        deployment = call.has("--deployment") or _truthy(env.get("BUNDLE_DEPLOYMENT")) or _truthy(
            config.get("deployment"))
        if "development" in without or deployment:
            return None
        return "`bundle install` installs the development and test groups (set BUNDLE_WITHOUT=\"development test\")"
    if tool == "composer" and sub == "install":
        if call.has("--no-dev") or _truthy(env.get("COMPOSER_NO_DEV")):
            return None
        return "`composer install` installs require-dev packages (add `--no-dev`)"
    return None


def bundle_config(call: ToolCall) -> tuple[str, str] | None:
    """(key, value) of ``bundle config [set] [--local|--global] key value``."""
    if call.tool != "bundle" or call.sub != "config":
        return None
    words = [w for w in call.positional() if w not in ("set",)]
    if len(words) >= 2:
        key = words[0].lower().removeprefix("bundle_")
        return key, " ".join(words[1:])
    return None


@register
class DevDependenciesInFinalImage(Rule):
    """Development dependencies installed into the final image.

    ## What it does
    Reports dependency installs in the final image (the last stage and the stages it is built
    `FROM`) that include development-only packages:
    - `npm install`/`npm ci`, `yarn install`, `pnpm install` without `--omit=dev`/`--production`/
      `--prod` and without `NODE_ENV=production` (as `ENV`, `ARG` value or command prefix);
    - `pip install -r requirements-dev.txt` (or `dev-`, `test`, `lint`, `ci` requirement files)
      and `pip install .[dev]`-style extras;
    - `poetry install` without `--only main`/`--without dev`; `uv sync` without `--no-dev`;
      `pipenv install --dev`;
    - `bundle install` without a `without development` setting (flag, `BUNDLE_WITHOUT`,
      `bundle config`) or deployment mode;
    - `composer install` without `--no-dev`.

    `npm install <package>` and global installs (`-g`) are not dependency installs and are skipped.

    Development images (`Dockerfile.dev`, `.devcontainer/Dockerfile`, a final stage named `dev`;
    see CD303) are skipped: they are meant to carry development dependencies.

    ## Why is this bad?
    Test runners, linters, type checkers, bundlers and their dependencies often outweigh the
    application's own dependencies several times over. In the final image they cost space and
    pull time and widen the attack surface, and nothing at run time uses them. When the build
    needs them (`npm run build`), install them in a build stage and copy only the output.

    ## Example
    ```dockerfile
    FROM node:20-slim
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci
    COPY . .
    CMD ["node", "server.js"]
    ```

    ## Use instead
    ```dockerfile
    FROM node:20-slim
    ENV NODE_ENV=production
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci --omit=dev
    COPY . .
    CMD ["node", "server.js"]
    ```

    ## References
    - [npm ci: --omit](https://docs.npmjs.com/cli/commands/npm-ci#omit)
    - [Poetry: installing dependency groups](https://python-poetry.org/docs/managing-dependencies/)
    - [Bundler: without groups](https://bundler.io/man/bundle-config.1.html)
    """

    code = "CD104"
    name = "dev-dependencies-in-final-image"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        if development_image(ctx):
            return
        config: dict[str, str] = {}
        for stage in image_stages(ctx.model):
            for instr in stage.instructions:
                script = ctx.script(instr)
                if script is None:
                    continue
                env = ctx.model.vars_at(instr)
                for call in tool_calls(script):
                    setting = bundle_config(call)
                    if setting is not None:
                        config[setting[0]] = setting[1]
                        continue
                    why = dev_install(call, env, config)
                    if why is not None:
                        yield self.finding(ctx, instr, f"{why}; the final image does not need them")
                        break
