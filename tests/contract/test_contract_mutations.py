"""Mutate an offered candidate and check that the contract check catches each mutation on the right field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from codi.optimise.catalog import load_catalog
from codi.optimise.contract import DeclaredChange, check_contract, diff_contracts
from codi.service.analyze import Analysis, analyze
from codi.service.candidates import contract_of
from codi.service.drafts import FIX_CHANGES
from codi.service.run import RunOptions, RunResult, run_project

DOCKERFILE = """\
FROM python:3.12 AS deps
COPY requirements.txt .
RUN pip install --target=/deps -r requirements.txt

FROM python:3.12
MAINTAINER dev@example.com
WORKDIR /app
COPY --from=deps /deps /usr/local/lib/python3.12/site-packages
COPY . .
COPY docker/entrypoint.sh /usr/local/bin/entrypoint.sh
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["python", "app.py"]
"""


def _project(root: Path, dockerfile: str) -> Path:
    root.mkdir(parents=True)
    (root / "requirements.txt").write_text("flask\n")
    (root / "app.py").write_text("print('hi')\n")
    (root / "docker").mkdir()
    (root / "docker" / "entrypoint.sh").write_text('#!/bin/sh\nexec "$@"\n')
    (root / "Dockerfile").write_text(dockerfile)
    return root


@pytest.fixture(scope="module")
def offered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, RunResult]:
    base = tmp_path_factory.mktemp("mut")
    project = _project(base / "app", DOCKERFILE)
    result = run_project(project, RunOptions(llm=False, rag=False, out=base / "runs", candidate_limit=6))
    return analyze(project), result


def declared_of(rule_id: str) -> list[DeclaredChange]:
    if rule_id in {"fixed", "tuned"}:
        return list(FIX_CHANGES)
    rule = next(r for r in load_catalog(None).rules if r.id == rule_id)
    return list(rule.changes) + list(FIX_CHANGES)


def _runtime_from(text: str) -> str:
    """The FROM line of the last stage."""
    return [ln for ln in text.splitlines() if ln.startswith("FROM ")][-1]


def _drop(pattern: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        out = "\n".join(ln for ln in text.splitlines() if not re.match(pattern, ln)) + "\n"
        assert out != text, pattern
        return out
    return mutate


def _sub(pattern: str, repl: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        out, n = re.subn(pattern, repl, text, flags=re.M)
        assert n, pattern
        return out
    return mutate


def _unknown_base(text: str) -> str:
    line = _runtime_from(text)
    return text.replace(line + "\n", "FROM mycorp/python:3.12\n", 1) if line + "\n" in text else text


MUTATIONS: dict[str, tuple[Callable[[str], str], set[str]]] = {
    "drop-entrypoint": (_drop(r"ENTRYPOINT "), {"entrypoint"}),
    "change-cmd": (_sub(r'^CMD \["python", "app.py"\]', 'CMD ["python", "main.py"]'), {"cmd"}),
    "drop-expose": (_drop(r"EXPOSE "), {"expose_written", "ports"}),
    "unknown-base": (_unknown_base, {"runtime", "runtime_version"}),
    "drop-entrypoint-copy": (_drop(r"COPY docker/entrypoint.sh "), {"executables", "files"}),
    "change-workdir": (_sub(r"^WORKDIR /app$", "WORKDIR /srv"), {"workdir"}),
    "add-user": (_sub(r"^(ENTRYPOINT .*)$", "USER nobody\n\\1"), {"user"}),
    "swap-cmd-for-shell-form": (_sub(r'^CMD \["python", "app.py"\]', "CMD python app.py && echo done"), {"cmd"}),
}


# The multi-stage rule declares a user change (it runs as a non-root user), so another USER is allowed there.
CASES = [(m, k) for m in sorted(MUTATIONS) for k in ("fixed", "tuned", "multi-stage")
         if (m, k) != ("add-user", "multi-stage")]


@pytest.mark.parametrize(("mutation", "kind"), CASES)
def test_mutation_is_a_violation(offered: tuple[Analysis, RunResult], kind: str, mutation: str) -> None:
    analysis, result = offered
    assert result.run_dir is not None and result.record.contract is not None
    cand = next((c for c in result.record.candidates if c.kind == kind), None)
    assert cand is not None, [c.id for c in result.record.candidates]
    text = (result.run_dir / cand.path).read_text()
    declared = declared_of(cand.rule_id)
    # the candidate as offered passes
    assert check_contract(result.record.contract, contract_of(analysis, text, cand.kind), declared).ok
    mutate, fields = MUTATIONS[mutation]
    mutated = mutate(text)
    assert mutated != text
    after = contract_of(analysis, mutated, cand.kind)
    check = check_contract(result.record.contract, after, declared)
    got = {v.field for v in check.violations}
    assert got & fields, f"{mutation} on {cand.id}: violations {got}, intended {[c.field for c in check.intended]}"
    for v in check.violations:
        assert v.message  # every violation says what changed


def test_entrypoint_copy_dropped_names_the_script(offered: tuple[Analysis, RunResult]) -> None:
    analysis, result = offered
    cand = next(c for c in result.record.candidates if c.kind == "tuned")
    assert result.run_dir is not None and result.record.contract is not None
    text = _drop(r"COPY docker/entrypoint.sh ")((result.run_dir / cand.path).read_text())
    check = check_contract(result.record.contract, contract_of(analysis, text, "tuned"), FIX_CHANGES)
    exe = [v for v in check.violations if v.field == "executables"]
    assert exe and exe[0].key == "/usr/local/bin/entrypoint.sh"
    assert "entrypoint.sh" in exe[0].message


def test_base_swap_of_an_unknown_original(tmp_path: Path) -> None:
    project = _project(tmp_path / "corp", DOCKERFILE.replace("FROM python:3.12", "FROM mycorp/base:1"))
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs"))
    analysis = analyze(project)
    assert result.run_dir is not None and result.record.contract is not None
    assert not result.record.contract.base_known
    fixed = next(c for c in result.record.candidates if c.kind == "fixed")
    text = (result.run_dir / fixed.path).read_text().replace("FROM mycorp/base:1", "FROM python:3.12-slim")
    check = check_contract(result.record.contract, contract_of(analysis, text, "fixed"), FIX_CHANGES)
    base = [v for v in check.violations if v.field == "base"]
    assert base and "unknown to CODI" in base[0].message
    # even a rule that declares every base-level field cannot hide it: "base" is its own field
    loose = [DeclaredChange(field=f, reason="test") for f in ("runtime", "runtime_version", "os_family", "env",
                                                             "entrypoint", "cmd", "user")]
    assert any(v.field == "base" for v in check_contract(result.record.contract,
                                                         contract_of(analysis, text, "fixed"), loose).violations)


def test_identical_text_has_no_changes(offered: tuple[Analysis, RunResult]) -> None:
    analysis, result = offered
    assert result.record.contract is not None
    assert diff_contracts(result.record.contract, contract_of(analysis, analysis.text, "fixed")) == []
