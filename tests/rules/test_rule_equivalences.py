"""One problem, one finding: rules of different families that report the same problem.

By default the engine keeps one finding per problem and line, under the canonical code (DL, then
BK, then CD) and names the others in its message; selecting a family reports that family's code;
ignoring any equivalent code (pragma or config) silences the finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pytest
from codi_testdata import corpus_files

from codi.rules.base import Finding
from codi.rules.docs import generate, rule_section
from codi.rules.engine import Engine, FileInput, FileSettings
from codi.rules.registry import EQUIVALENCES, all_rules, equivalent_codes, get_rule
from codi.rules.selection import Selection, SelectionLayer


def lint(text: str, select: Sequence[str] | None = None, ignore: Sequence[str] = ()) -> list[Finding]:
    rules = all_rules()
    layer = SelectionLayer(select=tuple(select) if select is not None else None, ignore=tuple(ignore))
    settings = FileSettings(selection=Selection([layer], rules))
    return Engine(rules).lint([FileInput("Dockerfile", text, settings)]).findings


def codes_on(findings: list[Finding], line: int) -> list[str]:
    return sorted(f.code for f in findings if f.line == line)


SHELL_CMD = "FROM debian:12.5\nCMD python app.py\n"
MAINTAINER = "FROM debian:12.5\nMAINTAINER me@example.com\n"
SECRET = "FROM debian:12.5\nENV API_TOKEN=abc123def456\n"
APT_CACHE = "FROM debian:12.5\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1\n"
PIP_CACHE = "FROM python:3.12-slim\nRUN pip install flask==3.0.0\n"


def test_every_equivalence_names_registered_rules() -> None:
    for eq in EQUIVALENCES:
        assert len(eq.codes) >= 2
        for code in eq.codes:
            assert get_rule(code) is not None, code
        assert eq.canonical.startswith(("DL", "BK", "CD"))


@pytest.mark.parametrize(
    ("text", "line", "kept", "also"),
    [
        (SHELL_CMD, 2, "DL3025", ["BK007"]),
        (MAINTAINER, 2, "DL4000", ["BK008"]),
        (SECRET, 2, "DL3064", ["BK016", "CD304"]),
        (APT_CACHE, 2, "DL3009", ["CD101"]),
        (PIP_CACHE, 2, "DL3042", ["CD101"]),
    ],
)
def test_default_reports_one_finding_under_the_canonical_code(text: str, line: int, kept: str, also: list[str]) -> None:
    findings = lint(text)
    here = [f for f in findings if f.line == line and (f.code == kept or f.code in also)]
    assert [f.code for f in here] == [kept]
    assert f"(also {', '.join(also)})" in here[0].message


def test_merged_finding_keeps_its_own_level() -> None:
    # issue 22: the reported code's severity wins; CD304 (an error) does not lend its level to DL3064
    (secret,) = [f for f in lint(SECRET) if f.code == "DL3064"]
    assert secret.severity.value == "warning"
    assert "CD304)" in secret.message


def test_merged_finding_borrows_a_fix() -> None:
    (pip,) = [f for f in lint(PIP_CACHE) if f.code == "DL3042"]
    assert pip.fix is not None


@pytest.mark.parametrize(
    ("text", "family", "expected"),
    [(SHELL_CMD, "BK", "BK007"), (SHELL_CMD, "DL", "DL3025"), (MAINTAINER, "BK", "BK008"),
     (SECRET, "BK", "BK016"), (SECRET, "CD", "CD304"), (APT_CACHE, "CD", "CD101")],
)
def test_selecting_a_family_reports_its_code(text: str, family: str, expected: str) -> None:
    findings = lint(text, select=[family])
    assert expected in codes_on(findings, 2)
    (found,) = [f for f in findings if f.code == expected]
    assert "(also" not in found.message


@pytest.mark.parametrize("code", ["DL3025", "BK007"])
def test_pragma_for_any_equivalent_silences_the_finding(code: str) -> None:
    text = f"FROM debian:12.5\n# hadolint ignore={code}\nCMD python app.py\n"
    assert not {"DL3025", "BK007"} & set(codes_on(lint(text), 3))


def test_ignoring_the_broad_cd_rule_leaves_the_dl_code() -> None:
    # issue 22: ignoring CD101 (every package manager's cache) silencing DL3009 was a surprise
    text = "# codi: global ignore=CD101\n" + APT_CACHE
    assert "DL3009" in codes_on(lint(text), 3)
    assert "DL3009" in codes_on(lint(APT_CACHE, ignore=["CD101"]), 2)


def test_ignoring_the_dl_code_silences_the_broad_rule_finding() -> None:
    assert not {"DL3009", "CD101"} & set(codes_on(lint(APT_CACHE, ignore=["DL3009"]), 2))


@pytest.mark.parametrize("ignored", ["DL3025", "BK007", "JSONArgsRecommended"])
def test_config_ignore_of_any_equivalent_silences_the_finding(ignored: str) -> None:
    assert not {"DL3025", "BK007"} & set(codes_on(lint(SHELL_CMD, ignore=[ignored]), 2))


def test_ignoring_a_family_prefix_reports_the_other_familys_code() -> None:
    # `--ignore DL` says "not hadolint's rules", not "not this problem"
    assert "BK007" in codes_on(lint(SHELL_CMD, ignore=["DL"]), 2)


def test_cd101_for_another_manager_is_not_merged() -> None:
    text = "FROM node:20.11-slim\nRUN apt-get update && apt-get install -y --no-install-recommends git=1 && npm ci\n"
    findings = [f for f in lint(text) if f.line == 2]
    cd101 = [f for f in findings if f.code == "CD101"]
    assert any("npm" in f.message for f in cd101)
    assert not any("apt" in f.message for f in cd101)
    assert "DL3009" in [f.code for f in findings]


def test_equivalent_codes() -> None:
    assert equivalent_codes("BK007") == ["DL3025"]
    assert equivalent_codes("DL3064") == ["BK016", "CD304"]
    assert equivalent_codes("CD101", "`npm install` leaves the npm cache (/root/.npm) in this layer") == []
    assert equivalent_codes("CD101", "`pip install` leaves the pip cache (/root/.cache/pip) in this layer") == ["DL3042"]


def test_docs_name_the_equivalents() -> None:
    for code, other in (("DL3025", "BK007"), ("BK007", "DL3025"), ("CD101", "DL3009"), ("BK016", "CD304")):
        rule = get_rule(code)
        assert rule is not None
        section = rule_section(rule)
        assert "Same problem" in section and other in section, code
    assert "reported once, as **DL3025**" in generate()


def test_corpus_has_no_two_findings_for_one_problem_on_one_line() -> None:
    files = corpus_files()
    if not files:
        pytest.skip("shared corpus not found (../shared/corpus/dockerfiles): equivalence check skipped")
    rules = all_rules()
    engine = Engine(rules)
    settings = FileSettings(selection=Selection([SelectionLayer(ignore=("SC",))], rules))
    inputs = [FileInput(str(f), f.read_text(errors="surrogateescape"), settings) for f in files]
    findings = engine.lint(inputs).findings
    by_line: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for f in findings:
        by_line[(f.file, f.line)].append(f)
    twice: list[str] = []
    for (path, line), here in by_line.items():
        for eq in EQUIVALENCES:
            hits = {f.code for f in here if eq.covers(f.code, f.message)}
            if len(hits) > 1:
                twice.append(f"{path}:{line} {sorted(hits)}")
    assert not twice, twice[:20]
