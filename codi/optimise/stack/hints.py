"""Stack hints from the Dockerfile itself: base images and the commands RUN executes."""

from __future__ import annotations

import re

from codi.optimise.stack.model import Evidence
from codi.parser.model import Dockerfile

# image repository (last path part) -> stack
BASE_IMAGES = {
    "node": "node", "python": "python", "pypy": "python", "golang": "go", "rust": "rust",
    "openjdk": "java", "eclipse-temurin": "java", "amazoncorretto": "java", "maven": "java", "gradle": "java",
    "ibmjava": "java", "sapmachine": "java", "tomcat": "java", "jetty": "java",
    "ruby": "ruby", "php": "php", "composer": "php", "sdk": "dotnet", "aspnet": "dotnet", "runtime": "dotnet",
}
# program in RUN -> stack
COMMANDS = {
    "npm": "node", "yarn": "node", "pnpm": "node", "npx": "node",
    "pip": "python", "pip3": "python", "poetry": "python", "uv": "python", "pipenv": "python",
    "go": "go", "cargo": "rust", "mvn": "java", "./mvnw": "java", "gradle": "java", "./gradlew": "java",
    "dotnet": "dotnet", "bundle": "ruby", "gem": "ruby", "composer": "php",
}
_WORD = re.compile(r"(?:^|&&|\|\||;|\|)\s*(?:sudo\s+)?([./\w-]+)")


def image_stack(ref: str) -> str | None:
    """The stack a base image reference implies (``docker.io/library/python:3.12-slim`` -> python)."""
    name = ref.split("@", 1)[0]
    repo = name.rsplit("/", 1)[-1].split(":", 1)[0].lower()
    if "dotnet" not in name and repo in {"sdk", "aspnet", "runtime"}:
        return None
    return BASE_IMAGES.get(repo)


def dockerfile_hints(df: Dockerfile, path: str = "Dockerfile") -> dict[str, list[Evidence]]:
    """Evidence per stack found in the Dockerfile's FROM lines and RUN commands."""
    hints: dict[str, list[Evidence]] = {}
    for instr in df.instructions:
        if instr.keyword == "FROM" and instr.args:
            stack = image_stack(instr.args[0])
            if stack:
                hints.setdefault(stack, []).append(
                    Evidence(file=path, line=instr.start_line, matched=f"FROM {instr.args[0]}"))
        elif instr.keyword == "RUN" and instr.args and not instr.json_form:
            seen: set[str] = set()
            for m in _WORD.finditer(instr.args[0]):
                stack = COMMANDS.get(m.group(1))
                if stack and stack not in seen:
                    seen.add(stack)
                    hints.setdefault(stack, []).append(
                        Evidence(file=path, line=instr.start_line, matched=f"RUN {m.group(1)} ..."))
    return hints
