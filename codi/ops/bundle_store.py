"""Installed bundles: ``<state>/bundles/<kind>/<version>/``, an ``active`` pointer, install and rollback.

``<state>`` is ``CODI_STATE_DIR``, else ``<out>/.codi-state`` (``--out``, else ``CODI_OUTPUT_ROOT``,
else ``./runs``). ``active`` holds the active version's name and is switched atomically (temp file +
rename); ``history.json`` is the stack of activations that ``rollback`` pops. A bundle is verified
(``codi.ops.bundles``) before one byte is extracted, extracted into a staging folder with every hash
checked again, checked for its kind (a rules catalog that loads, an adapter that verifies), and only
then renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from codi.atomic import atomic_write_text
from codi.config.flags import production_mode
from codi.config.operator import ignored_keys_warning, ignored_project_keys
from codi.config.operator import trusted_keys as operator_trusted_keys
from codi.config.paths import active_version, kind_dir, output_root
from codi.ops.bundles import KINDS, SIG, SUMS, BundleError, Checked, verify_archive, verify_folder

SCHEMA_VERSION = 1


_WARNED: set[str] = set()


def trusted_keys(start: Path | None = None) -> list[str]:
    """The operator's trusted signers (codi.config.operator); a project config that names some is ignored,
    with a warning on stderr (once per process)."""
    warning = ignored_keys_warning(ignored_project_keys(start))
    if warning and warning not in _WARNED:
        _WARNED.add(warning)
        sys.stderr.write(f"codi: warning: {warning}\n")
    return operator_trusted_keys()


def _history(base: Path) -> list[str]:
    try:
        data = json.loads((base / "history.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    versions = data.get("versions") if isinstance(data, dict) else None
    return [str(v) for v in versions] if isinstance(versions, list) else []


def _activate(base: Path, version: str, history: list[str]) -> None:
    atomic_write_text(base / "history.json",
                      json.dumps({"schema_version": SCHEMA_VERSION, "versions": history}, indent=2) + "\n")
    atomic_write_text(base / "active", version + "\n")


def _audit(out: str | Path | None, action: str, **fields: Any) -> None:
    try:
        from codi.telemetry.audit import audit_event
    except ImportError:
        return
    audit_event(output_root(out), action, **fields)


def _extract(archive: Path, checked: Checked, staging: Path) -> None:
    """Write the listed files (hashing again while writing) plus SHA256SUMS and the signature."""
    import hashlib

    wanted = set(checked.sums) | {SUMS, SIG}
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar.getmembers():
            name = info.name.removeprefix("./")
            if not info.isreg() or name not in wanted:
                continue
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(info)
            digest = hashlib.sha256()
            with target.open("wb") as handle:
                while source is not None and (block := source.read(1 << 20)):
                    digest.update(block)
                    handle.write(block)
            if name in checked.sums and digest.hexdigest() != checked.sums[name]:
                raise BundleError(f"{name}: changed while installing; nothing installed")


def _check_payload(kind: str, folder: Path, meta: dict[str, Any]) -> None:
    if kind == "rules":
        from codi.optimise.catalog import CatalogError, load_catalog

        try:
            load_catalog(folder / "rules.yml")
        except CatalogError as exc:
            raise BundleError(f"rules.yml does not load: {exc}") from None
        return
    from codi.llm.adapters import verify_adapter

    ruleset = None
    try:
        from codi.optimise.catalog import load_catalog

        ruleset = load_catalog().ruleset_version
    except Exception:  # noqa: BLE001 - no catalog: the ruleset check is skipped, as verify_adapter does
        ruleset = None
    report = verify_adapter(folder / "adapter", None, ruleset)
    if not report.ok:
        raise BundleError("adapter does not verify: " + "; ".join(report.problems))


def install(archive: Path, kind: str, out: str | Path | None = None, actor: str | None = None) -> dict[str, Any]:
    """Verify, stage, check and activate ``archive``; raise BundleError (nothing changed) when refused."""
    if kind not in KINDS:
        raise BundleError(f"unknown bundle kind {kind!r}")
    if not archive.is_file():
        raise BundleError(f"{archive}: no such file")
    checked = verify_archive(archive, trusted_keys(), kind)
    base = kind_dir(kind, out)
    target = base / checked.version
    previous = active_version(kind, out)
    if target.exists():
        if verify_folder(target, trusted_keys()).sums != checked.sums:
            raise BundleError(f"version {checked.version} is already installed with different content; "
                              "bump the version")
    else:
        base.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=base))
        try:
            _extract(archive, checked, staging)
            _check_payload(kind, staging, checked.meta)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    _activate(base, checked.version, [*_history(base), checked.version])
    result = {"schema_version": SCHEMA_VERSION, "kind": kind, "name": checked.meta["name"],
              "version": checked.version, "previous": previous, "signed_by": checked.signed_by,
              "path": str(target), "files": len(checked.sums)}
    _audit(out, "bundle-install", actor=actor, kind=kind, bundle=checked.meta["name"], version=checked.version,
           previous=previous, decision="installed")
    return result


def rollback(kind: str, out: str | Path | None = None, actor: str | None = None) -> dict[str, Any]:
    """Return to the version active before the current one; raise BundleError when there is none."""
    base = kind_dir(kind, out)
    current = active_version(kind, out)
    if current is None:
        raise BundleError(f"no {kind} bundle is installed")
    history = _history(base)
    while history and history[-1] == current:
        history.pop()
    while history and not (base / history[-1]).is_dir():
        history.pop()
    if not history:
        raise BundleError(f"no earlier {kind} bundle to roll back to (active: {current})")
    target = history[-1]
    verify_folder(base / target, trusted_keys())
    _activate(base, target, history)
    _audit(out, "bundle-rollback", actor=actor, kind=kind, version=target, previous=current, decision="rolled-back")
    return {"schema_version": SCHEMA_VERSION, "kind": kind, "version": target, "previous": current,
            "path": str(base / target)}


def check_installed(out: str | Path | None = None) -> list[dict[str, Any]]:
    """Each active bundle re-verified: ``{kind, version, ok, problem}`` (serve start, doctor)."""
    results: list[dict[str, Any]] = []
    for kind in KINDS:
        version = active_version(kind, out)
        if version is None:
            continue
        entry: dict[str, Any] = {"kind": kind, "version": version, "ok": True, "problem": None}
        try:
            checked = verify_folder(kind_dir(kind, out) / version, trusted_keys())
            if checked.version != version:
                raise BundleError(f"bundle.json says version {checked.version}, active says {version}")
        except BundleError as exc:
            entry.update(ok=False, problem=str(exc))
        results.append(entry)
    return results


def serve_start_check(out: str | Path | None = None) -> str | None:
    """Re-verify the active bundles at ``serve`` start: a problem is a warning, or (production) the refusal."""
    failed = [f"{e['kind']} bundle {e['version']}: {e['problem']}" for e in check_installed(out) if not e["ok"]]
    if not failed:
        return None
    if production_mode():
        return "installed bundle failed verification (CODI_PRODUCTION=1): " + "; ".join(failed)
    for line in failed:
        sys.stderr.write(f"codi serve: warning: {line}\n")
    return None
