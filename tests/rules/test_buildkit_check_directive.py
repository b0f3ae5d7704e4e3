"""The `# check=` directive and instruction-level errors, as BuildKit's own check tests expect
(frontend/dockerfile/dockerfile_check_test.go: testRuleCheckOption, testMaintainerDeprecated,
testSecretsUsedInArgOrEnv, testNoEmptyContinuation, testWarningsBeforeError)."""

from __future__ import annotations

import pytest

from codi.parser.checks import CheckOptionError, CheckOptions, file_checks, parse_check_options
from codi.rules.base import Severity
from codi.rules.buildkit.secrets import looks_secret
from codi.rules.engine import Engine, FileInput, LintResult, default_settings
from codi.rules.registry import all_rules
from codi.rules.selection import SelectionLayer


def lint(text: str, build_args: dict[str, str] | None = None) -> LintResult:
    rules = all_rules()
    # the experimental InvalidDefinitionDescription is off, as in BuildKit's tests
    settings = default_settings(rules, [SelectionLayer(select=("BK", "CD0001"), ignore=("InvalidDefinitionDescription",))])
    return Engine(rules).lint([FileInput("Dockerfile", text, settings, None, build_args or {})])


def checks(text: str, build_args: dict[str, str] | None = None) -> list[tuple[str, int]]:
    result = lint(text, build_args)
    assert result.errors == []
    return sorted((f.name, f.line) for f in result.findings)


CASING = "FROM scratch as base\ncopy Dockerfile .\n"


@pytest.mark.parametrize(
    "directive,expected",
    [
        ("#check=skip=all\n", []),
        ("#check=skip=all;error=true\n", []),
        ("#check=skip=ConsistentInstructionCasing,FromAsCasing\n", []),
        ("#check=skip=ConsistentInstructionCasing,FromAsCasing;error=true\n", []),
        ("#check=skip=ConsistentInstructionCasing\n", [("FromAsCasing", 2)]),
        ("#check=skip=ConsistentInstructionCasing;error=true\n", [("FromAsCasing", 2)]),
        ("#check=error=true\n", [("ConsistentInstructionCasing", 3), ("FromAsCasing", 2)]),
    ],
)
def test_rule_check_option(directive: str, expected: list[tuple[str, int]]) -> None:
    assert checks(directive + CASING) == expected


def test_error_true_makes_the_checks_errors() -> None:
    result = lint("#check=skip=ConsistentInstructionCasing;error=true\n" + CASING)
    assert [(f.name, f.severity) for f in result.findings] == [("FromAsCasing", Severity.ERROR)]
    plain = lint("#check=skip=ConsistentInstructionCasing\n" + CASING)
    assert [f.severity for f in plain.findings] == [Severity.STYLE]
    for spelling in ("1", "t", "TRUE", "True"):
        assert parse_check_options(f"error={spelling}").error


def test_rule_names_are_case_sensitive_and_all_is_lowercase() -> None:
    assert checks("#check=skip=fromascasing,CONSISTENTINSTRUCTIONCASING\n" + CASING) == [
        ("ConsistentInstructionCasing", 3), ("FromAsCasing", 2)]
    assert len(checks("#check=skip=ALL\n" + CASING)) == 2


def test_only_the_first_word_of_the_value_counts() -> None:
    # `skip=FromAsCasing, ConsistentInstructionCasing`: BuildKit reads "skip=FromAsCasing,"
    assert checks("# check=skip=FromAsCasing, ConsistentInstructionCasing\n" + CASING) == [
        ("ConsistentInstructionCasing", 3)]
    assert checks("# check=skip=all // a reason\n" + CASING) == []


def test_directive_only_at_the_top() -> None:
    # below an instruction it is a comment: it skips checks for the next instruction only, and the
    # file-wide ConsistentInstructionCasing ignores instruction comments
    text = "FROM scratch AS base\n# check=skip=all\ncopy Dockerfile .\ncopy Dockerfile .\n"
    assert checks(text) == [("ConsistentInstructionCasing", 1)]
    # a blank line ends the directives: then it is the FROM's comment
    assert checks("\n# check=skip=all\n" + CASING) == [("ConsistentInstructionCasing", 4)]
    # after a shebang line BuildKit still reads it
    assert checks("#!/usr/bin/env docker-build\n# check=skip=all\n" + CASING) == []
    # among other directives
    assert checks("# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=\\\n" + CASING) == []


@pytest.mark.parametrize(
    "value,message",
    [
        ("skip", 'invalid check option "skip"'),
        ("foo=bar", 'invalid check option "foo"'),
        ("error=maybe", 'failed to parse check option "error=maybe": strconv.ParseBool: parsing "maybe": invalid syntax'),
        ("skip=all;", 'invalid check option ""'),
    ],
)
def test_invalid_values_fail_like_the_build(value: str, message: str) -> None:
    with pytest.raises(CheckOptionError, match=message.replace("(", r"\(")):
        parse_check_options(value)
    result = lint(f"# check={value}\n" + CASING)
    bad = [f for f in result.findings if f.code == "CD0001"]
    assert [(f.line, f.message) for f in bad] == [(1, f"failed to parse check options: {message}")]
    # the other checks still run, with no skip applied
    assert {f.name for f in result.findings} >= {"FromAsCasing", "ConsistentInstructionCasing"}


def test_options_parse_like_parse_lint_options() -> None:
    assert parse_check_options("") == CheckOptions()
    assert parse_check_options(" skip = A , B ;error= true") == CheckOptions(skip=frozenset({"A", "B"}), error=True)
    assert parse_check_options("experimental=all").experimental_all
    assert file_checks("FROM a\n# check=skip=all\n").line == 0


def test_maintainer_deprecated_and_instruction_comments() -> None:
    assert checks("\nFROM scratch\nMAINTAINER me@example.org\n") == [("MaintainerDeprecated", 3)]
    assert checks('\nFROM scratch\nLABEL org.opencontainers.image.authors="me@example.org"\n') == []
    assert checks("\nFROM scratch\n# check=skip=JSONArgsRecommended\nCMD mycommand\n") == []
    assert checks("\nFROM scratch\n# check=skip=JSONArgsRecommended\nENTRYPOINT mycommand\n") == []
    assert checks("\nFROM scratch\n# check=skip=MaintainerDeprecated\nMAINTAINER me@example.org\n") == []
    # an empty `#` line starts the comments over; blank lines do not
    assert checks("FROM scratch\n# check=skip=MaintainerDeprecated\n#\nMAINTAINER me\n") == [("MaintainerDeprecated", 4)]
    assert checks("FROM scratch\n# check=skip=MaintainerDeprecated\n\nMAINTAINER me\n") == []


def test_no_empty_continuation_on_the_instructions_last_line() -> None:
    text = "\nFROM scratch\n# warning: empty continuation line\nCOPY Dockerfile \\\n\n.\nCOPY Dockerfile \\\n.\n"
    assert checks(text) == [("NoEmptyContinuation", 6)]
    heredoc = "FROM scratch\nRUN a \\\n\n  b <<EOF\nx\n\nEOF\n"
    assert checks(heredoc) == [("NoEmptyContinuation", 4)]


def test_warnings_before_error_and_after_it() -> None:
    text = "\nFROM scratch AS BadStageName\nMAINTAINER me@example.org\nBADCMD\n"
    result = lint(text)
    assert sorted((f.name, f.line) for f in result.findings) == [
        ("MaintainerDeprecated", 3), ("StageNameCasing", 2), ("parse-error", 4)]
    assert [f.message for f in result.findings if f.code == "CD0001"] == ["unknown instruction: BADCMD"]
    # CODI keeps checking after the invalid instruction too
    assert ("MaintainerDeprecated", 3) in checks("FROM scratch AS BadStageName\nBADCMD\nMAINTAINER me\n")


@pytest.mark.parametrize(
    "bad",
    ["HEALTHCHECK", "COPY onlyone", "COPY --user=x a b", "FROM a b", "ENV =x", "SHELL bash", "ONBUILD",
     "HEALTHCHECK --interval=1ns CMD x", "EXPOSE", "STOPSIGNAL", "INVALID"],
)
def test_every_other_check_still_runs_around_an_invalid_instruction(bad: str) -> None:
    text = f"FROM scratch AS Bad\n{bad}\nMAINTAINER me\nFROM scratch as second\n"
    found = checks(text)
    assert ("parse-error", 2) in found
    assert {("StageNameCasing", 1), ("MaintainerDeprecated", 3), ("FromAsCasing", 4)} <= set(found)


SECRETS = """# check=skip=InvalidDefinitionDescription

FROM scratch
ARG SECRET_PASSPHRASE
ENV SUPER_Secret=foo
ENV password=bar secret=baz
ARG super_duper_secret_token=foo auth=bar
ENV apikey=bar sunflower=foo
ENV git_key=
ENV PUBLIC_KEY=
ARG public_token
ARG SECRET_PASSPHRASE_FILE
ENV password_file=bar secret_File=baz
ARG AUTH_MODULE_VERSION
# check=skip=SecretsUsedInArgOrEnv // allow secret in environment
ENV password=bar
# check=skip=SecretsUsedInArgOrEnv // allow secret in arg
ARG password
# check=skip=all // is local to only this instruction
ENV alternate_password=bar
# check=skip=all // is local to only this instruction
ARG alternate_password
"""
SECRET_LINES = [4, 5, 6, 6, 7, 7, 8, 9]


def test_secret_names_by_buildkits_words() -> None:
    secret = ["SECRET_PASSPHRASE", "SUPER_Secret", "password", "secret", "super_duper_secret_token", "auth",
              "apikey", "git_key", "GITHUB_TOKEN", "api_key", "AWS_CREDENTIALS", "db_passwd", "pword"]
    allowed = ["sunflower", "PUBLIC_KEY", "public_token", "SECRET_PASSPHRASE_FILE", "password_file", "secret_File",
               "AUTH_MODULE_VERSION", "secretkey", "SecretKey", "my-token", "TOKENS", "keyring", "monkey"]
    assert [n for n in secret if not looks_secret(n)] == []
    assert [n for n in allowed if looks_secret(n)] == []


def test_secrets_used_in_arg_or_env_as_buildkit_tests_it() -> None:
    found = [line for name, line in checks(SECRETS) if name == "SecretsUsedInArgOrEnv"]
    assert found == SECRET_LINES


def test_secrets_instruction_comments_skip_their_instruction_only() -> None:
    found = [line for name, line in checks(SECRETS) if name == "SecretsUsedInArgOrEnv"]
    assert not {16, 18, 20, 22} & set(found)
    assert set(SECRET_LINES) <= set(found)


def default_names(text: str, *layers: SelectionLayer) -> list[tuple[str, int]]:
    """The findings of the BuildKit checks with CODI's default selection (and ``layers`` on top)."""
    rules = all_rules()
    result = Engine(rules).lint([FileInput("Dockerfile", text, default_settings(rules, list(layers)), None, {})])
    assert result.errors == []
    return sorted((f.name, f.line) for f in result.findings if f.code.startswith("BK"))


DESCRIPTIONS = """# foo this is the foo
ARG foo=bar
# a comment that is no description
FROM scratch AS base
# bar
ARG baz=qux
"""


def test_experimental_check_is_off_unless_the_file_turns_it_on() -> None:
    assert default_names(DESCRIPTIONS) == []
    on = [("InvalidDefinitionDescription", 5), ("InvalidDefinitionDescription", 7)]
    assert default_names("# check=experimental=InvalidDefinitionDescription\n" + DESCRIPTIONS) == on
    assert default_names("# check=experimental=all\n" + DESCRIPTIONS) == on
    assert default_names("# check=experimental=all;skip=all\n" + DESCRIPTIONS) == on  # skip leaves it alone
    assert default_names("# check=experimental=invaliddefinitiondescription\n" + DESCRIPTIONS) == []  # exact names


def test_experimental_check_turned_on_for_one_instruction() -> None:
    text = ("# a comment\nFROM scratch AS base\n"
            "# check=experimental=InvalidDefinitionDescription\n# not the name\nARG foo=1\n"
            "# not the name either\nARG bar=2\n")
    assert default_names(text) == [("InvalidDefinitionDescription", 5)]


def test_the_users_ignore_wins_over_the_files_experimental() -> None:
    text = "# check=experimental=all\n" + DESCRIPTIONS
    assert default_names(text, SelectionLayer(ignore=("BK020",))) == []
    assert default_names(text, SelectionLayer(ignore=("BK",))) == []
    assert default_names(text, SelectionLayer(select=("DL",))) == []  # a select without BK turns BK off
