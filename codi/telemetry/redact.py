"""One redaction pass for what describes a run: secret values out, structure kept.

Redaction is for what *describes* a run: reports, logs and events, traces, metadata, prompts to a
model, the run memory, dashboard data. The user's own files are never redacted: ``inputs/`` and
``candidates/`` in a run dir and what ``codi rewrite`` writes stay byte for byte the user's text
(apart from a candidate's intended edits); a report that shows a diff redacts it for display only.

``redact_text`` replaces the *value* of a secret and keeps its name, so ``ENV API_TOKEN=abc1234x``
becomes ``ENV API_TOKEN=***REDACTED***`` and a report still reads. It is idempotent (a second pass
changes nothing) and leaves ordinary text byte-identical: the real Dockerfiles of the shared corpus
(GPG key ids, checksums, ``ENV key value``) and tests/ops/data/redaction/negative. What it removes
(the names in ``codi.telemetry.redact_names``, the shapes in ``codi.telemetry.redact_shapes``):

- values of secret-named pairs: ``NAME=value`` (ENV, ARG, ``--build-arg``, ``export``, env files),
  legacy ``ENV NAME value``, ``"NAME": "value"`` in JSON, ``name: value``/``name = value`` lines
  (YAML, INI, comments); ``PGPASSWORD``, ``MYSQL_PWD``, ``DBPASS`` count; references such as
  ``$NPM_TOKEN`` stay;
- passwords in URLs (``https://user:pass@host``, ``redis://:pass@host``), a generated user alone (a Sentry DSN's key, pip's
  ``--index-url`` token);
- command-line passwords: ``curl -u user:pass`` (also with the password on the next line),
  ``--password``/``--token``, ``mysql -pPW``, ``sshpass -p``, ``docker login -p``, ``htpasswd -b``,
  ``chpasswd``, ``openssl pass:``; ``.npmrc`` and ``.netrc`` entries; secret-named HTTP headers and
  ``Authorization:``; a password in a comment ("# the password is …"); PEM private keys;
- token shapes: AWS, GitHub, GitLab, Slack, npm, PyPI, Google, Stripe, OpenAI/Anthropic, SendGrid,
  Hugging Face, Docker Hub, DigitalOcean, Shopify, Vault, Databricks, New Relic, Sentry, Twilio,
  Mailgun, Telegram tokens and JWTs.

``redact_data`` applies the same to every string of a JSON-like value and blanks string values under
secret-named keys. ``redaction_disabled`` answers ``--no-redact``: refused in production mode.
"""

from __future__ import annotations

import re

from codi.config.flags import production_mode
from codi.telemetry.redact_names import REDACTED, secret_name, secret_pair
from codi.telemetry.redact_shapes import FIELD_NAMES, PEM, PEM_OPEN, RULES

__all__ = ["REDACTED", "RedactionRefused", "check_no_redact", "redact_data", "redact_text", "secret_name"]


def _pem(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED + match.group(4)


def _pem_open(match: re.Match[str]) -> str:
    """A key cut short (a diff hunk, an excerpt): its body goes; a BEGIN line alone (prose) stays."""
    return match.group(1) + REDACTED if match.group("body") else match.group(0)


def redact_text(text: str) -> str:
    """``text`` with every secret value replaced by ``***REDACTED***``; names and layout stay."""
    if not text:
        return text
    if "PRIVATE KEY" in text:
        text = PEM.sub(_pem, text)
        text = PEM_OPEN.sub(_pem_open, text)
    lower = text.lower()  # each rule runs only where its keyword is: most text has none of them
    for rule in RULES:
        if rule.wanted(lower):
            text = rule.pattern.sub(rule.replace, text)
    return text


def redact_data(value: object, key: str | None = None) -> object:
    """A JSON-like value with every string redacted; strings under a secret-named key are blanked."""
    if isinstance(value, str):
        if key is not None and key not in FIELD_NAMES and secret_pair(key, value):
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
