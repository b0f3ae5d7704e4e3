"""Write the JSON Schemas generated from CODI's pydantic models into schemas/.

Run ``python -m codi.artifacts.schemas [DIR]`` after changing a model; a test keeps them current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from codi.artifacts.models import ARTIFACT_MODELS
from codi.optimise.catalog import Catalog


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema."""
    out = {"rules.schema.json": Catalog.model_json_schema()}
    for name, model in ARTIFACT_MODELS.items():
        out[f"{name}.schema.json"] = model.model_json_schema()
    return out


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_schemas().items():
        path = folder / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")):
        print(path)
