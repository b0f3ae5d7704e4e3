"""`codi scan` over checkouts it did not write: a Dockerfile that links out of the repository (to a file,
/dev/zero), a FIFO, a manifest entry that climbs out. Each such repository fails with a clear error, the
others are scanned, the scan ends, and no byte from outside the repositories is stored."""

from __future__ import annotations

import json
from pathlib import Path

from confinekit import GOOD, MARKER, codi, fifo, files_containing, link, outside_file, repo


def test_scan_confines_what_it_finds_and_stores_nothing_from_outside(tmp_path: Path) -> None:
    outside = outside_file(tmp_path)
    src = tmp_path / "src"
    link(repo(src / "passwd") / "Dockerfile", outside)
    link(repo(src / "zero") / "Dockerfile", "/dev/zero")
    fifo(repo(src / "fifo") / "Dockerfile")
    link(repo(src / "loop") / "Dockerfile", "Dockerfile")
    repo(src / "climb", {"Dockerfile": GOOD})
    good = repo(src / "good", {"Dockerfile": GOOD})
    link(good / ".dockerignore", outside)  # read by a rule: a link out is as good as no file
    manifest = tmp_path / "manifest.json"
    entries = [{"name": name, "path": str(src / name)} for name in ("passwd", "zero", "fifo", "loop", "good")]
    entries.append({"name": "climb", "path": str(src / "climb"), "dockerfiles": ["../../outside/passwd"]})
    manifest.write_text(json.dumps(entries), encoding="utf-8")
    out = tmp_path / "out"
    result = codi("scan", "--manifest", str(manifest), "--out", str(out), "--json", "-j", "1", timeout=240,
                  CODI_CACHE_DIR=str(tmp_path / "sc-cache"))
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr  # partial: some repositories failed
    repos = {r["name"]: r for r in json.loads(result.stdout)["repos"]}
    assert repos["good"]["status"] == "ok" and repos["good"]["error"] is None
    expected = {"passwd": "outside the project folder", "zero": "outside the project folder",
                "fifo": "FIFO", "loop": "symlink loop", "climb": "outside the project folder"}
    for name, words in expected.items():
        assert repos[name]["status"] == "failed", repos[name]
        assert words in (repos[name]["error"] or ""), repos[name]
    assert MARKER not in result.stdout + result.stderr
    assert files_containing(out, MARKER) == []
