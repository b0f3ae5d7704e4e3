"""Compare two runtime contracts; split the differences into declared (intended) and violations."""

from __future__ import annotations

import fnmatch
import json
import posixpath
from collections.abc import Iterable

from codi.optimise.contract.files import covers
from codi.optimise.contract.model import (
    ContextCopy,
    ContractChange,
    ContractCheck,
    DeclaredChange,
    DependencySource,
    IntendedChange,
    RuntimeContract,
)

# Base-image entrypoints that only set something up and then run the command unchanged (exec "$@").
BUILD_TOOL_ENTRYPOINTS = frozenset({"mvn-entrypoint.sh"})
PASS_THROUGH_ENTRYPOINTS = BUILD_TOOL_ENTRYPOINTS | {"__cacert_entrypoint.sh"}
_SCALARS = ("workdir", "stopsignal", "healthcheck", "runtime", "runtime_version", "os_family")
_LISTS = ("volumes", "label_keys", "onbuild")
LABELS = {
    "entrypoint": "ENTRYPOINT", "cmd": "CMD", "user": "USER", "workdir": "WORKDIR", "env": "ENV",
    "expose_written": "EXPOSE as written", "ports": "exposed ports", "volumes": "VOLUME", "stopsignal": "STOPSIGNAL",
    "healthcheck": "HEALTHCHECK", "label_keys": "LABEL keys", "onbuild": "ONBUILD", "shell": "SHELL",
    "runtime": "language runtime", "runtime_version": "runtime version", "os_family": "OS family",
    "files": "files from the build context", "packages": "system packages", "made_dirs": "folders made by RUN", "executables": "programs the command needs", "base": "base image",
    "dependencies": "application dependencies", "dependency_scope": "dependency groups installed",
}


def show(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return json.dumps(value) if value else "(none)"
    return str(value) if value != "" else "(empty)"


def _argv(value: list[str] | None, origin: str) -> str:
    if origin == "unknown":
        return "(inherited from an unknown base)"
    return json.dumps(value) if value else "(none)"


def _exec_form_of(before: list[str] | None, after: list[str] | None, shell: list[str]) -> bool:
    """``after`` is ``before``'s shell-form text split into the same words (no shell syntax in it)."""
    from codi.optimise.facts import shell_words

    if not before or not after or before[:-1] != shell or len(before) != len(shell) + 1:
        return False
    return shell_words(before[-1]) == after


def diff_contracts(before: RuntimeContract, after: RuntimeContract) -> list[ContractChange]:
    out: list[ContractChange] = []

    def add(field: str, b: str, a: str, key: str | None = None, message: str | None = None) -> None:
        label = LABELS.get(field, field)
        what = f"{label} {key}" if key and field not in {"files", "executables"} else label
        out.append(ContractChange(field=field, key=key, before=b, after=a,
                                  message=message or f"{what} changes from {b} to {a}"))

    if not before.base_known and before.base != after.base:
        add("base", before.base or "(none)", after.base or "(none)",
            message=f"the original's base {before.base} is unknown to CODI: its command, environment and user "
                    f"cannot be kept on {after.base}")
    for field in ("entrypoint", "cmd"):
        b_val, a_val = getattr(before, field), getattr(after, field)
        b_org, a_org = getattr(before, f"{field}_origin"), getattr(after, f"{field}_origin")
        same_unknown = b_org == a_org == "unknown" and before.base == after.base
        if not same_unknown and (b_val != a_val or (b_org == "unknown") != (a_org == "unknown")):
            b_txt, a_txt = _argv(b_val, b_org), _argv(a_val, a_org)
            if b_val and not a_val and a_org != "unknown":
                add(field, b_txt, a_txt, message=f"{LABELS[field]} {b_txt} dropped")
            elif field == "entrypoint" and b_org == "base" and b_val and len(b_val) == 1 \
                    and posixpath.basename(b_val[0]) in BUILD_TOOL_ENTRYPOINTS and (not a_val or (
                        a_org == "base" and len(a_val) == 1
                        and posixpath.basename(a_val[0]) in PASS_THROUGH_ENTRYPOINTS)):
                add(field, b_txt, a_txt, key="build-tool-wrapper",
                    message=f"the build image's entrypoint wrapper {b_txt} is not in the runtime image")
            elif _exec_form_of(b_val, a_val, before.shell):
                add(field, b_txt, a_txt, key="exec-form",
                    message=f"{LABELS[field]} changes from shell form {b_txt} to exec form {a_txt} (same words)")
            else:
                add(field, b_txt, a_txt)
    if before.user != after.user and not (before.user_origin == after.user_origin == "unknown"
                                          and before.base == after.base):
        add("user", before.user or "root", after.user or "root")
    for field in _SCALARS:
        b, a = getattr(before, field), getattr(after, field)
        if b != a:
            add(field, show(b), show(a))
    for field in _LISTS:
        b, a = getattr(before, field), getattr(after, field)
        if sorted(b) != sorted(a):
            add(field, show(sorted(b)), show(sorted(a)))
    if before.shell != after.shell:
        add("shell", show(before.shell), show(after.shell))
    if sorted(before.expose_written) != sorted(after.expose_written):
        add("expose_written", " ".join(before.expose_written) or "(none)", " ".join(after.expose_written) or "(none)",
            message=f"EXPOSE changes from `{' '.join(before.expose_written) or '(none)'}` to "
                    f"`{' '.join(after.expose_written) or '(none)'}`")
    if sorted(before.ports) != sorted(after.ports):
        add("ports", " ".join(before.ports) or "(none)", " ".join(after.ports) or "(none)")
    out += _env(before, after)
    out += _files(before, after)
    out += _programs(before, after)
    out += _dependencies(before, after)
    for name in sorted(set(before.packages) - set(after.packages)):
        add("packages", name, "(not installed)", key=name, message=f"system package `{name}` is no longer installed")
    for folder in before.made_dirs:
        if folder not in after.made_dirs and not any(f.dest == folder or f.dest.startswith(folder + "/")
                                                     for f in after.files) and folder not in after.volumes:
            add("made_dirs", folder, "(missing)", key=folder,
                message=f"folder {folder} (made by RUN mkdir in the original) is not made")
    return out


def _env(before: RuntimeContract, after: RuntimeContract) -> Iterable[ContractChange]:
    same_base = before.base == after.base
    for name in sorted(set(before.env) | set(after.env)):
        # On the same unknown base, a name one side lacks may well come from that base: not a change.
        if same_base and ((name not in after.env and after.env_unknown_base)
                          or (name not in before.env and before.env_unknown_base)):
            continue
        b = before.env.get(name, "<unset>")
        a = after.env.get(name, "<unset>")
        if b == a:
            continue
        b_txt = "(set by the base, tag-dependent)" if b is None else b
        a_txt = "(set by the base, tag-dependent)" if a is None else a
        if b_txt == "<unset>":
            msg = f"ENV {name}={a_txt} added"
        elif a_txt == "<unset>":
            msg = f"ENV {name} ({b_txt}) dropped"
        else:
            msg = f"ENV {name} changes from {b_txt} to {a_txt}"
        yield ContractChange(field="env", key=name, before=str(b_txt), after=str(a_txt), message=msg)


def _files(before: RuntimeContract, after: RuntimeContract) -> Iterable[ContractChange]:
    for f in before.files:
        if not any(covers(g, f) for g in after.files):
            src = f.source or "."
            yield ContractChange(field="files", key=src, before=f"{src} -> {f.dest}", after="(not copied)",
                                 message=f"{_copied(f)} is no longer copied to {f.dest}")
    for g in after.files:
        if not any(covers(f, g) for f in before.files):
            src = g.source or "."
            yield ContractChange(field="files", key=src, before="(not copied)", after=f"{src} -> {g.dest}",
                                 message=f"copies {_copied(g)} to {g.dest}, which the original does not")


def _copied(f: ContextCopy) -> str:
    """How a path reached the image: from the build context, or through a stage copy (named as one)."""
    src = f"`{f.source or '.'}`"
    if f.via is None:
        return f"build-context {src}"
    line = f" at line {f.line}" if f.line else ""
    return f"{src} (a stage copy: `COPY --from={f.via}`{line})"


def _programs(before: RuntimeContract, after: RuntimeContract) -> Iterable[ContractChange]:
    have = {(e.name, e.used_by): e for e in after.executables}
    for e in before.executables:
        if e.provider == "unknown":
            continue
        got = have.get((e.name, e.used_by))
        if got is None:
            continue  # the command itself changed: reported as an ENTRYPOINT/CMD change
        if e.detail.endswith("made executable by RUN chmod") and got.provider != "unknown" \
                and not got.detail.endswith("made executable by RUN chmod"):
            yield ContractChange(field="executables", key=e.name, before=f"{e.name}: {e.detail}",
                                 after=f"{e.name}: {got.detail}",
                                 message=f"{e.used_by} needs `{e.name}` executable: the original runs chmod on it, "
                                         "the candidate does not")
        if got.provider == "unknown":
            yield ContractChange(field="executables", key=e.name, before=f"{e.name}: {e.detail}",
                                 after="(not in the image)",
                                 message=f"{e.used_by} needs `{e.name}` ({e.detail}), which the candidate does not provide")


def _show_source(d: DependencySource) -> str:
    if d.source == "inline":
        return f"{d.manager} packages named inline (`{' '.join(d.packages)}`)"
    return f"{d.manager} dependencies of the project" if d.source == "project" else f"{d.manager} from `{d.source}`"


def _dependencies(before: RuntimeContract, after: RuntimeContract) -> Iterable[ContractChange]:
    """Same packages, same pins, same source: an install the original does is kept, none is added."""
    have = {d.key: d for d in after.dependencies}
    had = {d.key: d for d in before.dependencies}
    for key, d in had.items():
        if key not in have:
            line = f" (line {d.line})" if d.line else ""
            yield ContractChange(field="dependencies", key=key, before=key, after="(not installed)",
                                 message=f"the original installs {_show_source(d)}{line}, the candidate does not")
    for key, d in have.items():
        if key not in had:
            yield ContractChange(field="dependencies", key=key, before="(not installed)", after=key,
                                 message=f"installs {_show_source(d)}, which the original does not")
        elif had[key].shipped and d.shipped and sorted(had[key].scope) != sorted(d.scope):  # other groups (scope.py)
            yield _scope_change(had[key], d)


def _scope_change(before: DependencySource, after: DependencySource) -> ContractChange:
    from codi.optimise.contract.scope import describe

    dropped = [s for s in before.scope if s not in after.scope]
    added = [s for s in after.scope if s not in before.scope]
    what = "; ".join(part for part in (
        f"leaves out {describe(before.manager, dropped)}" if dropped else "",
        f"adds {describe(before.manager, added)}" if added else "") if part)
    line = f" (line {before.line})" if before.line else ""
    return ContractChange(field="dependency_scope", key=before.key, before=describe(before.manager, before.scope),
                          after=describe(after.manager, after.scope),
                          message=f"the original installs {describe(before.manager, before.scope)} of "
                                  f"{_show_source(before)}{line}; the candidate {what}")


def check_contract(before: RuntimeContract, after: RuntimeContract,
                   declared: Iterable[DeclaredChange]) -> ContractCheck:
    """Every difference is either declared (intended, with its reason and risk) or a violation."""
    rules = list(declared)
    result = ContractCheck()
    for change in diff_contracts(before, after):
        match = next((d for d in rules if d.field == change.field
                      and (d.key is None or (change.key is not None and fnmatch.fnmatchcase(change.key, d.key)))),
                     None)
        if match is None:
            result.violations.append(change)
        else:
            result.intended.append(IntendedChange(**change.model_dump(), reason=match.reason, risk=match.risk))
    return result


def worst_risk(check: ContractCheck, start: str = "low") -> str:
    order = ["low", "medium", "high"]
    risk = order.index(start)
    for change in check.intended:
        risk = max(risk, order.index(change.risk))
    return order[risk]
