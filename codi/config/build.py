"""Measured-build settings only whoever runs CODI decides: the build network and the CA bundle.

A project CODI reads must not give its own builds the network, so these come from the command line,
then the environment (``CODI_BUILD_NETWORK``, ``CODI_CA_BUNDLE``), then the operator's system config
(``[measure] build_network`` / ``ca_bundle`` in /etc/codi/config.toml or ``CODI_SYSTEM_CONFIG``); never
from a project's ``.codi.toml``. Air-gap mode (AIRGAP, default on) refuses the build network.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from codi.config.flags import env_flag
from codi.config.operator import system_config

DEFAULT_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")  # Debian/Ubuntu; the host's trust store
_NONE = frozenset({"", "none", "off", "false", "0", "no"})


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    value: T
    source: str  # "--build-network", "env CODI_BUILD_NETWORK", "/etc/codi/config.toml [measure]", "default"


def _measure_table(env: Mapping[str, str]) -> dict[str, object]:
    table = system_config(env).get("measure")
    return table if isinstance(table, dict) else {}


def build_network(cli: bool | None = None, env: Mapping[str, str] | None = None) -> Setting[bool]:
    """Whether RUN steps of measured builds may reach the network (default off)."""
    env = os.environ if env is None else env
    if cli is not None:
        return Setting(cli, "--build-network" if cli else "--no-build-network")
    if (env.get("CODI_BUILD_NETWORK") or "").strip():
        return Setting(env_flag("CODI_BUILD_NETWORK", False, env), "env CODI_BUILD_NETWORK")
    value = _measure_table(env).get("build_network")
    if isinstance(value, bool):
        return Setting(value, "system config [measure] build_network")
    return Setting(False, "default")


def ca_bundle(cli: str | None = None, env: Mapping[str, str] | None = None) -> Setting[Path | None]:
    """The PEM bundle whose CAs measured builds trust (None: none): ``--ca-bundle``, ``CODI_CA_BUNDLE``,
    ``[measure] ca_bundle``, else the host's bundle when it exists. ``none`` turns it off."""
    env = os.environ if env is None else env
    for raw, source in ((cli, "--ca-bundle"), (env.get("CODI_CA_BUNDLE"), "env CODI_CA_BUNDLE"),
                        (_measure_table(env).get("ca_bundle"), "system config [measure] ca_bundle")):
        if isinstance(raw, str) and (cli is not None or raw.strip()):
            return Setting(None if raw.strip().lower() in _NONE else Path(raw.strip()), source)
    return Setting(DEFAULT_CA_BUNDLE if DEFAULT_CA_BUNDLE.is_file() else None, "default")
