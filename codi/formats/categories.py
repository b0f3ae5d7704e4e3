"""What kind of problem a rule reports, for code scanning tools: GitLab Code Quality categories
(also Code Climate's and SonarQube's issue type) and, for security rules, SARIF's
``security-severity`` (a CVSS-like score GitHub turns into critical/high/medium/low).

One table per fact; a rule not named takes its family's default.
"""

from __future__ import annotations

from codi.rules.base import Severity

# Security rules and their severity score (GitHub: >= 9 critical, >= 7 high, >= 4 medium, else low).
SECURITY_SEVERITY: dict[str, float] = {
    "CD304": 8.0,  # a literal secret in ARG/ENV/a file: leaks with the image
    "DL3064": 7.5,  # secret-looking ARG/ENV name
    "BK016": 7.5,  # BuildKit's SecretsUsedInArgOrEnv
    "CD301": 7.0,  # curl | sh: runs whatever the server sends
    "DL3026": 6.0,  # base image from an untrusted registry
    "CD305": 6.0,  # ADD URL without --checksum: unverified download
    "CD306": 5.5,  # final image runs as root
    "DL3002": 5.5,  # last USER is root
    "DL3004": 5.0,  # sudo in RUN
}

# GitLab Code Quality categories (Bug Risk, Clarity, Compatibility, Complexity, Duplication, Performance,
# Security, Style), for rules whose family default does not fit.
_CATEGORY: dict[str, str] = {
    **{code: "Security" for code in SECURITY_SEVERITY},
    # caches, recommends and layers: image size and build time
    **{code: "Performance" for code in ("DL3009", "DL3019", "DL3032", "DL3036", "DL3040", "DL3042", "DL3060",
                                        "DL3015", "DL3059", "DL3010", "DL3047")},
    # deprecated or platform-specific forms
    **{code: "Compatibility" for code in ("DL4000", "BK008", "BK013", "DL3029", "BK014", "BK015", "BK018",
                                          "DL3065", "DL3027", "DL4005")},
    # casing, labels and other presentation
    **{code: "Style" for code in ("BK001", "BK002", "BK004", "BK020", "BK021", "DL1001", "DL3048", "DL3049",
                                  "DL3050", "DL3051", "DL3052", "DL3053", "DL3054", "DL3055", "DL3056",
                                  "DL3057", "DL3058")},
    "DL3003": "Clarity",
    "CD302": "Bug Risk",  # upgrading packages in a build: not reproducible, not a vulnerability
}
# Family defaults: CODI's CD1xx/CD2xx rules are about size and build time, CD3xx about security.
_PREFIX = (("CD1", "Performance"), ("CD2", "Performance"), ("CD3", "Security"))


def category(code: str, severity: Severity) -> str:
    """The GitLab Code Quality category of a finding."""
    code = code.upper()
    if code in _CATEGORY:
        return _CATEGORY[code]
    for prefix, name in _PREFIX:
        if code.startswith(prefix):
            return name
    if code.startswith("SC") and severity in (Severity.INFO, Severity.STYLE):
        return "Style"
    return "Bug Risk"


def is_security(code: str) -> bool:
    return code.upper() in SECURITY_SEVERITY or category(code, Severity.WARNING) == "Security"


def security_severity(code: str) -> float | None:
    """SARIF ``security-severity`` of a security rule, else None."""
    code = code.upper()
    if code in SECURITY_SEVERITY:
        return SECURITY_SEVERITY[code]
    return 5.0 if is_security(code) else None
