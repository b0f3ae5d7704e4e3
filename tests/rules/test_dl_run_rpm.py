"""yum, dnf, microdnf and zypper rules: DL3030, DL3032-DL3038, DL3040, DL3041."""

from __future__ import annotations

import pytest
from rulekit import lines, run_rule


def apply_fix(code: str, text: str) -> str:
    edits = [e for f in run_rule(code, text) if f.fix for e in f.fix.edits]
    for e in sorted(edits, key=lambda e: -e.start):
        text = text[: e.start] + e.replacement + text[e.end :]
    return text


def rhel(run: str) -> str:
    return f"FROM rockylinux:9\nRUN {run}\n"


def test_dl3030_yum_without_yes_and_fix() -> None:
    assert lines("DL3030", rhel("yum install httpd-2.4 && yum clean all")) == [2]
    assert apply_fix("DL3030", rhel("yum install httpd-2.4")) == rhel("yum install -y httpd-2.4")


@pytest.mark.parametrize(
    "run", ["yum -y install httpd-2.4", "yum install --assumeyes x-1", "yum clean all", "yum makecache"]
)
def test_dl3030_near_misses(run: str) -> None:
    assert lines("DL3030", rhel(run)) == []


def test_dl3032_yum_clean_missing_with_fix() -> None:
    assert lines("DL3032", rhel("yum install -y httpd-2.4")) == [2]
    assert apply_fix("DL3032", rhel("yum install -y httpd-2.4")) == rhel(
        "yum install -y httpd-2.4 && yum clean all"
    )
    assert lines("DL3032", rhel("yum clean all && yum install -y httpd-2.4")) == [2]


@pytest.mark.parametrize(
    "run",
    [
        "yum install -y httpd-2.4 && yum clean all",
        "yum install -y httpd-2.4 && rm -rf /var/cache/yum/*",
        "--mount=type=cache,target=/var/cache/yum yum install -y httpd-2.4",
        "yum remove -y httpd",
    ],
)
def test_dl3032_near_misses(run: str) -> None:
    assert lines("DL3032", rhel(run)) == []


def test_dl3033_yum_unpinned() -> None:
    found = run_rule("DL3033", rhel("yum install -y httpd-2.4 php-cli && yum clean all"))
    assert (
        [f.line for f in found] == [2] and "php-cli" in found[0].message and "httpd" not in found[0].message
    )


@pytest.mark.parametrize("pkg", ["php-7.4", "/tmp/x.rpm", "https://example.com/x.rpm", "@development"])
def test_dl3033_near_misses(pkg: str) -> None:
    assert lines("DL3033", rhel(f"yum install -y {pkg} && yum clean all")) == []


def test_dl3038_dnf_without_yes_but_microdnf_never_prompts() -> None:
    assert lines("DL3038", rhel("dnf install x-1 && dnf clean all")) == [2]
    assert lines("DL3038", rhel("dnf module install nodejs:20 && dnf clean all")) == [2]
    assert lines("DL3038", rhel("microdnf install x-1 && microdnf clean all")) == []
    assert lines("DL3038", rhel("dnf install -y x-1 && dnf clean all")) == []


def test_dl3040_dnf_clean_missing() -> None:
    assert lines("DL3040", rhel("dnf upgrade -y")) == [2]
    assert apply_fix("DL3040", rhel("microdnf install x-1")) == rhel(
        "microdnf install x-1 && microdnf clean all"
    )
    assert lines("DL3040", rhel("dnf install -y x-1 && dnf clean all")) == []
    assert lines("DL3040", rhel("dnf install -y x-1 && rm -rf /var/cache/dnf")) == []


def test_dl3041_dnf_unpinned_and_module_streams() -> None:
    assert lines("DL3041", rhel("dnf install -y python3-pip && dnf clean all")) == [2]
    assert lines("DL3041", rhel("dnf module install -y nodejs && dnf clean all")) == [2]
    assert lines("DL3041", rhel("dnf module install -y nodejs:20 && dnf clean all")) == []
    assert lines("DL3041", rhel("dnf install -y python3-pip-21.3 && dnf clean all")) == []


def suse(run: str) -> str:
    return f"FROM opensuse/leap:15.6\nRUN {run}\n"


def test_dl3034_zypper_non_interactive() -> None:
    assert lines("DL3034", suse("zypper install curl=8 && zypper clean")) == [2]
    assert lines("DL3034", suse("zypper remove curl")) == [2]
    assert apply_fix("DL3034", suse("zypper in curl=8")) == suse("zypper in -y curl=8")
    for ok in (
        "zypper -n install curl=8",
        "zypper --non-interactive in curl=8",
        "zypper in --no-confirm curl=8",
    ):
        assert lines("DL3034", suse(ok)) == [], ok


def test_dl3035_dist_upgrade() -> None:
    assert lines("DL3035", suse("zypper dup -y && zypper clean")) == [2]
    assert lines("DL3035", suse("zypper -n dist-upgrade && zypper clean")) == [2]
    assert lines("DL3035", suse("zypper -n update && zypper clean")) == []


def test_dl3036_zypper_clean() -> None:
    assert lines("DL3036", suse("zypper -n install curl=8")) == [2]
    assert apply_fix("DL3036", suse("zypper -n in curl=8")) == suse(
        "zypper -n in curl=8 && zypper clean --all"
    )
    for ok in (
        "zypper -n in curl=8 && zypper cc",
        "zypper -n in curl=8 && rm -rf /var/cache/zypp",
        "zypper -n rm curl",
    ):
        assert lines("DL3036", suse(ok)) == [], ok


def test_dl3037_zypper_unpinned() -> None:
    assert lines("DL3037", suse("zypper -n install curl && zypper clean")) == [2]
    assert lines("DL3037", suse("zypper -n install curl>=8 && zypper clean")) == [2]  # a redirection
    assert lines("DL3037", suse("zypper -n install 'curl>=8' git=2.4 && zypper clean")) == []
