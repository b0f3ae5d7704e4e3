"""What the candidate templates keep from the original's final stage."""

from __future__ import annotations

from codi.optimise.facts import read_facts
from codi.parser import parse
from codi.parser.semantic import build_model


def _facts(text: str):  # type: ignore[no-untyped-def]
    df = parse(text)
    return read_facts(df, build_model(df))


def test_development_mode_settings_are_not_carried_into_candidates() -> None:
    # Regression: `ENV NODE_ENV development` was kept and overrode the template's NODE_ENV=production.
    facts = _facts("FROM node:20\nENV NODE_ENV development\nENV A=1 FLASK_DEBUG=\"1\" B=two\nENV PORT=3000\n")
    assert facts.env_lines == ["ENV A=1 B=two", "ENV PORT=3000"]
    assert any("NODE_ENV=development" in n and "line 2" in n for n in facts.notes)
    assert any('FLASK_DEBUG="1"' in n and "line 3" in n for n in facts.notes)


def test_production_settings_are_kept_verbatim() -> None:
    facts = _facts("FROM node:20\nENV NODE_ENV=production  APP=x\n")
    assert facts.env_lines == ["ENV NODE_ENV=production  APP=x"]
