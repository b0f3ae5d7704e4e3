"""Java projects: Maven (pom.xml) and Gradle, Spring Boot, the jar a build produces."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from codi.optimise.stack.files import line_of, read_text
from codi.optimise.stack.model import Entrypoint, Evidence, Framework, StackMatch

_NS = re.compile(r"^\{[^}]*\}")


def _children(elem: ET.Element) -> dict[str, ET.Element]:
    return {_NS.sub("", c.tag): c for c in elem}


def _text(elem: ET.Element | None) -> str | None:
    return elem.text.strip() if elem is not None and elem.text and elem.text.strip() else None


def detect(project: Path) -> StackMatch | None:
    if (project / "pom.xml").is_file():
        return _maven(project)
    for name in ("build.gradle.kts", "build.gradle"):
        if (project / name).is_file():
            return _gradle(project, name)
    return None


def _maven(project: Path) -> StackMatch:
    text = read_text(project / "pom.xml") or ""
    match = StackMatch(stack="java", package_manager="maven", manifests=["pom.xml"])
    match.add(0.7, Evidence(file="pom.xml", line=1, matched="pom.xml"))
    if (project / "mvnw").is_file():
        match.manifests += ["mvnw", ".mvn"]
        match.evidence.append(Evidence(file="mvnw", matched="Maven wrapper"))
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return match
    top = _children(root)
    artifact = _text(top.get("artifactId"))
    version = _text(top.get("version"))
    packaging = _text(top.get("packaging")) or "jar"
    props = {(_NS.sub("", p.tag)): (p.text or "").strip() for p in top.get("properties", [])}
    for key in ("maven.compiler.release", "java.version", "maven.compiler.target", "maven.compiler.source"):
        if props.get(key):
            match.runtime_version = props[key]
            break
    final_name = None
    build = top.get("build")
    if build is not None:
        final_name = _text(_children(build).get("finalName"))
    if "spring-boot" in text:
        match.frameworks.append(Framework(name="Spring Boot", evidence=Evidence(
            file="pom.xml", line=line_of(text, "spring-boot"), matched="spring-boot")))
    if packaging == "jar" and artifact:
        name = final_name or (f"{artifact}-{version}" if version else artifact)
        if "${" not in name:
            match.build_output = f"target/{name}.jar"
            match.entrypoint = Entrypoint(
                argv=["java", "-jar", "/app/app.jar"], derived=True, source="pom.xml artifactId/version",
                evidence=Evidence(file="pom.xml", line=line_of(text, "<artifactId>"), matched=f"{name}.jar"))
    return match


def _gradle(project: Path, build_file: str) -> StackMatch:
    text = read_text(project / build_file) or ""
    match = StackMatch(stack="java", package_manager="gradle", manifests=[build_file])
    match.add(0.7, Evidence(file=build_file, line=1, matched=build_file))
    for extra in ("settings.gradle", "settings.gradle.kts", "gradle.properties"):
        if (project / extra).is_file():
            match.manifests.append(extra)
    if (project / "gradlew").is_file():
        match.manifests += ["gradlew", "gradle"]
        match.evidence.append(Evidence(file="gradlew", matched="Gradle wrapper"))
    if "org.springframework.boot" in text:
        match.frameworks.append(Framework(name="Spring Boot", evidence=Evidence(
            file=build_file, line=line_of(text, "org.springframework.boot"), matched="org.springframework.boot")))
    m = re.search(r"languageVersion\s*(?:=|\.set\()\s*JavaLanguageVersion\.of\((\d+)\)", text) or re.search(
        r"sourceCompatibility\s*=\s*['\"]?(?:JavaVersion\.VERSION_)?([\d_.]+)", text)
    if m:
        match.runtime_version = m.group(1).replace("_", ".")
    if "application" in text or "bootJar" in text or "org.springframework.boot" in text:
        # Gradle names the jar after the project and version; the candidate copies build/libs/*.jar to one name
        match.build_output = "build/libs/*.jar"
        match.entrypoint = Entrypoint(argv=["java", "-jar", "/app/app.jar"], derived=True,
                                      source=f"{build_file} application/bootJar plugin",
                                      evidence=Evidence(file=build_file, matched="application plugin"))
    return match
