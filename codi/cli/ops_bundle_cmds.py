"""`codi bundle build|keygen|verify`, `codi rules install|rollback`, `codi adapter install|rollback`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from codi.cli.app import app
from codi.cli.errors import fail
from codi.cli.llm_cmds import adapter_app
from codi.cli.rules_cmd import rules_app

bundle_app = typer.Typer(help="Verified bundles (rules catalogs, adapters): build, sign, verify.",
                         no_args_is_help=True)
app.add_typer(bundle_app, name="bundle")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OutOpt = Annotated[str | None, typer.Option("--out", help="Runs folder; bundles live in <out>/.codi-state/bundles "
                                                          "(or CODI_STATE_DIR/bundles).")]
ArchiveArg = Annotated[Path, typer.Argument(help="The bundle (.tgz) made by `codi bundle build`.")]



def _out(ctx: typer.Context, out: str | None) -> str | None:
    return out or ((ctx.obj or {}).get("out") if ctx.obj else None)


def _print(data: dict[str, Any], as_json: bool, text: str) -> None:
    sys.stdout.write((json.dumps(data, indent=2) if as_json else text) + "\n")


def _actor() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "cli"


def _install(ctx: typer.Context, kind: str, archive: Path, out: str | None, as_json: bool) -> None:
    from codi.ops.bundle_store import install
    from codi.ops.bundles import BundleError

    if not archive.is_file():
        raise fail(f"{archive}: no such file", 2)
    try:
        result = install(archive, kind, _out(ctx, out), actor=_actor())
    except BundleError as exc:
        raise fail(f"{archive}: refused, nothing installed: {exc}", 1) from None
    signed = f", signed by {result['signed_by'][:12]}..." if result["signed_by"] else ", unsigned"
    _print(result, as_json, f"installed {kind} bundle {result['name']} {result['version']} "
                            f"({result['files']} files{signed}); active, previous: {result['previous'] or 'none'}")


def _rollback(ctx: typer.Context, kind: str, out: str | None, as_json: bool) -> None:
    from codi.ops.bundle_store import rollback
    from codi.ops.bundles import BundleError

    try:
        result = rollback(kind, _out(ctx, out), actor=_actor())
    except BundleError as exc:
        raise fail(str(exc), 1) from None
    _print(result, as_json, f"{kind} bundle rolled back: {result['previous']} -> {result['version']}")


@rules_app.command("install")
def rules_install(ctx: typer.Context, archive: ArchiveArg, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Verify a rules bundle (hashes, paths, signature, compatibility), then install and activate it.

    Exit 0 installed, 1 refused (nothing extracted), 2 usage error."""
    _install(ctx, "rules", archive, out, as_json)


@rules_app.command("rollback")
def rules_rollback(ctx: typer.Context, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Make the previously active rules bundle active again. Exit 1 when there is none."""
    _rollback(ctx, "rules", out, as_json)


@adapter_app.command("install")
def adapter_install(ctx: typer.Context, archive: ArchiveArg, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Verify an adapter bundle, then install and activate it (used when ADAPTER_PATH is unset).

    Exit 0 installed, 1 refused (nothing extracted), 2 usage error."""
    _install(ctx, "adapter", archive, out, as_json)


@adapter_app.command("rollback")
def adapter_rollback(ctx: typer.Context, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Make the previously active adapter bundle active again. Exit 1 when there is none."""
    _rollback(ctx, "adapter", out, as_json)


@bundle_app.command("build")
def bundle_build(
    folder: Annotated[Path, typer.Argument(help="Folder holding bundle.json and the payload (rules.yml, or adapter/).")],
    key: Annotated[Path | None, typer.Option("--key", help="Ed25519 private key file (codi bundle keygen): "
                                                           "sign SHA256SUMS into bundle.sig.")] = None,
    dest: Annotated[Path | None, typer.Option("--output-file", "-o", metavar="FILE", show_default=False,
                                              help="Bundle file (default <name>-<version>.tgz).")] = None,
    dest_alias: Annotated[Path | None, typer.Option("--out", hidden=True, help="Old name of --output-file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a bundle from a folder: SHA256SUMS of every file, bundle.json, an optional signature."""
    dest = dest or dest_alias
    from codi.ops.bundles import BundleError, build

    if not folder.is_dir():
        raise fail(f"{folder}: not a directory", 2)
    if key is not None and not key.is_file():
        raise fail(f"{key}: no such key file", 2)
    try:
        meta = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
        name = f"{meta.get('name', 'bundle')}-{meta.get('version', '0')}.tgz" if isinstance(meta, dict) else "bundle.tgz"
    except (OSError, ValueError):
        name = "bundle.tgz"
    target = dest or Path(name)
    try:
        checked = build(folder, target, key)
    except BundleError as exc:
        raise fail(str(exc), 1) from None
    data = {"schema_version": 1, "path": str(target), "kind": checked.kind, "version": checked.version,
            "files": len(checked.sums), "signed": key is not None}
    _print(data, as_json, f"{target}: {checked.kind} bundle {checked.version}, {len(checked.sums)} files"
                          f"{', signed' if key else ''}")


@bundle_app.command("keygen")
def bundle_keygen(
    private: Annotated[Path, typer.Argument(help="Where to write the private key (mode 0600); the public key "
                                                 "goes to PRIVATE.pub.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing key file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Make an Ed25519 key pair; the operator trusts the public key through CODI_TRUSTED_KEYS, a line of
    <state>/trusted-keys (CODI_STATE_DIR, else ~/.local/state/codi) or `[bundles] trusted_keys` in
    /etc/codi/config.toml. A project's .codi.toml cannot add trusted keys."""
    from codi.atomic import atomic_write_text
    from codi.config.operator import TRUSTED_KEYS_FILE, operator_state_dir
    from codi.ops.bundles import keygen

    if private.exists() and not force:
        raise fail(f"{private} exists (use --force to overwrite)", 2)
    secret, public = keygen()
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret + "\n")
        atomic_write_text(private.with_name(private.name + ".pub"), public + "\n")
    except OSError as exc:
        raise fail(f"{private}: cannot write: {exc.strerror or exc}", 2) from None
    _print({"schema_version": 1, "private_key": str(private), "public_key": public}, as_json,
           f"private key: {private}\npublic key: {public}\ntrust it (operator settings, not a project's .codi.toml):\n"
           f"  echo '{public}' >> {operator_state_dir() / TRUSTED_KEYS_FILE}\n"
           f"  or CODI_TRUSTED_KEYS={public}")


@bundle_app.command("verify")
def bundle_verify(archive: ArchiveArg, as_json: JsonOpt = False) -> None:
    """Check a bundle without installing it. Exit 0 valid, 1 refused, 2 usage error."""
    from codi.ops.bundle_store import trusted_keys
    from codi.ops.bundles import BundleError, verify_archive

    if not archive.is_file():
        raise fail(f"{archive}: no such file", 2)
    try:
        checked = verify_archive(archive, trusted_keys())
    except BundleError as exc:
        if as_json:
            _print({"schema_version": 1, "path": str(archive), "ok": False, "problem": str(exc)}, True, "")
        raise fail(f"{archive}: {exc}", 1) from None
    _print({"schema_version": 1, "path": str(archive), "ok": True, "kind": checked.kind,
            "version": checked.version, "signed_by": checked.signed_by}, as_json,
           f"{archive}: ok ({checked.kind} {checked.version}, {'signed' if checked.signed_by else 'unsigned'})")
