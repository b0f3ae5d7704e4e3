"""The package scripts a node original runs while building (`npm run build`, `yarn build`, ...) run once in
the node candidates, in their build stage (sources and devDependencies there), never again in the runtime
stage; where CODI cannot tell that the app's folder holds what a script makes, the node candidates are
not offered, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.optimise.catalog import load_catalog
from codi.optimise.contract import diff_contracts
from codi.service.analyze import analyze
from codi.service.candidates import CandidateSet, build_candidates

NODE_RULES = ("node-multistage", "node-alpine")
LOCKS = {"npm": ("package-lock.json", '{"name": "app", "lockfileVersion": 3, "packages": {}}\n'),
         "yarn": ("yarn.lock", "# yarn lockfile v1\n"), "pnpm": ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n")}
INSTALLS = {"npm": "npm ci", "yarn": "yarn install --frozen-lockfile", "pnpm": "pnpm install --frozen-lockfile"}


def _project(root: Path, steps: str, pm: str = "npm", scripts: dict[str, str] | None = None) -> Path:
    root.mkdir()
    (root / "package.json").write_text(json.dumps({
        "name": "app", "version": "1.0.0", "scripts": {"build": "tsc"} if scripts is None else scripts,
        "dependencies": {"express": "4.21.1"}, "devDependencies": {"typescript": "5.6.3"}}))
    lock, text = LOCKS[pm]
    (root / lock).write_text(text)
    (root / "src").mkdir()
    (root / "src" / "server.ts").write_text("import express from 'express';\nexpress().listen(3000);\n")
    (root / "Dockerfile").write_text(f"FROM node:20\nWORKDIR /app\nCOPY . .\n{steps}\nCMD [\"node\",\"dist/server.js\"]\n")
    return root


def _candidates(root: Path) -> CandidateSet:
    analysis = analyze(root, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 5)
    for built in cands.built:  # offered: the runtime contract kept (or the change declared) and reviewed
        intended = {(c.field, c.key) for c in built.record.contract_changes}
        assert analysis.contract is not None and built.record.contract is not None
        assert [ch.message for ch in diff_contracts(analysis.contract, built.record.contract)
                if (ch.field, ch.key) not in intended] == []
        assert built.record.review is not None and built.record.review.ok
    return cands


def _stages(cands: CandidateSet, rule: str) -> tuple[str, str]:
    """(build stage, runtime stage) of the candidate of ``rule``."""
    texts = {b.record.rule_id: b.text for b in cands.built}
    assert rule in texts, [(r.rule_id, r.reason) for r in cands.rejected]
    build, runtime = texts[rule].split("\n# Runtime:", 1)
    return build, runtime


@pytest.mark.parametrize(("pm", "steps", "expected"), [
    ("npm", "RUN npm ci\nRUN npm run build", "npm run build"),
    ("npm", "RUN npm ci && npm run build", "npm run build"),  # the combined form
    ("npm", "RUN npm ci\nRUN npm run-script build", "npm run build"),
    ("yarn", "RUN yarn install --frozen-lockfile\nRUN yarn build", "yarn run build"),
    ("yarn", "RUN yarn install --frozen-lockfile && yarn run build", "yarn run build"),
    ("pnpm", "RUN npm install -g pnpm && pnpm install --frozen-lockfile\nRUN pnpm build", "pnpm run build"),
    ("pnpm", "RUN corepack enable\nRUN pnpm install --frozen-lockfile\nRUN pnpm run build", "pnpm run build"),
])
def test_the_build_runs_once_in_the_build_stage(tmp_path: Path, pm: str, steps: str, expected: str) -> None:
    cands = _candidates(_project(tmp_path / "app", steps, pm))
    for rule in NODE_RULES:
        build, runtime = _stages(cands, rule)
        assert build.count(f"\nRUN {expected}\n") == 1 and build.count("run build") == 1, build
        assert f"{INSTALLS[pm]}\n" in build
        assert "run" not in runtime.replace("runs", "") and "RUN" not in runtime, runtime  # nothing run again at run time
        assert "COPY --from=build --chown=node:node /app /app\n" in runtime  # the outputs come from there


def test_a_script_the_template_does_not_run_goes_to_the_build_stage(tmp_path: Path) -> None:
    """Another script name (no `build` script), with its arguments and the settings it reads."""
    steps = "RUN npm ci\nENV NODE_ENV=production\nRUN npm run compile -- --pretty\nRUN npm test"
    cands = _candidates(_project(tmp_path / "app", steps, scripts={"compile": "tsc", "test": "node --test"}))
    build, runtime = _stages(cands, "node-multistage")
    assert "COPY . .\nENV NODE_ENV=production\nRUN npm run compile -- --pretty && npm run test\n" in build, build
    assert "npm ci\n" in build.split("COPY . .")[0]  # the install before the setting, as in the original
    assert "compile" not in runtime and "test" not in runtime and "RUN" not in runtime


def test_without_scripts_the_deps_stage_stays(tmp_path: Path) -> None:
    cands = _candidates(_project(tmp_path / "app", "RUN npm ci", scripts={"start": "node dist/server.js"}))
    build, runtime = _stages(cands, "node-multistage")
    assert "AS deps" in build and "AS build" not in build and "npm run" not in build + runtime


@pytest.mark.parametrize(("steps", "scripts", "reason"), [
    ("RUN npm ci\nRUN npm run build && cp -r dist /srv/app", None,
     "line 5 runs `npm run build` together with `cp -r`: CODI cannot tell which of their outputs the app needs"),
    ("RUN npm ci\nRUN npm run build", {"build": "tsc && npm run copy", "copy": "cp -r dist /srv/www"},
     "`npm run build` runs a script (`copy`) that names `/srv/www`: CODI cannot tell which outputs the app "
     "needs outside its folder (/app)"),
    ("RUN npm ci\nRUN cd web && npm run build", None,
     "`npm run build` runs a package script in another folder (`cd web`)"),
    ("RUN npm ci\nRUN npm --prefix web run build", None,
     "`npm --prefix web run build` runs a package script in another folder (`--prefix web`)"),
    ("RUN yarn install --frozen-lockfile\nRUN yarn tsc", None,
     "`yarn tsc` runs `tsc`, which package.json does not define: CODI cannot tell what it makes"),
    ("RUN npm ci\nWORKDIR /srv\nRUN npm run build\nWORKDIR /app", None,
     "line 6 runs a package script in another folder than the app's (/app)"),
])
def test_outputs_codi_cannot_tell_are_not_guessed(tmp_path: Path, steps: str, scripts: dict[str, str] | None,
                                                  reason: str) -> None:
    pm = "yarn" if "yarn" in steps else "npm"
    cands = _candidates(_project(tmp_path / "app", steps, pm, scripts))
    assert not {b.record.rule_id for b in cands.built} & set(NODE_RULES)
    refused = {r.rule_id: r.reason for r in cands.rejected if r.rule_id in NODE_RULES}
    assert set(refused) == set(NODE_RULES)
    assert all(reason in why for why in refused.values()), refused
    assert not any("no catalog rule fits" in n for n in cands.notes)  # a rule fits; it is refused, with why


@pytest.mark.parametrize(("command", "expected"), [
    ("npm run build", ("build", True, "")),
    ("npm run-script build", ("build", True, "")),
    ("npm test", ("test", True, "")),
    ("npm run build -- --prod", ("build", False, "")),  # kept as written, arguments and all
    ("NODE_ENV=production yarn build", ("build", False, "")),
    ("yarn run build", ("build", True, "")),
    ("pnpm build", ("build", True, "")),
    ("pnpm run build:ui", ("build:ui", True, "")),
    ("pnpm -r build", ("build", False, "`-r`")),
    ("pnpm --filter web build", ("build", False, "`--filter web`")),
    ("yarn workspace api build", ("build", False, "`yarn workspace api`")),
    ("yarn --cwd web build", ("build", False, "`--cwd web`")),
    # installs and the tools' own commands run no script
    ("yarn --frozen-lockfile --network-timeout 600000", None),
    ("yarn global add pm2", None),
    ("pnpm i --frozen-lockfile", None),
    ("npm ci --omit=dev", None),
    ("npm run", None),
    ("npx tsc", None),
])
def test_which_commands_run_a_package_script(command: str, expected: tuple[str, bool, str] | None) -> None:
    from codi.optimise.node_scripts import script_run
    from codi.parser.shell import parse_script
    from codi.rules.cd.commands import tool_calls

    run = script_run(tool_calls(parse_script(command))[0])
    assert (None if run is None else (run.script, run.plain, run.elsewhere)) == expected
    assert run is None or run.text == command
