"""The candidate catalog loads, validates with line-numbered errors, and its schema is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.optimise.catalog import Catalog, CatalogError, load_catalog

REPO = Path(__file__).resolve().parents[2]


def test_shipped_catalog_loads_and_has_templates() -> None:
    catalog = load_catalog()
    assert catalog.ruleset_version
    stacks = {r.when.stack for r in catalog.rules}
    assert {"python", "node", "go", "java"} <= stacks
    assert len({r.id for r in catalog.rules}) == len(catalog.rules)


def test_schema_files_are_current() -> None:
    from codi.artifacts.schemas import all_schemas

    for name, schema in all_schemas().items():
        on_disk = json.loads((REPO / "schemas" / name).read_text())
        assert on_disk == schema, f"schemas/{name} is stale: run python -m codi.artifacts.schemas"
    assert "rules.schema.json" in all_schemas() and Catalog


def test_rules_path_env_and_explicit_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "t.j2").write_text("FROM scratch\n")
    (tmp_path / "rules.yml").write_text(
        "schema_version: 1\nruleset_version: test-1\nrules:\n"
        "  - id: only\n    kind: variant\n    title: t\n    description: d\n    risk: low\n"
        "    specificity: 1\n    when: {stack: go}\n    template: t.j2\n    runtime_base: scratch\n")
    monkeypatch.setenv("RULES_PATH", str(tmp_path / "rules.yml"))
    assert load_catalog().ruleset_version == "test-1"
    monkeypatch.delenv("RULES_PATH")
    assert load_catalog(tmp_path / "rules.yml").rules[0].id == "only"


@pytest.mark.parametrize(("body", "line", "words"), [
    ("schema_version: 1\nruleset_version: x\nrules:\n  - id: a\n    kind: variant\n    title: t\n"
     "    description: d\n    risk: extreme\n    specificity: 1\n    when: {stack: go}\n"
     "    template: t.j2\n    runtime_base: scratch\n", 8, "risk"),
    ("schema_version: 1\nruleset_version: x\nrules:\n  - id: a\n    kind: variant\n    title: t\n"
     "    description: d\n    risk: low\n    specificity: 1\n    when: {stack: go}\n"
     "    template: missing.j2\n    runtime_base: scratch\n", 11, "template not found"),
    ("schema_version: 1\nruleset_version: x\nrules: [\n", 4, "invalid YAML"),
    ("schema_version: 2\nruleset_version: x\nrules: []\n", 1, "schema_version"),
])
def test_bad_catalog_errors_name_the_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    (tmp_path / "t.j2").write_text("FROM scratch\n")
    path = tmp_path / "rules.yml"
    path.write_text(body)
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert words in str(err.value)


def test_missing_catalog_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read catalog"):
        load_catalog(tmp_path / "nope.yml")
