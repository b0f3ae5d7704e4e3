"""Stack detection from manifests: the stack, package manager, frameworks, entrypoint and evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.optimise.stack import detect_stack


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_node_npm_express_start_script(tmp_path: Path) -> None:
    pkg = {"name": "a", "scripts": {"start": "node server.js"}, "dependencies": {"express": "^4.19.0"}}
    write(tmp_path, {"package.json": json.dumps(pkg, indent=2), "package-lock.json": "{}"})
    d = detect_stack(tmp_path)
    assert d.primary is not None
    assert (d.stack, d.primary.package_manager) == ("node", "npm")
    assert [f.name for f in d.primary.frameworks] == ["Express"]
    assert d.primary.frameworks[0].evidence.line == 7
    assert d.primary.entrypoint is not None and d.primary.entrypoint.argv == ["node", "server.js"]
    assert "package-lock.json" in d.primary.manifests


@pytest.mark.parametrize(("lock", "manager"), [("yarn.lock", "yarn"), ("pnpm-lock.yaml", "pnpm")])
def test_node_lockfile_picks_manager(tmp_path: Path, lock: str, manager: str) -> None:
    write(tmp_path, {"package.json": '{"main": "index.js", "dependencies": {"next": "14"}}', lock: ""})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.primary.package_manager == manager
    assert d.primary.frameworks[0].name == "Next.js"
    assert d.primary.entrypoint is not None and d.primary.entrypoint.argv == ["node", "index.js"]


def test_node_complex_start_script_goes_through_npm(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": '{"scripts": {"start": "NODE_ENV=production node a.js && echo"}}'})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.primary.entrypoint is not None
    assert d.primary.entrypoint.argv == ["npm", "start"]


def test_python_poetry_fastapi_entrypoint(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.12"\nfastapi = "*"\nuvicorn = "*"\n',
        "poetry.lock": "",
        "main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    })
    d = detect_stack(tmp_path)
    assert d.primary is not None
    assert (d.stack, d.primary.package_manager) == ("python", "poetry")
    assert [f.name for f in d.primary.frameworks] == ["FastAPI"]
    assert d.primary.entrypoint is not None
    assert d.primary.entrypoint.argv[:2] == ["uvicorn", "main:app"]
    assert d.primary.entrypoint.evidence is not None and d.primary.entrypoint.evidence.line == 3


def test_python_requirements_django_without_server_keeps_original(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "Django==5.0\n", "manage.py": "import django\n"})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.primary.package_manager == "pip"
    assert [f.name for f in d.primary.frameworks] == ["Django"]
    assert d.primary.entrypoint is None  # runserver is a dev server: not derived


def test_python_uv_and_project_scripts(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["flask>=3"]\n[project.scripts]\nserve = "x:main"\n',
                     "uv.lock": ""})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.primary.package_manager == "uv"
    assert d.primary.entrypoint is not None and d.primary.entrypoint.argv == ["serve"]
    assert d.primary.entrypoint.evidence is not None and d.primary.entrypoint.evidence.line == 5


def test_maven_spring_boot_jar_name(tmp_path: Path) -> None:
    pom = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <groupId>g</groupId><artifactId>shop</artifactId><version>1.2.0</version>
  <properties><java.version>21</java.version></properties>
  <dependencies><dependency><artifactId>spring-boot-starter-web</artifactId></dependency></dependencies>
</project>"""
    write(tmp_path, {"pom.xml": pom})
    d = detect_stack(tmp_path)
    assert d.primary is not None and (d.stack, d.primary.package_manager) == ("java", "maven")
    assert d.primary.build_output == "target/shop-1.2.0.jar"
    assert d.primary.runtime_version == "21"
    assert [f.name for f in d.primary.frameworks] == ["Spring Boot"]


def test_gradle(tmp_path: Path) -> None:
    write(tmp_path, {"build.gradle.kts": 'plugins { application }\n', "settings.gradle.kts": "", "gradlew": ""})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.primary.package_manager == "gradle"
    assert "gradlew" in d.primary.manifests


def test_go_main_package_in_cmd(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/shop/api\n\ngo 1.22\n",
                     "cmd/server/main.go": "package main\n\nfunc main() {}\n", "internal/x.go": "package x\n"})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.stack == "go"
    assert d.primary.build_target == "./cmd/server"
    assert d.primary.build_output == "server"
    assert d.primary.runtime_version == "1.22"


def test_go_main_at_root_uses_module_name(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/hello\n", "main.go": "package main\nfunc main() {}\n"})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.primary.build_output == "hello" and d.primary.build_target == "."


@pytest.mark.parametrize(("files", "stack", "manager"), [
    ({"Cargo.toml": '[package]\nname = "svc"\n[dependencies]\naxum = "0.7"\n', "src/main.rs": "fn main(){}"}, "rust", "cargo"),
    ({"App.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>'}, "dotnet", "dotnet"),
    ({"Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7'\n", "Gemfile.lock": ""}, "ruby", "bundler"),
    ({"composer.json": '{"require": {"laravel/framework": "^11"}}'}, "php", "composer"),
])
def test_other_stacks(tmp_path: Path, files: dict[str, str], stack: str, manager: str) -> None:
    write(tmp_path, files)
    d = detect_stack(tmp_path)
    assert d.primary is not None
    assert (d.stack, d.primary.package_manager) == (stack, manager)
    assert d.primary.frameworks, "framework evidence expected"
    assert all(ev.file for ev in d.primary.evidence)


def test_unknown_project_and_stack_hint(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "hi"})
    assert detect_stack(tmp_path).primary is None
    hinted = detect_stack(tmp_path, stack_hint="go")
    assert hinted.primary is not None and hinted.stack == "go" and hinted.primary.confidence == 0.0


def test_broken_manifests_do_not_crash(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": "{not json", "pyproject.toml": "[[[", "pom.xml": "<project", "go.mod": ""})
    d = detect_stack(tmp_path)
    assert d.primary is not None and d.stack in {"java", "go"}
