"""CD304: a literal secret (token, password, private key) written into the Dockerfile."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from codi.parser.model import Instruction
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.registry import register

# Formats with a recognisable prefix: what they are, and the pattern.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe live key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("an npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("a PyPI token", re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{30,}")),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----")),
)
_URL_CREDS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s:@'\"]+):([^/\s@'\"]+)@[^\s/'\"]")
_NPM_AUTH = re.compile(r"(?:^|[\s:\"'])_auth(?:Token)?(?:\s*=\s*|\s+)[\"']?([^\s\"']+)")
_SECRET_FLAGS = ("--password", "--passwd", "--token", "--api-key", "--apikey", "--auth-token", "--access-token",
                 "--secret-key", "--client-secret")
_SECRET_NAME_ENDS = ("password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "access_key",
                     "secret_key", "private_key", "client_secret", "auth_token", "access_token", "secret_access_key")
_PLACEHOLDERS = frozenset({
    "password", "passwd", "pass", "secret", "token", "changeme", "change_me", "change-me", "null", "none", "nil",
    "example", "dummy", "placeholder", "redacted", "yes", "no", "true", "false", "on", "off", "0", "1", "-",
    "username", "user", "mypassword", "secretkey", "apikey", "api_key", "your_token", "yourtoken",
})


def placeholder(value: str) -> bool:
    """True for values that are clearly not a real secret (variables, templates, dummies)."""
    v = value.strip().strip("\"'")
    low = v.lower()
    return (
        not v or "$" in v or "{{" in v or "%(" in v or "%s" in v
        or (v.startswith("<") and v.endswith(">")) or (v.startswith("[") and v.endswith("]"))
        or set(v) <= set("x*._-X") or low in _PLACEHOLDERS or "example" in low
        or ("your" in low and any(w in low for w in ("token", "key", "pass", "secret")))
    )


def mask(value: str) -> str:
    return value[:4] + "..." if len(value) > 6 else "..."


_MARKERS = ("AKIA", "ASIA", "gh", "glpat-", "xox", "_live_", "AIza", "npm_", "pypi-", "PRIVATE KEY", "://", "_auth")
_ANY_MARKER = re.compile("|".join(map(re.escape, _MARKERS)))  # one scan of the text instead of twelve
# The literal each of _TOKENS needs (same order): a pattern whose literal is absent cannot match.
_TOKEN_MARKERS: tuple[tuple[str, ...], ...] = (
    ("AKIA", "ASIA"), ("gh",), ("glpat-",), ("xox",), ("_live_",), ("AIza",), ("npm_",), ("pypi-",), ("PRIVATE KEY",),
)


def secret_in_text(text: str) -> str | None:
    """A description of the first concrete secret in ``text``, or None."""
    if _ANY_MARKER.search(text) is None:  # cheap pre-check: most instructions have none
        return None
    for (what, pattern), needs in zip(_TOKENS, _TOKEN_MARKERS, strict=True):
        if not any(n in text for n in needs):
            continue
        m = pattern.search(text)
        if m and "EXAMPLE" not in m.group(0):
            return f"{what} ({mask(m.group(0))})"
    for m in _URL_CREDS.finditer(text):
        if not placeholder(m.group(2)):
            return f"a password in a URL ({m.group(1)}:{mask(m.group(2))}@...)"
    for m in _NPM_AUTH.finditer(text):
        if not placeholder(m.group(1)) and len(m.group(1)) >= 8:
            return f"an npm auth token ({mask(m.group(1))})"
    return None


def secret_name(name: str) -> bool:
    low = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_").replace(".", "_")
    return low.endswith(_SECRET_NAME_ENDS) and not low.endswith(("_no_password", "empty_password"))


def _pairs(instr: Instruction) -> Iterator[tuple[str, str]]:
    """(name, value) of ENV/LABEL (BuildKit triples) and ARG (``name=value`` words)."""
    if instr.keyword in ("ENV", "LABEL"):
        args = instr.args
        for i in range(0, len(args) - 2, 3):
            yield args[i], args[i + 1]
    elif instr.keyword == "ARG":
        for word in instr.args:
            name, eq, value = word.partition("=")
            if eq:
                yield name, value


def _words(ctx: RuleContext, instr: Instruction) -> list[str]:
    script = ctx.script(instr)
    if script is not None:
        return [w for c in script.commands for w in c.argv]
    return list(instr.args) + [h.content for h in instr.heredocs]


@register
class SecretInDockerfile(Rule):
    """A literal secret is written into the Dockerfile.

    ## What it does
    Reports instructions that contain a concrete secret value:
    - tokens with a known format: AWS access key ids (`AKIA...`), GitHub (`ghp_...`,
      `github_pat_...`), GitLab (`glpat-...`), Slack (`xox?-...`), Stripe live keys, Google API keys,
      npm (`npm_...`) and PyPI tokens, and `-----BEGIN ... PRIVATE KEY-----` blocks;
    - a password inside a URL (`https://user:s3cr3t@host/...`, `postgres://app:pw@db/app`);
    - an npm `_authToken=`/`_auth=` value (`.npmrc` written by `RUN echo` or a heredoc);
    - `ENV`/`ARG` named like a secret (`*_PASSWORD`, `*_TOKEN`, `*_SECRET`, `*_API_KEY`, ...) with a
      literal value, and `--password`/`--token`/`--api-key`-style options with a literal value.

    Only literal values count: `$VAR`/`${VAR}` references, empty values, `ARG NAME` without a
    default, booleans and obvious placeholders (`changeme`, `<token>`, `xxxx`, AWS's documented
    `...EXAMPLE` keys) are not reported. BuildKit's SecretsUsedInArgOrEnv warns about secret-like
    *names* whatever their value; this rule needs the secret itself and is an error.

    ## Why is this bad?
    Everything in a Dockerfile ends up in the image or its history: `ENV` and `ARG` values are
    readable with `docker history`/`docker inspect`, a file written in one layer stays there even
    if a later layer deletes it, and the Dockerfile itself sits in version control. Anyone who can
    pull the image or read the repository has the credential.

    ## Example
    ```dockerfile
    ENV GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz
    RUN git clone https://deploy:hunter22@git.example.org/app.git
    ```

    ## Use instead
    ```dockerfile
    RUN --mount=type=secret,id=github_token \\
        GITHUB_TOKEN=$(cat /run/secrets/github_token) ./fetch-deps.sh
    ```
    and build with `docker build --secret id=github_token,env=GITHUB_TOKEN .`

    ## References
    - [Docker: build secrets](https://docs.docker.com/build/building/secrets/)
    - [BuildKit check SecretsUsedInArgOrEnv](https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/)
    """

    code = "CD304"
    name = "secret-in-dockerfile"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.dockerfile.instructions:
            why = self._evidence(ctx, instr.inner or instr)
            if why is not None:
                yield self.finding(
                    ctx, instr,
                    f"{instr.keyword} contains {why}; pass secrets with `RUN --mount=type=secret` instead",
                )

    def _evidence(self, ctx: RuleContext, instr: Instruction) -> str | None:
        for name, value in _pairs(instr):
            if instr.keyword != "LABEL" and secret_name(name) and not placeholder(value):
                return f"a literal value for {name} ({mask(value.strip(chr(34) + chr(39)))})"
        words = _words(ctx, instr)
        for i, w in enumerate(words):
            if not w.startswith("--"):  # every one of _SECRET_FLAGS does
                continue
            flag, eq, value = w.partition("=")
            if flag in _SECRET_FLAGS:
                value = value if eq else (words[i + 1] if i + 1 < len(words) else "")
                if not placeholder(value) and not value.startswith("-"):
                    return f"a literal {flag} value ({mask(value)})"
        return secret_in_text("\n".join(words))
