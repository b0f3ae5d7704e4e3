"""LoRA adapter folders: layout, verification and the GGUF file the runtime loads.

Layout (CODI guides): ``adapter_config.json``, ``adapter_model.safetensors`` (or ``.bin``), a GGUF
LoRA for llama.cpp, and ``metadata.json`` with ``version``, ``base_model``, ``ruleset_version``,
``created_at`` and ``checksums`` ({relative file: sha256}). An adapter is verified before it is
loaded; a failed check refuses to load it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUIRED_META = ("version", "base_model", "ruleset_version", "created_at", "checksums")
EXIT_OK, EXIT_MISMATCH, EXIT_UNREADABLE = 0, 1, 2


class AdapterError(RuntimeError):
    """An adapter that must not be loaded (the message says why)."""


@dataclass(slots=True)
class AdapterReport:
    path: str
    exit_code: int
    problems: list[str] = field(default_factory=list)
    version: str | None = None
    base_model: str | None = None
    ruleset_version: str | None = None
    gguf: str | None = None  # relative path of the GGUF LoRA

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "exit_code": self.exit_code, "problems": self.problems,
                "version": self.version, "base_model": self.base_model,
                "ruleset_version": self.ruleset_version, "gguf": self.gguf}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def base_compatible(adapter_base: str, model_id: str | None) -> bool:
    """The adapter's base model names the loaded model (case/punctuation-insensitive containment)."""
    if not model_id:
        return True
    a, m = _norm(Path(adapter_base).name), _norm(Path(model_id).name)
    a, m = a.removesuffix("-gguf"), m.removesuffix("-gguf")
    return a in m or m.split("-q")[0] in a


def ruleset_compatible(adapter_ruleset: str, ruleset: str | None) -> bool:
    """Same ruleset year.month series (``2026.11.x``); any when CODI's ruleset is unknown."""
    if not ruleset:
        return True
    return adapter_ruleset.split(".")[:2] == ruleset.split(".")[:2]


def ruleset_problem(adapter_ruleset: str | None, ruleset: str | None) -> str | None:
    """Why an adapter made for ``adapter_ruleset`` cannot serve CODI's ``ruleset``, or None when it can."""
    if adapter_ruleset and not ruleset_compatible(adapter_ruleset, ruleset):
        return f"ruleset {adapter_ruleset!r} is not compatible with CODI's {ruleset!r}"
    return None


def _files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            out.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(out)


def verify_adapter(folder: str | Path, model_id: str | None = None, ruleset: str | None = None) -> AdapterReport:
    """Check an adapter folder; exit_code 0 ok, 1 mismatch, 2 not a directory / unreadable."""
    root = Path(folder)
    report = AdapterReport(path=str(root), exit_code=EXIT_OK)
    if not root.is_dir():
        report.exit_code = EXIT_UNREADABLE
        report.problems.append(f"{root}: not a directory")
        return report
    try:
        meta: Any = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
        present = _files(root)
    except FileNotFoundError:
        report.exit_code = EXIT_MISMATCH
        report.problems.append("metadata.json is missing")
        return report
    except (OSError, UnicodeDecodeError) as exc:
        report.exit_code = EXIT_UNREADABLE
        report.problems.append(f"cannot read the adapter: {exc}")
        return report
    except json.JSONDecodeError as exc:
        report.exit_code = EXIT_MISMATCH
        report.problems.append(f"metadata.json is not valid JSON: {exc}")
        return report
    problems = report.problems
    if not isinstance(meta, dict):
        problems.append("metadata.json is not a JSON object")
        report.exit_code = EXIT_MISMATCH
        return report
    problems += [f"metadata.json lacks {key!r}" for key in REQUIRED_META if key not in meta]
    report.version = str(meta["version"]) if "version" in meta else None
    report.base_model = str(meta["base_model"]) if "base_model" in meta else None
    report.ruleset_version = str(meta["ruleset_version"]) if "ruleset_version" in meta else None
    checksums = meta.get("checksums")
    if not isinstance(checksums, dict) or not checksums:
        problems.append("checksums must be a non-empty {file: sha256} object")
        checksums = {}
    resolved_root = root.resolve()
    for name, expected in checksums.items():
        target = (root / str(name)).resolve()
        if Path(str(name)).is_absolute() or not target.is_relative_to(resolved_root):
            problems.append(f"{name}: path outside the adapter folder")
            continue
        if not target.is_file():
            problems.append(f"{name}: listed but missing")
            continue
        try:
            actual = sha256_file(target)
        except OSError as exc:
            report.exit_code = EXIT_UNREADABLE
            problems.append(f"{name}: unreadable: {exc.strerror or exc}")
            continue
        if actual != str(expected).lower():
            problems.append(f"{name}: sha256 mismatch (expected {expected}, got {actual})")
    listed = {Path(str(n)).as_posix() for n in checksums}
    problems += [f"{name}: present but not listed in checksums" for name in present
                 if name != "metadata.json" and name not in listed]
    for needed in ("adapter_config.json",):
        if needed not in present:
            problems.append(f"{needed} is missing")
    if not any(n in present for n in ("adapter_model.safetensors", "adapter_model.bin")):
        problems.append("adapter_model.safetensors (or .bin) is missing")
    ggufs = [n for n in sorted(listed) if n.endswith(".gguf")]
    if not ggufs:
        problems.append("no GGUF LoRA (*.gguf) listed for the runtime")
    report.gguf = ggufs[0] if ggufs else None
    if report.base_model and not base_compatible(report.base_model, model_id):
        problems.append(f"base model {report.base_model!r} does not match the loaded model {model_id!r}")
    if (wrong := ruleset_problem(report.ruleset_version, ruleset)) is not None:
        problems.append(wrong)
    if problems and report.exit_code == EXIT_OK:
        report.exit_code = EXIT_MISMATCH
    return report


def require_adapter(folder: str | Path, model_id: str | None, ruleset: str | None) -> AdapterReport:
    """Verify before loading; raise AdapterError (loudly, with every problem) when it fails."""
    report = verify_adapter(folder, model_id, ruleset)
    if not report.ok or report.gguf is None:
        raise AdapterError(f"adapter {folder} refused: " + "; ".join(report.problems))
    return report


def write_metadata(folder: str | Path, version: str, base_model: str, ruleset_version: str,
                   created_at: str) -> dict[str, Any]:
    """Write metadata.json listing every other file's checksum (used to package an adapter)."""
    root = Path(folder)
    checksums = {name: sha256_file(root / name) for name in _files(root) if name != "metadata.json"}
    meta = {"version": version, "base_model": base_model, "ruleset_version": ruleset_version,
            "created_at": created_at, "checksums": checksums}
    (root / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
