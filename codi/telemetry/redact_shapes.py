"""The table of secret shapes ``codi.telemetry.redact`` removes: each a pattern and what replaces the match.

Every pattern keeps what tells a reader what was there (the name, the user, the token's prefix) and
replaces only the value. Patterns also match text that is JSON-escaped once or more (a Dockerfile
inside run.json or events.jsonl): quotes may be ``\\"`` and a line break ``\\n``. Line continuations
count (``curl --user admin:\\`` with the password on the next line). Each rule names the keywords
one of which its match holds, and is skipped on text without them; every pattern is linear in the
text (bench/redact.py feeds it hostile repetitions).

Why a table and not detect-secrets (PyPI, Apache-2.0): it is a line scanner that reports findings, not
a redactor, and on this task it missed all 8 shapes that leaked (PGPASSWORD, MYSQL_PWD, DBPASS, a
Sentry DSN, curl's next-line password, ``mysql -p``, ``.netrc``, a comment) while its entropy plugins
flag the official images' GPG key ids and sha512 checksums, the negative corpus (tried with 1.5.0's
default settings); it would also bring requests and PyYAML plugins into the core.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from codi.telemetry.redact_names import REDACTED, plain, secret_pair

Replace = Callable[[re.Match[str]], str] | str

# A value: "double quoted", \"JSON-escaped quoted\", 'single quoted', or a bare word.
_VALUE = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|(?P<q>\\+")(?:(?!(?P=q))[^\n])*(?P=q)|(?:[^\s"'\\;&|<>`)]|\\[ ])+)"""
_WORD = r"""(?:'[^'\n]*'|"[^"\n\\]*"|[^\s'"\\;&|`]+)"""  # one shell word, as glued to an option (-pS3cret)
_NOT_DONE = r"(?!\*\*\*REDACTED\*\*\*)"
_CONT = r"(?:\\+(?:\r?\n|n)[ \t]*)"  # a line continuation, raw or JSON-escaped
_SEP = r"(?:[ \t]|\\+n|\r?\n)"  # a space or a line break, raw or JSON-escaped
_LINE_START = r"(?:^|(?<=\\n)|(?<=\"))"  # a line, also inside a JSON string or after a quote
_LINE = r"(?:^|(?<=\\n)|(?<=[\"']))"  # a line, also the start of a quoted string (printf '[pypi]\npassword = …')


def _command(start: str) -> str:
    """One shell command from its ``start`` word to its end, across continuations; it stops at the next
    ``start`` word, so a line of a thousand ``curl``s stays linear."""
    return r"\b" + start + r"\b(?:(?!\b" + start + r"\b)(?:\\\r?\n|[^\n;&|]))*"  # a continuation first


FIELD_NAMES = frozenset({"key", "auth"})  # fields of CODI's own records (a contract change's key is an env name)
# Words that follow "password is" in prose and are no password.
_PROSE = frozenset({"not", "set", "unset", "empty", "required", "optional", "stored", "read", "passed", "given",
                    "provided", "a", "an", "the", "in", "from", "taken", "generated", "random", "changed", "ignored"})


def _quoted(value: str) -> str:
    """REDACTED inside the value's own quotes (``"…"``, ``'…'``, or ``\\"…\\"`` escaped at any depth)."""
    quote = re.match(r"""\\*["']""", value)
    if quote and len(value) >= 2 * len(quote.group(0)) and value.endswith(quote.group(0)):
        return quote.group(0) + REDACTED + quote.group(0)
    return REDACTED


def _assign(match: re.Match[str]) -> str:
    if not secret_pair(match.group("name"), match.group("value")):
        return match.group(0)
    return match.group("head") + _quoted(match.group("value"))


def _line_pair(match: re.Match[str]) -> str:
    if not secret_pair(match.group("name"), match.group("value"), loose=True):
        return match.group(0)
    return match.group("head") + _quoted(match.group("value"))


def _json_pair(match: re.Match[str]) -> str:
    return match.group(0) if match.group("name") in FIELD_NAMES else _assign(match)


def _keep_user(match: re.Match[str]) -> str:
    return match.group("head") + REDACTED + match.group("tail")


def _unless_plain(match: re.Match[str]) -> str:
    """``_keep_user``, except for values that are no secret (``plain``): those stay as written."""
    return match.group(0) if plain(match.group("value")) else _keep_user(match)


def _prose(match: re.Match[str]) -> str:
    word = match.group("value").strip("`'\".,;").lower()
    return match.group(0) if word in _PROSE else _unless_plain(match)


class Rule(NamedTuple):
    pattern: re.Pattern[str]
    replace: Replace
    needles: tuple[str, ...]  # lower-case text one of which a match must hold: the rule is skipped without

    def wanted(self, lower: str) -> bool:
        return not self.needles or any(n in lower for n in self.needles)


def _rule(pattern: str, replace: Replace, *needles: str, flags: int = 0) -> Rule:
    return Rule(re.compile(pattern, flags), replace, needles)


def _token(prefix: str, body: str, *needles: str) -> Rule:
    """A token with a known prefix: the prefix stays, so a reader knows what kind of token was there."""
    return Rule(re.compile(r"(?<![A-Za-z0-9_-])(?P<p>" + prefix + ")" + body), r"\g<p>" + REDACTED, needles)


def _in_command(start: str, option: str, *needles: str) -> Rule:
    """A password given as an option of one command (``curl -u``, ``mysql -p``): every such option of
    the command is redacted in one pass, so a second pass finds nothing left (idempotent)."""
    inner = re.compile(option)

    def replace(match: re.Match[str]) -> str:
        return inner.sub(_unless_plain, match.group(0))

    return Rule(re.compile(_command(start)), replace, needles)


_VAL = _NOT_DONE + r"(?P<value>[^\s'\"\\]+)(?P<tail>)"
_MYSQL = r"(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mariadb(?:-dump|-admin)?)"
_LOGIN = r"(?:sshpass|redis-cli|(?:docker|podman|buildah|skopeo|nerdctl)[ \t]+login|helm[ \t]+registry[ \t]+login)"
_FLAGS = r"(?:password|passwd|pass|token|api-?key|access-token|auth-token|client-secret|secret-key)"

RULES: tuple[Rule, ...] = (
    # ENV NAME value (legacy form: the value runs to the end of the line; a diff's +/- before it)
    _rule(_LINE_START + r"(?P<head>[ \t]*[-+]?[ \t]*(?i:ENV)[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]+)" + _NOT_DONE
          + r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|(?![=\s])[^\n\\\"]*[^\s\\\"])", _assign, "env", flags=re.M),
    # NAME=value anywhere: ENV/ARG pairs, --build-arg, export, env files, query strings
    _rule(r"(?P<head>(?<![\w.$/+-])(?P<name>[A-Za-z_][A-Za-z0-9_]*)=)" + _NOT_DONE + r"(?P<value>" + _VALUE + ")",
          _assign, "="),
    # name: value / name = value at a line's start: YAML, INI (.pypirc), a "# password: x" comment
    _rule(_LINE + r"(?P<head>[ \t]*(?:#+[ \t]*|-[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*[:=][ \t]*)"
          + _NOT_DONE + r"(?P<value>" + _VALUE + ")", _line_pair, ":", "=", flags=re.M),
    # "NAME": "value" in JSON (also escaped inside a JSON string)
    _rule(r"(?P<head>\"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\"\s*:\s*)" + _NOT_DONE + r"(?P<value>\"(?:[^\"\\]|\\.)*\")",
          _json_pair, '":'),
    _rule(r"(?P<head>\\\"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\\\"\s*:\s*)" + _NOT_DONE
          + r"(?P<value>\\\"(?:[^\"\\]|\\[^\"])*\\\")", _json_pair, '\\":'),
    # a password in a comment's prose: "# the admin password is hunter2"
    _rule(_LINE_START + r"(?P<head>[ \t+-]*#(?:[^\n\\]|\\[^n])*?\b"
          r"(?i:password|passwd|passphrase|pwd|pw|pass|secret|token|api[ _-]?key)[ \t]+(?i:is|was)[ \t]+[`'\"]?)"
          + _NOT_DONE + r"(?P<value>[^\s`'\"\\,;]+)(?P<tail>)", _prose, "#", flags=re.M),
    # .npmrc: //registry/:_authToken=..., _auth=..., _password=... (also `npm config set ... _authToken X`)
    _rule(r"(?P<head>(?<![\w])(?:_authToken|_auth|_password)(?:[ \t]*=[ \t]*|[ \t]+)['\"]?)" + _VAL, _unless_plain, "_auth", "_password"),
    # scheme://user:password@host, also with no user (redis://:password@host)
    _rule(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:\"'<>\\]*:)" + _NOT_DONE
          + r"(?P<value>[^\s/\"'<>\\]+)(?P<tail>@)", _keep_user, "://"),
    # pip: --index-url https://TOKEN@host (a user alone is the token)
    _rule(r"(?P<head>(?:--(?:extra-)?index-url[ \t=]+|PIP_(?:EXTRA_)?INDEX_URL=)['\"]?[A-Za-z][A-Za-z0-9+.-]*://)"
          + _NOT_DONE + r"(?P<value>[^\s/@:\"'<>\\]+)(?P<tail>@)", _keep_user, "index"),
    # curl -u user:password / --user user:password, the password possibly on the next line
    _in_command("curl", r"(?P<head>\s(?:-u|--user)(?:[ \t=]|" + _CONT + r")*(?:\\*['\"])?[^\s:'\"\\]*:" + _CONT
                + "?)" + _VAL, "curl"),
    # --password VALUE, --http-password=VALUE, --token VALUE (wget, docker login, CLIs), next line too
    _rule(r"(?P<head>(?<![\w-])--(?:[a-z]+-)?" + _FLAGS + r"(?:[ \t=]|" + _CONT + r")+(?:\\*['\"])?)"
          + _NOT_DONE + r"(?P<value>(?!-)[^\s'\"\\]+)(?P<tail>)", _unless_plain, "--"),
    # mysql -pPASSWORD (glued: a lone -p prompts)
    _in_command(_MYSQL, r"(?P<head>[ \t]-p)" + _NOT_DONE + r"(?P<value>" + _WORD + ")(?P<tail>)", "mysql", "mariadb"),
    # sshpass -p PW, redis-cli -a PW, docker login -p PW
    _in_command(_LOGIN, r"(?P<head>[ \t]-[pa][ \t]+(?:\\*['\"])?)" + _VAL, "sshpass", "redis-cli", "login"),
    # htpasswd -b[c] FILE USER PASSWORD
    _rule(r"(?P<head>\bhtpasswd(?:[ \t]+-[A-Za-z]+)*?[ \t]+-[A-Za-z]*b[A-Za-z]*(?:[ \t]+-[A-Za-z]+)*"
          r"[ \t]+[^\s;&|]+[ \t]+[^\s;&|]+[ \t]+(?:\\*['\"])?)" + _VAL, _unless_plain, "htpasswd"),
    # echo 'user:PASSWORD' | chpasswd
    _rule(r"(?P<head>\becho[ \t]+(?:-e[ \t]+)?(?:\\*['\"])?[\w.-]+:)" + _NOT_DONE
          + r"(?P<value>[^\s'\"\\|]+)(?P<tail>(?=(?:\\*['\"])?[ \t]*\|[ \t]*(?:sudo[ \t]+)?chpasswd))", _unless_plain, "chpasswd"),
    # openssl -passin pass:PASSWORD
    _rule(r"(?P<head>-pass(?:in|out|word)?[ \t]+(?:\\*['\"])?pass:)" + _VAL, _unless_plain, "pass:"),
    # .netrc: machine HOST login USER password PASSWORD (one line or several)
    _rule(r"(?P<head>\b(?:machine|login|account)[ \t]+[^\s'\"\\]+(?:" + _SEP + r"+(?:login|account)[ \t]+[^\s'\"\\]+){0,2}"
          + _SEP + r"+password[ \t]+)" + _VAL, _unless_plain, "password"),
    # -H "X-Api-Key: VALUE", --header 'PRIVATE-TOKEN: VALUE'
    _rule(r"(?P<head>(?:-H|--header)[ \t=]+(?:\\*['\"])?(?P<name>[A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*)" + _NOT_DONE
          + r"(?P<value>[^\s'\"\\]+)", _assign, "-h", "--header"),
    # Authorization: Bearer/Basic/token VALUE
    _rule(r"(?P<head>(?i:authorization):[ \t]*(?i:bearer|basic|token)[ \t]+)" + _VAL, _unless_plain, "authorization"),
    # token shapes (formats documented by each vendor)
    _token(r"AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA", r"[A-Z0-9]{16}\b", "akia", "asia", "agpa", "aida", "aroa",
           "anpa", "anva", "aipa"),
    _token(r"gh[pousr]_", r"[A-Za-z0-9]{30,}\b", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    _token(r"github_pat_", r"[A-Za-z0-9_]{22,}", "github_pat_"),
    _token(r"gl(?:pat|ptt|dt|rt|cbt|imt|oas|ft|soat|agent)-", r"[A-Za-z0-9_-]{20,}", "gl"),
    _token(r"xox[abposre]-", r"[A-Za-z0-9-]{10,}", "xox"),
    _rule(r"(?P<p>https://hooks\.slack\.com/services/)[A-Za-z0-9/_-]{20,}", r"\g<p>" + REDACTED, "hooks.slack"),
    _token(r"npm_", r"[A-Za-z0-9]{36}\b", "npm_"),
    _token(r"pypi-", r"AgE[A-Za-z0-9_-]{40,}", "pypi-"),
    _token(r"AIza", r"[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", "aiza"),
    _token(r"ya29\.", r"[A-Za-z0-9_-]{20,}", "ya29."),
    _token(r"eyJ", r"[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", "eyj"),
    _token(r"[sr]k_(?:live|test)_", r"[A-Za-z0-9]{16,}", "k_live_", "k_test_"),
    _token(r"sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?", r"(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}", "sk-"),
    _token(r"SG\.", r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", "sg."),
    _token(r"hf_", r"[A-Za-z0-9]{30,}\b", "hf_"),
    _token(r"dckr_pat_", r"[A-Za-z0-9_-]{20,}", "dckr_pat_"),
    _token(r"do[opr]_v1_", r"[a-f0-9]{64}\b", "_v1_"),
    _token(r"shp(?:at|ca|pa|ss)_", r"[a-fA-F0-9]{32}\b", "shp"),
    _token(r"hv[sbr]\.", r"[A-Za-z0-9_-]{24,}", "hvs.", "hvb.", "hvr."),
    _token(r"dapi", r"[a-f0-9]{32}\b", "dapi"),
    _token(r"NRAK-", r"[A-Z0-9]{27}\b", "nrak-"),
    _token(r"sntry[su]_", r"[A-Za-z0-9_=+/.-]{30,}", "sntry"),
    _token(r"SK", r"[0-9a-f]{32}\b", "sk"),
    _token(r"key-", r"[0-9a-f]{32}\b", "key-"),
    _token(r"\d{8,10}:AA", r"[A-Za-z0-9_-]{33}\b", ":aa"),
    # scheme://KEY@host: a generated user is a key (a Sentry DSN, after the known token shapes, which keep their prefix)
    _rule(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://)" + _NOT_DONE
          + r"(?P<value>(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,})(?P<tail>@)", _keep_user, "://"),
)

# The body stops at the next BEGIN/END line: a text of many BEGINs stays linear.
PEM = re.compile(r"(-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY-----)(?P<body>(?:(?!-----(?:BEGIN|END) )[\s\S])*)"
                 r"(-----END (?P=kind)PRIVATE KEY-----)")
# A key cut short (a diff hunk, an excerpt): its body is the lines after BEGIN that are wholly base64
# or a "Proc-Type: …" header, so the text after the key (a RUN line) is kept for the other rules.
_PEM_END = r"(?=[ \t]*(?:\r?\n|\\+[nr]|$|\\*[\"']))"
_PEM_LINE = r"(?:[ \t]*(?:\r?\n|\\+[nr])[ \t]*[-+]?(?:[A-Za-z0-9+/=]+|[A-Za-z-]+:[^\n\\\"']*)" + _PEM_END + ")"
PEM_OPEN = re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(?!\*\*\*REDACTED)"
                      r"(?P<body>(?:[A-Za-z0-9+/=]+" + _PEM_END + ")?" + _PEM_LINE + "*)")
