"""The tuned candidate's base edit: the runtime stage's image in a smaller variant of the same version.

- a full Debian image becomes its ``-slim`` variant (python, node, ruby, ...) when the runtime stage
  installs or compiles nothing itself (the slim image has no compilers);
- a JDK image becomes the JRE of the same version (eclipse-temurin) when nothing in the runtime stage,
  its command or its health check uses a JDK tool (javac, jar, jcmd, a build tool...);
- a full (Debian) nginx image serving files becomes the Alpine nginx of the same version when the runtime
  stage runs nothing (no RUN: only copies and settings); same entrypoint, command, port and modules, but
  another OS, declared as such (medium risk).

The tag keeps the original's full version and OS release (``17.0.9_9-jdk-jammy`` -> ``17.0.9_9-jre-jammy``);
a digest-pinned image is left alone (the other variant's digest is unknown). The change is declared for
the review check; the contract check confirms that both images have the same command, user and env.
"""

from __future__ import annotations

from dataclasses import dataclass

from codi.imagedb.tags import parse_ref, same_image
from codi.optimise.contract.model import DeclaredChange
from codi.optimise.review.model import DeclaredBaseChange
from codi.parser.semantic import Model, Stage
from codi.parser.shell import parse_script

# Repositories whose full image has a "-slim" variant of the same version (Debian, same config).
_SLIM_REPOS = frozenset({"python", "node", "ruby", "openjdk", "rust", "perl"})
# Repositories whose JDK image has a JRE image of the same version, OS and config.
_JRE_REPOS = frozenset({"eclipse-temurin"})
# Programs that install or compile packages: the -slim image lacks the compilers, headers and git they may need.
_BUILDERS = frozenset({"pip", "pip3", "npm", "yarn", "pnpm", "bundle", "gem", "composer", "go", "cargo", "mvn",
                       "gradle", "make", "gcc", "cc", "g++", "cmake", "python", "python3", "node-gyp", "git"})
# Programs only a JDK has (a JRE has java and keytool).
_JDK_TOOLS = frozenset({"javac", "jar", "jlink", "jdeps", "jshell", "jcmd", "jstack", "jmap", "jhsdb", "jpackage",
                        "javadoc", "jdb", "jstat", "jinfo", "jps", "mvn", "mvnw", "gradle", "gradlew", "ant", "sbt"})


@dataclass(slots=True)
class BaseEdit:
    start: int
    end: int
    new: str
    note: str
    declared: DeclaredBaseChange
    contract: list[DeclaredChange] | None = None  # contract changes the smaller image makes (its OS)


def _programs(model: Model, target: Stage, keywords: set[str]) -> list[str] | None:
    """The programs the chain's instructions of ``keywords`` run (None: a script CODI cannot read)."""
    out: list[str] = []
    for st in model.stage_chain(target):
        for instr in st.instructions:
            if instr.keyword not in keywords:
                continue
            if instr.keyword == "RUN" and (instr.json_form or instr.heredocs or not instr.args):
                return None
            if instr.json_form:
                out += [instr.args[0].rsplit("/", 1)[-1]] if instr.args else []
                continue
            text = " ".join(instr.args)
            out += [c.unwrapped().name for c in parse_script(text).commands]
    return out


def smaller_base(model: Model, target: Stage) -> BaseEdit | None:
    root = model.stage_chain(target)[0]
    if root.base_stage is not None or root.base_resolved != root.base or "@" in root.base:
        return None  # a stage, a variable, or a digest pin
    ref = parse_ref(root.base)
    contract: list[DeclaredChange] | None = None
    runs = _programs(model, target, {"RUN"})
    if runs is None:
        return None
    if ref.repo in _SLIM_REPOS and not ref.variants and (ref.numeric or ref.version in {"", "latest"}):
        if any(p in _BUILDERS for p in runs):
            return None
        new = same_image(ref, ("slim",)) if ref.numeric else f"{ref.name}:slim"
        why = "the slim variant of the same version (Debian, same config, no compilers)"
    elif ref.repo in _JRE_REPOS and ref.numeric and set(ref.variants) <= {"jdk", "alpine"}:
        used = _programs(model, target, {"RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"}) or []
        if any(p in _JDK_TOOLS for p in used):
            return None
        variants = ("jre", *[v for v in ref.variants if v != "jdk"])
        new = same_image(ref, variants)
        why = "the JRE of the same Java version: the runtime stage compiles nothing and runs no JDK tool"
    elif ref.repo == "nginx" and not ref.variants and (ref.numeric or ref.version in {"stable", "mainline"}):
        if runs:
            return None  # a RUN may call apt or Debian paths the Alpine image lacks
        new = same_image(ref, ("alpine",))
        why = "the Alpine nginx of the same version (same modules, entrypoint, command and port; another OS)"
        contract = [DeclaredChange(field="os_family", risk="medium",
                                   reason="the Alpine nginx image: the served files and nginx are the same, the OS "
                                          "around them is Alpine (musl)")]
    else:
        return None
    instr = root.from_instr
    at = instr.text.find(root.base, instr.keyword_span.end - instr.span.start)
    if at < 0:
        return None
    start = instr.span.start + at
    return BaseEdit(start, start + len(root.base), new, f"line {instr.start_line}: runtime image {root.base} -> {new} "
                    f"({why})", DeclaredBaseChange(before=root.base, after=new, reason=why), contract)
