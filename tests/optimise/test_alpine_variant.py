"""An original on Alpine gets an Alpine multi-stage variant; the slim candidates say what they leave out."""

from __future__ import annotations

from pathlib import Path

from codi.optimise.catalog import load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates

PINNED = "libpq=16.3-r0 gcc=13.2.1_git20240309-r0 musl-dev=1.2.5-r0"


def _project(tmp_path: Path, base: str, packages: str = "libpq gcc musl-dev") -> Path:
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base}\nRUN apk add --no-cache {packages}\nWORKDIR /app\nCOPY . .\n"
        "RUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n")
    return tmp_path


def test_alpine_original_gets_an_alpine_variant(tmp_path: Path) -> None:
    analysis = analyze(_project(tmp_path, "python:3.12-alpine", PINNED), None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    alpine = [c for c in cands.built if c.record.rule_id == "python-pip-alpine"]
    assert alpine, [c.record.rule_id for c in cands.built] + [r.reason for r in cands.rejected]
    text = alpine[0].text
    build, runtime = text.split("\nFROM python:3.12-alpine\n")
    assert f"apk add --no-cache {PINNED}" in build  # build tools in the build stage only
    assert "apk add --no-cache libpq=16.3-r0\n" in runtime and "gcc" not in runtime
    assert "adduser -S -D -H -u 10001 -G app app" in runtime and "useradd" not in text
    # The Debian-based candidate is refused (libpq would be missing), so no note says it leaves them out.
    assert "python-pip-multistage" in {r.rule_id for r in cands.rejected}
    assert not any("Alpine packages" in n for n in [*cands.notes, *alpine[0].record.notes])


def test_unpinned_apk_installs_in_two_stages_fail_the_review(tmp_path: Path) -> None:
    # The original's one unpinned `apk add` (DL3018) becomes two in the variant: a finding it adds.
    analysis = analyze(_project(tmp_path, "python:3.12-alpine"), None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    rejected = {r.rule_id: r for r in cands.rejected}
    assert "DL3018 occurs 2 time(s), the original 1" in rejected["python-pip-alpine"].reason


def test_debian_original_gets_no_alpine_variant(tmp_path: Path) -> None:
    analysis = analyze(_project(tmp_path, "python:3.12-slim"), None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    assert "python-pip-alpine" not in {c.record.rule_id for c in cands.built}


def test_apk_pins_of_the_original_are_kept(tmp_path: Path) -> None:
    project = _project(tmp_path, "python:3.12-alpine")
    text = (project / "Dockerfile").read_text().replace("libpq gcc", "libpq=16.3-r0 gcc")
    (project / "Dockerfile").write_text(text)
    cands = build_candidates(analyze(project, None, None, None), load_catalog(None), 3)
    alpine = next(c for c in cands.built if c.record.rule_id == "python-pip-alpine")
    assert alpine.text.count("libpq=16.3-r0") == 2  # build and runtime stage



def test_a_debian_draft_says_which_alpine_packages_it_leaves_out(tmp_path: Path) -> None:
    from codi.service.catalog_drafts import catalog_drafts
    from codi.service.drafts import CandidateSet

    analysis = analyze(_project(tmp_path, "python:3.12-alpine"), None, None, None)
    drafts = {d.rule_id: d for d in catalog_drafts(analysis, load_catalog(None), CandidateSet())}
    assert any("Alpine packages (libpq, gcc, musl-dev)" in n for n in drafts["python-pip-multistage"].notes)
    assert not any("Alpine packages" in n for n in drafts["python-pip-alpine"].notes)
