"""DL rules checking label values against the types of the configured label schema."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.dl.labels import all_labels
from codi.rules.registry import register

try:  # packaging >= 24.2 ships the SPDX licence list and an expression parser
    from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
except ImportError:  # pragma: no cover - older packaging: fall back to the shape of an id
    canonicalize_license_expression = None  # type: ignore[assignment]
    InvalidLicenseExpression = ValueError  # type: ignore[assignment,misc]

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_GIT_HASH = re.compile(r"^([0-9a-f]{7,40}|[0-9a-f]{64})$")
_NUM = r"(0|[1-9]\d*)"
_IDENT = r"(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"^{_NUM}\.{_NUM}\.{_NUM}(-{_IDENT}(\.{_IDENT})*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_SPDX_ID = re.compile(r"^[A-Za-z0-9.+-]+$")


def is_url(value: str) -> bool:
    if any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme)) and bool(parts.netloc or parts.path)


def is_rfc3339(value: str) -> bool:
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return False
    return True


def is_spdx(value: str) -> bool:
    if canonicalize_license_expression is None:  # pragma: no cover
        return bool(_SPDX_ID.match(value))
    try:
        canonicalize_license_expression(value)
    except InvalidLicenseExpression:
        return False
    return True


def is_git_hash(value: str) -> bool:
    return bool(_GIT_HASH.match(value))


def is_semver(value: str) -> bool:
    return bool(_SEMVER.match(value))


def is_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value))


class LabelFormatRule(Rule):
    """Shared check: every schema label of ``label_type`` must satisfy ``valid``."""

    label_type: ClassVar[str]
    valid: ClassVar[Callable[[str], bool]]
    template: ClassVar[str]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        schema = ctx.config.label_schema
        if not schema:  # the default: no label has a type to check
            return
        for label in all_labels(ctx):
            if schema.get(label.key, "").lower() != self.label_type or label.value is None:
                continue
            value = label.value.strip()
            if value and not type(self).valid(value):
                yield self.finding(ctx, label.instr, self.template.format(label=label.key))


@register
class LabelNotUrl(LabelFormatRule):
    """Label of schema type `url` is not a valid URL.

    ## What it does
    Flags a label typed `url` in `label_schema` whose value is not an absolute URL.

    ## Why is this bad?
    Tools follow these labels (source repository, documentation); a broken one leads nowhere.

    ## Example
    ```dockerfile
    LABEL org.opencontainers.image.source=github.com/example/app
    ```

    ## Use instead
    ```dockerfile
    LABEL org.opencontainers.image.source=https://github.com/example/app
    ```

    ## References
    - [hadolint DL3052](https://github.com/hadolint/hadolint/wiki/DL3052)
    """

    code = "DL3052"
    name = "label-url"
    severity = Severity.WARNING
    label_type = "url"
    valid = is_url
    template = "Label `{label}` is not a valid URL."


@register
class LabelNotRfc3339(LabelFormatRule):
    """Label of schema type `rfc3339` is not an RFC 3339 timestamp.

    ## What it does
    Flags a label typed `rfc3339` whose value is not a full RFC 3339 date-time with zone.

    ## Why is this bad?
    `org.opencontainers.image.created` and similar labels are parsed by tools; `now` or
    `2024-01-01` is not a timestamp.

    ## Example
    ```dockerfile
    LABEL org.opencontainers.image.created="Jan 1 2024"
    ```

    ## Use instead
    ```dockerfile
    LABEL org.opencontainers.image.created="2024-01-01T12:00:00Z"
    ```

    ## References
    - [hadolint DL3053](https://github.com/hadolint/hadolint/wiki/DL3053)
    """

    code = "DL3053"
    name = "label-rfc3339"
    severity = Severity.WARNING
    label_type = "rfc3339"
    valid = is_rfc3339
    template = "Label `{label}` is not a valid time format - must conform to RFC3339."


@register
class LabelNotSpdx(LabelFormatRule):
    """Label of schema type `spdx` is not a valid SPDX licence expression.

    ## What it does
    Flags a label typed `spdx` whose value is not an SPDX licence identifier or expression.
    Unlike hadolint, expressions such as `MIT OR Apache-2.0` are accepted: the OCI
    `org.opencontainers.image.licenses` annotation is defined as an SPDX *expression*.

    ## Why is this bad?
    Licence scanners read this label; a free-text licence cannot be checked.

    ## Example
    ```dockerfile
    LABEL org.opencontainers.image.licenses="Apache 2"
    ```

    ## Use instead
    ```dockerfile
    LABEL org.opencontainers.image.licenses="Apache-2.0"
    ```

    ## References
    - [hadolint DL3054](https://github.com/hadolint/hadolint/wiki/DL3054)
    - [SPDX licence list](https://spdx.org/licenses/)
    """

    code = "DL3054"
    name = "label-spdx"
    severity = Severity.WARNING
    label_type = "spdx"
    valid = is_spdx
    template = "Label `{label}` is not a valid SPDX identifier."


@register
class LabelNotGitHash(LabelFormatRule):
    """Label of schema type `hash` is not a git commit hash.

    ## What it does
    Flags a label typed `hash` whose value is not a lower-case hexadecimal git object id
    (7 to 40 characters, or 64 for SHA-256 repositories).

    ## Why is this bad?
    The revision label is how an image is traced back to its commit.

    ## Example
    ```dockerfile
    LABEL org.opencontainers.image.revision=main
    ```

    ## Use instead
    ```dockerfile
    LABEL org.opencontainers.image.revision=3f1c2a9e0b7d4c6f8a1e2d3c4b5a69788776655a
    ```

    ## References
    - [hadolint DL3055](https://github.com/hadolint/hadolint/wiki/DL3055)
    """

    code = "DL3055"
    name = "label-git-hash"
    severity = Severity.WARNING
    label_type = "hash"
    valid = is_git_hash
    template = "Label `{label}` is not a valid git hash."


@register
class LabelNotSemver(LabelFormatRule):
    """Label of schema type `semver` is not a semantic version.

    ## What it does
    Flags a label typed `semver` whose value is not a Semantic Versioning 2.0.0 version
    (`1.2.3`, `1.2.3-rc.1+build.5`; no leading `v`).

    ## Why is this bad?
    Release tooling sorts and compares these versions.

    ## Example
    ```dockerfile
    LABEL org.opencontainers.image.version=1.0
    ```

    ## Use instead
    ```dockerfile
    LABEL org.opencontainers.image.version=1.0.0
    ```

    ## References
    - [hadolint DL3056](https://github.com/hadolint/hadolint/wiki/DL3056)
    - [Semantic Versioning](https://semver.org/)
    """

    code = "DL3056"
    name = "label-semver"
    severity = Severity.WARNING
    label_type = "semver"
    valid = is_semver
    template = "Label `{label}` does not conform to semantic versioning."


@register
class LabelNotEmail(LabelFormatRule):
    """Label of schema type `email` is not an e-mail address.

    ## What it does
    Flags a label typed `email` whose value is not a plain address (`name@example.com`).

    ## Why is this bad?
    Contact labels are used to page owners; a broken address reaches nobody.

    ## Example
    ```dockerfile
    LABEL maintainer="ops team"
    ```

    ## Use instead
    ```dockerfile
    LABEL maintainer="ops@example.com"
    ```

    ## References
    - [hadolint DL3058](https://github.com/hadolint/hadolint/wiki/DL3058)
    """

    code = "DL3058"
    name = "label-email"
    severity = Severity.WARNING
    label_type = "email"
    valid = is_email
    template = "Label `{label}` is not a valid email format - must conform to RFC5322."
