"""`--format checkstyle`: Checkstyle XML (Jenkins warnings-ng, reviewdog, ...)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from codi.formats.common import sanitize_tree, with_errors
from codi.rules.base import Severity
from codi.rules.engine import LintResult

_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info", Severity.STYLE: "info"}


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    root = ET.Element("checkstyle", version="4.3")
    by_file = {path: ET.SubElement(root, "file", name=path) for path in result.files}
    for f in with_errors(result):
        parent = by_file.get(f.file)
        if parent is None:
            parent = by_file[f.file] = ET.SubElement(root, "file", name=f.file)
        ET.SubElement(
            parent,
            "error",
            line=str(f.line),
            column=str(f.column),
            severity=_SEVERITY[f.severity],
            message=f"{f.code} {f.message}",
            source=f"codi.{f.code}",
        )
    sanitize_tree(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
