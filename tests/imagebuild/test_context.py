"""Build context copies honour .dockerignore; the touched file is a real source file."""

from __future__ import annotations

from pathlib import Path

from codi.imagebuild.bases import apt_mirror, selected
from codi.imagebuild.context import copy_context, source_to_touch, touch_source


def _project(root: Path) -> Path:
    for rel, text in {"main.go": "package main\n", "go.mod": "module x\n", "Dockerfile": "FROM scratch\n",
                      ".dockerignore": "*.log\nbuild\n!keep.log\n", "app.log": "x", "keep.log": "k",
                      "build/out.bin": "b", "pkg/util.go": "package pkg\n"}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_copy_honours_dockerignore(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    dest = tmp_path / "ctx"
    dest.mkdir()
    copied = copy_context(project, dest)
    assert sorted(copied) == [".dockerignore", "Dockerfile", "go.mod", "keep.log", "main.go", "pkg/util.go"]
    assert not (dest / "app.log").exists() and not (dest / "build").exists()


def test_touch_changes_content_of_top_level_source(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    rel = source_to_touch(["go.mod", "pkg/util.go", "main.go", "Dockerfile"])
    assert rel == "main.go"
    before = (project / rel).read_bytes()
    touch_source(project, rel)
    once = (project / rel).read_bytes()
    assert once.startswith(before) and once.endswith(b"\n") and b"// codi rebuild probe " in once
    touch_source(project, rel)
    twice = (project / rel).read_bytes()
    # Every edit is new content, so no build anywhere on the machine can have cached it already.
    assert twice.startswith(once) and twice[len(once):] != once[len(before):]
    (project / "notes.txt").write_text("x\n")
    touch_source(project, "notes.txt")
    first = (project / "notes.txt").read_text()
    touch_source(project, "notes.txt")
    assert first.strip() == "x" and (project / "notes.txt").read_text().strip() == "x"
    assert (project / "notes.txt").read_text() != first + first[len("x\n"):]
    assert source_to_touch(["Dockerfile", ".dockerignore"]) is None


def test_apt_mirror_reads_deb822_and_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.local/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.local/debian\nSuites: bookworm bookworm-updates\n")
    assert apt_mirror(tmp_path) == ("http://mirror.local/debian", "bookworm")
    other = tmp_path / "other"
    other.mkdir()
    (other / "sources.list").write_text("deb [arch=amd64] http://m.example/debian trixie main\n")
    assert apt_mirror(other) == ("http://m.example/debian", "trixie")


def test_standin_selection() -> None:
    assert {s.key for s in selected(["go"])} == {"golang"}
    assert len(selected(None)) > 5
    try:
        selected(["cobol"])
    except ValueError as exc:
        assert "cobol" in str(exc)
    else:
        raise AssertionError("unknown group accepted")
