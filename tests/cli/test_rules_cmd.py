"""`codi rules`: the table, JSON, one rule's docs, unknown codes; docs/rules.md is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lintkit import invoke

from codi.rules.docs import generate
from codi.rules.registry import all_rules, get_rule

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_table_lists_every_rule() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    for rule in all_rules():
        assert rule.code in result.stdout


def test_json_listing() -> None:
    result = invoke("rules", "--format", "json")
    data = json.loads(result.stdout)
    assert [d["code"] for d in data] == [r.code for r in all_rules()]
    assert all(list(d) == ["code", "name", "severity", "enabled", "fixable", "summary"] for d in data)
    parse_error = next(d for d in data if d["code"] == "CD0001")
    assert parse_error == {"code": "CD0001", "name": "parse-error", "severity": "error", "enabled": True,
                           "fixable": False, "summary": "The Dockerfile cannot be parsed, so no other rule can check it."}


def test_json_flag_is_format_json() -> None:
    assert invoke("rules", "--json").stdout == invoke("rules", "--format", "json").stdout


def test_one_rule_by_code_or_name() -> None:
    by_code = invoke("rules", "CD0001")
    assert by_code.exit_code == 0
    assert "CD0001: parse-error" in by_code.stdout and "What it does" in by_code.stdout
    assert invoke("rules", "parse-error").stdout == by_code.stdout
    as_json = json.loads(invoke("rules", "cd0001", "--format", "json").stdout)
    assert as_json["code"] == "CD0001" and "## What it does" in as_json["docs"]


def test_unknown_rule_suggests() -> None:
    result = invoke("rules", "CD001")
    assert result.exit_code == 2
    assert "no rule 'CD001'" in result.stderr and "CD0001" in result.stderr


def test_shellcheck_codes_point_to_the_shellcheck_rule() -> None:
    if get_rule("SC") is None:
        pytest.skip("the ShellCheck rule (SC) is not registered in this checkout")
    result = invoke("rules", "SC2086")
    assert result.exit_code == 0
    assert "https://www.shellcheck.net/wiki/SC2086" in result.stdout and "## SC: " in result.stdout


def test_markdown_listing_is_docs_rules_md() -> None:
    assert invoke("rules", "--format", "markdown").stdout == generate()


def test_docs_rules_md_is_current() -> None:
    assert DOCS.is_file(), "docs/rules.md is missing: run `python -m codi.rules.docs > docs/rules.md`"
    assert DOCS.read_text(encoding="utf-8") == generate(), (
        "docs/rules.md is out of date: run `python -m codi.rules.docs > docs/rules.md`"
    )


def test_every_rule_documents_itself() -> None:
    missing = [r.code for r in all_rules() if "## What it does" not in r.docs() or not r.summary().strip()]
    assert not missing, f"rules without a summary or a `## What it does` section: {missing}"


def test_rule_singular_explains_one_rule_as_ruff() -> None:
    from lintkit import invoke

    one = invoke("rule", "DL3008")
    assert one.exit_code == 0 and "DL3008" in one.stdout and "## What it does" in one.stdout
    assert invoke("rule", "SC2086").stdout.startswith("SC2086 is reported by")
    bad = invoke("rule", "DL9999")
    assert bad.exit_code == 2 and "no rule" in bad.stderr
