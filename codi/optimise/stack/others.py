"""Rust (cargo), .NET, Ruby (bundler) and PHP (composer) projects."""

from __future__ import annotations

import re
from pathlib import Path

from codi.optimise.stack.files import find_first, line_of, read_json, read_text, read_toml, rel
from codi.optimise.stack.model import Entrypoint, Evidence, Framework, StackMatch


def detect_rust(project: Path) -> StackMatch | None:
    cargo = read_toml(project / "Cargo.toml")
    if cargo is None:
        return None
    text = read_text(project / "Cargo.toml")
    match = StackMatch(stack="rust", package_manager="cargo", manifests=["Cargo.toml"])
    match.add(0.7, Evidence(file="Cargo.toml", line=1, matched="Cargo.toml"))
    if (project / "Cargo.lock").is_file():
        match.manifests.append("Cargo.lock")
        match.add(0.1, Evidence(file="Cargo.lock", matched="Cargo.lock"))
    deps = cargo.get("dependencies") if isinstance(cargo.get("dependencies"), dict) else {}
    for dep, name in (("actix-web", "Actix Web"), ("axum", "Axum"), ("rocket", "Rocket"), ("warp", "warp")):
        if dep in deps:
            match.frameworks.append(Framework(name=name, evidence=Evidence(file="Cargo.toml", line=line_of(text, dep), matched=dep)))
    package = cargo.get("package") if isinstance(cargo.get("package"), dict) else {}
    bins = cargo.get("bin") if isinstance(cargo.get("bin"), list) else []
    binary = None
    if bins and isinstance(bins[0], dict) and isinstance(bins[0].get("name"), str):
        binary = bins[0]["name"]
    elif isinstance(package.get("name"), str) and (project / "src" / "main.rs").is_file():
        binary = package["name"]
    if isinstance(package.get("rust-version"), str):
        match.runtime_version = package["rust-version"]
    if binary:
        match.build_output = binary
        match.entrypoint = Entrypoint(argv=[f"/app/{binary}"], derived=True, source="Cargo.toml package/bin name",
                                      evidence=Evidence(file="Cargo.toml", line=line_of(text, binary), matched=binary))
    return match


def detect_dotnet(project: Path) -> StackMatch | None:
    projects = find_first(project, ["*.csproj", "*.fsproj"], max_depth=2)
    if not projects:
        return None
    main = projects[0]
    text = read_text(main, project) or ""
    match = StackMatch(stack="dotnet", package_manager="dotnet", manifests=[rel(project, p) for p in projects])
    match.add(0.7, Evidence(file=rel(project, main), line=1, matched=main.name))
    for sln in find_first(project, ["*.sln"], max_depth=1):
        match.manifests.append(rel(project, sln))
    if "Microsoft.NET.Sdk.Web" in text:
        match.frameworks.append(Framework(name="ASP.NET Core", evidence=Evidence(
            file=rel(project, main), line=line_of(text, "Microsoft.NET.Sdk.Web"), matched="Microsoft.NET.Sdk.Web")))
    tfm = re.search(r"<TargetFramework>\s*net(\d+\.\d+)", text)
    if tfm:
        match.runtime_version = tfm.group(1)
    assembly = re.search(r"<AssemblyName>\s*([^<\s]+)", text)
    name = assembly.group(1) if assembly else main.stem
    match.build_target = rel(project, main)
    match.build_output = f"{name}.dll"
    match.entrypoint = Entrypoint(argv=["dotnet", f"{name}.dll"], derived=True, source="project file name / AssemblyName",
                                  evidence=Evidence(file=rel(project, main), matched=f"{name}.dll"))
    return match


def detect_ruby(project: Path) -> StackMatch | None:
    text = read_text(project / "Gemfile")
    if text is None:
        return None
    match = StackMatch(stack="ruby", package_manager="bundler", manifests=["Gemfile"])
    match.add(0.7, Evidence(file="Gemfile", line=1, matched="Gemfile"))
    if (project / "Gemfile.lock").is_file():
        match.manifests.append("Gemfile.lock")
        match.add(0.1, Evidence(file="Gemfile.lock", matched="Gemfile.lock"))
    for gem, name in (("rails", "Rails"), ("sinatra", "Sinatra"), ("hanami", "Hanami")):
        m = re.search(rf"^\s*gem\s+['\"]{gem}['\"]", text, re.M)
        if m:
            match.frameworks.append(Framework(name=name, evidence=Evidence(
                file="Gemfile", line=text.count("\n", 0, m.start()) + 1, matched=m.group(0).strip())))
    version = re.search(r"^\s*ruby\s+['\"]([\d.]+)", text, re.M)
    if version:
        match.runtime_version = version.group(1)
    names = {f.name for f in match.frameworks}
    if "Rails" in names and (project / "bin" / "rails").is_file():
        match.entrypoint = Entrypoint(argv=["bundle", "exec", "rails", "server", "-b", "0.0.0.0"], derived=True,
                                      source="Rails app (bin/rails)", evidence=Evidence(file="bin/rails", matched="bin/rails"))
    elif (project / "config.ru").is_file():
        server = "puma" if re.search(r"gem\s+['\"]puma['\"]", text) else "rackup"
        match.entrypoint = Entrypoint(argv=["bundle", "exec", server, "config.ru"], derived=True, source="config.ru",
                                      evidence=Evidence(file="config.ru", matched="config.ru"))
    return match


def detect_php(project: Path) -> StackMatch | None:
    composer = read_json(project / "composer.json")
    if composer is None:
        return None
    text = read_text(project / "composer.json")
    match = StackMatch(stack="php", package_manager="composer", manifests=["composer.json"])
    match.add(0.7, Evidence(file="composer.json", line=1, matched="composer.json"))
    if (project / "composer.lock").is_file():
        match.manifests.append("composer.lock")
        match.add(0.1, Evidence(file="composer.lock", matched="composer.lock"))
    require = composer.get("require") if isinstance(composer.get("require"), dict) else {}
    for pkg, name in (("laravel/framework", "Laravel"), ("symfony/framework-bundle", "Symfony"), ("slim/slim", "Slim")):
        if pkg in require:
            match.frameworks.append(Framework(name=name, evidence=Evidence(file="composer.json", line=line_of(text, pkg), matched=pkg)))
    if isinstance(require.get("php"), str):
        match.runtime_version = require["php"]
    return match
