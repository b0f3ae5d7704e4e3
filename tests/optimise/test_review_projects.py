"""The review check through `run_project` on the projects issue 20 names (shared projects skip when absent),
the demos, and a Spring Boot image on a JDK."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.service.run import RunOptions, RunResult, run_project

REPO = Path(__file__).resolve().parents[2]
PROJECTS = REPO.parent / "shared" / "projects"


def _run(project: Path, tmp_path: Path) -> RunResult:
    return run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs", candidate_limit=6))


def _offered_ok(result: RunResult) -> None:
    for cand in result.record.candidates:
        assert cand.review is not None and cand.review.ok, (cand.id, cand.review)


def _text(result: RunResult, rule_id: str) -> str:
    assert result.run_dir is not None
    cand = next(c for c in result.record.candidates if c.rule_id == rule_id)
    return (result.run_dir / cand.path).read_text()


def _shared(name: str) -> Path:
    path = PROJECTS / name
    if not path.is_dir():
        pytest.skip(f"shared project {name} not present")
    return path


def test_fastapi_poetry_candidate_keeps_pin_base_install_order_and_venv(tmp_path: Path) -> None:
    result = _run(_shared("python-fastapi-realworld-poetry"), tmp_path)
    _offered_ok(result)
    text = _text(result, "python-poetry-multistage")
    assert "pip install poetry==1.1" in text and "--only main" not in text and "--no-dev" in text
    assert "FROM python:3.9.10-slim" in text and "python:3.9-slim" not in text
    runtime = text.split("\nFROM ")[-1]
    assert runtime.index("netcat") < runtime.index("COPY ")
    assert runtime.count("PYTHONUNBUFFERED") == 1
    assert "VIRTUAL_ENV=/opt/venv" in runtime and "POETRY_VIRTUALENVS_CREATE=false" in runtime
    rejected = {r.rule_id: r for r in result.record.rejected}
    assert "nonroot" in rejected and rejected["nonroot"].review_problems[0].property == "venv_env"


def test_ruby_candidates_keep_the_full_tag(tmp_path: Path) -> None:
    result = _run(_shared("ruby-errbit-rails"), tmp_path)
    _offered_ok(result)
    for cand in result.record.candidates:
        text = _text(result, cand.rule_id)
        assert "ruby:4.0 " not in text and "ruby:4.0-slim" not in text


def test_every_offered_candidate_of_the_named_projects_passes_review(tmp_path: Path) -> None:
    for name in ("node-umami-nextjs-pnpm", "node-cloudrun-template-npm", "python-uv-docker-example",
                 "node-excalidraw-yarn-nginx"):
        _offered_ok(_run(_shared(name), tmp_path))


def test_static_nginx_site_gets_a_build_cache_candidate_and_the_evidence(tmp_path: Path) -> None:
    result = _run(_shared("node-excalidraw-yarn-nginx"), tmp_path)
    assert "--mount=type=cache,target=/usr/local/share/.cache/yarn" in _text(result, "tuned")
    assert any(n.startswith("nothing to gain on the runtime image nginx:") for n in result.record.notes)


def test_demo_node_dev_command_gets_no_production_candidate(tmp_path: Path) -> None:
    result = _run(REPO / "demo" / "node", tmp_path)
    _offered_ok(result)
    assert not any(c.kind == "multi-stage" for c in result.record.candidates)
    reasons = [r for r in result.record.rejected if r.rule_id == "node-multistage"]
    assert reasons and reasons[0].review_problems[0].property == "dev_command"
    assert "node --watch" in reasons[0].reason


@pytest.mark.parametrize("demo", ["python", "java", "go"])
def test_demo_candidates_pass_review(demo: str, tmp_path: Path) -> None:
    result = _run(REPO / "demo" / demo, tmp_path)
    assert result.record.candidates
    _offered_ok(result)


def test_spring_boot_on_a_jdk_gets_the_same_version_jre(tmp_path: Path) -> None:
    project = tmp_path / "spring"
    for sub in ("BOOT-INF/lib", "META-INF", "BOOT-INF/classes"):
        (project / "target" / "dependency" / sub).mkdir(parents=True)
    (project / "Dockerfile").write_text(
        "FROM eclipse-temurin:17.0.9_9-jdk-jammy\nVOLUME /tmp\nARG DEPENDENCY=target/dependency\n"
        "COPY ${DEPENDENCY}/BOOT-INF/lib /app/lib\nCOPY ${DEPENDENCY}/META-INF /app/META-INF\n"
        "COPY ${DEPENDENCY}/BOOT-INF/classes /app\nEXPOSE 8080\n"
        'ENTRYPOINT ["java","-cp","app:app/lib/*","hello.Application"]\n')
    result = _run(project, tmp_path)
    _offered_ok(result)
    text = _text(result, "tuned")
    assert text.startswith("FROM eclipse-temurin:17.0.9_9-jre-jammy\n")
    tuned = next(c for c in result.record.candidates if c.rule_id == "tuned")
    assert tuned.review is not None and tuned.review.declared[0].after == "eclipse-temurin:17.0.9_9-jre-jammy"
    numbers = next(n for n in result.metrics.candidates if n.candidate_id == tuned.id)
    assert numbers.size_delta_pct is not None and numbers.size_delta_pct < -20  # the imagedb's JRE size


def test_a_jdk_tool_in_the_runtime_stage_keeps_the_jdk(tmp_path: Path) -> None:
    project = tmp_path / "jdk"
    project.mkdir()
    (project / "App.java").write_text("class App {}\n")
    (project / "Dockerfile").write_text("FROM eclipse-temurin:17\nWORKDIR /app\nCOPY App.java .\n"
                                        "RUN javac App.java\nCMD [\"java\", \"App\"]\n")
    result = _run(project, tmp_path)
    assert all("17-jre" not in (c.runtime_base or "") for c in result.record.candidates)
    assert result.run_dir is not None
    for cand in result.record.candidates:
        assert "-jre" not in (result.run_dir / cand.path).read_text()


def test_reports_list_review_problems_once_and_the_declared_base_changes(tmp_path: Path) -> None:
    result = _run(REPO / "demo" / "node", tmp_path)
    assert result.run_dir is not None
    md = (result.run_dir / "reports" / "report.md").read_text()
    rejected = md.split("## Not offered", 1)[1]
    assert "- `node-multistage`: fails the review check\n  - sets NODE_ENV=production" in rejected
    assert rejected.count("`npm run dev` runs `node --watch server.js`") == 2  # node-multistage, node-alpine
    html = (result.run_dir / "reports" / "report.html").read_text()
    assert '<ul class="review-problems"><li>sets NODE_ENV=production' in html
    spring = _run(REPO / "demo" / "java", tmp_path)
    assert spring.run_dir is not None
    assert "Review check: passed" in (spring.run_dir / "reports" / "report.md").read_text()


def test_static_site_on_full_nginx_gets_the_alpine_nginx_of_the_same_version(tmp_path: Path) -> None:
    project = tmp_path / "site"
    project.mkdir()
    (project / "package.json").write_text('{"name": "site", "scripts": {"build": "vite build"}}\n')
    (project / "package-lock.json").write_text("{}\n")
    (project / "Dockerfile").write_text(
        "FROM node:20.11.1 AS build\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\n"
        "COPY . .\nRUN npm run build\n\nFROM nginx:1.25.3\nCOPY --from=build /app/dist /usr/share/nginx/html\n"
        "EXPOSE 80\n")
    result = _run(project, tmp_path)
    _offered_ok(result)
    text = _text(result, "tuned")
    assert "FROM nginx:1.25.3-alpine\n" in text and "--mount=type=cache,target=/root/.npm npm ci" in text
    tuned = next(c for c in result.record.candidates if c.rule_id == "tuned")
    assert tuned.risk == "medium" and [c.field for c in tuned.contract_changes] == ["os_family"]
    # With a RUN in the runtime stage, the Debian nginx stays, and the report says why.
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN apt-get update && apt-get install -y curl=7.88.1-10\n")
    result = _run(project, tmp_path)
    assert all("nginx:1.25.3-alpine" not in (result.run_dir / c.path).read_text()  # type: ignore[operator]
               for c in result.record.candidates)
    assert any("written for Debian" in n for n in result.record.notes)


def test_early_runs_keep_their_place_and_the_arg_env_they_read(tmp_path: Path) -> None:
    project = tmp_path / "api"
    project.mkdir()
    (project / "package.json").write_text('{"name": "api", "scripts": {"start": "node server.js"}}\n')
    (project / "package-lock.json").write_text("{}\n")
    (project / "server.js").write_text("console.log(1)\n")
    (project / "Dockerfile").write_text(
        "FROM node:20.11.1-slim\nWORKDIR /app\nARG TZ=UTC\nENV APP_DIR=/data\n"
        "RUN mkdir -p \"$APP_DIR\" && echo \"$TZ\" > /etc/timezone\nCOPY package.json package-lock.json ./\n"
        "RUN npm ci --omit=dev\nCOPY . .\nCMD [\"node\", \"server.js\"]\n")
    result = _run(project, tmp_path)
    _offered_ok(result)
    runtime = _text(result, "node-multistage").split("\nFROM ")[-1]
    assert "FROM node:20.11.1-slim" in _text(result, "node-multistage")
    early = runtime.index("RUN mkdir -p \"$APP_DIR\"")
    assert runtime.index("ARG TZ=UTC") < early and runtime.index("ENV APP_DIR=/data") < early
    assert early < runtime.index("COPY ")
    assert runtime.count("ARG TZ=UTC") == 1 and runtime.count("ENV APP_DIR=/data") == 1


def test_ruby_slim_bookworm_keeps_its_full_tag_in_both_stages(tmp_path: Path) -> None:
    project = tmp_path / "rb"
    project.mkdir()
    (project / "Gemfile").write_text('source "https://rubygems.org"\ngem "puma"\n')
    (project / "Gemfile.lock").write_text("GEM\n  remote: https://rubygems.org/\n  specs:\n    puma (6.4.0)\n")
    (project / "Dockerfile").write_text(
        "FROM ruby:3.4.6-slim-bookworm\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\n"
        "COPY . .\nEXPOSE 3000\nCMD [\"bundle\", \"exec\", \"puma\"]\n")
    result = _run(project, tmp_path)
    _offered_ok(result)
    text = _text(result, "ruby-bundler-slim")
    assert "FROM ruby:3.4.6-bookworm AS gems" in text and "\nFROM ruby:3.4.6-slim-bookworm\n" in text
    cand = next(c for c in result.record.candidates if c.rule_id == "ruby-bundler-slim")
    assert cand.review is not None
    assert [(d.before, d.after) for d in cand.review.declared] == [("ruby:3.4.6-slim-bookworm", "ruby:3.4.6-bookworm")]


def test_nonroot_after_a_final_run_adds_no_consecutive_run(tmp_path: Path) -> None:
    project = tmp_path / "sh"
    project.mkdir()
    (project / "app.sh").write_text("#!/bin/sh\necho hi\n")
    (project / "Dockerfile").write_text(
        "FROM debian:12\nWORKDIR /srv\nCOPY app.sh /srv/app.sh\nCMD [\"/srv/app.sh\"]\nRUN chmod +x /srv/app.sh\n")
    result = _run(project, tmp_path)
    _offered_ok(result)
    text = _text(result, "nonroot")
    assert "RUN chmod +x /srv/app.sh \\\n && useradd --system" in text
    assert text.count("RUN ") == 1 and text.endswith("USER 10001:10001\n")
    nonroot = next(c for c in result.record.candidates if c.rule_id == "nonroot")
    assert "DL3059" not in {f.code for f in nonroot.findings}


def test_nonroot_after_a_final_heredoc_leaves_a_blank_line(tmp_path: Path) -> None:
    # hadolint 2.15 stops with DL1000 on an instruction right after a heredoc's closing word.
    project = tmp_path / "hd"
    project.mkdir()
    (project / "Dockerfile").write_text(
        "FROM debian:12\nWORKDIR /srv\nCMD [\"/srv/run.sh\"]\nRUN <<EOT\n  set -e\n  printf '#!/bin/sh\\necho hi\\n' "
        "> /srv/run.sh\n  chmod +x /srv/run.sh\nEOT\n")
    result = _run(project, tmp_path)
    text = _text(result, "nonroot")
    body, tail = text.split("\nEOT\n", 1)
    assert "useradd" not in body and tail.startswith("\nRUN useradd --system") and tail.endswith("USER 10001:10001\n")


def test_no_production_mode_note_when_no_production_candidate_is_offered(tmp_path: Path) -> None:
    result = _run(REPO / "demo" / "node", tmp_path)
    assert not any("production mode" in n for n in result.record.notes)
