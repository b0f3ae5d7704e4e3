"""Properties of the redactor on generated text: idempotent, JSON stays JSON, secrets never survive."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from codi.telemetry.redact import REDACTED, redact_data, redact_text

# Pieces that start or end the shapes, so generated text hits the rules' edges.
PIECES = ("ENV ", "ARG ", "RUN ", "curl ", "-u ", "--user ", "admin:", "\\\n", "\n", " ", "=", ": ", "#", '"', "'",
          "\\", "PASSWORD", "DB_PASS", "key", "token", "TOKEN", "API_KEY", "mysql ", "-p", "login ", "password ",
          "machine ", "https://", "user:", "@host", "s3cr3t99x", "value", "B97B0AFCAA1A47F044F244A07FCC7D46",
          "ghp_", "abcdefghijklmnopqrstuvwxyz0123456789", "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----",
          "sshpass ", "-H ", "X-Api-Key:", "echo ", "| chpasswd", "$TOKEN", "***REDACTED***", "is ")
TEXT = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_json_stays_json(text: str) -> None:
    dumped = json.dumps({"text": text})
    assert isinstance(json.loads(redact_text(dumped)), dict)
    assert isinstance(redact_data({"text": text, "API_TOKEN": text}), dict)


@settings(max_examples=200, deadline=None)
@given(TEXT, st.sampled_from(["ENV DB_PASSWORD={}", "ENV PGPASSWORD {}", "RUN mysql -uroot -p{} db",
                              "RUN curl --user admin:\\\n{} https://x", "# the password is {}",
                              'RUN echo "machine h login u password {}" > ~/.netrc']))
def test_a_planted_secret_never_survives(context: str, shape: str) -> None:
    secret = "Zq8planted7Xw"
    out = redact_text(context + "\n" + shape.format(secret) + "\n" + context)
    assert secret not in out and REDACTED in out
