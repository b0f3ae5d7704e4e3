"""Verified bundles: the archive format, building one from a folder, and checking one before extraction.

A bundle is a ``.tgz`` holding ``SHA256SUMS`` (``<sha256>  <path>`` per file), ``bundle.json``
(``name``, ``version``, ``kind`` = rules|adapter, ``compatibility`` = {codi, ruleset, base_model})
and, optionally, ``bundle.sig``: a base64 Ed25519 signature over the exact bytes of ``SHA256SUMS``,
checked against the operator's trusted keys (codi.config.operator: ``CODI_TRUSTED_KEYS``, the state
folder's ``trusted-keys``, the system config; never a project's ``.codi.toml``); production mode
refuses an unsigned bundle. Every member is checked before anything is written: regular files
only, no absolute path, no ``..``, no duplicate, every file listed and every listed file present,
each hash matching. Installing lives in ``bundle_store``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from codi.config.flags import production_mode

SUMS, META, SIG = "SHA256SUMS", "bundle.json", "bundle.sig"
KINDS = ("rules", "adapter")
PAYLOAD = {"rules": "rules.yml", "adapter": "adapter/metadata.json"}  # the file each kind must hold
_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
TRUST_HINT = ("CODI_TRUSTED_KEYS, a line of trusted-keys in CODI_STATE_DIR (else ~/.local/state/codi), or "
              "[bundles] trusted_keys in /etc/codi/config.toml")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")


class BundleError(Exception):
    """A bundle that must not be installed; the message says why."""


@dataclass(slots=True)
class Checked:
    """A bundle that passed every check: its metadata and listed hashes."""

    meta: dict[str, Any]
    sums: dict[str, str]
    signed_by: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.meta["kind"])

    @property
    def version(self) -> str:
        return str(self.meta["version"])


def safe_name(name: str) -> str:
    """A member path confined to the bundle (posix, relative, no ``..``); raises BundleError."""
    if not name or "\\" in name or "\x00" in name:
        raise BundleError(f"{name!r}: path not allowed")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise BundleError(f"{name}: absolute path not allowed")
    parts = [p for p in PurePosixPath(name).parts if p != "."]
    if not parts or any(p == ".." for p in parts):
        raise BundleError(f"{name}: path escapes the bundle ('..')")
    return "/".join(parts)


def parse_sums(data: bytes) -> dict[str, str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{SUMS} is not UTF-8") from None
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match:
            raise BundleError(f"{SUMS}:{number}: expected '<sha256>  <path>'")
        path = safe_name(match.group(2))
        if path in sums:
            raise BundleError(f"{SUMS}:{number}: {path} listed twice")
        if path in (SUMS, SIG):
            raise BundleError(f"{SUMS}:{number}: {path} cannot list itself or the signature")
        sums[path] = match.group(1)
    if not sums:
        raise BundleError(f"{SUMS} lists no files")
    return sums


def check_meta(data: bytes, expect_kind: str | None) -> dict[str, Any]:
    try:
        meta = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{META} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise BundleError(f"{META} must be a JSON object")
    for key in ("name", "version", "kind"):
        if not isinstance(meta.get(key), str) or not _NAME.match(meta[key]):
            raise BundleError(f"{META}: {key!r} must be a short name (letters, digits, . _ + -)")
    if meta["kind"] not in KINDS:
        raise BundleError(f"{META}: kind {meta['kind']!r} is not one of {', '.join(KINDS)}")
    if expect_kind and meta["kind"] != expect_kind:
        raise BundleError(f"this is a {meta['kind']} bundle, not a {expect_kind} bundle")
    compat = meta.get("compatibility", {})
    if not isinstance(compat, dict):
        raise BundleError(f"{META}: compatibility must be an object")
    spec = compat.get("codi")
    if spec:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        from codi import __version__

        try:
            ok = SpecifierSet(str(spec)).contains(__version__, prereleases=True)
        except InvalidSpecifier:
            raise BundleError(f"{META}: compatibility.codi {spec!r} is not a version specifier") from None
        if not ok:
            raise BundleError(f"needs CODI {spec}, this is CODI {__version__}")
    return meta


def verify_signature(sums: bytes, sig: bytes | None, trusted: list[str]) -> str | None:
    """The trusted key (base64) that signed ``sums``; None when unsigned and no key is configured
    (outside production mode: ``CODI_PRODUCTION=1`` refuses every unsigned bundle)."""
    if sig is None:
        if trusted:
            raise BundleError(f"unsigned bundle: trusted keys are configured, so {SIG} is required")
        if production_mode():
            raise BundleError(f"unsigned bundle: production mode (CODI_PRODUCTION=1) requires {SIG} signed by a "
                              f"trusted key ({TRUST_HINT})")
        return None
    if not trusted:
        raise BundleError(f"signed bundle but no trusted key configured ({TRUST_HINT})")
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise BundleError("cannot check the signature: the 'cryptography' package is missing "
                          "(pip install 'codi[ops]')") from None
    try:
        signature = base64.b64decode(sig.strip(), validate=True)
    except ValueError:
        raise BundleError(f"{SIG} is not base64") from None
    for key in trusted:
        try:
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key, validate=True))
        except ValueError:
            raise BundleError(f"trusted key {key[:12]}... is not a base64 Ed25519 public key") from None
        try:
            public.verify(signature, sums)
            return key
        except InvalidSignature:
            continue
    raise BundleError(f"bad signature: {SIG} does not verify against any trusted key")


def _hash(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    files: dict[str, tarfile.TarInfo] = {}
    for info in tar.getmembers():
        name = safe_name(info.name)
        if info.isdir():
            continue
        if info.issym() or info.islnk():
            raise BundleError(f"{name}: links are not allowed in a bundle")
        if not info.isreg():
            raise BundleError(f"{name}: only regular files are allowed in a bundle")
        if name in files:
            raise BundleError(f"{name}: present twice in the archive")
        files[name] = info
    return files


def _read(tar: tarfile.TarFile, info: tarfile.TarInfo, limit: int = 1 << 20) -> bytes:
    if info.size > limit:
        raise BundleError(f"{info.name}: too large ({info.size} bytes)")
    handle = tar.extractfile(info)
    return handle.read() if handle else b""


def verify_archive(archive: Path, trusted: list[str], expect_kind: str | None = None) -> Checked:
    """Check every member of ``archive`` without extracting anything; raise BundleError on the first problem."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            files = _members(tar)
            for needed in (SUMS, META):
                if needed not in files:
                    raise BundleError(f"{needed} is missing from the bundle")
            sums_bytes = _read(tar, files[SUMS])
            sig = _read(tar, files[SIG], 4096) if SIG in files else None
            sums = parse_sums(sums_bytes)
            signed_by = verify_signature(sums_bytes, sig, trusted)
            compare_lists(sums, set(files) - {SUMS, SIG})
            for name, expected in sums.items():
                handle = tar.extractfile(files[name])
                if handle is None or _hash(handle) != expected:
                    raise BundleError(f"{name}: sha256 does not match {SUMS} (changed after signing?)")
            meta = check_meta(_read(tar, files[META]), expect_kind)
    except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
        raise BundleError(f"{archive}: not a readable .tgz bundle: {exc}") from None
    payload = PAYLOAD[meta["kind"]]
    if payload not in sums:
        raise BundleError(f"a {meta['kind']} bundle must hold {payload}")
    return Checked(meta=meta, sums=sums, signed_by=signed_by)


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def compare_lists(sums: dict[str, str], present: set[str]) -> None:
    missing = sorted(set(sums) - present)
    extra = sorted(present - set(sums))
    if missing:
        raise BundleError(f"{missing[0]}: listed in {SUMS} but missing from the bundle")
    if extra:
        raise BundleError(f"{extra[0]}: present in the bundle but not listed in {SUMS}")


def folder_files(root: Path) -> list[str]:
    """Files under ``root`` (posix, relative); a link or special file is refused."""
    names: list[str] = []
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(dirpath) / name
            if path.is_symlink():
                raise BundleError(f"{path.relative_to(root).as_posix()}: links are not allowed in a bundle")
        for name in files:
            path = Path(dirpath) / name
            if not path.is_file():
                raise BundleError(f"{path.relative_to(root).as_posix()}: only regular files are allowed")
            names.append(path.relative_to(root).as_posix())
    return sorted(names)


def verify_folder(root: Path, trusted: list[str]) -> Checked:
    """Re-check an installed bundle folder (at ``serve`` start, by doctor) against its own SHA256SUMS."""
    try:
        sums_bytes = (root / SUMS).read_bytes()
        sig = (root / SIG).read_bytes() if (root / SIG).is_file() else None
        sums = parse_sums(sums_bytes)
        signed_by = verify_signature(sums_bytes, sig, trusted)
        compare_lists(sums, set(folder_files(root)) - {SUMS, SIG})
        for name, expected in sums.items():
            with (root / name).open("rb") as handle:
                if _hash(handle) != expected:
                    raise BundleError(f"{name}: sha256 does not match {SUMS}")
        meta = check_meta((root / META).read_bytes(), None)
    except OSError as exc:
        raise BundleError(f"{root}: cannot read the installed bundle: {exc.strerror or exc}") from None
    return Checked(meta=meta, sums=sums, signed_by=signed_by)


def sign(data: bytes, private_key_file: Path) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        raw = base64.b64decode(private_key_file.read_text(encoding="utf-8").strip(), validate=True)
        key = Ed25519PrivateKey.from_private_bytes(raw)
    except OSError as exc:
        raise BundleError(f"{private_key_file}: cannot read the key: {exc.strerror or exc}") from None
    except ValueError:
        raise BundleError(f"{private_key_file}: not a base64 Ed25519 private key (codi bundle keygen)") from None
    return base64.b64encode(key.sign(data)) + b"\n"


def keygen() -> tuple[str, str]:
    """A new (private, public) Ed25519 key pair, each as base64 of the raw 32 bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def build(folder: Path, dest: Path, private_key_file: Path | None = None) -> Checked:
    """A bundle of ``folder`` (which holds bundle.json) written to ``dest``, reproducibly."""
    names = [n for n in folder_files(folder) if n not in (SUMS, SIG)]
    if META not in names:
        raise BundleError(f"{folder}: {META} is missing (name, version, kind, compatibility)")
    meta = check_meta((folder / META).read_bytes(), None)
    sums = {}
    for name in names:
        with (folder / name).open("rb") as handle:
            sums[name] = _hash(handle)
    if PAYLOAD[meta["kind"]] not in sums:
        raise BundleError(f"{folder}: a {meta['kind']} bundle must hold {PAYLOAD[meta['kind']]}")
    sums_bytes = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items())).encode()
    extra = {SUMS: sums_bytes}
    if private_key_file is not None:
        extra[SIG] = sign(sums_bytes, private_key_file)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in [SUMS, *([SIG] if SIG in extra else []), *sorted(sums)]:
            data = extra[name] if name in extra else (folder / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    from codi.atomic import atomic_write_bytes

    atomic_write_bytes(dest, gzip.compress(buffer.getvalue(), mtime=0))
    return Checked(meta=meta, sums=sums)
