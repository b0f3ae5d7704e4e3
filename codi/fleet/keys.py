"""Content keys: what decides a repository's lint result, hashed.

sha256 over CODI's version, the effective config of each Dockerfile's folder (what a config file
or the environment says, not where it was found) and the sorted Dockerfile paths and bytes. The
same content anywhere (another clone, another repository) has the same key, so it is linted once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codi import __version__
from codi.config import ConfigLayer, ConfigResolver, LintSettings

KEY_FORMAT = "codi-fleet-key-1"  # bump when what a stored result holds changes


def settings_data(settings: LintSettings) -> dict[str, Any]:
    """The settings as plain data, without the file names they came from."""
    data = dataclasses.asdict(settings)
    for layer in data["layers"]:
        layer.pop("source", None)
    return data


def effective_config(root: Path, dockerfiles: list[str], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings per Dockerfile folder (relative to ``root``), as `codi lint` would resolve them."""
    resolver = ConfigResolver(ConfigLayer("command line"), None, env, True)
    folders = sorted({str(Path(f).parent) for f in dockerfiles})
    return {folder: settings_data(resolver.for_folder(root / folder)) for folder in folders}


def content_key(config: Mapping[str, Any], files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    head = json.dumps([KEY_FORMAT, __version__, config], sort_keys=True, default=str, separators=(",", ":"))
    digest.update(head.encode("utf-8"))
    for path, data in sorted(files):
        digest.update(b"\0path\0" + path.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()
