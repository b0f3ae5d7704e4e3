"""BuildKit's test for ARG/ENV names that look like secrets (dockerfile2llb's getSecretsRegex).

A name is split on ``_`` into words (``super_duper_secret_token`` -> super, duper, secret, token);
it looks like a secret when one word is a secret word and no word is an allowed one. Words are
compared case-insensitively and whole: ``SECRET_PASSPHRASE`` is a secret, ``secretkey``, ``my-token``
and ``SecretKey`` are not (only ``_`` separates words), ``PUBLIC_KEY``, ``PASSWORD_FILE`` and
``AUTH_MODULE_VERSION`` are allowed.

The SecretsUsedInArgOrEnv rule (``codi/rules/buildkit/variables.py``) uses ``looks_secret``.
"""

from __future__ import annotations

import re

SECRET_WORDS = ("apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token")
ALLOWED_WORDS = ("public", "file", "version")


def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?i)(?:_|^)(?:" + "|".join(words) + r")(?:_|$)")


_SECRET = _word_pattern(SECRET_WORDS)
_ALLOWED = _word_pattern(ALLOWED_WORDS)


def looks_secret(name: str) -> bool:
    """BuildKit's verdict on one ARG or ENV name."""
    return _SECRET.search(name) is not None and _ALLOWED.search(name) is None
