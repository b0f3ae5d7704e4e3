"""`--format junit`: JUnit XML, one test suite per file, one failed test case per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from codi.formats.common import sanitize_tree
from codi.rules.engine import LintResult


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    root = ET.Element("testsuites", name="codi", tests="0", failures="0", errors=str(len(result.errors)))
    by_file: dict[str, list[ET.Element]] = {}
    for f in result.findings:
        case = ET.Element("testcase", name=f"{f.code} {f.name} (line {f.line})", classname=f.file)
        failure = ET.SubElement(case, "failure", message=f.message, type=f.severity.value)
        failure.text = f"{f.file}:{f.line}:{f.column} {f.code} [{f.severity.value}] {f.message}"
        by_file.setdefault(f.file, []).append(case)
    files = list(result.files) + [p for p in by_file if p not in result.files]
    total = failures = 0
    for path in files:
        cases = by_file.get(path, [])
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(max(len(cases), 1)), failures=str(len(cases)))
        if cases:
            suite.extend(cases)
        else:  # a clean file still shows up as one passing test
            ET.SubElement(suite, "testcase", name="codi lint", classname=path)
        total += max(len(cases), 1)
        failures += len(cases)
    if result.errors:
        suite = ET.SubElement(root, "testsuite", name="codi internal errors", tests=str(len(result.errors)))
        suite.set("errors", str(len(result.errors)))
        for err in result.errors:
            case = ET.SubElement(suite, "testcase", name=err.code, classname=err.file or "codi")
            ET.SubElement(case, "error", message=str(err)).text = str(err)
        total += len(result.errors)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    sanitize_tree(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
