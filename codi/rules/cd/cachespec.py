"""Where package managers leave caches, and what removes or avoids them (shared by CD101 and CD102)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from codi.parser.model import Instruction
from codi.parser.mounts import cache_targets
from codi.rules.cd.commands import ToolCall
from codi.rules.cd.stages import covers, home_to_root, resolve


@dataclass(frozen=True, slots=True)
class CacheSpec:
    label: str  # what users call it ("apt lists", "pip cache")
    tool: str
    subs: tuple[str, ...]  # subcommands that fill the cache
    paths: tuple[str, ...]  # where it lives (home is /root)
    no_cache_flags: tuple[str, ...] = ()
    no_cache_env: tuple[str, ...] = ()  # set to a non-empty value: no cache written
    path_env: tuple[tuple[str, str], ...] = ()  # (VAR, suffix): cache lives at $VAR + suffix
    cleaners: tuple[tuple[str, str], ...] = ()  # (tool, subcommand) that empties it
    hint: str = ""


SPECS: tuple[CacheSpec, ...] = (
    CacheSpec("apt package lists", "apt-get", ("update",), ("/var/lib/apt/lists",),
              cleaners=(("apt-get", "dist-clean"),),  # apt >= 2.7 removes the lists itself
              hint="end the same RUN with `rm -rf /var/lib/apt/lists/*`, or mount "
                   "`--mount=type=cache,target=/var/lib/apt/lists`"),
    CacheSpec("apk index cache", "apk", ("add", "update", "upgrade"), ("/var/cache/apk",),
              no_cache_flags=("--no-cache",), cleaners=(("apk", "cache"),),
              hint="use `apk add --no-cache`"),
    CacheSpec("yum cache", "yum", ("install", "update", "upgrade", "groupinstall", "makecache"),
              ("/var/cache/yum",), cleaners=(("yum", "clean"),),
              hint="end the same RUN with `yum clean all`"),
    CacheSpec("dnf cache", "dnf", ("install", "update", "upgrade", "groupinstall", "makecache"),
              ("/var/cache/dnf", "/var/cache/libdnf5"), cleaners=(("dnf", "clean"),),
              hint="end the same RUN with `dnf clean all`"),
    CacheSpec("microdnf cache", "microdnf", ("install", "update", "upgrade"),
              ("/var/cache/yum", "/var/cache/dnf"), cleaners=(("microdnf", "clean"),),
              hint="end the same RUN with `microdnf clean all`"),
    CacheSpec("zypper cache", "zypper", ("install", "in", "update", "up", "refresh", "ref"),
              ("/var/cache/zypp",), cleaners=(("zypper", "clean"), ("zypper", "cc")),
              hint="end the same RUN with `zypper clean --all`"),
    CacheSpec("pip cache", "pip", ("install",), ("/root/.cache/pip",),
              no_cache_flags=("--no-cache-dir",), no_cache_env=("PIP_NO_CACHE_DIR",),
              path_env=(("PIP_CACHE_DIR", ""),), cleaners=(("pip", "cache"),),
              hint="use `pip install --no-cache-dir`, or mount `--mount=type=cache,target=/root/.cache/pip`"),
    CacheSpec("uv cache", "uv-pip", ("install", "sync"), ("/root/.cache/uv",),
              no_cache_flags=("--no-cache", "-n"), no_cache_env=("UV_NO_CACHE",),
              path_env=(("UV_CACHE_DIR", ""),), cleaners=(("uv", "cache"),),
              hint="use `--no-cache`, or mount `--mount=type=cache,target=/root/.cache/uv`"),
    CacheSpec("uv cache", "uv", ("sync", "add"), ("/root/.cache/uv",),
              no_cache_flags=("--no-cache", "-n"), no_cache_env=("UV_NO_CACHE",),
              path_env=(("UV_CACHE_DIR", ""),), cleaners=(("uv", "cache"),),
              hint="use `--no-cache`, or mount `--mount=type=cache,target=/root/.cache/uv`"),
    CacheSpec("npm cache", "npm", ("install", "i", "ci", "add"), ("/root/.npm",),
              path_env=(("npm_config_cache", ""), ("NPM_CONFIG_CACHE", "")), cleaners=(("npm", "cache"),),
              hint="end the same RUN with `npm cache clean --force`, or mount "
                   "`--mount=type=cache,target=/root/.npm`"),
    CacheSpec("yarn cache", "yarn", ("", "install", "add"),
              ("/usr/local/share/.cache/yarn", "/root/.cache/yarn"),
              path_env=(("YARN_CACHE_FOLDER", ""),), cleaners=(("yarn", "cache"),),
              hint="end the same RUN with `yarn cache clean`, or mount a cache on the yarn cache folder"),
    CacheSpec("composer cache", "composer", ("install", "update", "require"),
              ("/root/.composer/cache", "/root/.cache/composer", "/tmp/cache"),
              no_cache_flags=("--no-cache",), path_env=(("COMPOSER_HOME", "/cache"), ("COMPOSER_CACHE_DIR", "")),
              cleaners=(("composer", "clear-cache"), ("composer", "clearcache"), ("composer", "cc")),
              hint="use `composer install --no-cache`, or end the RUN with `composer clear-cache`"),
    CacheSpec("gem cache", "gem", ("install",), ("/usr/local/bundle/cache",),
              path_env=(("GEM_HOME", "/cache"),),
              hint="end the same RUN with `rm -rf \"$GEM_HOME\"/cache/*.gem`"),
    CacheSpec("gem cache", "bundle", ("install",), ("/usr/local/bundle/cache",),
              path_env=(("GEM_HOME", "/cache"), ("BUNDLE_PATH", "/cache")),
              hint="end the same RUN with `rm -rf \"$GEM_HOME\"/cache/*.gem`"),
)

SPECS_BY_TOOL: dict[str, tuple[CacheSpec, ...]] = {
    tool: tuple(s for s in SPECS if s.tool == tool) for tool in {s.tool for s in SPECS}
}


def cache_mounts(instr: Instruction, cwd: str) -> list[str]:
    """Targets of ``RUN --mount=type=cache|tmpfs`` (absolute)."""
    return [resolve(t, cwd) for t in cache_targets(instr, tmpfs=True)]


def spec_paths(spec: CacheSpec, env: Mapping[str, str | None], cwd: str) -> list[str]:
    paths = list(spec.paths)
    for var, suffix in spec.path_env:
        value = env.get(var)
        if value and "$" not in value:
            paths.append(resolve(value + suffix, cwd))
    return paths


def triggered(spec: CacheSpec, call: ToolCall, env: Mapping[str, str | None]) -> bool:
    """True when ``call`` writes this cache (it is the manager, the subcommand, and no opt-out)."""
    if call.tool != spec.tool or call.sub not in spec.subs:
        return False
    if spec.no_cache_flags and call.has(*spec.no_cache_flags):
        return False
    merged = {**env, **call.prefix_env()}
    if any(merged.get(v) for v in spec.no_cache_env):
        return False
    if spec.tool == "gem":
        return any(g not in ("bundler", "bundle", "rake", "rubygems-update") for g in call.positional())
    return spec.tool != "pip" or _pip_downloads(call)


def _pip_downloads(call: ToolCall) -> bool:
    """pip upgrading only itself/setuptools/wheel caches a few kB: not worth a finding."""
    if call.has("-r", "--requirement", "-e", "--editable"):
        return True
    pkgs = [p.split("==")[0].split(">")[0].split("<")[0].lower() for p in call.positional()]
    return any(p not in ("pip", "setuptools", "wheel") for p in pkgs)


def cleaned(spec: CacheSpec, paths: list[str], calls: list[ToolCall], after: int, cwd: str) -> bool:
    """True when a command after index ``after`` of the same script removes the cache."""
    for call in calls:
        if call.index <= after:
            continue
        if (call.tool, call.sub) in spec.cleaners:
            return True
        if call.tool == "rm":
            for target in operands(call):
                t = home_to_root(resolve(target, cwd))
                if any(covers(t, home_to_root(p)) for p in paths):
                    return True
    return False


def operands(call: ToolCall) -> list[str]:
    """Every non-flag word after the program (the subcommand included)."""
    return call.operands()


def mounted(paths: list[str], mounts: list[str]) -> bool:
    return any(covers(m, home_to_root(p)) or covers(m, p) for m in mounts for p in paths)
