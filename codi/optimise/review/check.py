"""The review check: what a reviewer reading a candidate's diff would reject, beside the contract check.

Each property compares the candidate with the original, so an edit is never blamed for what the
original already does:
- pins: every package version the original pins is pinned the same in the candidate;
- base_tag: an image of the same repository keeps its version, OS release, variant and digest, unless the
  candidate declares the change with a reason (the version is never loosened);
- findings: no lint code occurs more often than in the original (hadolint's DL codes, CODI's, ShellCheck's);
- install_order: a package install that came before the first COPY/ADD of the original's built stage
  still does in the candidate's (else every source edit re-runs it);
- env_twice: no more ``ENV`` pairs that set a variable to the value it already has in that stage;
- dev_command: no production setting (NODE_ENV=production...) added beside a development command;
- venv_env: a command run through poetry/uv/pipenv, as another user than the original's, finds its
  virtual env in the environment (VIRTUAL_ENV with its bin on PATH, or the tool's own setting).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from codi.imagedb.tags import ImageRef, parse_ref, precision_lost
from codi.optimise.contract.model import RuntimeContract
from codi.optimise.review.commands import PRODUCTION_ENV, dev_command, venv_tool
from codi.optimise.review.model import DeclaredBaseChange, ReviewCheck, ReviewProblem
from codi.optimise.review.pins import pins_of
from codi.parser.model import Instruction
from codi.parser.semantic import Model, Stage
from codi.parser.shell import parse_script


@dataclass(slots=True)
class Reviewed:
    """One image for the check: its model, the stage that is built, its findings' (code, line), its contract."""

    model: Model
    stage: Stage | None
    findings: list[tuple[str, int]]
    contract: RuntimeContract
    project: Path | None = None
    declared: list[DeclaredBaseChange] = field(default_factory=list)


def review(original: Reviewed, candidate: Reviewed) -> ReviewCheck:
    out = ReviewCheck(declared=list(candidate.declared))
    out.problems += _pins(original, candidate)
    out.problems += _base_tags(original, candidate)
    out.problems += _findings(original, candidate)
    out.problems += _install_order(original, candidate)
    out.problems += _env_twice(original, candidate)
    out.problems += _dev_command(original, candidate)
    out.problems += _venv_env(original, candidate)
    return out


def _pins(original: Reviewed, candidate: Reviewed) -> list[ReviewProblem]:
    have: dict[tuple[str, str], set[str]] = {}
    for pin in pins_of(candidate.model):
        have.setdefault(pin.key, set()).add(pin.version)
    out: list[ReviewProblem] = []
    seen: set[tuple[str, str, str]] = set()
    for pin in pins_of(original.model):
        if (pin.ecosystem, pin.name, pin.version) in seen or pin.version in have.get(pin.key, set()):
            continue
        seen.add((pin.ecosystem, pin.name, pin.version))
        now = sorted(have.get(pin.key, set()))
        after = f"pinned {' and '.join(f'`{pin.name}{v}`' for v in now)}" if now else "not pinned"
        out.append(ReviewProblem(property="pins", message=f"{pin.ecosystem} package `{pin.show()}` (original line "
                                                           f"{pin.line}) is {after} in the candidate"))
    return out


def image_refs(model: Model) -> list[tuple[ImageRef, int]]:
    """Every external image a Dockerfile names (FROM, COPY --from, RUN --mount from=), with its line."""
    out: list[tuple[ImageRef, int]] = []
    for stage in model.stages:
        ref = stage.base_resolved if stage.base_stage is None else None
        if ref and ref.lower() != "scratch" and "$" not in ref:
            out.append((parse_ref(ref), stage.from_instr.start_line))
        for instr in stage.instructions:
            source = instr.flag("from")
            if instr.keyword in {"COPY", "ADD"} and source is not None and source.value:
                value = source.value
                if model.stage_by_ref(value) is None and not value.isdigit() and "$" not in value:
                    out.append((parse_ref(value), instr.start_line))
    return out


def _base_tags(original: Reviewed, candidate: Reviewed) -> list[ReviewProblem]:
    before = [ref for ref, _ in image_refs(original.model)]
    out: list[ReviewProblem] = []
    for ref, line in image_refs(candidate.model):
        same = [o for o in before if o.repo == ref.repo]
        if not same or any(o.written == ref.written for o in same):
            continue
        best = min(same, key=lambda o: len(precision_lost(o, ref)))
        lost = precision_lost(best, ref)
        declared = any(d.before == best.written and d.after == ref.written for d in candidate.declared)
        if declared:
            lost = [x for x in lost if x.startswith("version")]
        if lost:
            out.append(ReviewProblem(property="base_tag", line=line,
                                     message=f"base image `{best.written}` becomes `{ref.written}` (line {line}): "
                                             + ", ".join(lost) + ("" if declared else ", not declared")))
    return out


def _findings(original: Reviewed, candidate: Reviewed) -> list[ReviewProblem]:
    before = Counter(code for code, _ in original.findings)
    after = Counter(code for code, _ in candidate.findings)
    out: list[ReviewProblem] = []
    for code in sorted(after):
        if after[code] > before[code]:
            lines = sorted(line for c, line in candidate.findings if c == code)
            out.append(ReviewProblem(property="findings", line=lines[0],
                                     message=f"{code} occurs {after[code]} time(s), the original {before[code]} "
                                             f"(candidate line(s) {', '.join(map(str, lines))})"))
    return out


_INSTALLERS = {"apt-get": "install", "apt": "install", "apk": "add", "yum": "install", "dnf": "install",
               "microdnf": "install", "zypper": "install", "tdnf": "install"}


def _installs(instr: Instruction) -> set[tuple[str, str]]:
    """(manager, package) a RUN installs with a system package manager."""
    if instr.keyword != "RUN" or instr.json_form:
        return set()
    out: set[tuple[str, str]] = set()
    for script in ([h.content for h in instr.heredocs] if instr.heredocs else instr.args[:1]):
        for cmd in parse_script(script).commands:
            plain = cmd.unwrapped()
            verb = _INSTALLERS.get(plain.name)
            words = [w for w in plain.argv[1:] if not w.startswith("-")]
            if verb and verb in words[:2]:
                family = "apt" if plain.name in {"apt-get", "apt"} else plain.name
                out |= {(family, w.split("=", 1)[0]) for w in words[words.index(verb) + 1:]}
    return out


def _chain(reviewed: Reviewed) -> list[Instruction]:
    if reviewed.stage is None:
        return []
    return [i for st in reviewed.model.stage_chain(reviewed.stage) for i in st.instructions]


def _before_first_copy(instrs: list[Instruction]) -> tuple[set[tuple[str, str]], set[tuple[str, str]], int | None]:
    """(packages installed before the first COPY/ADD, after it, the first COPY/ADD's line)."""
    early: set[tuple[str, str]] = set()
    late: set[tuple[str, str]] = set()
    first: int | None = None
    for instr in instrs:
        if instr.keyword in {"COPY", "ADD"} and first is None:
            first = instr.start_line
        (early if first is None else late).update(_installs(instr))
    return early, late, first


def _install_order(original: Reviewed, candidate: Reviewed) -> list[ReviewProblem]:
    early, _, _ = _before_first_copy(_chain(original))
    still_early, late, first = _before_first_copy(_chain(candidate))
    moved = sorted(early & (late - still_early))  # installed again later is the original's own choice
    if not moved:
        return []
    names = ", ".join(f"`{name}`" for _, name in moved)
    return [ReviewProblem(property="install_order", line=first,
                          message=f"{moved[0][0]} install of {names} came before the first COPY/ADD in the original "
                                  f"and comes after it (line {first}) in the candidate: every source edit re-runs it")]


def _env_repeats(model: Model) -> list[tuple[str, int]]:
    """(NAME=value, line) of ENV pairs that set a variable to the value an earlier ENV of the stage gave it."""
    out: list[tuple[str, int]] = []
    for stage in model.stages:
        values: dict[str, str] = {}
        for instr in stage.instructions:
            if instr.keyword != "ENV":
                continue
            args = instr.args
            for i in range(0, len(args) - 1, 3):
                name, value = args[i], args[i + 1].strip("\"'")
                if values.get(name) == value:
                    out.append((f"{name}={value}", instr.start_line))
                values[name] = value
    return out


def _env_twice(original: Reviewed, candidate: Reviewed) -> list[ReviewProblem]:
    before = Counter(pair for pair, _ in _env_repeats(original.model))
    out: list[ReviewProblem] = []
    for pair, line in _env_repeats(candidate.model):
        if before[pair] > 0:
            before[pair] -= 1
            continue
        out.append(ReviewProblem(property="env_twice", line=line,
                                 message=f"ENV {pair} is set again to the same value in one stage (line {line})"))
    return out


def _dev_command(original: Reviewed, candidate: Reviewed) -> list[ReviewProblem]:
    added = [f"{k}={v}" for k, v in candidate.contract.env.items()
             if v is not None and v.lower() in PRODUCTION_ENV.get(k, ()) and original.contract.env.get(k) != v]
    if not added:
        return []
    why = dev_command(candidate.contract, candidate.project)
    if why is None:
        return []
    return [ReviewProblem(property="dev_command",
                          message=f"sets {', '.join(added)} while its command is a development server: {why}")]


def _venv_env(original: Reviewed, candidate: Reviewed) -> list[ReviewProblem]:
    tool = venv_tool(candidate.contract)
    if tool is None or candidate.contract.user == original.contract.user and candidate.stage is not None \
            and len(candidate.model.stages) == len(original.model.stages):
        return []
    env = candidate.contract.env
    venv = env.get("VIRTUAL_ENV")
    if venv and f"{venv}/bin" in (env.get("PATH") or ""):
        return []
    own = {"poetry": ("POETRY_VIRTUALENVS_CREATE", {"false", "0"}), "uv": ("UV_PROJECT_ENVIRONMENT", None),
           "pipenv": ("PIPENV_VENV_IN_PROJECT", None)}[tool]
    value = env.get(own[0])
    if value is not None and (own[1] is None or value.lower() in own[1]):
        return []
    return [ReviewProblem(property="venv_env",
                          message=f"the command runs `{tool} run` as user {candidate.contract.user or 'root'} but the "
                                  f"runtime stage sets neither VIRTUAL_ENV (with its bin on PATH) nor {own[0]}: "
                                  f"{tool} may try to create a virtual env at start")]
