"""docs/rules.md, generated from the registry: `python -m codi.rules.docs > docs/rules.md`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from codi.rules.base import Applicability, BatchRule, Rule
from codi.rules.registry import all_rules, canonical_rank, equivalences_of

HEADER = "<!-- Generated from the rule registry by `python -m codi.rules.docs`; do not edit by hand. -->"


def fix_label(rule: type[Rule]) -> str:
    """safe / unsafe / display, or an em dash when the rule offers no fix."""
    applicability: Applicability | None = rule.fix_applicability
    return applicability.value if applicability is not None else "\u2014"


def fixable(rule: type[Rule]) -> bool:
    return rule.fix_applicability in (Applicability.SAFE, Applicability.UNSAFE)


def anchor(rule: type[Rule]) -> str:
    return rule.code.lower()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def demote(markdown: str, levels: int = 1) -> str:
    """Push headings down (``## What it does`` -> ``### What it does``), leaving code fences alone."""
    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
        elif fence is None and stripped.startswith("#"):
            line = "#" * levels + stripped
        out.append(line)
    return "\n".join(out)


def rule_section(rule: type[Rule], with_anchor: bool = True) -> str:
    doc = rule.docs()
    body = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    family = " (one rule, many SC codes: ShellCheck's own)" if issubclass(rule, BatchRule) else ""
    lines = [f'<a id="{anchor(rule)}"></a>', ""] if with_anchor else []
    lines += [
        f"## {rule.code}: {rule.name}",
        "",
        f"{rule.summary()}",
        "",
        f"Severity: **{rule.severity.value}** \u00b7 on by default: **{'yes' if rule.enabled_by_default else 'no'}**"
        f" \u00b7 fix: **{fix_label(rule)}**{family}",
    ]
    same = equivalence_note(rule)
    if same:
        lines += ["", same]
    if body:
        lines += ["", demote(body)]
    return "\n".join(lines)


def equivalence_note(rule: type[Rule]) -> str:
    """Which other rules report the same problem, and under which code the finding appears."""
    notes: list[str] = []
    for eq in equivalences_of(rule.code):
        others = sorted((c for c in eq.codes if c != rule.code), key=canonical_rank)
        named = ", ".join(f"[{c}](#{c.lower()})" for c in others)
        partly = " (for this problem only)" if eq.only else ""
        notes.append(
            f"Same problem ({eq.problem}) as {named}{partly}: reported once, as **{eq.canonical}** by default "
            f"(the message names the others, each keeps its own level); selecting one family "
            f"(`--select {rule.code[:2]}`) reports its code, and "
            + ("ignoring any of these codes silences the finding." if not eq.only else
               f"ignoring {', '.join(c for c in eq.codes if c not in dict(eq.only))} silences the finding; "
               f"ignoring {', '.join(dict(eq.only))} (a broad rule) silences only its own findings.")
        )
    return "\n\n".join(notes)


def generate(rules: Sequence[type[Rule]] | None = None) -> str:
    rules = list(all_rules() if rules is None else rules)
    on = sum(1 for r in rules if r.enabled_by_default)
    lines = [
        "# Rules",
        "",
        HEADER,
        "",
        f"CODI has {len(rules)} rules ({on} on by default). Select them with `--select`, `--extend-select` and",
        "`--ignore` (codes, code prefixes such as `DL30` or `SC`, rule names, or `ALL`), or in `.codi.toml`.",
        "`codi rules CODE` prints one rule's documentation in the terminal.",
        "",
        "| Code | Name | Severity | On by default | Fix | Summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rules:
        lines.append(
            f"| [{r.code}](#{anchor(r)}) | {_cell(r.name)} | {r.severity.value} | "
            f"{'yes' if r.enabled_by_default else 'no'} | {fix_label(r)} | {_cell(r.summary())} |"
        )
    for r in rules:
        lines += ["", rule_section(r)]
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(generate())


if __name__ == "__main__":
    main()
