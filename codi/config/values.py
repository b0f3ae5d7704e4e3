"""Checking setting values, shared by the TOML, YAML, environment and command-line readers."""

from __future__ import annotations

import re

from codi.config.model import LEVELS, THRESHOLDS, ConfigError
from codi.safefs import parse_size


def line_of(text: str, key: str) -> int | None:
    """The first line where ``key`` is assigned (TOML ``key =`` or YAML ``key:``), if any."""
    pat = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]", re.MULTILINE)
    m = pat.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


class Checker:
    """Reads typed values out of a loaded mapping, raising ConfigError with file and line."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(message, self.source, line_of(self.text, key.split(".")[-1]))

    def codes(self, key: str, value: object) -> list[str]:
        """A list of selectors; a comma-separated string is accepted too."""
        if isinstance(value, str):
            return split_list(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
        raise self.fail(key, f"`{key}` must be a list of rule codes, got {value!r}")

    def strings(self, key: str, value: object) -> list[str]:
        if isinstance(value, str):  # hadolint's `trustedRegistries: docker.io` (one registry)
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise self.fail(key, f"`{key}` must be a list of strings, got {value!r}")

    def boolean(self, key: str, value: object) -> bool:
        if isinstance(value, bool):
            return value
        raise self.fail(key, f"`{key}` must be true or false, got {value!r}")

    def threshold(self, key: str, value: object) -> str:
        if isinstance(value, str) and value.strip().lower() == "ignore":
            return "style"  # hadolint's lowest level (below style): every finding fails the run
        if isinstance(value, str) and value.strip().lower() in THRESHOLDS:
            return value.strip().lower()
        raise self.fail(key, f"`{key}` must be one of {', '.join(THRESHOLDS)}, got {value!r}")

    def level(self, key: str, value: object) -> str:
        if isinstance(value, str) and value.strip().lower() in LEVELS:
            return value.strip().lower()
        raise self.fail(key, f"`{key}` must be one of {', '.join(LEVELS)}, got {value!r}")

    def size(self, key: str, value: object) -> int:
        """A size in bytes: a number, or text such as "4M" or "512k"."""
        try:
            if isinstance(value, int | str) and not isinstance(value, bool):
                return parse_size(value)
        except ValueError as exc:
            raise self.fail(key, f"`{key}`: {exc}") from None
        raise self.fail(key, f"`{key}` must be a size such as 4M or 4194304, got {value!r}")

    def label_schema(self, key: str, value: object) -> dict[str, str]:
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return {k: v for k, v in value.items()}
        raise self.fail(key, f"`{key}` must map label names to types (text, url, email, ...), got {value!r}")


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def label_schema_items(source: str, items: list[str]) -> dict[str, str]:
    """hadolint's ``--require-label LABEL:FORMAT`` items (also ``HADOLINT_REQUIRE_LABELS``)."""
    out: dict[str, str] = {}
    for item in items:
        label, colon, kind = item.rpartition(":")
        if not colon or not label.strip() or not kind.strip():
            raise ConfigError(f"{source}: expected LABEL:FORMAT (e.g. maintainer:text), got {item!r}")
        out[label.strip()] = kind.strip()
    return out
