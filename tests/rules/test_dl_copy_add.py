"""DL rules about COPY/ADD: DL3010, DL3020, DL3021, DL3045."""

from __future__ import annotations

from rulekit import lines, run_rule


def _apply(text: str, code: str) -> str:
    findings = run_rule(code, text)
    out = text
    edits = sorted((e for f in findings if f.fix for e in f.fix.edits), key=lambda e: e.start, reverse=True)
    for edit in edits:
        out = out[: edit.start] + edit.replacement + out[edit.end :]
    return out


def test_dl3020_local_files_fire_with_safe_fix() -> None:
    text = "FROM debian:12\nADD app.py /app/\nadd --chown=1 src/ /src/\n"
    assert lines("DL3020", text) == [2, 3]
    assert _apply(text, "DL3020") == "FROM debian:12\nCOPY app.py /app/\ncopy --chown=1 src/ /src/\n"
    assert all(f.fixable for f in run_rule("DL3020", text))


def test_dl3020_urls_archives_git_and_add_only_flags() -> None:
    text = (
        "FROM debian:12\n"
        "ADD https://example.com/x.bin /x\n"
        "ADD app.tar.gz /opt/\n"
        "ADD data.tgz /opt/\n"
        "ADD git@github.com:moby/buildkit.git /src\n"
        "ADD --checksum=sha256:abc https://e.com/f /f\n"
        "ADD $UNKNOWN /x\n"
    )
    assert lines("DL3020", text) == []


def test_dl3020_zip_is_not_unpacked_by_add() -> None:
    assert lines("DL3020", "FROM debian:12\nADD site.zip /srv/\n") == [2]


def test_dl3010_copy_then_tar_extract() -> None:
    text = (
        "FROM debian:12\n"
        "COPY app.tar.gz /tmp/\n"
        "RUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz\n"
        "COPY b.tar /tmp/b.tar\n"
        "RUN tar xf /tmp/b.tar\n"
    )
    assert lines("DL3010", text) == [2, 4]


def test_dl3010_near_misses() -> None:
    text = (
        "FROM debian:12\n"
        "COPY app.tar.gz /tmp/\n"
        "RUN tar -czf /tmp/other.tar.gz /etc\n"
        "COPY site.zip /tmp/\n"
        "RUN unzip /tmp/site.zip\n"
        "FROM debian:12\n"
        "RUN tar -xzf /tmp/app.tar.gz\n"
    )
    assert lines("DL3010", text) == []


def test_dl3021_many_sources_need_dir_dest() -> None:
    text = (
        'FROM debian:12\nCOPY a b /app\nCOPY ["a", "b", "/app"]\nADD a b /app\nCOPY a b /app/\nCOPY a /app\n'
    )
    assert lines("DL3021", text) == [2, 3, 4]


def test_dl3045_relative_destination_without_workdir() -> None:
    text = "FROM debian:12\nCOPY a .\nCOPY a ./\nCOPY a /abs\nCOPY a $DEST\nWORKDIR /app\nCOPY a b\n"
    assert lines("DL3045", text) == [2, 3]
    windows = "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY a C:\nCOPY b C:\\\\app\nCOPY c D:/x\n"
    assert lines("DL3045", windows) == []


def test_dl3045_workdir_inherited_from_parent_stage() -> None:
    text = "FROM debian:12 AS base\nWORKDIR /app\nFROM base\nCOPY a b\nFROM debian:12\nCOPY a b\n"
    assert lines("DL3045", text) == [6]


def test_dl3021_fix_adds_slash_inside_quotes() -> None:
    text = 'FROM debian:12\nCOPY a b /app\nCOPY ["a", "b", "/app"]\nCOPY a b "/app"\n'
    fixed = _apply(text, "DL3021")
    assert fixed == 'FROM debian:12\nCOPY a b /app/\nCOPY ["a", "b", "/app/"]\nCOPY a b "/app/"\n'
    assert lines("DL3021", fixed) == []
