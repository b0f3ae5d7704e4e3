"""DL rules about yum, dnf and microdnf in RUN scripts (RHEL, CentOS, Fedora, UBI images)."""

from __future__ import annotations

from codi.rules.base import Applicability, Severity
from codi.rules.dl.run_rpm_support import AssumeYesRule, CacheCleanRule, PinRule
from codi.rules.registry import register

# subcommands that change packages and ask "Is this ok [y/N]"
_PROMPTING = frozenset(
    [
        "install",
        "in",
        "groupinstall",
        "localinstall",
        "reinstall",
        "rei",
        "update",
        "upgrade",
        "up",
        "update-minimal",
        "upgrade-minimal",
        "remove",
        "erase",
        "rm",
        "downgrade",
        "distro-sync",
        "dsync",
        "autoremove",
    ]
    + ["group install", "group remove", "group upgrade", "groups install", "module install", "module remove"]
    + ["module enable", "module reset", "module disable"]
)
# subcommands that download metadata and packages into /var/cache/{yum,dnf}
_FILLING = frozenset(
    [
        "install",
        "in",
        "groupinstall",
        "localinstall",
        "reinstall",
        "rei",
        "update",
        "upgrade",
        "up",
        "update-minimal",
        "upgrade-minimal",
        "downgrade",
        "distro-sync",
        "dsync",
        "makecache",
    ]
    + ["group install", "group upgrade", "groups install", "module install"]
)
_INSTALL = frozenset(["install", "in", "reinstall", "rei", "module install"])


@register
class YumYes(AssumeYesRule):
    """Use the `-y` switch with `yum install`.

    ## What it does
    Flags yum subcommands that change packages (`install`, `groupinstall`, `update`,
    `remove`, ...) without `-y`/`--assumeyes`. hadolint checks the install subcommands
    only; the others prompt and abort a build the same way.

    ## Why is this bad?
    A build has no terminal: at the "Is this ok [y/N]" prompt yum reads end of input and
    exits with an error.

    ## Example
    ```dockerfile
    RUN yum install httpd-2.4.6 && yum clean all
    ```

    ## Use instead
    ```dockerfile
    RUN yum install -y httpd-2.4.6 && yum clean all
    ```

    ## Fix safety
    Safe: adds `-y` after the subcommand; a build that succeeded before gives the same image.

    ## References
    - [hadolint DL3030](https://github.com/hadolint/hadolint/wiki/DL3030)
    """

    code = "DL3030"
    name = "yum-yes"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE
    tools = ("yum",)
    subcommands = _PROMPTING
    message = "Use the -y switch to avoid manual input: `yum install -y <package>`"


@register
class YumCleanAll(CacheCleanRule):
    """Run `yum clean all` after installing packages with yum.

    ## What it does
    Flags a RUN that installs or updates packages with yum and does not run
    `yum clean all` (or remove `/var/cache/yum`) after it in the same RUN, unless the cache
    is a cache mount. Only stages whose files reach the final image are checked (the final
    stage and the stages it is built FROM); hadolint checks every stage.

    ## Why is this bad?
    yum keeps repository metadata (often over 100 MB) and sometimes the packages under
    `/var/cache/yum`; removed in a later RUN they still take space in this layer.

    ## Example
    ```dockerfile
    RUN yum install -y httpd-2.4.6
    ```

    ## Use instead
    ```dockerfile
    RUN yum install -y httpd-2.4.6 && yum clean all
    ```

    ## Fix safety
    Safe: appends `&& yum clean all` to the RUN; only caches are removed.

    ## References
    - [hadolint DL3032](https://github.com/hadolint/hadolint/wiki/DL3032)
    """

    code = "DL3032"
    name = "yum-clean-all"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE
    tools = ("yum",)
    subcommands = _FILLING
    message = "`yum clean all` missing after yum command"


@register
class YumPinVersions(PinRule):
    """Pin versions in `yum install`.

    ## What it does
    Flags `yum install` of a package without a version (`httpd-2.4.6`). Groups, local or
    remote `.rpm` files and paths are not flagged (hadolint flags `.rpm` files and URLs,
    which name one exact build). Packages given through `ARG`/`ENV` values are expanded;
    values known only at build time are not guessed at.

    ## Why is this bad?
    An unpinned package is whatever the repository has on the day of the build, so rebuilds
    are not reproducible.

    ## Example
    ```dockerfile
    RUN yum install -y httpd && yum clean all
    ```

    ## Use instead
    ```dockerfile
    RUN yum install -y httpd-2.4.6 && yum clean all
    ```

    ## References
    - [hadolint DL3033](https://github.com/hadolint/hadolint/wiki/DL3033)
    """

    code = "DL3033"
    name = "yum-pin-versions"
    severity = Severity.WARNING
    tools = ("yum",)
    subcommands = _INSTALL
    message = "Specify version with `yum install -y <package>-<version>`"


@register
class DnfYes(AssumeYesRule):
    """Use the `-y` switch with `dnf install`.

    ## What it does
    Flags dnf (and dnf5) subcommands that change packages (`install`, `upgrade`, `remove`,
    `module install`, ...) without `-y`/`--assumeyes`. Unlike hadolint, `microdnf` is not
    flagged: it never prompts (its `-y` is accepted and ignored).

    ## Why is this bad?
    A build has no terminal: at the "Is this ok [y/N]" prompt dnf reads end of input and
    exits with an error.

    ## Example
    ```dockerfile
    RUN dnf install httpd-2.4.57 && dnf clean all
    ```

    ## Use instead
    ```dockerfile
    RUN dnf install -y httpd-2.4.57 && dnf clean all
    ```

    ## Fix safety
    Safe: adds `-y` after the subcommand; a build that succeeded before gives the same image.

    ## References
    - [hadolint DL3038](https://github.com/hadolint/hadolint/wiki/DL3038)
    """

    code = "DL3038"
    name = "dnf-yes"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE
    tools = ("dnf", "dnf5")
    subcommands = _PROMPTING
    message = "Use the -y switch to avoid manual input: `dnf install -y <package>`"


@register
class DnfCleanAll(CacheCleanRule):
    """Run `dnf clean all` after installing packages with dnf or microdnf.

    ## What it does
    Flags a RUN that installs or upgrades packages with dnf, dnf5 or microdnf and does not
    run `dnf clean all` (or remove `/var/cache/dnf`, `/var/cache/yum` or
    `/var/cache/libdnf5`) after it in the same RUN, unless the cache is a cache mount. Only
    stages whose files reach the final image are checked; hadolint checks every stage.

    ## Why is this bad?
    dnf keeps repository metadata (often over 100 MB) in its cache; removed in a later RUN
    it still takes space in this layer.

    ## Example
    ```dockerfile
    RUN dnf install -y httpd-2.4.57
    ```

    ## Use instead
    ```dockerfile
    RUN dnf install -y httpd-2.4.57 && dnf clean all
    ```

    ## Fix safety
    Safe: appends `&& dnf clean all` (or `microdnf clean all`) to the RUN; only caches are
    removed.

    ## References
    - [hadolint DL3040](https://github.com/hadolint/hadolint/wiki/DL3040)
    """

    code = "DL3040"
    name = "dnf-clean-all"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE
    tools = ("dnf", "dnf5", "microdnf")
    subcommands = _FILLING
    message = "`dnf clean all` missing after dnf command"


@register
class DnfPinVersions(PinRule):
    """Pin versions in `dnf install`.

    ## What it does
    Flags `dnf install` (also dnf5 and microdnf) of a package without a version
    (`httpd-2.4.57`), and `dnf module install` of a module without a stream
    (`nodejs:20`). Groups, `.rpm` files and paths are not flagged. Packages given through
    `ARG`/`ENV` values are expanded; values known only at build time are not guessed at.

    ## Why is this bad?
    An unpinned package is whatever the repository has on the day of the build, so rebuilds
    are not reproducible.

    ## Example
    ```dockerfile
    RUN dnf install -y httpd && dnf clean all
    ```

    ## Use instead
    ```dockerfile
    RUN dnf install -y httpd-2.4.57 && dnf clean all
    ```

    ## References
    - [hadolint DL3041](https://github.com/hadolint/hadolint/wiki/DL3041)
    """

    code = "DL3041"
    name = "dnf-pin-versions"
    severity = Severity.WARNING
    tools = ("dnf", "dnf5", "microdnf")
    subcommands = _INSTALL
    message = "Specify version with `dnf install -y <package>-<version>`"
