"""LegacyKeyValueFormat (`ENV key value` -> `ENV key=value`) and its meaning-preserving fix."""

from __future__ import annotations

from collections.abc import Iterable

from codi.parser.model import Instruction
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.registry import register


def unquoted_space_runs(value: str, escape: str) -> list[tuple[int, int]]:
    """(start, end) of each run of whitespace in ``value`` that is outside quotes and not
    escaped, following BuildKit's word splitter (``parseWords``): quotes ``'``/``"`` group,
    the escape character keeps the next character (not inside single quotes)."""
    runs: list[tuple[int, int]] = []
    quote = ""
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if quote:
            if ch == escape and quote != "'" and i + 1 < n:
                i += 2
                continue
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch == escape and i + 1 < n:
            i += 2
            continue
        if ch in ("'", '"'):
            quote = ch
            i += 1
            continue
        if ch.isspace():
            start = i
            while i < n and value[i].isspace():
                i += 1
            runs.append((start, i))
            continue
        i += 1
    return runs


def legacy_fix(ctx: RuleContext, instr: Instruction) -> Fix | None:
    """Edits turning ``KEY value`` into ``KEY=value`` so that BuildKit reads the same key and
    the same value: the separator becomes ``=`` and every unquoted whitespace run of the value
    is wrapped in double quotes (``a  b`` -> ``a"  "b``), which the shell lexer turns back into
    the same characters. Continuation lines inside the value are left where they are."""
    rest = instr.rest
    offsets = instr.rest_offsets
    escape = ctx.dockerfile.escape
    if len(offsets) < len(rest) or len(instr.args) != 3:
        return None
    key_start = len(rest) - len(rest.lstrip())
    key = instr.args[0]
    if not rest.startswith(key, key_start) or any(c in key for c in "'\"$" + escape):
        return None
    key_end = key_start + len(key)
    value_end = len(rest.rstrip())
    value_start = key_end
    while value_start < value_end and rest[value_start] in " \t\v\f\r":
        value_start += 1
    if value_start == key_end or rest[key_start:value_end][len(key) :].strip() != instr.args[1].strip():
        return None
    text = ctx.dockerfile.text
    sep_start = offsets[key_end - 1] + 1
    sep_end = offsets[value_start]
    if "#" in text[sep_start:sep_end]:
        return None  # a comment line between key and value: leave it to a human
    edits = [Edit(sep_start, sep_end, "=")]
    value = rest[value_start:value_end]
    for start, end in unquoted_space_runs(value, escape):
        edits.append(Edit(offsets[value_start + start], offsets[value_start + start], '"'))
        after = offsets[value_start + end - 1] + 1
        edits.append(Edit(after, after, '"'))
    return Fix(f"Use {instr.keyword} {key}=value", Applicability.SAFE, edits)


@register
class LegacyKeyValueFormat(Rule):
    """Legacy key/value format with whitespace separator should not be used.

    ## What it does
    Flags `ENV` and `LABEL` written as `ENV key value` instead of `ENV key=value`.

    ## Why is this bad?
    In the legacy form everything after the first space is the value, including further
    spaces, quotes and what looks like more pairs: `ENV A 1 B 2` sets `A` to `1 B 2`. The
    `key=value` form is unambiguous, allows several pairs per instruction and is what
    Docker documents; the legacy form may be removed.

    ## Example
    ```dockerfile
    FROM alpine
    ENV JAVA_OPTS -Xmx512m -Xms256m
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    ENV JAVA_OPTS="-Xmx512m -Xms256m"
    ```

    ## Fix safety
    Safe: the key and the value BuildKit computes stay exactly the same. The separator
    becomes `=` and only the value's unquoted whitespace is quoted (`-Xmx512m" "-Xms256m`);
    quotes, `$variables`, escapes and continuation lines already in the value are kept as
    written. No fix is offered when a comment line sits between the key and the value.

    ## References
    - https://docs.docker.com/reference/build-checks/legacy-key-value-format/
    """

    code = "BK013"
    name = "LegacyKeyValueFormat"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.instructions("ENV", "LABEL"):
            # BuildKit marks the legacy form with an empty separator: [key, value, ""].
            if len(instr.args) == 3 and instr.args[2] == "":
                kw = instr.keyword_raw
                msg = f'"{kw} key=value" should be used instead of legacy "{kw} key value" format'
                yield self.finding(ctx, instr, msg, legacy_fix(ctx, instr))
