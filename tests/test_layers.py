"""The layers of DESIGN.md §2 hold: import-linter's contracts in pyproject.toml ([tool.importlinter]) pass.

They say: imports go down the floors (cli/api/dashboard, ops/fleet/training, service, the capabilities,
optimise/fix/formats, rules, the primitives, the ground); the core never imports the service, the skins,
the model runtime, servers or database drivers; and no two modules of a package import each other in a
circle. Function-level imports count, so a cycle cannot hide inside a function.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.skip("import-linter (the dev extra) is not installed")
    result = subprocess.run([exe, "--no-cache"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
