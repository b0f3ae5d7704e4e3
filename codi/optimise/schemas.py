"""Write the JSON Schemas generated from CODI's pydantic models into schemas/.

Run ``python -m codi.optimise.schemas [DIR]`` after changing a model; a test keeps them current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from codi.optimise.catalog import write_schema


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "rules.schema.json"
    write_schema(target)
    return [target]


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    for path in write_all(out):
        print(path)
