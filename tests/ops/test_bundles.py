"""Verified bundles: build, install, rollback, tamper refusals (nothing extracted), the active pointer."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers `adapter`)
import codi.cli.ops_bundle_cmds  # noqa: F401  (registers `bundle`, `rules install`, `adapter install`)
import codi.cli.rules_cmd  # noqa: F401
from codi.cli.app import app
from codi.config import paths
from codi.ops import bundle_store
from codi.ops.bundles import BundleError, build, keygen, verify_archive
from codi.optimise.catalog import DEFAULT_CATALOG, catalog_path

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CODI_STATE_DIR", "RULES_PATH", "ADAPTER_PATH", "CODI_TRUSTED_KEYS", "CODI_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODI_OUTPUT_ROOT", str(tmp_path / "runs"))
    monkeypatch.setenv("CODI_CONFIG", str(tmp_path / "codi.toml"))  # no stray .codi.toml from the checkout
    (tmp_path / "codi.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "operator"))  # the operator's trusted keys
    monkeypatch.setenv("CODI_SYSTEM_CONFIG", str(tmp_path / "etc-codi.toml"))


def rules_folder(root: Path, version: str = "1.0.0") -> Path:
    shutil.copytree(DEFAULT_CATALOG.parent, root)
    (root / "bundle.json").write_text(json.dumps({
        "name": "team-rules", "version": version, "kind": "rules",
        "compatibility": {"codi": ">=0.1", "ruleset": "2026.11"}}), encoding="utf-8")
    return root


def trust(tmp_path: Path, public: str) -> None:
    """The operator trusts ``public``: a line of <state>/trusted-keys (the state folder, not a project)."""
    keys = tmp_path / "operator" / "codi" / "trusted-keys"
    keys.parent.mkdir(parents=True, exist_ok=True)
    keys.write_text(f"# release signer\n{public}\n", encoding="utf-8")


def key_pair(tmp_path: Path) -> tuple[Path, str]:
    private, public = keygen()
    key = tmp_path / "signing.key"
    key.write_text(private, encoding="utf-8")
    return key, public


def rewrite(archive: Path, change: dict[str, bytes | None], extra_info: tarfile.TarInfo | None = None) -> None:
    """Re-pack ``archive`` with members replaced (bytes), removed (None) or a raw member added."""
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar.getmembers():
            data = tar.extractfile(info).read()  # type: ignore[union-attr]
            if info.name in change:
                if change[info.name] is None:
                    continue
                data = change[info.name]  # type: ignore[assignment]
                info.size = len(data)
            members.append((info, data))
    for name, data in change.items():
        if data is not None and name not in {i.name for i, _ in members}:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            members.append((info, data))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data))
        if extra_info is not None:
            tar.addfile(extra_info)
    archive.write_bytes(gzip.compress(buffer.getvalue()))


def nothing_installed(tmp_path: Path) -> bool:
    base = tmp_path / "runs" / ".codi-state" / "bundles" / "rules"
    return not base.exists() or not any(p.name != "history.json" for p in base.iterdir())


def test_build_install_activates_and_catalog_uses_it(tmp_path: Path) -> None:
    archive = tmp_path / "r1.tgz"
    build(rules_folder(tmp_path / "src"), archive)
    result = runner.invoke(app, ["rules", "install", str(archive), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["version"] == "1.0.0" and data["previous"] is None
    state = tmp_path / "runs" / ".codi-state" / "bundles" / "rules"
    assert (state / "active").read_text().strip() == "1.0.0"
    assert catalog_path() == state / "1.0.0" / "rules.yml"
    assert bundle_store.check_installed() == [{"kind": "rules", "version": "1.0.0", "ok": True, "problem": None}]


def test_rules_listing_still_works_beside_install() -> None:
    assert runner.invoke(app, ["rules", "DL3008"]).exit_code == 0
    assert "install" in runner.invoke(app, ["rules", "--help"]).stdout


def test_rollback_returns_to_previous_version(tmp_path: Path) -> None:
    for version in ("1.0.0", "1.1.0"):
        build(rules_folder(tmp_path / f"src-{version}", version), tmp_path / f"{version}.tgz")
        assert runner.invoke(app, ["rules", "install", str(tmp_path / f"{version}.tgz")]).exit_code == 0
    result = runner.invoke(app, ["rules", "rollback", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == "1.0.0"
    assert paths.active_version("rules") == "1.0.0"
    again = runner.invoke(app, ["rules", "rollback"])
    assert again.exit_code == 1 and "no earlier rules bundle" in again.stderr


def test_signed_bundle_installs_with_trusted_key(tmp_path: Path) -> None:
    key, public = key_pair(tmp_path)
    trust(tmp_path, public)
    archive = tmp_path / "signed.tgz"
    build(rules_folder(tmp_path / "src"), archive, key)
    assert verify_archive(archive, bundle_store.trusted_keys()).signed_by == public
    assert runner.invoke(app, ["rules", "install", str(archive)]).exit_code == 0


@pytest.mark.parametrize("tamper, message", [
    ("changed-byte", "sha256 does not match"),
    ("extra-file", "not listed in SHA256SUMS"),
    ("missing-file", "listed in SHA256SUMS but missing"),
    ("path-escape", "escapes the bundle"),
    ("absolute-path", "absolute path not allowed"),
    ("symlink-out", "links are not allowed"),
    ("bad-signature", "bad signature"),
    ("unsigned-when-keys", "unsigned bundle"),
    ("empty-list", "lists no files"),
])
def test_tampered_bundle_refused_nothing_extracted(tmp_path: Path, tamper: str, message: str) -> None:
    key, public = key_pair(tmp_path)
    trust(tmp_path, public)
    archive = tmp_path / "b.tgz"
    build(rules_folder(tmp_path / "src"), archive, key)
    if tamper == "changed-byte":
        data = (tmp_path / "src" / "rules.yml").read_bytes()
        rewrite(archive, {"rules.yml": data[:-2] + b"#\n"})
    elif tamper == "extra-file":
        rewrite(archive, {"templates/evil.j2": b"x"})
    elif tamper == "missing-file":
        rewrite(archive, {"rules.yml": None})
    elif tamper == "path-escape":
        rewrite(archive, {"../escape.txt": b"x"})
    elif tamper == "absolute-path":
        rewrite(archive, {"/tmp/abs.txt": b"x"})
    elif tamper == "symlink-out":
        link = tarfile.TarInfo("templates/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        rewrite(archive, {}, link)
    elif tamper == "bad-signature":
        (tmp_path / "x").mkdir()
        other_key, _ = key_pair(tmp_path / "x")
        build(tmp_path / "src", archive, other_key)
    elif tamper == "unsigned-when-keys":
        build(tmp_path / "src", archive)
    elif tamper == "empty-list":
        rewrite(archive, {"SHA256SUMS": b"\n"})
    result = runner.invoke(app, ["rules", "install", str(archive)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("codi: error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert nothing_installed(tmp_path)
    assert not (tmp_path / "escape.txt").exists() and not Path("/tmp/abs.txt").exists()


def test_wrong_kind_and_incompatible_codi_refused(tmp_path: Path) -> None:
    archive = tmp_path / "r.tgz"
    build(rules_folder(tmp_path / "src"), archive)
    result = runner.invoke(app, ["adapter", "install", str(archive)])
    assert result.exit_code == 1 and "not a adapter bundle" in result.stderr
    meta = json.loads((tmp_path / "src" / "bundle.json").read_text())
    meta["compatibility"]["codi"] = ">=99"
    (tmp_path / "src" / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="needs CODI >=99"):
        build(tmp_path / "src", archive)


def test_installed_bundle_edited_on_disk_fails_the_recheck(tmp_path: Path) -> None:
    archive = tmp_path / "r.tgz"
    build(rules_folder(tmp_path / "src"), archive)
    bundle_store.install(archive, "rules")
    installed = paths.active_dir("rules")
    assert installed is not None
    (installed / "rules.yml").write_text("tampered", encoding="utf-8")
    [entry] = bundle_store.check_installed()
    assert entry["ok"] is False and "rules.yml" in entry["problem"]


def test_adapter_bundle_installs_and_becomes_the_default_adapter(tmp_path: Path) -> None:
    from codi.llm.adapters import write_metadata

    src = tmp_path / "src"
    adapter = src / "adapter"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}")
    (adapter / "adapter_model.safetensors").write_bytes(b"\x00" * 16)
    (adapter / "adapter.gguf").write_bytes(b"GGUF")
    write_metadata(adapter, "v0.1", "SmolLM2-135M-Instruct", "2026.11.1", "2026-11-23T00:00:00Z")
    (src / "bundle.json").write_text(json.dumps({"name": "lora", "version": "0.1", "kind": "adapter"}))
    build(src, tmp_path / "a.tgz")
    assert runner.invoke(app, ["adapter", "install", str(tmp_path / "a.tgz")]).exit_code == 0
    assert paths.adapter_path_from_env() == str(paths.active_dir("adapter") / "adapter")  # type: ignore[operator]


def test_keygen_and_cli_build_verify(tmp_path: Path) -> None:
    key = tmp_path / "k"
    made = runner.invoke(app, ["bundle", "keygen", str(key), "--json"])
    assert made.exit_code == 0 and (key.stat().st_mode & 0o777) == 0o600
    public = json.loads(made.stdout)["public_key"]
    trust(tmp_path, public)
    out = tmp_path / "b.tgz"
    built = runner.invoke(app, ["bundle", "build", str(rules_folder(tmp_path / "src")), "--key", str(key),
                                "--out", str(out)])
    assert built.exit_code == 0, built.output
    assert runner.invoke(app, ["bundle", "verify", str(out)]).exit_code == 0
    assert runner.invoke(app, ["bundle", "verify", str(tmp_path / "nope.tgz")]).exit_code == 2
    assert runner.invoke(app, ["rules", "install", str(tmp_path / "nope.tgz")]).exit_code == 2


def test_serve_start_rechecks_bundles_production_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    import codi.cli.serve_cmds  # noqa: F401  (registers `serve`)

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append("run"))
    monkeypatch.setenv("CODI_OUTPUT_ROOT", str(tmp_path / "runs"))
    build(rules_folder(tmp_path / "src"), tmp_path / "r.tgz")
    bundle_store.install(tmp_path / "r.tgz", "rules", tmp_path / "runs")
    (paths.kind_dir("rules", tmp_path / "runs") / "1.0.0" / "rules.yml").write_text("x", encoding="utf-8")
    warned = runner.invoke(app, ["serve"])
    assert warned.exit_code == 0 and started == ["run"] and "warning: rules bundle 1.0.0" in warned.stderr
    monkeypatch.setattr(codi.cli.serve_cmds, "_production_gate", lambda *a, **k: None)  # doctor's gate: tested apart
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    refused = runner.invoke(app, ["serve"])
    assert refused.exit_code == 1 and started == ["run"]
    assert refused.stderr.startswith("codi: error: installed bundle failed verification")


def test_a_project_config_cannot_add_a_trusted_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checked-out repository that signs its own bundle and names its key in .codi.toml: refused, warned."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    (repo / ".git").mkdir()
    key, public = key_pair(tmp_path)
    (repo / ".codi.toml").write_text(f'[bundles]\ntrusted_keys = ["{public}"]\n', encoding="utf-8")
    archive = tmp_path / "evil.tgz"
    build(rules_folder(tmp_path / "src"), archive, key)
    monkeypatch.delenv("CODI_CONFIG")
    monkeypatch.chdir(repo)
    result = runner.invoke(app, ["rules", "install", str(archive)])
    assert result.exit_code == 1 and nothing_installed(tmp_path)
    assert "no trusted key configured" in result.stderr
    assert f"{repo / '.codi.toml'}: [bundles] trusted_keys is ignored" in result.stderr
    monkeypatch.setenv("CODI_CONFIG", str(repo / ".codi.toml"))  # --config names it: still a project's file
    assert bundle_store.trusted_keys() == []


@pytest.mark.parametrize("where", ["env", "state", "system"])
def test_operator_settings_are_trust_anchors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    key, public = key_pair(tmp_path)
    if where == "env":
        monkeypatch.setenv("CODI_TRUSTED_KEYS", f" {public} ,")
    elif where == "state":
        monkeypatch.setenv("CODI_STATE_DIR", str(tmp_path / "state"))
        (tmp_path / "state").mkdir()
        (tmp_path / "state" / "trusted-keys").write_text(f"{public}  # ops team\n", encoding="utf-8")
    else:
        (tmp_path / "etc-codi.toml").write_text(f'[bundles]\ntrusted_keys = ["{public}"]\n', encoding="utf-8")
    assert bundle_store.trusted_keys() == [public]
    archive = tmp_path / "signed.tgz"
    build(rules_folder(tmp_path / "src"), archive, key)
    assert verify_archive(archive, bundle_store.trusted_keys()).signed_by == public


def test_production_refuses_an_unsigned_bundle_without_any_key(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "unsigned.tgz"
    build(rules_folder(tmp_path / "src"), archive)
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    result = runner.invoke(app, ["rules", "install", str(archive)])
    assert result.exit_code == 1 and "production mode" in result.stderr and nothing_installed(tmp_path)
    assert runner.invoke(app, ["bundle", "verify", str(archive)]).exit_code == 1
    monkeypatch.delenv("CODI_PRODUCTION")
    assert runner.invoke(app, ["rules", "install", str(archive)]).exit_code == 0
