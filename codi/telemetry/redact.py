"""One redaction pass for everything CODI writes or sends: secret values out, structure kept.

``redact_text`` replaces the *value* of a secret and keeps its name, so ``ENV API_TOKEN=abc`` becomes
``ENV API_TOKEN=***REDACTED***`` and a report still reads. It is idempotent (a second pass changes
nothing) and leaves ordinary text byte-identical (tests/ops/data/redaction/negative). What it removes:

- values of secret-named ``NAME=value`` pairs (ENV, ARG, ``--build-arg``, ``export``, env files), the
  legacy ``ENV NAME value`` form and ``"NAME": "value"`` in JSON; names are judged by BuildKit's word
  test (``codi.rules.buildkit.secrets.looks_secret``); references such as ``$NPM_TOKEN`` stay;
- passwords in URLs (``https://user:pass@host``; pip's ``--index-url``/``PIP_INDEX_URL`` user alone too);
- ``.npmrc`` ``_authToken=``/``_auth=``/``_password=``; ``curl -u user:pass``; ``--password``;
  ``Authorization:`` headers; PEM private keys;
- token shapes: AWS access key ids, GitHub, GitLab, Slack, npm, PyPI, Google API keys, JWTs.

``redact_data`` applies the same to every string of a JSON-like value and blanks string values under
secret-named keys. ``redaction_disabled`` answers ``--no-redact``: refused in production mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from codi.config.flags import production_mode
from codi.rules.buildkit.secrets import looks_secret

REDACTED = "***REDACTED***"

# GPG/PGP key ids in ENV (the official python, node and ruby images) are public fingerprints.
_PUBLIC_WORDS = re.compile(r"(?i)(?:^|_)(?:gpg|pgp|fingerprint|keyring|keyserver)(?:_|$)")
# Field names of CODI's own records that are not secrets (a contract change's ``key`` is an env name).
_FIELD_NAMES = frozenset({"key", "auth"})

# A value: "double quoted", \"JSON-escaped quoted\", 'single quoted', or a bare word.
_VALUE = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|(?P<q>\\+")(?:(?!(?P=q))[^\n])*(?P=q)|(?:[^\s"'\\;&|<>`)]|\\[ ])+)"""
_NOT_DONE = r"(?!\*\*\*REDACTED\*\*\*)"
_REF = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-+=?][^}]*)?\}?$")
_PATH = re.compile(r"^/[\w./-]*$")


def secret_name(name: str) -> bool:
    """A name whose value is a secret (BuildKit's word test, less public key fingerprints)."""
    return looks_secret(name) and _PUBLIC_WORDS.search(name) is None


def _plain(value: str) -> bool:
    """Values that are not secrets even under a secret name: empty, a reference, a path, done already."""
    core = value.strip("\"'\\")
    return not core or REDACTED in value or _REF.match(core) is not None or _PATH.match(core) is not None


def _quoted(value: str) -> str:
    """REDACTED inside the value's own quotes (``"…"``, ``'…'``, or ``\\"…\\"`` escaped at any depth)."""
    quote = re.match(r"""\\*["']""", value)
    if quote and len(value) >= 2 * len(quote.group(0)) and value.endswith(quote.group(0)):
        return quote.group(0) + REDACTED + quote.group(0)
    return REDACTED


def _assign(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    if not secret_name(name) or _plain(value):
        return match.group(0)
    return match.group("head") + _quoted(value)


def _json_pair(match: re.Match[str]) -> str:
    if match.group("name") in _FIELD_NAMES:
        return match.group(0)
    return _assign(match)


def _keep_user(match: re.Match[str]) -> str:
    return match.group("head") + REDACTED + match.group("tail")


def _unless_plain(match: re.Match[str]) -> str:
    """``_keep_user``, except for values that are no secret (``_plain``): those stay as written."""
    return match.group(0) if _plain(match.group("value")) else _keep_user(match)


_PEM = re.compile(r"(-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY-----)(?P<body>.*?)(-----END (?P=kind)PRIVATE KEY-----)",
                  re.S)
_PEM_OPEN = re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(?!\*\*\*REDACTED)(?:[A-Za-z0-9+/=:, \t\r\n-]|\\[nrt])+")

_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str], ...] = (
    # ENV NAME value (legacy form: the value runs to the end of the line)
    (re.compile(r"(?P<head>(?:^|(?<=\\n)|(?<=\"))[ \t]*(?i:ENV)[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]+)" + _NOT_DONE
                + r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|(?![=\s])[^\n\\\"]*[^\s\\\"])", re.M), _assign),
    # NAME=value anywhere: ENV/ARG pairs, --build-arg, export, env files, query strings
    (re.compile(r"(?P<head>(?<![\w.$/-])(?P<name>[A-Za-z_][A-Za-z0-9_]*)=)" + _NOT_DONE + r"(?P<value>" + _VALUE + ")"),
     _assign),
    # "NAME": "value" in JSON
    (re.compile(r"(?P<head>\"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\"\s*:\s*)" + _NOT_DONE
                + r"(?P<value>\"(?:[^\"\\]|\\.)*\")"), _json_pair),
    (re.compile(r"(?P<head>\\\"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\\\"\s*:\s*)" + _NOT_DONE
                + r"(?P<value>\\\"(?:[^\"\\]|\\[^\"])*\\\")"), _json_pair),
    # .npmrc: //registry/:_authToken=..., _auth=..., _password=...
    (re.compile(r"(?P<head>(?<![\w])(?:_authToken|_auth|_password)[ \t]*=[ \t]*)" + _NOT_DONE
                + r"(?P<value>[^\s\"'\\]+)(?P<tail>)"),
     _unless_plain),
    # scheme://user:password@host
    (re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:\"'<>\\]+:)" + _NOT_DONE
                + r"(?P<value>[^\s/\"'<>\\]+)(?P<tail>@)"), _keep_user),
    # pip: --index-url https://TOKEN@host (a user alone is the token)
    (re.compile(r"(?P<head>(?:--(?:extra-)?index-url[ \t=]+|PIP_(?:EXTRA_)?INDEX_URL=)['\"]?[A-Za-z][A-Za-z0-9+.-]*://)"
                + _NOT_DONE + r"(?P<value>[^\s/@:\"'<>\\]+)(?P<tail>@)"), _keep_user),
    # curl -u user:password / --user user:password
    (re.compile(r"(?P<head>\bcurl\b(?:[^\n;&|]|\\\n)*?\s(?:-u[ \t]*|--user[ \t=]+)(?:\\*['\"])?[^\s:'\"\\]*:)" + _NOT_DONE
                + r"(?P<value>[^\s'\"\\]+)(?P<tail>)"), _keep_user),
    # --password VALUE, --http-password=VALUE (wget, docker login, ...)
    (re.compile(r"(?P<head>(?<![\w-])--(?:[a-z]+-)?password[ \t=]+(?:\\*['\"])?)" + _NOT_DONE
                + r"(?P<value>(?!-)[^\s'\"\\]+)(?P<tail>)"),
     _unless_plain),
    # Authorization: Bearer/Basic/token VALUE
    (re.compile(r"(?P<head>(?i:authorization):[ \t]*(?i:bearer|basic|token)[ \t]+)" + _NOT_DONE
                + r"(?P<value>[^\s'\"\\]+)(?P<tail>)"),
     _unless_plain),
    # token shapes: the prefix stays, so a reader knows what kind of token was there
    (re.compile(r"\b(?P<p>AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>gh[pousr]_)[A-Za-z0-9]{30,}\b"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>github_pat_)[A-Za-z0-9_]{22,}"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>glpat-)[A-Za-z0-9_-]{20,}"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>xox[abposre]-)[A-Za-z0-9-]{10,}"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>npm_)[A-Za-z0-9]{36}\b"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>pypi-)AgE[A-Za-z0-9_-]{40,}"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>AIza)[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), r"\g<p>" + REDACTED),
    (re.compile(r"\b(?P<p>eyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), r"\g<p>" + REDACTED),
)


def _pem(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED + match.group(4)


def redact_text(text: str) -> str:
    """``text`` with every secret value replaced by ``***REDACTED***``; names and layout stay."""
    if not text:
        return text
    text = _PEM.sub(_pem, text)
    text = _PEM_OPEN.sub(lambda m: m.group(1) + REDACTED, text)
    for pattern, replace in _RULES:
        text = pattern.sub(replace, text)
    return text


def redact_data(value: object, key: str | None = None) -> object:
    """A JSON-like value with every string redacted; strings under a secret-named key are blanked."""
    if isinstance(value, str):
        if key is not None and key not in _FIELD_NAMES and secret_name(key) and not _plain(value):
            return REDACTED
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_data(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value


class RedactionRefused(Exception):
    """``--no-redact`` asked for in production mode."""


def check_no_redact(no_redact: bool) -> bool:
    """Whether to redact: True unless ``--no-redact``, which production mode refuses."""
    if no_redact and production_mode():
        raise RedactionRefused("--no-redact is refused in production mode (CODI_PRODUCTION=1)")
    return not no_redact
