"""DL rules about ENV and ARG declarations."""

from __future__ import annotations

from collections.abc import Iterator

from codi.parser.expand import variables_used
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.dl.kvpairs import arg_pairs, env_label_pairs
from codi.rules.registry import register

# Parts of a variable name that say "this holds a credential".
_SENSITIVE_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "client_key",
    "credential",
    "username",
)


def _key(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


@register
class EnvSelfReference(Rule):
    """Do not refer to a variable in the same `ENV` statement that defines it.

    ## What it does
    Flags `ENV A=1 B=$A`: a value that uses a variable set earlier in the *same* `ENV`.

    ## Why is this bad?
    BuildKit substitutes all values of one `ENV` with the variables as they were *before* the
    instruction, so `B` gets the old value of `A` (or nothing), not `1`. Unlike hadolint, CODI
    also flags the case where `A` had an earlier value: that is the more surprising one.
    `ENV PATH=/opt/bin:$PATH` (a variable extending itself) is fine.

    ## Example
    ```dockerfile
    ENV APP_HOME=/app APP_BIN=$APP_HOME/bin
    ```

    ## Use instead
    ```dockerfile
    ENV APP_HOME=/app
    ENV APP_BIN=$APP_HOME/bin
    ```

    ## References
    - [hadolint DL3044](https://github.com/hadolint/hadolint/wiki/DL3044)
    """

    code = "DL3044"
    name = "env-self-reference"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("ENV"):
            defined: set[str] = set()
            for pair in env_label_pairs(instr):
                used = variables_used(pair.value_raw, ctx.dockerfile.escape)
                clash = [v for v in used if v in defined]
                if clash:
                    yield self.finding(
                        ctx,
                        instr,
                        f"Do not refer to an environment variable within the same `ENV` statement "
                        f"where it is defined (${clash[0]})",
                    )
                    break
                defined.add(_key(pair.key_raw))


@register
class SensitiveArgEnv(Rule):
    """Potentially sensitive data should not be used in `ARG` or `ENV`.

    ## What it does
    Flags `ARG` and `ENV` whose name says it holds a credential (contains `password`,
    `secret`, `token`, `api_key`, `access_key`, `private_key`, `credential`, ...).

    ## Why is this bad?
    `ENV` values are stored in the image config and `ARG` values in the build history:
    anyone who can pull the image can read them.

    ## Example
    ```dockerfile
    ARG NPM_TOKEN
    RUN echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > .npmrc && npm ci
    ```

    ## Use instead
    ```dockerfile
    RUN --mount=type=secret,id=npm_token \\
        NPM_TOKEN=$(cat /run/secrets/npm_token) npm ci
    ```

    ## References
    - [hadolint DL3064](https://github.com/hadolint/hadolint/wiki/DL3064)
    - [Docker build secrets](https://docs.docker.com/build/building/secrets/)
    """

    code = "DL3064"
    name = "sensitive-arg-env"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("ARG", "ENV"):
            pairs = arg_pairs(instr) if instr.keyword == "ARG" else env_label_pairs(instr)
            for pair in pairs:
                name = _key(pair.key_raw)
                if any(part in name.lower() for part in _SENSITIVE_PARTS):
                    yield self.finding(
                        ctx,
                        instr,
                        f"Potentially sensitive data should not be used in the `{instr.keyword}` "
                        f"command ({name})",
                    )
