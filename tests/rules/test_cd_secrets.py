"""CD304: literal secrets in the Dockerfile."""

from __future__ import annotations

import pytest
from rulekit import lines, run_rule

GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.mark.parametrize(
    "line",
    [
        f"ENV GITHUB_TOKEN={GHP}",
        "ARG AWS_ACCESS_KEY_ID=AKIAZ7QWERTYUIOPASDF",
        "RUN git clone https://deploy:hunter22@git.example.org/app.git",
        'RUN echo "//registry.npmjs.org/:_authToken=9f8e7d6c5b4a39281706" > ~/.npmrc',
        "ENV DB_PASSWORD=s3cr3t-Pa55",
        "RUN mysql --password=Sup3rS3cret -e 'select 1'",
        "LABEL build.token.url=https://ci:abcdef123456@ci.example.org/",
    ],
)
def test_literal_secrets_fire(line: str) -> None:
    found = run_rule("CD304", f"FROM alpine\n{line}\n")
    assert [f.line for f in found] == [2]
    assert found[0].severity.value == "error"


def test_private_key_in_heredoc() -> None:
    text = "FROM alpine\nCOPY <<EOF /root/.ssh/id_rsa\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\nEOF\n"
    assert lines("CD304", text) == [2]


def test_message_masks_the_secret() -> None:
    (finding,) = run_rule("CD304", f"FROM alpine\nENV GITHUB_TOKEN={GHP}\n")
    assert GHP not in finding.message


@pytest.mark.parametrize(
    "line",
    [
        "ARG NPM_TOKEN",
        "ENV GITHUB_TOKEN=${GITHUB_TOKEN}",
        "ARG DB_PASSWORD=",
        "ENV MYSQL_ALLOW_EMPTY_PASSWORD=yes",
        "ENV API_TOKEN=changeme",
        "ENV PASSWORD_FILE=/run/secrets/db",
        "ARG AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "RUN git clone https://${GIT_USER}:${GIT_TOKEN}@github.com/acme/app.git",
        'RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc',
        "RUN --mount=type=secret,id=npm,target=/root/.npmrc npm ci",
        "ENV URL=https://example.org/a:b@c",
    ],
)
def test_references_and_placeholders_do_not_fire(line: str) -> None:
    assert lines("CD304", f"FROM alpine\n{line}\n") == []
