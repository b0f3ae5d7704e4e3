"""Tuned, Ruby and PHP candidates, .dockerignore, --context, and the checks added with them."""

from __future__ import annotations

from pathlib import Path

from codi.optimise.contract import compute_contract
from codi.parser import parse
from codi.parser.semantic import build_model
from codi.service.run import RunOptions, RunResult, run_project


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _run(project: Path, tmp_path: Path, **kw: object) -> RunResult:
    return run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs", candidate_limit=5, **kw))


def _text(result: RunResult, cid_part: str) -> str:
    cand = next(c for c in result.record.candidates if cid_part in c.id)
    assert result.run_dir is not None
    return (result.run_dir / cand.path).read_text()


def test_tuned_adds_cache_mounts_and_slim_image_and_keeps_the_rest(tmp_path: Path) -> None:
    project = _write(tmp_path / "go", {
        "go.mod": "module example.com/x\n\ngo 1.22\n", "go.sum": "",
        "Dockerfile": "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n\n"
                      "FROM python:3.12\nCOPY --from=build /out/app /usr/local/bin/app\n"
                      "ENTRYPOINT [\"/usr/local/bin/app\"]\n"})
    result = _run(project, tmp_path)
    text = _text(result, "tuned")
    assert "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build go build" in text
    assert "FROM python:3.12-slim" in text
    assert 'ENTRYPOINT ["/usr/local/bin/app"]' in text


def test_tuned_keeps_the_full_image_when_the_runtime_stage_installs(tmp_path: Path) -> None:
    project = _write(tmp_path / "py", {
        "requirements.txt": "flask\n",
        "Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
                      "CMD [\"python\", \"app.py\"]\n"})
    result = _run(project, tmp_path)
    for cand in result.record.candidates:
        if cand.kind in {"fixed", "tuned"}:
            assert "FROM python:3.12\n" in _text(result, cand.id)


def test_ruby_candidate_installs_gems_in_a_build_stage_and_keeps_the_original_steps(tmp_path: Path) -> None:
    project = _write(tmp_path / "rb", {
        "Gemfile": 'source "https://rubygems.org"\ngem "pg"\ngem "puma"\n',
        "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.5.4)\n    puma (6.4.0)\n",
        "Dockerfile": "FROM ruby:3.3\nWORKDIR /app\nENV RAILS_ENV=production\nCOPY Gemfile Gemfile.lock ./\n"
                      "RUN bundle install\nCOPY . .\nRUN mkdir -p tmp/pids\nEXPOSE 3000\n"
                      "CMD [\"bundle\", \"exec\", \"puma\"]\n"})
    result = _run(project, tmp_path)
    assert result.record.stack == "ruby"
    # The pg gem's shared library is not in the slim image: the candidate would install libpq5 without a
    # version, a hadolint finding (DL3008) the original does not have, so the review check drops it.
    rejected = {r.rule_id: r.reason for r in result.record.rejected}
    assert "DL3008 occurs 1 time(s), the original 0" in rejected["ruby-bundler-slim"]
    # An original that installs the library itself (libpq-dev brings libpq5) keeps that step as written.
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(
        "WORKDIR /app\n", "RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev=15.8-0+deb12u1 "
        "&& rm -rf /var/lib/apt/lists/*\nWORKDIR /app\n", 1))
    result = _run(project, tmp_path)
    text = _text(result, "ruby-bundler-slim")
    assert "FROM ruby:3.3 AS gems" in text and "FROM ruby:3.3-slim" in text
    assert "libpq-dev=15.8-0+deb12u1" in text.split("FROM ruby:3.3-slim", 1)[1] and "libpq5" not in text
    runtime = text.split("FROM ruby:3.3-slim", 1)[1]
    assert "RUN bundle install" not in runtime and "RUN mkdir -p tmp/pids" in runtime
    assert 'CMD ["bundle", "exec", "puma"]' in runtime


def test_php_candidate_builds_vendor_with_composer_and_keeps_the_image(tmp_path: Path) -> None:
    project = _write(tmp_path / "php", {
        "composer.json": '{"require": {"php": ">=8.2"}}', "composer.lock": "{}",
        "Dockerfile": "FROM php:8.2-apache\nRUN docker-php-ext-install pdo_mysql\n"
                      "COPY --from=composer:2 /usr/bin/composer /usr/bin/composer\nWORKDIR /var/www/html\n"
                      "COPY . .\nRUN composer install --no-dev\nEXPOSE 80\n"})
    result = _run(project, tmp_path)
    text = _text(result, "php-composer-vendor")
    runtime = text.split("FROM php:8.2-apache", 1)[1]
    assert "RUN docker-php-ext-install pdo_mysql" in runtime
    assert "COPY --from=vendor /app/vendor /var/www/html/vendor" in runtime
    assert "RUN composer install" not in runtime


def test_dockerignored_manifest_is_not_copied_by_candidates(tmp_path: Path) -> None:
    project = _write(tmp_path / "node", {
        "package.json": '{"name": "x", "version": "1.0.0", "dependencies": {"express": "4"}}',
        "package-lock.json": "{}", ".dockerignore": "node_modules\npackage-lock.json\n",
        "Dockerfile": "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD [\"node\", \"index.js\"]\n"})
    result = _run(project, tmp_path)
    assert any(".dockerignore" in n for n in result.record.notes)
    for cand in result.record.candidates:
        assert "package-lock.json" not in _text(result, cand.id)


def test_entrypoint_made_executable_by_run_must_stay_so(tmp_path: Path) -> None:
    text = ("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN chmod +x /app/start.sh\n"
            "ENTRYPOINT [\"/app/start.sh\"]\n")
    df = parse(text)
    contract = compute_contract(df, build_model(df))
    assert contract.executables[0].provider == "context"
    assert contract.executables[0].detail.endswith("made executable by RUN chmod")


def test_context_option_reads_manifests_and_files_from_the_repo_root(tmp_path: Path) -> None:
    repo = _write(tmp_path / "repo", {
        "package.json": '{"name": "x", "version": "1.0.0", "dependencies": {"express": "4"}}',
        "package-lock.json": "{}",
        "services/api/Dockerfile": "FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
                                   "RUN npm ci\nCOPY . .\nCMD [\"node\", \"server.js\"]\n"})
    result = _run(repo / "services" / "api", tmp_path, context=str(repo))
    assert result.record.stack == "node"
    assert result.record.contract is not None and result.record.contract.cmd == ["node", "server.js"]
    assert result.record.candidates


def test_final_stack_comes_from_the_stage_that_builds_the_command(tmp_path: Path) -> None:
    project = _write(tmp_path / "mono", {
        "package.json": '{"name": "web", "version": "1.0.0", "dependencies": {"react": "18"}}',
        "backend/go.mod": "module example.com/x\n\ngo 1.22\n",
        "Dockerfile": "FROM node:20 AS web\nWORKDIR /w\nCOPY . .\nRUN npm ci && npm run build\n\n"
                      "FROM mycorp/gobuilder:1 AS api\nWORKDIR /b\nCOPY backend .\nRUN go build -o /out/srv .\n\n"
                      "FROM mycorp/runtime:1\nCOPY --from=api /out/srv /srv/app\nCOPY --from=web /w/dist /srv/web\n"
                      "CMD [\"/srv/app\"]\n"})
    result = _run(project, tmp_path)
    assert result.record.stack == "go"


def test_nonroot_variant_switches_user_last_and_owns_the_writable_folders(tmp_path: Path) -> None:
    project = _write(tmp_path / "n", {
        "package.json": '{"name": "x", "version": "1.0.0", "dependencies": {"express": "4"}}',
        "package-lock.json": "{}",
        "Dockerfile": "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci && mkdir -p /var/lib/app\n"
                      "EXPOSE 3000\nCMD [\"node\", \"index.js\"]\n"})
    result = _run(project, tmp_path)
    cand = next(c for c in result.record.candidates if c.rule_id == "nonroot")
    assert cand.risk == "medium" and [ch.field for ch in cand.contract_changes] == ["user"]
    text = _text(result, cand.id)
    assert text.rstrip().endswith("RUN mkdir -p /srv /var/lib/app && chown 1000:1000 /srv /var/lib/app\nUSER 1000:1000")


def test_no_nonroot_variant_for_low_ports_or_privilege_dropping_entrypoints(tmp_path: Path) -> None:
    low = _write(tmp_path / "low", {"requirements.txt": "flask\n", "Dockerfile":
                                    "FROM python:3.12\nCOPY . /app\nEXPOSE 80\nCMD [\"python\", \"/app/a.py\"]\n"})
    assert not [c for c in _run(low, tmp_path / "a").record.candidates if c.rule_id == "nonroot"]
    gosu = _write(tmp_path / "gosu", {
        "requirements.txt": "flask\n", "entrypoint.sh": '#!/bin/sh\nexec gosu app "$@"\n',
        "Dockerfile": "FROM python:3.12\nCOPY entrypoint.sh /entrypoint.sh\nCOPY . /app\n"
                      "ENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"python\", \"/app/a.py\"]\n"})
    assert not [c for c in _run(gosu, tmp_path / "b").record.candidates if c.rule_id == "nonroot"]


def test_node_command_that_needs_a_dev_dependency_gets_no_production_only_candidate(tmp_path: Path) -> None:
    project = _write(tmp_path / "dev", {
        "package.json": '{"name": "x", "version": "1.0.0", "scripts": {"dev": "nodemon server.js"}, '
                        '"dependencies": {"express": "4"}, "devDependencies": {"nodemon": "3"}}',
        "package-lock.json": "{}",
        "Dockerfile": "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"npm\", \"run\", \"dev\"]\n"})
    result = _run(project, tmp_path)
    assert not [c for c in result.record.candidates if c.kind == "multi-stage"]
    assert any("nodemon" in r.reason for r in result.record.rejected)


def test_runtime_packages_and_made_folders_are_part_of_the_contract() -> None:
    from codi.optimise.contract import diff_contracts

    before_text = ("FROM python:3.12\nRUN apt-get update && apt-get install -y libpq5 gcc && mkdir -p /data\n"
                   "COPY . /app\nCMD [\"python\", \"/app/a.py\"]\n")
    after_text = "FROM python:3.12\nCOPY . /app\nCMD [\"python\", \"/app/a.py\"]\n"
    before = compute_contract(parse(before_text), build_model(parse(before_text)))
    after = compute_contract(parse(after_text), build_model(parse(after_text)))
    assert before.packages == ["gcc", "libpq5"] and before.made_dirs == ["/data"]
    changes = {(c.field, c.key) for c in diff_contracts(before, after)}
    assert {("packages", "libpq5"), ("packages", "gcc"), ("made_dirs", "/data")} <= changes


def _nonroot_text(project: Path, tmp_path: Path) -> str:
    result = _run(project, tmp_path)
    cand = next(c for c in result.record.candidates if c.rule_id == "nonroot")
    return _text(result, cand.id)


def test_nonroot_user_step_goes_before_the_source_copy(tmp_path: Path) -> None:
    """The user step runs before the sources are copied (a source edit does not redo it), joined to the
    install RUN; COPY into an existing folder keeps the folder's owner, so the image is the same."""
    project = _write(tmp_path / "py", {
        "requirements.txt": "flask==3.0.3\n", "app.py": "print()\n",
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
                      "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 5000\n"
                      "CMD [\"python\", \"app.py\"]\n"})
    text = _nonroot_text(project, tmp_path)
    assert ("RUN pip install --no-cache-dir -r requirements.txt \\\n"
            " && useradd --system --no-log-init --uid 10001 --user-group --no-create-home app \\\n"
            " && mkdir -p /app && chown 10001:10001 /app\nCOPY . .\nEXPOSE 5000\n") in text
    assert text.rstrip().endswith('CMD ["python", "app.py"]\nUSER 10001:10001')
    # nothing to join: a RUN of its own right after FROM
    bare = _write(tmp_path / "bare", {"requirements.txt": "flask==3.0.3\n", "Dockerfile":
                  "FROM node:20\nWORKDIR /srv\nCOPY . /srv\nCMD [\"node\", \"index.js\"]\n"})
    assert _nonroot_text(bare, tmp_path / "b").startswith(
        "FROM node:20-slim\nRUN mkdir -p /srv && chown 1000:1000 /srv\nWORKDIR /srv\nCOPY . /srv\n")


def test_nonroot_user_step_stays_last_where_moving_it_could_change_the_image(tmp_path: Path) -> None:
    tails = {
        "copy above a folder it owns": "COPY . /\n",
        "copy elsewhere": "COPY . /app\nCOPY conf /etc/app\n",
        "chown flag": "COPY --chown=1000:1000 . /app\n",
        "link": "COPY --link . /app\n",
        "ADD of an archive": "ADD app.tar.gz /app\n",
        "PATH": "COPY . /app\nENV PATH=/app/bin:$PATH\n",
        "VOLUME": "COPY . /app\nVOLUME /data\n",
        "one file onto a folder's path": "COPY app.py /app\n",
    }
    checked: list[str] = []
    for i, (why, tail) in enumerate(tails.items()):
        project = _write(tmp_path / f"p{i}", {"requirements.txt": "flask==3.0.3\n", "conf/x": "",
                         "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nRUN pip install flask==3.0.3\n" + tail
                                       + "CMD [\"python\", \"app.py\"]\n"})
        result = _run(project, tmp_path / f"r{i}")
        found = [c for c in result.record.candidates if c.rule_id == "nonroot"]
        if not found:
            continue  # refused for another reason: nothing to compare
        checked.append(why)
        text = _text(result, found[0].id)
        assert "flask==3.0.3 \\\n" not in text, why
        assert text.rstrip().endswith("USER 10001:10001") and "useradd" in text.rsplit("CMD", 1)[1], why
    assert len(checked) >= 5, checked


def _runs_clearing_a_mounted_cache(result: RunResult) -> list[str]:
    assert result.run_dir is not None
    bad = []
    for cand in result.record.candidates:
        for line in (result.run_dir / cand.path).read_text().splitlines():
            if "--mount=type=cache" in line and ("cache clean" in line or "rm -rf /root/.cache" in line):
                bad.append(f"{cand.id}: {line}")
    return bad


def test_tuned_adds_no_cache_mount_to_a_run_that_clears_that_cache(tmp_path: Path) -> None:
    """Regression: `yarn cache clean` (DL3060's fix) or `rm -rf /root/.cache` on a cache mount fails with
    EBUSY (a mount point cannot be removed), so such a RUN gets no mount."""
    project = _write(tmp_path / "y", {
        "package.json": '{"name": "y", "version": "1.0.0", "dependencies": {"express": "4.21.2"}}',
        "yarn.lock": "# yarn lockfile v1\n", "index.js": "",
        "Dockerfile": "FROM node:18\nWORKDIR /app\nCOPY package.json yarn.lock ./\n"
                      "RUN yarn install --frozen-lockfile --production\nCOPY . .\nCMD [\"node\", \"index.js\"]\n"})
    result = _run(project, tmp_path / "r1")
    assert "yarn cache clean" in _text(result, "fixed")
    assert _runs_clearing_a_mounted_cache(result) == []
    py = _write(tmp_path / "p", {"requirements.txt": "flask==3.0.3\n", "app.py": "", "Dockerfile":
                "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\n"
                "RUN pip install -r requirements.txt && rm -rf /root/.cache\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"})
    assert _runs_clearing_a_mounted_cache(_run(py, tmp_path / "r2")) == []
    # where nothing clears it, the mount is added as before
    kept = _write(tmp_path / "k", {
        "package.json": '{"name": "k", "version": "1.0.0", "dependencies": {"express": "4.21.2"}}',
        "package-lock.json": "{}", "index.js": "",
        "Dockerfile": "FROM node:18\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
                      "RUN npm ci\nCOPY . .\nCMD [\"node\", \"index.js\"]\n"})
    assert "RUN --mount=type=cache,target=/root/.npm npm ci" in _text(_run(kept, tmp_path / "r3"), "tuned")


def test_nonroot_user_step_placement_stays_linear_on_long_hostile_files(tmp_path: Path) -> None:
    """A long tail of copies is walked once; hundreds of folders keep the step last."""
    copies = "".join(f"COPY f{i} /app/f{i}\n" for i in range(500))
    long_tail = _write(tmp_path / "long", {"requirements.txt": "flask==3.0.3\n", "Dockerfile":
                       "FROM python:3.11-slim\nWORKDIR /app\nRUN pip install flask==3.0.3\n" + copies
                       + "CMD [\"python\", \"app.py\"]\n"})
    text = _nonroot_text(long_tail, tmp_path / "r1")
    assert "flask==3.0.3 \\\n && useradd" in text and text.rstrip().endswith("USER 10001:10001")
    folders = " ".join(f"/data/d{i}" for i in range(200))
    many = _write(tmp_path / "many", {"requirements.txt": "flask==3.0.3\n", "Dockerfile":
                  f"FROM python:3.11-slim\nWORKDIR /app\nRUN pip install flask==3.0.3 && mkdir -p {folders}\n"
                  "COPY . /app\nCMD [\"python\", \"app.py\"]\n"})
    text = _nonroot_text(many, tmp_path / "r2")
    assert text.rstrip().endswith("/data/d199\nUSER 10001:10001")  # at the end, as before
