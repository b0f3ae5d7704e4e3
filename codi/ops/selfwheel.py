"""Pack CODI's own source tree into a pure-Python wheel with the standard library only.

The offline image builds use it: pip would otherwise download setuptools (pyproject asks for >= 68,
newer than any venv ships) just to package CODI. It reads the same ``pyproject.toml`` fields setuptools
reads (name, version, dependencies, extras, scripts, packages.find include, package-data).

    python -m codi.ops.selfwheel PROJECT_DIR OUT_DIR   # prints the wheel's path
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import os
import re
import stat
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same tree gives the same wheel


def record_hash(data: bytes) -> str:
    """A file's hash as a wheel's RECORD writes it."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def write_wheel(target: Path, entries: list[tuple[str, bytes, int]]) -> Path:
    """Write ``(name, data, mode)`` entries as the zip ``target``, atomically, with fixed timestamps."""
    fd, tmp = tempfile.mkstemp(prefix=".wheel.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name, data, mode in entries:
                item = zipfile.ZipInfo(name, _EPOCH)
                # pip only marks a file executable when the type bits say "regular file".
                item.external_attr = (stat.S_IFREG | (mode or 0o644)) << 16
                # Large native libraries compress slowly and gain little; speed matters more here.
                item.compress_type = zipfile.ZIP_STORED if len(data) > 4 << 20 else zipfile.ZIP_DEFLATED
                zf.writestr(item, data)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _packages(root: Path, include: list[str]) -> list[Path]:
    """Folders with an ``__init__.py`` whose dotted name matches an include pattern."""
    found: list[Path] = []
    for init in sorted(root.rglob("__init__.py")):
        pkg = init.parent
        dotted = ".".join(pkg.relative_to(root).parts)
        if dotted and any(fnmatch.fnmatchcase(dotted, pat) for pat in include):
            found.append(pkg)
    return found


def _data_match(rel: str, patterns: list[str]) -> bool:
    for pat in patterns:
        if fnmatch.fnmatchcase(rel, pat):
            return True
        # setuptools reads "**/" as "any folder depth, including none".
        if pat.startswith("**/") and fnmatch.fnmatchcase(rel, pat[3:]):
            return True
    return False


def source_files(root: Path, setuptools_cfg: dict[str, Any]) -> list[str]:
    """Paths (relative to ``root``, posix) that the wheel carries."""
    find = setuptools_cfg.get("packages", {}).get("find", {})
    packages = _packages(root, list(find.get("include", ["*"])))
    data = setuptools_cfg.get("package-data", {})
    out: set[str] = set()
    for pkg in packages:
        dotted = ".".join(pkg.relative_to(root).parts)
        patterns = list(data.get(dotted, [])) + list(data.get("*", []))
        for path in pkg.rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            rel_pkg = path.relative_to(pkg).as_posix()
            # .py files belong to the package they sit in (a sub-folder without __init__ is not one).
            keep = path.parent == pkg if path.suffix == ".py" else _data_match(rel_pkg, patterns)
            if keep:
                out.add(path.relative_to(root).as_posix())
    return sorted(out)


def metadata(project: dict[str, Any], readme: str) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lic = project.get("license")
    if isinstance(lic, dict) and lic.get("text"):
        lines.append(f"License: {lic['text']}")
    lines += [f"Requires-Dist: {req}" for req in project.get("dependencies", [])]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for req in reqs:
            joiner = " and " if ";" in req else "; "
            lines.append(f'Requires-Dist: {req}{joiner}extra == "{extra}"')
    if readme:
        lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + readme


def _readme(root: Path, project: dict[str, Any]) -> str:
    name = project.get("readme")
    if isinstance(name, dict):
        name = name.get("file")
    if not isinstance(name, str) or not (root / name).is_file():
        return ""
    return (root / name).read_text(encoding="utf-8")


def build_wheel(root: Path, out_dir: Path) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` for the project at ``root`` into ``out_dir``."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    project: dict[str, Any] = config["project"]
    setuptools_cfg: dict[str, Any] = config.get("tool", {}).get("setuptools", {})
    dist = re.sub(r"[-_.]+", "_", project["name"]).lower()
    info = f"{dist}-{project['version']}.dist-info"
    entries: list[tuple[str, bytes]] = [(rel, (root / rel).read_bytes()) for rel in source_files(root, setuptools_cfg)]
    scripts = project.get("scripts", {})
    if scripts:
        body = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
        entries.append((f"{info}/entry_points.txt", body.encode()))
    entries.append((f"{info}/METADATA", metadata(project, _readme(root, project)).encode()))
    wheel_meta = "Wheel-Version: 1.0\nGenerator: codi.ops.selfwheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entries.append((f"{info}/WHEEL", wheel_meta.encode()))
    record = "".join(f"{rel},{record_hash(data)},{len(data)}\n" for rel, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{dist}-{project['version']}-py3-none-any.whl"
    return write_wheel(target, [(rel, data, 0o644) for rel, data in entries])


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m codi.ops.selfwheel PROJECT_DIR OUT_DIR\n")
        return 2
    root = Path(argv[0])
    if not (root / "pyproject.toml").is_file():
        sys.stderr.write(f"{root / 'pyproject.toml'}: not found\n")
        return 2
    try:
        print(build_wheel(root, Path(argv[1])))
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        sys.stderr.write(f"{root / 'pyproject.toml'}: cannot pack the project: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
