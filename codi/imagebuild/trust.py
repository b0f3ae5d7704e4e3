"""The host's extra CA certificates in measured builds.

Where TLS to the package registries is re-signed by a corporate CA, only the host's bundle trusts it.
``codi bases bootstrap`` copies the certificates of the bundle that the distribution does not ship into
each stand-in's ``/usr/local/share/ca-certificates/codi-host-ca/`` and runs ``update-ca-certificates``,
so a RUN that runs it again keeps them. Stand-ins made before that (or with another bundle) get the
bundle mounted read-only over their own for RUN steps instead: a mount is never committed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from codi.imagebuild.basemap import STANDIN_PREFIX, cache_dir

BUNDLE_IN_IMAGE = "/etc/ssl/certs/ca-certificates.crt"  # where Debian's ca-certificates writes the bundle
DISTRO_CERTS = Path("/usr/share/ca-certificates")  # what the distribution ships (the stand-ins have the same)
CA_DIR_NAME = "codi-host-ca"
# Build-time variables (ARGs: RUN steps see them, no image config keeps them) that send tools with a CA store
# of their own to the image's bundle: requests (and pip) read REQUESTS_CA_BUNDLE, OpenSSL users and uv SSL_CERT_FILE.
TOOL_CA_ENV = {"REQUESTS_CA_BUNDLE": BUNDLE_IN_IMAGE, "SSL_CERT_FILE": BUNDLE_IN_IMAGE}
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.DOTALL)


def certificates(text: str) -> list[str]:
    """The certificates of a PEM text, each as its base64 body without white space, in order, each once."""
    bodies = ("".join(m.group(1).split()) for m in _PEM.finditer(text))
    return list(dict.fromkeys(bodies))


def _pem(body: str) -> str:
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def distro_certificates(root: Path | None = None) -> set[str]:
    root = root or DISTRO_CERTS
    out: set[str] = set()
    if root.is_dir():
        for path in root.rglob("*.crt"):
            try:
                out.update(certificates(path.read_text(encoding="ascii", errors="replace")))
            except OSError:
                continue
    return out


@dataclass(slots=True)
class Extras:
    """The bundle's certificates the distribution does not ship; ``digest`` names the set ("" if empty)."""

    bundle: Path | None
    certs: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        if not self.certs:
            return ""
        return hashlib.sha256("\n".join(sorted(self.certs)).encode()).hexdigest()[:16]


def extras(bundle: Path | None, distro: Path | None = None) -> Extras:
    """The extra certificates of ``bundle`` (none when there is no bundle). Raises OSError when unreadable."""
    if bundle is None:
        return Extras(None)
    known = distro_certificates(distro)
    found = certificates(bundle.read_text(encoding="ascii", errors="replace"))
    return Extras(bundle, [c for c in found if c not in known])


def write_extras(found: Extras, root: Path) -> Path | None:
    """Write each extra certificate as ``<root>/codi-host-ca/codi-host-<sha>.crt`` (only those); the folder,
    or None when there are none."""
    folder = root / CA_DIR_NAME
    if not found.certs:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"codi-host-{hashlib.sha256(c.encode()).hexdigest()[:12]}.crt": c for c in found.certs}
    for old in folder.glob("*.crt"):
        if old.name not in wanted:
            old.unlink()
    for name, body in wanted.items():
        (folder / name).write_text(_pem(body), encoding="ascii")
    return folder


def hooks(folder: Path | None) -> list[str]:
    """mmdebstrap customize hooks that install the extra certificates (none without a folder)."""
    if folder is None:
        return []
    return [f"copy-in {folder} /usr/local/share/ca-certificates",
            'chroot "$1" update-ca-certificates']


def _sidecar(ref: str) -> Path | None:
    if not ref.startswith(STANDIN_PREFIX):
        return None
    key, _, suite = ref[len(STANDIN_PREFIX):].partition(":")
    return cache_dir() / f"{key}-{suite}.ca"


def _stamp_of(root: Path, key: str, suite: str) -> str:
    try:
        return (root / f"{key}-{suite}.stamp").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def record_baked(root: Path, key: str, suite: str, digest: str) -> None:
    """Remember which extra certificates a stand-in holds ("" = none), for the tarball its stamp names
    (a tarball made again without them, by an older CODI, no longer matches)."""
    (root / f"{key}-{suite}.ca").write_text(f"{_stamp_of(root, key, suite)} {digest}\n", encoding="utf-8")


def baked(ref: str) -> str | None:
    """The digest of the extra certificates stand-in ``ref`` holds ("" none), None when not known."""
    path = _sidecar(ref)
    try:
        text = path.read_text(encoding="utf-8") if path is not None else ""
    except OSError:
        return None
    stamp, _, digest = text.strip().partition(" ")
    if path is None or not stamp or stamp != _stamp_of(path.parent, *path.name[:-3].rsplit("-", 1)):
        return None
    return digest


@dataclass(slots=True)
class TrustPlan:
    """What a run does about the CA: mount the bundle or not, and why (for environment.json and the report)."""

    mounts: list[tuple[Path, str]] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)
    # The host's bundle has certificates the distribution lacks and RUN steps download: tools with a CA
    # store of their own (certifi in requests: poetry, pipenv; uv) are pointed at the image's bundle.
    tool_env: bool = False


def plan(bundle: Path | None, source: str, network: bool, standins: list[str], can_mount: bool) -> TrustPlan:
    """Whether builds on ``standins`` (stand-in refs) need the bundle mounted: only with the build network
    (without, nothing is downloaded), only when it has extra certificates that a stand-in lacks."""
    info: dict[str, object] = {"bundle": str(bundle) if bundle else None, "source": source}
    if bundle is None:
        return TrustPlan([], {**info, "mounted": False, "why": "no CA bundle (--ca-bundle none)"})
    try:
        found = extras(bundle)
    except OSError as exc:
        return TrustPlan([], {**info, "mounted": False, "why": f"cannot read the bundle: {exc.strerror or exc}"})
    info["extra_certificates"] = len(found.certs)
    if not network:
        return TrustPlan([], {**info, "mounted": False, "why": "no build network: nothing is downloaded"})
    if not found.certs:
        return TrustPlan([], {**info, "mounted": False, "why": "the bundle has no certificate beyond the distribution's"})
    lacking = [ref for ref in standins if baked(ref) != found.digest]
    info["baked_into"] = [ref for ref in standins if ref not in lacking]
    info["tool_env"] = sorted(TOOL_CA_ENV)
    if not lacking:
        return TrustPlan([], {**info, "mounted": False, "why": "the stand-ins hold the extra certificates"}, True)
    if not can_mount:
        return TrustPlan([], {**info, "mounted": False, "why": f"{', '.join(lacking)} lack(s) the extra certificates "
                              "and this engine cannot mount the bundle: re-run `codi bases bootstrap`"}, True)
    return TrustPlan([(bundle, BUNDLE_IN_IMAGE)], {
        **info, "mounted": True, "why": f"{', '.join(lacking)} lack(s) the extra certificates (made before, or with "
        f"another bundle): {bundle} is mounted read-only at {BUNDLE_IN_IMAGE} in RUN steps, never committed; "
        "`codi bases bootstrap` adds them for good"}, True)
