"""Side-by-side runtime-contract rows for the reports: original | candidate | declared change.

Pure data for the templates: every cell is plain text (the HTML template escapes it), so the Markdown
and HTML reports show the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from codi.optimise.contract.model import IntendedChange, RuntimeContract

TAG_DEPENDENT = "(set by the base, tag-dependent)"


@dataclass(slots=True)
class ContractRow:
    label: str
    original: str
    candidate: str
    changed: bool = False
    changes: list[str] = field(default_factory=list)  # "reason (risk: low)" for each declared change

    @property
    def change(self) -> str:
        if self.changes:
            return "; ".join(self.changes)
        return "changed" if self.changed else "same"


def _argv(value: list[str] | None, origin: str) -> str:
    if origin == "unknown":
        return "(inherited from an unknown base)"
    text = json.dumps(value) if value else "(none)"
    return f"{text} (from the base)" if origin == "base" else text


def _env_value(contract: RuntimeContract, name: str) -> str:
    if name not in contract.env:
        return "(unset, or from an unknown base)" if contract.env_unknown_base else "(unset)"
    value = contract.env[name]
    return TAG_DEPENDENT if value is None else f"{name}={value}"


def _runtime(c: RuntimeContract) -> str:
    if not c.runtime:
        return "(unknown)"
    return f"{c.runtime} {c.runtime_version}" if c.runtime_version else c.runtime


def _programs(c: RuntimeContract) -> str:
    if not c.executables:
        return "(none)"
    return ", ".join(f"{e.name} ({e.provider})" for e in c.executables)


def _dependencies(c: RuntimeContract) -> str:
    """Each install of application dependencies with the groups it installs (issue 24)."""
    from codi.optimise.contract.scope import describe

    if not c.dependencies:
        return "(none)"
    return "; ".join(f"{d.key} ({describe(d.manager, d.scope)})" if d.scope else d.key for d in c.dependencies)


def _files(c: RuntimeContract) -> str:
    n = len(c.files)
    return f"{n} path{'s' if n != 1 else ''} from the build context"


def _declared(changes: list[IntendedChange], fields: tuple[str, ...], key: str | None = None) -> list[str]:
    out: list[str] = []
    for ch in changes:
        if ch.field in fields and (key is None or ch.key == key):
            text = f"{ch.reason} (risk: {ch.risk})"
            if text not in out:
                out.append(text)
    return out


def contract_rows(original: RuntimeContract | None, candidate: RuntimeContract | None,
                  changes: list[IntendedChange]) -> list[ContractRow]:
    """The rows of one candidate's contract table (empty when either contract is missing)."""
    if original is None or candidate is None:
        return []
    o, c = original, candidate
    rows: list[ContractRow] = []

    def row(label: str, before: str, after: str, fields: tuple[str, ...], key: str | None = None,
            differs: bool = False) -> None:
        declared = _declared(changes, fields, key)
        rows.append(ContractRow(label, before, after, changed=differs or before != after or bool(declared),
                                changes=declared))

    row("ENTRYPOINT", _argv(o.entrypoint, o.entrypoint_origin), _argv(c.entrypoint, c.entrypoint_origin),
        ("entrypoint",))
    row("CMD", _argv(o.cmd, o.cmd_origin), _argv(c.cmd, c.cmd_origin), ("cmd",))
    row("USER", o.user or "root", c.user or "root", ("user",))
    row("WORKDIR", o.workdir, c.workdir, ("workdir",))
    names = sorted(set(o.env) | set(c.env))
    changed = [n for n in names if (n in o.env) != (n in c.env) or o.env.get(n) != c.env.get(n)]
    changed += [ch.key for ch in changes if ch.field == "env" and ch.key and ch.key not in changed]
    for name in changed:
        row(f"ENV {name}", _env_value(o, name), _env_value(c, name), ("env",), name)
    same = len(names) - len([n for n in changed if n in names])
    rows.append(ContractRow("ENV (unchanged)", f"{same} variable{'s' if same != 1 else ''}", "same", changed=False))
    row("EXPOSE", " ".join(o.ports) or "(none)", " ".join(c.ports) or "(none)", ("ports", "expose_written"))
    row("HEALTHCHECK", o.healthcheck or "(none)", c.healthcheck or "(none)", ("healthcheck",))
    row("runtime + version", _runtime(o), _runtime(c), ("runtime", "runtime_version"))
    row("OS family", o.os_family or "(unknown)", c.os_family or "(unknown)", ("os_family",))
    files = {(f.source, f.dest) for f in o.files} != {(f.source, f.dest) for f in c.files}
    row("files (count)", _files(o), _files(c), ("files",), differs=files)
    row("programs the command needs", _programs(o), _programs(c), ("executables",))
    row("application dependencies", _dependencies(o), _dependencies(c), ("dependencies", "dependency_scope"))
    return rows
