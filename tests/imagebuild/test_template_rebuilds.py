"""Candidate templates are ordered for rebuilds: after a source edit only the last copy misses the cache.

Engines that commit every instruction (buildah --layers) redo each instruction after the first miss,
so the source copy comes last in the runtime stage, after settings and the command.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.optimise.catalog import load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates

DEMO = Path(__file__).resolve().parents[2] / "demo"


def _candidate(demo: str, rule: str) -> str:
    project = DEMO / demo
    if demo == "node":  # its `npm run dev` gets no production candidate: the same app run by `npm start`
        import shutil
        import tempfile

        project = Path(tempfile.mkdtemp(prefix="codi-demo-node-")) / "node"
        shutil.copytree(DEMO / demo, project)
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text().replace("CMD npm run dev", "CMD npm start"))
    analysis = analyze(project, None, None, None)
    built = build_candidates(analysis, load_catalog(None), 5).built
    return next(c.text for c in built if c.record.rule_id == rule)


def _final_stage(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    start = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[start:]


@pytest.mark.parametrize(("demo", "rule", "last"), [
    ("node", "node-multistage", "COPY . /usr/src/app"),  # the original's own copy (its ADD, fixed to COPY)
    ("python", "python-pip-multistage", "COPY --chmod=755 . ."),  # with the original's chmod folded in
    ("go", "go-static-scratch", "COPY --from=build /out/greeter /usr/local/bin/greeter"),  # where CMD finds it
])
def test_source_copy_is_the_last_instruction(demo: str, rule: str, last: str) -> None:
    stage = _final_stage(_candidate(demo, rule))
    # Only USER (metadata, no files) may follow the copy: it comes last so the original's own setup
    # steps run as root, as they did in the original.
    body = stage[:-1] if stage[-1].startswith("USER ") else stage
    assert body[-1] == last
    keywords = [line.split()[0] for line in stage]
    # Everything the original needs kept is still there, before the copy.
    assert {"USER", "EXPOSE", "CMD"} <= set(keywords)
    assert keywords.index("CMD") < stage.index(last)


def test_python_app_without_install_is_copied_straight_into_the_runtime() -> None:
    text = _candidate("python", "python-pip-multistage")
    build = text.split("\nFROM ")[1]
    assert "COPY . ." not in build  # no second copy of the sources through the build stage
    assert "venv --without-pip /opt/venv" in build and "pip --python /opt/venv/bin/python install" in build


def test_top_level_manifests_are_copied_in_one_instruction() -> None:
    assert "\nCOPY package.json package-lock.json ./\n" in _candidate("node", "node-multistage")
