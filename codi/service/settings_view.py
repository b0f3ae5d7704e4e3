"""`codi lint --show-settings`: the settings one file is linted with, in words (as ruff's)."""

from __future__ import annotations

from pathlib import Path

from codi.config import ConfigError, ConfigResolver
from codi.rules.registry import all_rules, also_silenced, equivalences_of
from codi.service.errors import LintUsageError
from codi.service.lint import STDIN, LintRequest, _cli_layer, file_settings


def show_settings(req: LintRequest) -> str:
    """The settings for the first path of ``req``: files read, levels, and the rules selected."""
    if not req.paths:
        raise LintUsageError("no paths given")
    first = req.paths[0]
    shown = req.stdin_filename if first == STDIN and req.stdin_filename else first
    path = Path(shown)
    folder = Path.cwd() if shown == STDIN else (path if path.is_dir() else path.parent)
    rules = all_rules()
    try:
        resolver = ConfigResolver(_cli_layer(req), req.config_file, req.env, req.discover_config)
        settings = resolver.for_folder(folder)
        built = file_settings(settings, rules)
    except ConfigError as exc:
        raise LintUsageError(str(exc)) from exc
    lines = [f"Settings for {shown}"]
    lines.append("Settings read from (lowest precedence first): "
                 + (", ".join(settings.sources) if settings.sources else "defaults only"))
    lines.append(f"failure-threshold: {settings.failure_threshold}")
    lines.append(f"no-fail: {str(settings.no_fail).lower()}")
    lines.append(f"inline ignore pragmas: {'honoured' if settings.pragmas else 'disabled'}")
    if settings.severity:
        lines.append("severity overrides: " + ", ".join(f"{k}={v}" for k, v in sorted(settings.severity.items())))
    if settings.trusted_registries:
        lines.append("trusted registries: " + ", ".join(settings.trusted_registries))
    if settings.label_schema:
        lines.append("label schema: " + ", ".join(f"{k}:{v}" for k, v in settings.label_schema.items()))
        lines.append(f"strict labels: {str(settings.strict_labels).lower()}")
    ignored = [code for layer in settings.layers for code in layer.ignore]
    if ignored:
        lines.append("ignored: " + ", ".join(ignored))
    for code in ignored:
        covered = also_silenced(code)
        if covered:
            problems = "; ".join(sorted({e.problem for e in equivalences_of(code.upper())}))
            lines.append(f"  ignoring {code.upper()} also silences {', '.join(covered)} where they report the "
                         f"same problem ({problems})")
    enabled = built.selection.enabled_rules()
    lines.append(f"rules selected ({len(enabled)} of {len(rules)}):")
    for cls in enabled:
        level = built.severity.get(cls.code, cls.severity.value)
        lines.append(f"  {cls.code:<7} {cls.name} ({level})")
    off = [cls for cls in rules if cls not in enabled]
    if off:
        lines.append(f"rules not selected ({len(off)}): " + ", ".join(cls.code for cls in off))
    return "\n".join(lines) + "\n"
