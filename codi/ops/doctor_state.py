"""Doctor checks of what CODI keeps: rules and adapter provenance, the run memory, the output root and its
disk, the audit log, backups and restore drills. A piece that is not set up reads as "not set up"."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from codi.config.paths import NO_ADAPTER, active_dir, shipped_adapter_dir
from codi.ops.doctor_model import CheckResult, Context

DEFAULT_BACKUP_MAX_AGE_DAYS = 7.0
DRILL_MAX_AGE_DAYS = 90.0
DEFAULT_MIN_FREE_MB = 1024


def _optional(module: str) -> ModuleType | None:
    """A module another part of CODI provides, or None where this build lacks it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


def _number(ctx: Context, name: str, default: float) -> float:
    try:
        value = float(ctx.env.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _installed(ctx: Context, kind: str) -> tuple[Path | None, dict[str, Any] | None]:
    """(active bundle folder, its re-verification entry) for ``kind``; (None, None) when none."""
    store = _optional("codi.ops.bundle_store")
    if store is None:
        return None, None
    folder = active_dir(kind, ctx.out)
    if folder is None:
        return None, None
    entries = [e for e in store.check_installed(ctx.out) if e["kind"] == kind]
    return folder, entries[0] if entries else None


def rules_verified(ctx: Context) -> CheckResult:
    from codi.optimise.catalog import DEFAULT_CATALOG, catalog_path

    path = catalog_path(None).resolve()
    if path == DEFAULT_CATALOG.resolve():
        return CheckResult("rules_verified", "ok", "the rules catalog shipped with CODI is in use")
    folder, entry = _installed(ctx, "rules")
    if folder is not None and path.is_relative_to(folder.resolve()):
        good = entry is None or bool(entry["ok"])
        why = f"installed rules bundle {folder.name} fails verification: {entry['problem'] if entry else ''}"
        return ctx.judge("rules_verified", good, why, "codi rules rollback, or reinstall: codi rules install BUNDLE.tgz",
                         ok_reason=f"rules from the verified bundle {folder.name}")
    return ctx.judge("rules_verified", False, f"the catalog {path} (RULES_PATH) is not from a verified bundle",
                     "install it as a bundle (codi bundle build, codi rules install BUNDLE.tgz) or unset RULES_PATH")


def adapter(ctx: Context) -> CheckResult:
    from codi.llm.adapters import verify_adapter

    explicit = ctx.env.get("ADAPTER_PATH")
    if explicit and explicit.strip().lower() == NO_ADAPTER:
        return CheckResult("adapter", "ok", "adapter turned off (ADAPTER_PATH=none): the base model is used as is")
    folder, entry = (None, None) if explicit else _installed(ctx, "adapter")
    target = Path(explicit) if explicit else (folder / "adapter" if folder else shipped_adapter_dir())
    if target is None:
        return CheckResult("adapter", "ok", "no adapter installed or shipped (the base model is used as is)")
    origin = "ADAPTER_PATH" if explicit else ("installed bundle" if folder else "shipped with CODI")
    model_id, ruleset = _model_and_ruleset()
    report = verify_adapter(target, model_id, ruleset)
    problems = list(report.problems)
    if entry is not None and not entry["ok"]:
        problems.insert(0, f"bundle: {entry['problem']}")
    fix = f"codi adapter verify {target} lists every problem; reinstall it (codi adapter install BUNDLE.tgz), " \
          "roll back (codi adapter rollback) or unset ADAPTER_PATH"
    return ctx.judge("adapter", not problems, f"adapter {target} unverified: {'; '.join(problems[:2])}", fix,
                     {"path": str(target), "version": report.version, "problems": problems},
                     ok_reason=f"adapter {report.version} ({origin}) verified, compatible with {model_id} and "
                               f"ruleset {ruleset}")


def _model_and_ruleset() -> tuple[str | None, str | None]:
    from codi.llm.runtime import ModelUnavailable, find_model
    from codi.optimise.catalog import CatalogError, load_catalog

    try:
        model_id: str | None = find_model(None).name
    except ModelUnavailable:
        model_id = None
    try:
        ruleset: str | None = load_catalog(None).ruleset_version
    except CatalogError:
        ruleset = None
    return model_id, ruleset


def _shared_run_memory(ctx: Context) -> CheckResult | None:
    """The run memory in the Postgres at CODI_DB_URL (read only: no tables are made), or None when unset."""
    from codi.rag.index import memory_location, shared_url
    from codi.rag.index_protocol import RunMemoryError

    fix = "set CODI_DB_URL to a reachable postgresql:// database (or unset it for the local SQLite file)"
    try:
        url = shared_url(ctx.env)
        if url is None:
            return None
        from codi.rag.pg_store import PostgresIndex

        with PostgresIndex(url) as index:
            version = index.schema_version()
            runs = index.count_runs() if version else 0
    except RunMemoryError as exc:
        return CheckResult("run_memory", "fail", f"{memory_location(ctx.out, ctx.env)}: {exc}", fix)
    where, latest = index.location, index.SCHEMA_VERSION
    data = {"url": where, "schema_version": version, "expected": latest, "runs": runs}
    if version == 0:
        return CheckResult("run_memory", "ok", f"no run memory yet in {where} (made by the first codi run)", data=data)
    if version > latest:
        return CheckResult("run_memory", "fail", f"{where} has run memory schema v{version}, newer than this "
                           f"CODI's v{latest}", "upgrade CODI", data)
    if version < latest:
        return CheckResult("run_memory", "warn", f"{where} has run memory schema v{version}; this CODI uses "
                           f"v{latest}", f"codi index ensure-schema --out {ctx.out}", data)
    return CheckResult("run_memory", "ok", f"schema v{version}, {runs} run(s) ({where}, shared)", data=data)


def run_memory(ctx: Context) -> CheckResult:
    from codi.rag.store import SCHEMA_VERSION, index_path

    shared = _shared_run_memory(ctx)
    if shared is not None:
        return shared
    path = index_path(ctx.out)
    if not path.exists():
        return CheckResult("run_memory", "ok", f"no run memory yet ({path} is made by the first codi run)")
    rebuild = f"codi index rebuild --out {ctx.out} (rebuilds it from the run folders)"
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=5.0)
        try:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            runs = int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]) if version else 0
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return CheckResult("run_memory", "fail", f"{path} cannot be read: {exc}", rebuild)
    data = {"path": str(path), "schema_version": version, "expected": SCHEMA_VERSION}
    if verdict != ["ok"]:
        return CheckResult("run_memory", "fail", f"{path} is damaged: {verdict[0]}", rebuild, data)
    if version > SCHEMA_VERSION:
        return CheckResult("run_memory", "fail", f"{path} has schema v{version}, newer than this CODI's "
                           f"v{SCHEMA_VERSION}", "upgrade CODI, or restore the run memory from a backup", data)
    if version < SCHEMA_VERSION:
        return CheckResult("run_memory", "warn", f"{path} has schema v{version}; this CODI uses v{SCHEMA_VERSION}",
                           f"codi index ensure-schema --out {ctx.out}", data)
    data["runs"] = runs
    return CheckResult("run_memory", "ok", f"integrity ok, schema v{version}, {runs} run(s) ({path})", data=data)


def state_db(ctx: Context) -> CheckResult:
    """CODI_DB_URL, the Postgres `codi serve` replicas share: reachable, with a schema this CODI knows.
    Read-only: `codi serve` creates and migrates the schema, not doctor."""
    from codi.config.dburl import DBURLError, redact, state_db_url
    from codi.service.statedb import SCHEMA_VERSION, StateDBError, schema_version

    try:
        url = state_db_url(ctx.env)
    except DBURLError as exc:
        return CheckResult("state_db", "fail", str(exc), "set CODI_DB_URL=postgresql://USER@HOST/DB, or unset it")
    if url is None:
        return CheckResult("state_db", "ok", "CODI_DB_URL not set: each server keeps its jobs and metrics in its "
                           "state folder")
    where = redact(url)
    try:
        version = schema_version(url)
    except StateDBError as exc:
        return CheckResult("state_db", "fail", str(exc), "check that the database runs and that this host may "
                           "connect with these credentials (every replica needs it)", {"url": where})
    data = {"url": where, "schema_version": version, "expected": SCHEMA_VERSION}
    if version > SCHEMA_VERSION:
        return CheckResult("state_db", "fail", f"{where}: API schema v{version} is newer than this CODI's "
                           f"v{SCHEMA_VERSION}", "upgrade CODI here to the replicas' version", data)
    if version == 0:
        return CheckResult("state_db", "ok", f"{where} reachable; no API schema yet (the first codi serve "
                           "creates it)", data=data)
    if version < SCHEMA_VERSION:
        return CheckResult("state_db", "warn", f"{where}: API schema v{version}; this CODI uses v{SCHEMA_VERSION}",
                           "codi serve migrates it when it starts (stop older replicas first)", data)
    return CheckResult("state_db", "ok", f"{where} reachable, API schema v{version}", data=data)


def _existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def output_root(ctx: Context) -> CheckResult:
    out = ctx.out
    fix = (f"make {out} writable (chmod u+w, or mount it read-write), or point --out / CODI_OUTPUT_ROOT "
           "at a writable folder")
    where = _existing(out)
    if not where.is_dir():
        return CheckResult("output_root", "fail", f"{out} cannot be made: {where} is not a folder",
                           f"move {where} away, or point --out / CODI_OUTPUT_ROOT at a writable folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".codi-doctor-", dir=where)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return CheckResult("output_root", "fail", f"{out} is not writable ({exc.strerror or exc} in {where})", fix)
    if where != out.absolute():
        return CheckResult("output_root", "ok", f"{out} does not exist yet; it will be made (in {where}, writable)")
    return CheckResult("output_root", "ok", f"{out} is writable")


def disk(ctx: Context) -> CheckResult:
    need = int(_number(ctx, "CODI_MIN_FREE_MB", DEFAULT_MIN_FREE_MB))
    where = _existing(ctx.out)
    try:
        free = shutil.disk_usage(where).free // (1024 * 1024)
    except OSError as exc:
        return CheckResult("disk", "warn", f"free space on {where} unknown: {exc.strerror or exc}", "")
    data = {"free_mb": free, "threshold_mb": need, "path": str(where)}
    if free < need:
        return CheckResult("disk", "fail", f"only {free} MiB free on {where} (needs {need} MiB)",
                           "free space (codi runs prune --keep N), or move --out / CODI_OUTPUT_ROOT to a larger "
                           "volume; CODI_MIN_FREE_MB sets the threshold", data)
    return CheckResult("disk", "ok", f"{free} MiB free on {where} (threshold {need} MiB)", data=data)


def audit_log(ctx: Context) -> CheckResult:
    fix = "unset CODI_AUDIT_LOG (default <out>/_audit/audit.jsonl) or point it at a writable file"
    if _optional("codi.telemetry.audit") is None:
        return ctx.judge("audit_log", False, "this CODI has no audit log (codi.telemetry.audit missing)",
                         "install a CODI release with the audit log")
    from codi.telemetry.audit import audit_enabled, audit_log_path

    if not audit_enabled(ctx.env):
        return ctx.judge("audit_log", False, f"the audit log is off (CODI_AUDIT={ctx.env.get('CODI_AUDIT')})",
                         "unset CODI_AUDIT (default on)")
    path = audit_log_path(ctx.out, ctx.env)
    where = _existing(path.parent)
    writable = where.is_dir() and os.access(where, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    if not writable:
        return ctx.judge("audit_log", False, f"the audit log {path} cannot be written", fix, {"path": str(path)})
    problem = _audit_key_problem(path, ctx)
    return ctx.judge("audit_log", problem is None, problem or "", "CODI_AUDIT_KEY_FILE names the key that wrote the "
                     "log (a readable file outside the log's folder; made on first use where its folder is writable)",
                     {"path": str(path)}, ok_reason=f"audit log {path}")


def _audit_key_problem(log: Path, ctx: Context) -> str | None:
    """Why the audit chain's key cannot serve this log (codi.telemetry.audit_key), or None."""
    from codi.telemetry.audit import read_head
    from codi.telemetry.audit_key import AuditKeyError, audit_key_path, load_key

    key_file = audit_key_path(ctx.env)
    try:
        key = load_key(log, env=ctx.env)
    except AuditKeyError as exc:
        return str(exc)
    if key is not None:
        return None
    head = read_head(log) if log.exists() else None
    if head and "mac" in head:
        return f"the audit key {key_file} is missing: the log's keyed lines cannot be verified"
    folder = _existing(key_file.parent)
    if not (folder.is_dir() and os.access(folder, os.W_OK)):
        return f"the audit key {key_file} does not exist and its folder is not writable"
    return None


def _age_days(when: datetime) -> float:
    return (datetime.now(UTC) - when).total_seconds() / 86400


def _backups(ctx: Context) -> list[tuple[datetime, Path]]:
    layout = _optional("codi.ops.backup_layout")
    folder = ctx.out / "_backups"
    if layout is None or not folder.is_dir():
        return []
    return [(stamp[0], p) for p in layout.list_archives(folder) if (stamp := layout.archive_stamp(p.name))]


def backup(ctx: Context) -> CheckResult:
    limit = _number(ctx, "CODI_BACKUP_MAX_AGE_DAYS", DEFAULT_BACKUP_MAX_AGE_DAYS)
    found = _backups(ctx)
    fix = f"codi backup create --out {ctx.out} (and schedule it, e.g. daily)"
    if not found:
        return ctx.judge("backup", False, f"no backup yet (none in {ctx.out / '_backups'})", fix)
    when, path = found[0]
    age = _age_days(when)
    return ctx.judge("backup", age <= limit, f"the newest backup is {age:.0f} days old (limit {limit:g}, "
                     "CODI_BACKUP_MAX_AGE_DAYS)", fix, {"newest": str(path), "age_days": round(age, 2)},
                     ok_reason=f"newest backup {path.name} ({age:.1f} days old)")


def _drills(ctx: Context) -> list[dict[str, Any]]:
    try:
        lines = (ctx.out / "_ops" / "drills.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out: list[dict[str, Any]] = []
    for line in lines:
        try:
            item = json.loads(line)
            item["when"] = datetime.fromisoformat(str(item["ts"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            continue
        if item["when"].tzinfo is None:
            item["when"] = item["when"].replace(tzinfo=UTC)
        out.append(item)
    return sorted(out, key=lambda d: d["when"])


def drill(ctx: Context) -> CheckResult:
    drills = _drills(ctx)
    good = [d for d in drills if d.get("ok") is True]
    newest = _backups(ctx)
    target = str(newest[0][1]) if newest else "<archive> (after codi backup create)"
    fix = f"codi backup drill {target}"
    if not good:
        why = f"the last drill failed: {drills[-1].get('detail')}" if drills else "no restore drill yet"
        return CheckResult("drill", "warn", why, fix)
    age = _age_days(good[-1]["when"])
    data = {"last_good": good[-1]["ts"], "age_days": round(age, 2)}
    if age > DRILL_MAX_AGE_DAYS:
        return CheckResult("drill", "warn", f"the last good restore drill is {age:.0f} days old "
                           f"(more than {DRILL_MAX_AGE_DAYS:.0f})", fix, data)
    if drills[-1].get("ok") is not True:
        return CheckResult("drill", "warn", f"the last drill failed: {drills[-1].get('detail')}", fix, data)
    return CheckResult("drill", "ok", f"last good restore drill {age:.1f} days ago", data=data)
