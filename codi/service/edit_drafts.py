"""Candidates that edit the original in place: its fixes, the tuned original, the non-root variant."""

from __future__ import annotations

from codi import safefs
from codi.artifacts.models import RejectedCandidate
from codi.fix.apply import fix_text
from codi.optimise.contract import DeclaredChange, RuntimeContract
from codi.optimise.contract.ports import privileged_port
from codi.optimise.manifests import Context
from codi.optimise.review import DeclaredBaseChange
from codi.optimise.tune import base_repo, nonroot, tune, writable_dirs
from codi.rules.buildkit.dockerignore import load_dockerignore
from codi.service.analyze import Analysis
from codi.service.drafts import FIX_CHANGES, CandidateSet, Draft, edit_model


def fixed_draft(analysis: Analysis, out: CandidateSet) -> tuple[str, Draft | None]:
    """(the fixed text, or the original when no fix applies; the "fixed" draft)"""
    texts = analysis.texts
    outcome = fix_text(analysis.text, str(analysis.dockerfile_path),
                       lambda t: texts.lint(analysis.linter, t, with_batch=False), unsafe=True, trees=texts)
    texts.keep(outcome.fixed)  # the fixed draft, and the start of the tuned one
    if not outcome.changed:
        out.rejected.append(RejectedCandidate(rule_id="fixed", reason="no fix applies to the original"))
        return analysis.text, None
    unsafe = any(a.applicability == "unsafe" for a in outcome.applied)
    notes = [f"{len(outcome.applied)} fix(es) applied: " + ", ".join(sorted({a.code for a in outcome.applied}))]
    notes += [f"fix {d.code} at line {d.line} dropped: {d.reason}" for d in outcome.dropped if d.code]
    return outcome.fixed, Draft("fixed", "fixed", "The original with CODI's fixes applied",
                             "The original Dockerfile with every safe and unsafe fix that verifies applied, as a "
                             "minimal diff.", "medium" if unsafe else "low", None, notes, outcome.fixed, FIX_CHANGES)


def tuned_draft(analysis: Analysis, start: str, out: CandidateSet) -> Draft | None:
    """The tuned original, or None when nothing is tuned (then why a reorder was not made is a run note)."""
    from codi.imagedb import lookup

    edit = edit_model(analysis, start)
    if edit is None:
        return None
    model, target = edit
    bases: dict[str, tuple[str, dict[str, str | None]]] = {}
    for stage in model.stages:
        ref = stage.base_resolved or stage.base
        info = lookup(ref) if stage.base_stage is None and ref else None
        if info is not None:
            bases[base_repo(ref)] = (info.user, dict(info.env))
    context = Context(analysis.project, load_dockerignore(analysis.project, analysis.dockerfile_path.name))
    tuning = tune(start, model, target, bases, context)
    if not tuning.changed:
        out.notes += [f"no tuned candidate: {why}" for why in tuning.kept]
        return None
    return Draft("tuned", "tuned", "The original, tuned in place",
                  "The original's structure and runtime settings kept as they are, with dependency downloads in "
                  "BuildKit cache mounts, the dependency manifests copied and installed before the rest of the "
                  "sources where that provably builds the same image, and, where the same version exists, a "
                  "smaller runtime image (slim, a JDK's JRE, the Alpine nginx).",
                  tuning.risk, None, tuning.notes + tuning.kept, tuning.text, FIX_CHANGES + tuning.declared,
                  tuning.base_changes)


# Programs that start as root on purpose (they drop privileges, bind low ports or manage services).
_ROOT_PROGRAMS = frozenset({"supervisord", "nginx", "httpd", "httpd-foreground", "apache2-foreground", "apache2ctl",
                            "php-fpm", "cron", "crond", "sshd", "s6-svscan", "/init", "systemd", "gosu", "su-exec"})
_ROOT_WORDS = ("gosu", "su-exec", "setpriv", "runuser", "chown", "useradd", "usermod", "supervisord", "nginx",
               "apache2", "php-fpm", "cron", "setcap", "iptables", "mount ")


def _needs_root(analysis: Analysis, c: RuntimeContract) -> bool:
    """The image starts as root on purpose: a low port, a service manager or web server, or an
    entrypoint script that drops privileges or changes ownership itself."""
    import posixpath

    if c.runtime in {"nginx", "httpd"}:
        return True
    if privileged_port(c) is not None:  # exposed, or named by the command (`--port 80`)
        return True
    for exe in c.executables:
        if exe.name in _ROOT_PROGRAMS or posixpath.basename(exe.name) in _ROOT_PROGRAMS:
            return True
        if exe.provider == "context" and exe.detail.startswith("copied from the build context: "):
            source = exe.detail.removeprefix("copied from the build context: ").split(" (line", 1)[0]
            try:
                # the source comes from a COPY line: it must stay inside the project like any found file
                script = safefs.read_text(analysis.project / source, analysis.project, errors="replace")
            except (OSError, ValueError):
                return True  # a script CODI cannot read may need root: say nothing rather than guess
            if any(word in script for word in _ROOT_WORDS):
                return True
    return False


def nonroot_draft(analysis: Analysis, start: str, base_changes: list[DeclaredBaseChange] | None = None,
                  tuned_notes: list[str] | None = None) -> Draft | None:
    """The (tuned) original as a non-root user, when it runs as root on a base CODI knows; ``base_changes``
    are the tuned text's declared base changes, kept, and ``tuned_notes`` what its tuning did (said again:
    the variant carries those edits too)."""
    c = analysis.contract
    if c is None or c.user or c.user_origin == "unknown" or not c.base_known or analysis.target is None:
        return None
    if _needs_root(analysis, c):
        return None
    edit = edit_model(analysis, start)
    if edit is None:
        return None
    model, target = edit
    tuning = nonroot(start, model, target, c.os_family, base_repo(c.base or ""),
                     writable_dirs(model, target, c.workdir, c.volumes))
    if tuning is None:
        return None
    declared = FIX_CHANGES + [DeclaredChange(field="user", risk="medium",
                                             reason="runs as a non-root user: a compromised app cannot act as root")]
    return Draft("nonroot", "variant", "The original as a non-root user",
                  "The original (with its fixes and tuning) switched to an unprivileged user at the end of the "
                  "runtime stage; everything else is kept.", "medium", None, tuning.notes + list(tuned_notes or []),
                  tuning.text, declared,
                  list(base_changes or []))
