"""Write the data file's JSON Schema: ``python -m codi.imagedb.schema [schemas/imagedb.schema.json]``.

A test regenerates it and compares, so the checked-in file follows the pydantic model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from codi.imagedb.model import json_schema

SCHEMA_FILE = "imagedb.schema.json"


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_schema(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas") / SCHEMA_FILE))
