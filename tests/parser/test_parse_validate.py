"""Instruction-level errors `docker build` gives at parse time (BuildKit's instructions package)."""

from __future__ import annotations

import pytest

from codi.parser import ParseError, parse


def error(text: str) -> ParseError:
    with pytest.raises(ParseError) as err:
        parse(text)
    assert err.value.kind == "instruction"
    return err.value


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("COPY --link --link a /b", "Duplicate flag specified: link"),
        ("COPY --link=maybe a /b", "Expecting boolean value for flag link, not: maybe"),
        ("COPY --link= a /b", "Missing a value on flag: link"),
        ("COPY --from a b /c", "Missing a value on flag: from"),
        ("ADD --nope=1 a /b", "Unknown flag: nope"),
        ("ENV --x=1 a=b", "Unknown flag: x"),
        ("ENV =b", "ENV names can not be blank"),
        ("ARG =b", "ARG names can not be blank"),
        ("ARG", "ARG requires at least one argument"),
        ("COPY a <<EOF\nx\nEOF", "COPY cannot accept a heredoc as a destination"),
        ("HEALTHCHECK", "HEALTHCHECK requires at least one argument"),
        ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
        ("HEALTHCHECK --interval=1 CMD a", 'time: invalid duration "1"'),
        ("HEALTHCHECK --interval=1us CMD a", 'Interval "interval" cannot be less than 1ms'),
        ("HEALTHCHECK --retries=-1 CMD a", "--retries cannot be negative (-1)"),
        ("HEALTHCHECK --retries=x CMD a", 'parsing "x": invalid syntax'),
        ('VOLUME [""]', "VOLUME specified can not be an empty string"),
        ("EXPOSE", "EXPOSE requires at least one argument"),
        ("USER", "USER requires exactly one argument"),
        ("STOPSIGNAL", "STOPSIGNAL requires exactly one argument"),
        ("SHELL []", "SHELL requires at least one argument"),
        ("ONBUILD", "ONBUILD requires at least one argument"),
        ("BOGUS x", "unknown instruction: BOGUS"),
    ],
)
def test_rejected(body: str, message: str) -> None:
    err = error(f"FROM a\n{body}\n")
    assert message in err.message
    assert err.line == 2


@pytest.mark.parametrize(
    "body",
    [
        "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=0 --retries=3 CMD a",
        "HEALTHCHECK --whatever NONE",  # NONE does not look at flags
        "STOPSIGNAL --x SIGTERM",  # STOPSIGNAL does not parse flags either
        "ONBUILD COPY onlyone",  # the trigger is checked when a child image uses it
        "ONBUILD BOGUS x",
        "COPY --link=false --exclude=a --exclude=b a /b",
        "RUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b true",
        "ENTRYPOINT",
        "CMD",
        "RUN",
    ],
)
def test_accepted(body: str) -> None:
    parse(f"FROM a\n{body}\n")


def test_lint_mode_lets_rule_covered_errors_through() -> None:
    for text in ("RUN x\nFROM a\n", "FROM a\nONBUILD ONBUILD RUN x\n"):
        assert error(text).rule is not None
        parse(text, lint_mode=True)
    with pytest.raises(ParseError):
        parse("FROM a\nCOPY x\n", lint_mode=True)
