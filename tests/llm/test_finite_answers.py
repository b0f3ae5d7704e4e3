"""Which schemas list their answers (answered by scoring the list instead of writing under a grammar)."""

from __future__ import annotations

import json

from codi.llm.prompts import rank_schema
from codi.llm.runtime import finite_answers


def test_the_rank_schema_lists_every_permutation() -> None:
    answers = finite_answers(rank_schema(["A", "B", "C"]))
    assert answers is not None and len(answers) == 6
    assert json.dumps({"order": ["A", "B", "C"]}) in answers and json.dumps({"order": ["C", "B", "A"]}) in answers


def test_a_plain_enum_lists_its_values() -> None:
    assert finite_answers({"enum": ["yes", "no"]}) == ['"yes"', '"no"']


def test_open_schemas_are_written_under_a_grammar() -> None:
    assert finite_answers(None) is None
    assert finite_answers(rank_schema([chr(ord("A") + i) for i in range(6)])) is None  # array type above 5 labels
    assert finite_answers({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}) is None
    # Not required: the object may be written without the property, which the list would not admit.
    assert finite_answers({"type": "object", "properties": {"o": {"enum": [1, 2]}}}) is None
    assert finite_answers({"type": "object", "properties": {"o": {"enum": [1], "description": "x"}},
                           "required": ["o"]}) is None
    assert finite_answers({"enum": []}) is None
