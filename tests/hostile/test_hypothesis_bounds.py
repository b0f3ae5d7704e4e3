"""Property tests (Hypothesis) of the parser, the expander and the lint on generated hostile input:
no internal error, results within the limits, and a failed result whenever anything failed."""

from __future__ import annotations

import re
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codi.parser import ParseError, parse_lenient
from codi.parser.bounds import MAX_RESULT, ExpansionLimit, UnresolvedVariable, expansion_budget
from codi.parser.expand import expand, expand_strict, variables_used
from codi.parser.semantic import build_model
from codi.parser.shell import parse_script
from codi.parser.wildcard import parse_wildcard, replace, trim
from codi.rules.base import Rule
from codi.rules.engine import Engine, FileInput, LintResult, default_settings
from codi.rules.registry import all_rules
from codi.service.lint import LintRequest, run_lint

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def _rules() -> tuple[type[Rule], ...]:
    return tuple(r for r in all_rules() if r.code != "SC")  # ShellCheck has its own tests; a process each is slow


def _lint(text: str) -> LintResult:
    rules = list(_rules())
    return Engine(rules).lint([FileInput("Dockerfile", text, default_settings(rules))])


# --- the wildcard automaton against the obvious (slow) definition ---------------------------------

def _regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _trim_reference(value: str, pattern: str, suffix: bool, longest: bool) -> str:
    rx = _regex(pattern)
    cuts = [i for i in range(len(value) + 1) if rx.fullmatch(value[i:] if suffix else value[:i])]
    if not cuts:
        return value
    if suffix:
        cut = min(cuts) if longest else max(cuts)
        return value[:cut]
    cut = max(cuts) if longest else min(cuts)
    return value[cut:]


def _replace_reference(value: str, pattern: str, replacement: str, every: bool) -> str:
    """Go's ReplaceAll over leftmost-longest glob matches (an empty match abutting a match is skipped)."""
    rx = _regex(pattern)
    out, pos, i, last = [], 0, 0, -1
    while i <= len(value):
        ends = [j for j in range(i, len(value) + 1) if rx.fullmatch(value, i, j)]
        if not ends or (max(ends) == i == last):
            i += 1
            continue
        end = max(ends)
        out += [value[pos:i], replacement]
        pos = last = end
        if not every:
            break
        i = end if end > i else i + 1
    return "".join(out) + value[pos:]


PATTERN = st.text(alphabet="ab*?", max_size=5)
VALUE = st.text(alphabet="abc", max_size=10)


@FAST
@given(VALUE, PATTERN, st.booleans(), st.booleans())
def test_trim_matches_the_definition(value: str, pattern: str, suffix: bool, longest: bool) -> None:
    wildcard = parse_wildcard(pattern)
    assert wildcard is not None
    assert trim(value, wildcard, suffix, longest) == _trim_reference(value, pattern, suffix, longest)


@FAST
@given(VALUE, PATTERN, st.text(alphabet="xy", max_size=2), st.booleans())
def test_replace_matches_the_definition(value: str, pattern: str, replacement: str, every: bool) -> None:
    wildcard = parse_wildcard(pattern)
    assert wildcard is not None
    assert replace(value, wildcard, replacement, every, MAX_RESULT) == _replace_reference(value, pattern, replacement, every)


# --- expansion: nesting and size stay within the limits --------------------------------------------

WORD = st.recursive(
    st.text(alphabet="ab-/. $'\"\\", max_size=4),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["A", "B", "EMPTY", "NONE"]), st.sampled_from([":-", "-", ":+", "+", "#", "%%", "/"]),
                  inner).map(lambda t: "${" + t[0] + t[1] + t[2] + "}"),
        st.lists(inner, max_size=6).map("".join),
    ),
    max_leaves=60,
)
ENV: dict[str, str | None] = {"A": "a" * 40, "B": "${A}", "EMPTY": "", "NONE": None}


@FAST
@given(WORD, st.integers(min_value=0, max_value=300))
def test_expansion_never_fails_inside(word: str, depth: int) -> None:
    deep = "${A:-" * depth + word + "}" * depth
    for candidate in (word, deep):
        out = expand(candidate, ENV)
        assert isinstance(out, str) and len(out) <= max(MAX_RESULT, len(candidate))
        assert isinstance(variables_used(candidate), list)
        try:
            assert len(expand_strict(candidate, ENV)) <= MAX_RESULT
        except UnresolvedVariable:
            pass  # ExpansionLimit included: unknown, never a crash


@FAST
@given(st.integers(min_value=2, max_value=12), st.integers(min_value=2, max_value=12))
def test_amplifying_chains_stop_at_the_limit(levels: int, width: int) -> None:
    lines = ["FROM alpine", "ARG V0=0123456789"] + [
        f"ARG V{i}=" + f"${{V{i - 1}}}" * width for i in range(1, levels)] + [f"ENV LAST=$V{levels - 1}"]
    text = "\n".join(lines) + "\n"
    df, _ = parse_lenient(text)
    with expansion_budget(len(text)) as budget:
        model = build_model(df)
    grows_past = 10 * width ** (levels - 1) > MAX_RESULT
    assert bool(model.limits) == grows_past
    assert budget.left > 0 or budget.exhausted
    values = [v for v in model.meta_args.values() if v is not None]
    assert all(len(v) <= MAX_RESULT for v in values)


def test_the_budget_stops_every_later_expansion() -> None:
    with expansion_budget(0) as budget:
        budget.charge(budget.units)
        try:
            expand_strict("$A", {"A": "x"})
            raise AssertionError("expanded past the budget")
        except ExpansionLimit:
            pass
        assert expand("$A", {"A": "x"}) == "$A"  # as written: never a guess


# --- the parser and the lint on generated files -------------------------------------------------

INSTRUCTION = st.one_of(
    st.builds("RUN {}".format, st.text(alphabet="abc $(){}&|;\"'\\`<>", max_size=40)),
    st.builds("ARG {}={}".format, st.sampled_from(["A", "B", "C"]), WORD),
    st.builds("ENV {}={}".format, st.sampled_from(["A", "B", "PATH"]), WORD),
    st.builds("COPY {} /dst/".format, WORD),
    st.builds("WORKDIR {}".format, WORD),
    st.builds("FROM {} AS s{}".format, st.sampled_from(["alpine", "s0", "s1", "$A", "${B:-debian}"]),
              st.integers(0, 3)),
    st.builds("LABEL k={}".format, WORD),
    st.sampled_from(["USER nobody", "EXPOSE 80", 'CMD ["x"]', "SHELL [\"/bin/bash\", \"-c\"]", "ONBUILD RUN x",
                     "RUN <<EOF\necho hi\nEOF", "# comment", "", "HEALTHCHECK NONE", "COPY --from=s0 /a /b"]),
)


@FAST
@given(st.lists(INSTRUCTION, min_size=1, max_size=25))
def test_generated_dockerfiles_lint_without_internal_errors(lines: list[str]) -> None:
    text = "FROM alpine\n" + "\n".join(lines) + "\n"
    result = _lint(text)
    assert result.errors == []
    n_lines = text.count("\n") + 1
    assert all(1 <= f.line <= n_lines for f in result.findings)


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_parse_or_fail_cleanly(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    try:
        parse_lenient(text)
    except ParseError as exc:
        assert exc.kind != "internal", exc
    outcome = run_lint(LintRequest(paths=["-"], stdin_text=text, env={}, discover_config=False,
                                   ignore=["SC"]))
    assert outcome.exit_code in (0, 1, 2) and not outcome.result.errors  # never 3: no internal error


@FAST
@given(st.integers(min_value=1, max_value=400), st.sampled_from(["$(echo ", "`echo ", "if true; then ", "( ", "{ "]))
def test_deeply_nested_shell_parses(depth: int, opener: str) -> None:
    closer = {"$(echo ": ")", "`echo ": "`", "if true; then ": "; fi", "( ": " )", "{ ": "; }"}[opener]
    script = opener * depth + "x" + closer * depth
    parse_script(script)  # no RecursionError: shell nesting is read iteratively or bounded
    assert _lint(f"FROM alpine\nRUN {script}\n").errors == []


# --- an error anywhere is a failed result, and the rest is still reported --------------------------

BASE = ("FROM ubuntu\nARG V=1\nRUN apt-get install curl && cd /x\nCOPY . /app\nRUN chmod -R 755 /app\n"
        "ENV A=$V\nWORKDIR app\nRUN pip install flask\nEXPOSE 80\nCMD python app.py\n")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([r.code for r in all_rules() if r.code != "SC" and r.enabled_by_default]))
def test_any_rule_failing_fails_the_result(code: str) -> None:
    rules = list(_rules())
    broken_cls = next(r for r in rules if r.code == code)

    class Broken(broken_cls):  # type: ignore[valid-type,misc]
        def check(self, ctx: object) -> list[object]:
            raise RuntimeError("injected")

    with_broken = [Broken if r is broken_cls else r for r in rules]
    clean = Engine(rules).lint([FileInput("Dockerfile", BASE, default_settings(rules))])
    failed = Engine(with_broken).lint([FileInput("Dockerfile", BASE, default_settings(with_broken))])
    assert failed.failed and [e.code for e in failed.errors] == [code]
    kept = {(f.code, f.line) for f in failed.findings}
    expected = {(f.code, f.line) for f in clean.findings if f.code != code}
    assert expected <= kept  # every other rule's findings are still reported
