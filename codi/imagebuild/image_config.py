"""Compare a built image's config with the static runtime contract of the Dockerfile it was built from.

The static contract (``codi.optimise.contract``) is what CODI promised without building: the candidate
check relies on it. After a real build, the engine's image config (``Entrypoint``, ``Cmd``, ``User``,
``WorkingDir``, ``Env``, ``ExposedPorts``, ``Healthcheck``, Docker's spelling) says what the image really
does; any difference is reported, never silently trusted.

When a FROM image was replaced by a local stand-in (or the base is unknown to CODI), only what the
Dockerfile itself sets is compared: the stand-in's own config is not the real image's. What the Dockerfile
sets is read off the contract of the built text (the stand-in is unknown, so that contract holds only the
Dockerfile's facts), never re-derived here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi.optimise.contract.compute import compute_contract, normal_port, normal_user
from codi.optimise.contract.model import RuntimeContract
from codi.optimise.contract.programs import healthcheck_argv
from codi.parser import ParseError, parse
from codi.parser.semantic import build_model

# BuildKit and buildah give an image without PATH this one (e.g. FROM scratch); it is not a contract change.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(slots=True)
class ConfigCheck:
    """Which contract fields were compared with the built image, and every difference found."""

    checked: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    restricted: bool = False  # stand-in or unknown base: only the Dockerfile's own settings compared
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"checked": list(self.checked), "mismatches": list(self.mismatches),
                               "dockerfile_only": self.restricted}
        if self.error:
            out["error"] = self.error
        return out


def dockerfile_contract(text: str, build_args: Mapping[str, str] | None = None,
                        project: Path | None = None) -> RuntimeContract:
    """The static contract of a Dockerfile text's final stage (what a plain build without --target makes)."""
    df = parse(text)
    return compute_contract(df, build_model(df, build_args), None, project)


def _argv(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _show(value: list[str] | None) -> str:
    return json.dumps(value) if value else "(none)"


def _built_env(config: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in config.get("Env") or []:
        name, _, value = str(item).partition("=")
        out[name] = value
    return out


def _built_healthcheck(config: Mapping[str, Any]) -> list[str] | None:
    test = _argv((config.get("Healthcheck") or {}).get("Test"))
    if not test or test[0] == "NONE":
        return None
    return healthcheck_argv(json.dumps(test))


def _static_healthcheck(contract: RuntimeContract) -> list[str] | None:
    return healthcheck_argv(contract.healthcheck)


def compare_config(static: RuntimeContract, config: Mapping[str, Any],
                   own: RuntimeContract | None = None) -> ConfigCheck:
    """Compare ``config`` (the image config as Docker spells it) with ``static``.

    ``own`` is the contract of the text that was really built when its bases were stand-ins; then, and
    when ``static``'s base is unknown, only what the Dockerfile itself sets is compared.
    """
    restricted = own is not None or not static.base_known
    mine = own or static  # holds only the Dockerfile's facts when restricted
    check = ConfigCheck(restricted=restricted)

    def compare(name: str, label: str, want: object, got: object, show: Any = str) -> None:
        check.checked.append(name)
        if want != got:
            check.mismatches.append(f"{label}: the static contract has {show(want)}, the built image {show(got)}")

    for name, label in (("entrypoint", "ENTRYPOINT"), ("cmd", "CMD")):
        origin = getattr(static, f"{name}_origin")
        if origin == "dockerfile" or (origin == "base" and not restricted):
            compare(name, label, getattr(static, name) or [], _argv(config.get(name.capitalize())), _show)
    if static.user_origin == "dockerfile" or (static.user_origin == "base" and not restricted):
        compare("user", "USER", static.user or "root", normal_user(str(config.get("User") or "")) or "root")
    if not restricted or (mine.workdir != "/" and mine.workdir == static.workdir):
        compare("workdir", "WORKDIR", static.workdir, str(config.get("WorkingDir") or "") or "/")
    _compare_env(check, static, mine, _built_env(config), restricted)
    built_ports = sorted(normal_port(str(p)) for p in config.get("ExposedPorts") or {})
    if restricted:
        missing = [p for p in mine.ports if p not in built_ports]
        if mine.ports:
            check.checked.append("ports")
        if missing:
            check.mismatches.append(f"EXPOSE: the static contract has {' '.join(mine.ports)}, "
                                    f"the built image {' '.join(built_ports) or '(none)'}")
    else:
        compare("ports", "EXPOSE", " ".join(sorted(static.ports)) or "(none)", " ".join(built_ports) or "(none)")
    if not restricted or mine.healthcheck is not None:
        compare("healthcheck", "HEALTHCHECK", _static_healthcheck(static), _built_healthcheck(config), _show)
    return check


def _compare_env(check: ConfigCheck, static: RuntimeContract, mine: RuntimeContract, built: dict[str, str],
                 restricted: bool) -> None:
    names = sorted(mine.env) if restricted else sorted(static.env)
    if not names and restricted:
        return
    check.checked.append("env")
    for name in names:
        want = static.env.get(name)
        if name not in built:
            check.mismatches.append(f"ENV {name}: set in the static contract, missing from the built image")
        elif want is not None and (not restricted or want == mine.env.get(name)) and built[name] != want:
            # (restricted: a value that expands a base variable is only checked for presence)
            check.mismatches.append(f"ENV {name}: the static contract has {want}, the built image {built[name]}")
    if restricted or static.env_unknown_base:
        return
    for name in sorted(set(built) - set(static.env)):
        if name == "PATH" and built[name] == DEFAULT_PATH:
            continue  # the engine's default for an image without PATH
        check.mismatches.append(f"ENV {name}={built[name]}: in the built image, not in the static contract")


def check_built_image(text: str, built_text: str | None, config: Mapping[str, Any],
                      build_args: Mapping[str, str] | None = None, project: Path | None = None,
                      static: RuntimeContract | None = None) -> ConfigCheck:
    """Compute the static contract of ``text`` (unless given) and compare it with the built ``config``.

    ``built_text`` is the text given to the engine when FROM images were mapped to stand-ins, else None.
    """
    try:
        static = static or dockerfile_contract(text, build_args, project)
        own = dockerfile_contract(built_text, build_args, project) if built_text is not None else None
    except (ParseError, ValueError) as exc:
        return ConfigCheck(error=f"no static contract: {exc}")
    if own is not None and own.base == static.base:
        own = None  # only a build stage's base was a stand-in: the image's own base is the real one
    return compare_config(static, config, own)
