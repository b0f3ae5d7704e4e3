"""Small helpers shared by the output formats."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from codi.rules.base import BatchRule, Finding, Rule, Severity
from codi.rules.engine import LintResult
from codi.rules.registry import all_rules, get_rule

if TYPE_CHECKING:  # the XML formats import ElementTree themselves; the others need not pay for it
    import xml.etree.ElementTree as ET

LEVEL_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.STYLE)


def rule_for(code: str) -> type[Rule] | None:
    """The rule that reports ``code`` (``SC2086`` belongs to the ShellCheck batch rule ``SC``)."""
    cls = get_rule(code)
    if cls is not None:
        return cls
    for candidate in all_rules():
        if issubclass(candidate, BatchRule) and code.upper().startswith(candidate.code.upper()):
            return candidate
    return None


_URL = re.compile(r"https?://[^\s)>\]]+")


def help_uri(code: str) -> str | None:
    """Where a code is documented online: ShellCheck's wiki for SC codes, else the first link of the
    rule's References (hadolint's wiki for DL, Docker's build checks for BK, the source CD cites)."""
    if code.upper().startswith("SC") and code[2:].isdigit():
        return f"https://www.shellcheck.net/wiki/{code.upper()}"
    cls = rule_for(code)
    if cls is None:
        return None
    docs = cls.docs()
    references = docs.split("## References", 1)[1] if "## References" in docs else ""
    found = _URL.search(references)
    return found.group(0) if found else None


INTERNAL_ERROR_CODE = "CD0000"
INTERNAL_ERROR_NAME = "internal-error"


def error_entries(result: LintResult) -> list[Finding]:
    """Each internal error as a finding-shaped entry (code CD0000), for the formats that only list
    findings: an error must show up in every format, or a failed lint reads as a pass. An error of
    the whole run (a batch rule) is put on the first file."""
    fallback = result.files[0] if result.files else "-"
    return [Finding(code=INTERNAL_ERROR_CODE, name=INTERNAL_ERROR_NAME, severity=Severity.ERROR, message=str(err),
                    file=err.file or fallback, line=1, column=1, end_line=1, end_column=1)
            for err in result.errors]


def with_errors(result: LintResult) -> list[Finding]:
    """The findings, then the internal errors as entries."""
    return list(result.findings) + error_entries(result)


def counts(findings: Iterable[Finding]) -> Counter[Severity]:
    return Counter(f.severity for f in findings)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# Characters XML 1.0 cannot carry (control characters, lone surrogates from undecodable bytes).
_SURROGATE = re.compile("[\ud800-\udfff]")


@functools.cache
def _not_xml() -> re.Pattern[str]:
    """Compiled on first use: ~10 ms (its ranges span all of Unicode) that only the XML formats need."""
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    return _not_xml().sub("\ufffd", text)


def text_safe(text: str) -> str:
    """Lone surrogates (bytes that were not UTF-8) become U+FFFD so the output encodes."""
    return _SURROGATE.sub("\ufffd", text)


def sanitize_tree(root: ET.Element) -> None:
    for el in root.iter():
        for key, value in el.attrib.items():
            el.set(key, xml_safe(value))
        if el.text:
            el.text = xml_safe(el.text)
