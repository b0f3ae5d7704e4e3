"""BuildKit checks about ARG/ENV variables: UndefinedArgInFrom, UndefinedVar, SecretsUsedInArgOrEnv."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from codi.imagedb import lookup
from codi.parser.model import Instruction
from codi.parser.semantic import Stage
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.buildkit.secrets import looks_secret
from codi.rules.buildkit.words import BUILTIN_ARGS, PROXY_ARGS, flag_value, plain_refs, suggest
from codi.rules.registry import register


def arg_keys(instr: Instruction) -> list[str]:
    """Names an ARG instruction declares (``ARG A=1 B`` -> ``["A", "B"]``)."""
    return [a.split("=", 1)[0] for a in instr.args if a.split("=", 1)[0]]


def env_keys(instr: Instruction) -> list[str]:
    """Keys of ENV/LABEL: BuildKit gives ``[key, value, sep, key, value, sep, ...]``."""
    return instr.args[0::3]


def global_arg_names(ctx: RuleContext) -> list[str]:
    names: list[str] = []
    for instr in ctx.model.global_args:
        names.extend(arg_keys(instr))
    return names


@register
class UndefinedArgInFrom(Rule):
    """FROM command must use declared ARGs.

    ## What it does
    Flags a variable used in `FROM` (the image or `--platform`) that is neither a global
    `ARG` declared before the first `FROM` nor one of BuildKit's predefined platform ARGs
    (`BUILDPLATFORM`, `TARGETPLATFORM`, `TARGETOS`, `TARGETARCH`, ...). A use with a fallback
    such as `${TAG:-3.20}` is not reported: the author handled the unset case.

    ## Why is this bad?
    An undeclared variable in `FROM` expands to an empty string, so `FROM node:${VERSION}`
    silently becomes `FROM node:` (an error) or a different image than intended; build
    arguments given with `--build-arg` are ignored for `FROM` unless declared globally.

    ## Example
    ```dockerfile
    FROM node:${NODE_VERSION}-slim
    ```

    ## Use instead
    ```dockerfile
    ARG NODE_VERSION=20
    FROM node:${NODE_VERSION}-slim
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/undefined-arg-in-from/
    """

    code = "BK009"
    name = "UndefinedArgInFrom"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        declared = set(global_arg_names(ctx)) | BUILTIN_ARGS | PROXY_ARGS
        options = sorted(declared)
        escape = ctx.dockerfile.escape
        for instr in ctx.instructions("FROM"):
            words = [instr.args[0]] if instr.args else []
            platform = flag_value(instr, "platform")
            if platform:
                words.insert(0, platform)
            reported: set[str] = set()
            for word in words:
                for name in plain_refs(word, escape):
                    if name in declared or name in reported:
                        continue
                    reported.add(name)
                    msg = f"FROM argument '{name}' is not declared"
                    hint = suggest(name, options)
                    if hint:
                        msg += f" (did you mean {hint}?)"
                    yield self.finding(ctx, instr, msg)


# ENV names that common official base images set (their config env is not in the
# Dockerfile, and CODI does not pull images); used only when a stage starts from an image.
_IMAGE_ENV = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "LC_ALL",
        "GOPATH",
        "GOROOT",
        "GOTOOLCHAIN",
        "JAVA_HOME",
        "CATALINA_HOME",
        "MAVEN_CONFIG",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "GEM_HOME",
        "BUNDLE_PATH",
        "BUNDLE_APP_CONFIG",
        "BUNDLE_SILENCE_ROOT_WARNING",
        "PHP_INI_DIR",
        "PHPIZE_DEPS",
        "PHP_CFLAGS",
        "PHP_CPPFLAGS",
        "PHP_LDFLAGS",
        "GPG_KEY",
        "GPG_KEYS",
        "PYTHON_SHA256",
        "PYTHON_GET_PIP_URL",
        "PYTHON_GET_PIP_SHA256",
        "PKG_RELEASE",
        "HTTPD_PREFIX",
        "DOTNET_RUNNING_IN_CONTAINER",
        "ASPNETCORE_URLS",
        "ASPNETCORE_HTTP_PORTS",
        "APP_UID",
        "NVIDIA_VISIBLE_DEVICES",
        "NVIDIA_DRIVER_CAPABILITIES",
        "CUDA_HOME",
        "LD_LIBRARY_PATH",
        "CONDA_DIR",
        "VIRTUAL_ENV",
        "DEBIAN_FRONTEND",
    }
)
_IMAGE_ENV_SUFFIXES = ("_VERSION", "_HOME", "_SHA256", "_SHA512", "_MAJOR", "_DOWNLOAD_URL")
_NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})


def _root_base(ctx: RuleContext, stage: Stage) -> str:
    """The image the stage starts from, through its parent stages (``scratch`` has no ENV)."""
    return ctx.per_stage("root-base", _inherit_root_base)[stage.index]


def _inherit_root_base(stage: Stage, parent: str | None) -> str:
    return parent if parent is not None else stage.base_resolved or stage.base


@dataclass(frozen=True, slots=True)
class _ImageEnv:
    """What a stage's base image contributes: the ENV names CODI knows it sets, and whether a
    name outside them may still come from the image (unknown image, or facts not complete)."""

    names: frozenset[str]
    open: bool


_NO_IMAGE = _ImageEnv(frozenset(), open=False)
_UNKNOWN_IMAGE = _ImageEnv(frozenset(), open=True)


def _image_env(ctx: RuleContext, stage: Stage) -> _ImageEnv:
    ref = _root_base(ctx, stage)
    if ref.lower() == "scratch":
        return _NO_IMAGE
    config = lookup(ref)
    if config is None:
        return _UNKNOWN_IMAGE
    return _ImageEnv(frozenset(config.env), open=not config.env_complete)


def _expanded_words(instr: Instruction) -> Iterator[str]:
    """The words BuildKit runs variable expansion on for this instruction (not RUN, CMD,
    ENTRYPOINT, SHELL, HEALTHCHECK: their text goes to the shell unexpanded)."""
    kw = instr.keyword
    if kw in ("ENV", "LABEL"):
        for i in range(0, len(instr.args) - 1, 3):
            yield instr.args[i]
            yield instr.args[i + 1]
    elif kw in ("COPY", "ADD"):
        if not instr.heredocs:
            yield from instr.args
        else:
            yield from (a for a in instr.args if not a.startswith("<<"))
        for name in ("chown", "chmod", "from"):
            value = flag_value(instr, name)
            if value:
                yield value
    elif kw in ("EXPOSE", "USER", "WORKDIR", "VOLUME", "STOPSIGNAL"):
        yield from instr.args


def _reportable_with_image(name: str, declared_anywhere: set[str]) -> bool:
    """Whether an undefined ``name`` is reported in a stage whose image ENV is unknown."""
    if name in BUILTIN_ARGS:
        return True
    if name in _IMAGE_ENV or name.endswith(_IMAGE_ENV_SUFFIXES):
        return False
    return name in declared_anywhere


@register
class UndefinedVar(Rule):
    """Variables should be defined before their use.

    ## What it does
    Flags `$NAME` / `${NAME}` in instructions that BuildKit expands (`ENV`, `LABEL`, `COPY`,
    `ADD`, `EXPOSE`, `USER`, `WORKDIR`, `VOLUME`, `STOPSIGNAL`) when `NAME` is not an `ARG`
    or `ENV` declared earlier in the stage (or `ENV` of the stage it is built `FROM`).
    `RUN`, `CMD` and `ENTRYPOINT` are left to the shell (see ShellCheck's SC2154).

    BuildKit's predefined ARGs (`TARGETARCH`, `BUILDPLATFORM`, ...) count only after an
    `ARG TARGETARCH` in the stage, exactly as in BuildKit: without it they are empty there.
    Uses with a fallback (`${NAME:-default}`) are not reported.

    The base image's own ENV counts as defined, as in BuildKit: CODI does not pull images but
    knows the config of common ones (`codi bases show IMAGE`), so after `FROM python:3.12`
    `$PYTHON_VERSION` is defined and after `FROM alpine` `$PAHT` is not (alpine sets only
    `PATH`). For `FROM scratch` (and stages built on it) every undeclared name is reported.

    Limitation: for an image CODI has no facts about (or whose ENV it knows only in part), a
    name may come from the image, so it is reported only when the Dockerfile itself declares
    it somewhere (an `ARG`/`ENV` elsewhere, e.g. a global ARG not re-declared in the stage,
    or an `ENV` used in the same instruction that sets it) or when it is one of BuildKit's
    predefined ARGs; common image variables (`PATH`, `LANG`, `JAVA_HOME`, names ending in
    `_VERSION`, `_HOME`, ...) are not reported there.

    ## Why is this bad?
    An undefined variable expands to an empty string: `COPY app-${VERSION}.jar /app/` copies
    `app-.jar`, `WORKDIR /srv/$APP` becomes `/srv/`. It is almost always a typo or a missing
    `ARG` in the stage (global ARGs are not visible inside stages until re-declared).

    ## Example
    ```dockerfile
    ARG VERSION=1.2
    FROM alpine
    COPY app-${VERSION}.tar.gz /opt/
    ```

    ## Use instead
    ```dockerfile
    ARG VERSION=1.2
    FROM alpine
    ARG VERSION
    COPY app-${VERSION}.tar.gz /opt/
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/undefined-var/
    """

    code = "BK011"
    name = "UndefinedVar"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        escape = ctx.dockerfile.escape
        declared_anywhere = {
            key
            for instr in ctx.dockerfile.instructions
            if instr.keyword in ("ARG", "ENV")
            for key in (arg_keys(instr) if instr.keyword == "ARG" else env_keys(instr))
        }
        for stage in ctx.model.stages:
            image: _ImageEnv | None = None  # looked up at the stage's first variable: most stages have none
            for instr in stage.instructions:
                words = [w for w in _expanded_words(instr) if "$" in w]
                if not words:
                    continue
                if image is None:
                    image = _image_env(ctx, stage)
                env = ctx.model.vars_at(instr)
                reported: set[str] = set()
                for word in words:
                    for name in plain_refs(word, escape):
                        if name in env or name in reported or name in _NON_ENV_ARGS or name in image.names:
                            continue
                        if image.open and not _reportable_with_image(name, declared_anywhere):
                            continue
                        reported.add(name)
                        msg = f"Usage of undefined variable '${name}'"
                        hint = suggest(name, [*env, *sorted(image.names)])
                        if hint:
                            msg += f" (did you mean ${hint}?)"
                        yield self.finding(ctx, instr, msg)


@register
class SecretsUsedInArgOrEnv(Rule):
    """Sensitive data should not be used in the ARG or ENV commands.

    ## What it does
    Flags `ARG` and `ENV` names that look like secrets: one of the `_`-separated parts of the
    name is `apikey`, `auth`, `credential(s)`, `key`, `password`, `pword`, `passwd`, `secret`
    or `token` (any casing), unless a part is `public`. This is BuildKit's rule, word for
    word, so names such as `GPG_KEY` are reported too (suppress them where they are public).

    ## Why is this bad?
    ARG and ENV values are stored in the image: `ENV` in its config, `ARG` values in the
    build history (`docker history`) and provenance. Anyone who can pull the image can read
    them. Use build secrets (`RUN --mount=type=secret`) instead.

    ## Example
    ```dockerfile
    FROM alpine
    ARG GITHUB_TOKEN
    RUN git clone https://$GITHUB_TOKEN@github.com/acme/private.git
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN \
        git clone https://$GITHUB_TOKEN@github.com/acme/private.git
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
    - https://docs.docker.com/build/building/secrets/
    """

    code = "BK016"
    name = "SecretsUsedInArgOrEnv"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.instructions("ARG", "ENV"):
            keys = arg_keys(instr) if instr.keyword == "ARG" else env_keys(instr)
            for key in keys:
                if looks_secret(key):
                    msg = f'Do not use ARG or ENV instructions for sensitive data ({instr.keyword} "{key}")'
                    yield self.finding(ctx, instr, msg)
