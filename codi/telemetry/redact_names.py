"""Which ``NAME=value`` pairs hold a secret: a table of names, judged together with the value.

A name is split into words on ``_``, ``-``, ``.`` and camelCase (``dbPassword`` -> db, password).

- *Strong* names hold a secret whatever the value (unless the value is plain: a reference, a path,
  empty, a boolean, a version): a word or name part ``password``/``passwd``/``passphrase``/``secret``/
  ``credential(s)``/``apikey``/``privatekey``, a name ending in ``PWD`` (``MYSQL_PWD``; not ``PWD``
  itself, the working folder) or ``PASS`` (``DBPASS``, ``SMTP_PASS``), the word ``pw`` (``DB_PW``),
  and ``key``/``token``/``auth``/``dsn`` with another word (``API_KEY``, ``NPM_TOKEN``, ``SENTRY_DSN``).
- *Weak* names are one of those words alone (``key``, ``TOKEN``; in a .NET config path only the last
  ``__`` section counts: ``Filters__0__Key``). They are ordinary words as often as secrets (a shell
  loop's ``key``, BuildKit's ``"ENV key=value" should be used``), so the value decides: it must look
  generated (letters and digits, 8 characters or more). A hex string under ``key`` stays: GPG key ids
  and checksums (``key='B97B0AFC…'`` in the official images) are public.
- A lower-case name counts only whole words (``minipass``, ``rpassword`` and ``crypto_secretbox``
  are packages); an upper-case one may glue them (``PGPASSWORD``, ``LDAP_ROOTPASS``).
- A name *about* a secret (its last word is ``method``, ``type``, ``length``, ``name``, ``id``, ``url``…:
  ``POSTGRES_HOST_AUTH_METHOD``, ``PASSWORD_MIN_LENGTH``) is public too.
- *Public* words make any name public: ``gpg``, ``pgp``, ``fingerprint``, ``keyring``, ``keyserver``,
  checksums (``sha256``, ``md5``, ``checksum``, ``digest``) and BuildKit's allowed words ``public``,
  ``file``, ``version`` (``PASSWORD_FILE`` names a file, not a password).
"""

from __future__ import annotations

import re

REDACTED = "***REDACTED***"

_STRONG_PARTS = ("password", "passwd", "passphrase", "secret", "credential", "apikey", "privatekey")
_WEAK = frozenset({"key", "keys", "token", "tokens", "auth", "dsn"})
_PUBLIC = frozenset({
    "gpg", "pgp", "fingerprint", "fingerprints", "keyring", "keyserver", "keyservers", "sha", "sha1", "sha256",
    "sha384", "sha512", "md5", "checksum", "checksums", "digest", "public", "file", "version", "path", "dir",
})
# A last word that makes the name *about* a secret, not the secret: POSTGRES_HOST_AUTH_METHOD=trust,
# PASSWORD_MIN_LENGTH=12, TOKEN_TYPE=Bearer, SECRET_NAME=db-creds.
_ABOUT = frozenset({
    "method", "type", "mode", "provider", "url", "uri", "endpoint", "host", "port", "size", "length", "bits", "ttl",
    "expiry", "expires", "timeout", "header", "name", "id", "enabled", "disabled", "required", "algorithm", "alg",
    "format", "scope", "scopes", "audience", "issuer", "realm", "server", "policy", "min", "max", "count",
    "location", "kind", "prefix", "strategy", "backend", "store", "manager", "rotation", "regex", "pattern",
})
_NOT_PASS = ("bypass", "compass", "passthrough", "passenger")
_REF = re.compile(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-+=?][^}]*)?\}?|\$\(.*|`.*|%[A-Za-z_]+%)$")
_PATH = re.compile(r"^(?:/|~/|\./)[\w./~-]*$")
_VERSION = re.compile(r"^(?:npm:|workspace:)?[\^~>=<v]*\d+(?:\.[\dx*]+)+(?:[-+][\w.]+)?$")  # 1.2.3, ^3.1.1, 1.x
_HEX = re.compile(r"^(?:0x)?[0-9A-Fa-f]{8,}$")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def words(name: str) -> list[str]:
    """``AWS_SECRET_ACCESS_KEY`` -> aws, secret, access, key; ``dbPassword`` -> db, password."""
    return [w.lower() for part in re.split(r"[_.\-]+", name) for w in _WORDS.findall(part)]


def plain(value: str) -> bool:
    """Values that are no secret under any name: empty, a reference, a path, a boolean, a version, done already."""
    core = value.strip().strip("\"'\\").strip().rstrip("=")  # base64 padding is no value
    return (not core or REDACTED in value or _REF.match(core) is not None or _PATH.match(core) is not None
            or _VERSION.match(core) is not None
            or core.lower() in ("true", "false", "yes", "no", "on", "off", "none", "null", "0", "1"))


def _random(core: str) -> bool:
    """Looks generated: 8+ characters with letters and digits, no spaces (not ``value``, ``ProcessId``)."""
    return (len(core) >= 8 and not any(c.isspace() for c in core) and any(c.isdigit() for c in core)
            and any(c.isalpha() for c in core))


def strength(name: str, loose: bool = False) -> str:
    """``strong``, ``weak`` or ``none``: how much a name says its value is a secret.

    ``loose`` is for ``Name: value`` lines, which are prose as often as config (``LegacyKeyValueFormat:
    "ENV key=value" …``, CODI's ``api-key:k1`` actors): there a key/token/auth name with other words,
    ``api-key`` too, is weak."""
    low = name.lower()
    parts = words(name)
    if not parts or any(w in _PUBLIC for w in parts) or parts[-1] in _ABOUT:
        return "none"
    # An env-style NAME may glue words (PGPASSWORD, DBPASS); a lower-case one is a package or a key
    # as often (minipass, getpass, rpassword, crypto_secretbox): there only whole words count.
    env_style = name == name.upper()
    flat = re.sub(r"[_.\-]", "", low)
    strong_parts = _STRONG_PARTS[:5] if loose else _STRONG_PARTS  # loose: an api-key is a key like others
    if any(p in flat if env_style else (p in parts or p + "s" in parts) for p in strong_parts):
        return "strong"
    if low not in ("pwd", "oldpwd") and ((env_style and low.endswith("pwd")) or "pwd" in parts
                                         or "pw" in re.split(r"[_.\-]+", low)):  # DB_PW; not camel base64
        return "strong"
    if (env_style and low.endswith("pass") and not low.endswith(_NOT_PASS)) or parts[-1] == "pass":
        return "strong"
    last = words(name.split("__")[-1])  # ASP.NET's Section__Sub__Key: the last section is the name
    if not any(w in _WEAK for w in last):
        return "none"
    return "weak" if len(last) == 1 or loose else "strong"


def secret_pair(name: str, value: str, loose: bool = False) -> bool:
    """Whether ``value`` written under ``name`` is a secret to redact (``loose``: see ``strength``)."""
    if plain(value):
        return False
    kind = strength(name, loose)
    if kind == "strong":
        return True
    if kind == "none":
        return False
    core = value.strip().strip("\"'\\").strip()
    if _HEX.match(core) and words(name)[-1] in ("key", "keys"):
        return False  # a GPG key id or a checksum
    return _random(core)


def secret_name(name: str) -> bool:
    """A name whose value is a secret whatever it is (strong), for callers without a value."""
    return strength(name) == "strong"
