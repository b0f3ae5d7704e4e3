"""The redaction corpus: positives lose their marked values, negatives come through byte-identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.telemetry.redact import REDACTED, redact_data, redact_text

CORPUS = Path(__file__).parent / "data" / "redaction"
POSITIVE = sorted((CORPUS / "positive").glob("*.txt"))
NEGATIVE = sorted((CORPUS / "negative").glob("*.txt"))


def _split(path: Path) -> tuple[list[str], list[str], str]:
    vanish: list[str] = []
    keep: list[str] = []
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("#! vanish: "):
            vanish.append(line.removeprefix("#! vanish: ").rstrip("\n"))
        elif line.startswith("#! keep: "):
            keep.append(line.removeprefix("#! keep: ").rstrip("\n"))
        else:
            body.append(line)
    return vanish, keep, "".join(body)


def test_corpus_is_there() -> None:
    assert len(POSITIVE) >= 8 and len(NEGATIVE) >= 4


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.stem)
def test_positive_values_vanish_and_names_stay(path: Path) -> None:
    vanish, keep, body = _split(path)
    assert vanish, f"{path.name}: no '#! vanish:' marker"
    for value in vanish:
        assert value in body, f"{path.name}: marker {value!r} is not in the body"
    out = redact_text(body)
    for value in vanish:
        assert value not in out, f"{path.name}: {value!r} survived:\n{out}"
    for text in keep:
        assert text in out, f"{path.name}: {text!r} was lost:\n{out}"
    assert REDACTED in out
    assert redact_text(out) == out  # idempotent


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.stem)
def test_positive_values_vanish_inside_json(path: Path) -> None:
    vanish, _, body = _split(path)
    as_json = json.dumps({"text": body})
    out = redact_text(as_json)
    json.loads(out)  # still JSON
    for value in vanish:
        assert json.dumps(value)[1:-1] not in out, f"{path.name}: {value!r} survived in JSON"
    data = json.dumps(redact_data(json.loads(as_json)))
    for value in vanish:
        assert json.dumps(value)[1:-1] not in data, f"{path.name}: {value!r} survived redact_data"


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_negative_text_is_byte_identical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert redact_text(text) == text
    assert redact_text(json.dumps(text)) == json.dumps(text)


def test_redact_data_blanks_values_under_secret_keys() -> None:
    data = {"env": {"API_TOKEN": "abc", "PORT": "80", "NPM_TOKEN": "${NPM_TOKEN}"},
            "changes": [{"key": "API_TOKEN", "risk": "low"}], "n": 3, "ok": True, "none": None}
    assert redact_data(data) == {"env": {"API_TOKEN": REDACTED, "PORT": "80", "NPM_TOKEN": "${NPM_TOKEN}"},
                                 "changes": [{"key": "API_TOKEN", "risk": "low"}], "n": 3, "ok": True,
                                 "none": None}


@pytest.mark.parametrize("text", ["", "plain", "ENV A=1", "ARG API_TOKEN", "ENV API_TOKEN=",
                                  "ENV API_TOKEN=$API_TOKEN", "ENV GPG_KEY=ABCDEF0123456789"])
def test_nothing_to_redact(text: str) -> None:
    assert redact_text(text) == text
