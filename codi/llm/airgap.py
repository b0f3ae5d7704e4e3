"""Air-gap guard: refuse outbound connections at the socket level (AIRGAP, default on).

Installed once at CLI and API start. It wraps ``socket.socket.connect``/``connect_ex``,
``socket.create_connection`` and ``socket.getaddrinfo``, so httpx, requests, urllib and raw
sockets are all covered. Loopback is always allowed; ``AIRGAP_ALLOWLIST`` adds hosts
(comma-separated, exact names/addresses or ``*.suffix`` patterns). Unix sockets are not network.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codi.config.flags import airgap_enabled

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class AirgapViolation(ConnectionRefusedError):
    """An outbound connection to a host that is neither loopback nor allow-listed."""


@dataclass(slots=True)
class Policy:
    allow: list[str] = field(default_factory=list)

    def allows(self, host: str | bytes | None) -> bool:
        if host is None:
            return True  # getaddrinfo(None, port) resolves to local addresses only
        name = (host.decode() if isinstance(host, bytes) else str(host)).strip().strip("[]").lower()
        name = name.split("%", 1)[0]  # IPv6 scope id
        if name in _LOOPBACK_NAMES or name.endswith(".localhost") or name == "":
            return True
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            ip = None
        if ip is not None:
            mapped = getattr(ip, "ipv4_mapped", None)
            if ip.is_loopback or (mapped is not None and mapped.is_loopback) or ip.is_unspecified:
                return True
        for pattern in self.allow:
            if pattern.startswith("*."):
                if name.endswith(pattern[1:]) or name == pattern[2:]:
                    return True
            elif name == pattern:
                return True
        return False


def policy_from_env() -> Policy:
    raw = os.environ.get("AIRGAP_ALLOWLIST", "")
    return Policy([p.strip().lower() for p in raw.split(",") if p.strip()])


_originals: dict[str, Any] = {}
_policy: Policy | None = None


def _host_of(address: Any) -> str | bytes | None:
    if isinstance(address, tuple) and address:
        return address[0]  # type: ignore[no-any-return]
    return None


def _check(host: str | bytes | None, what: str) -> None:
    if _policy is not None and not _policy.allows(host):
        raw = host.decode() if isinstance(host, bytes) else host
        raise AirgapViolation(f"air-gap: {what} to {raw!r} refused (AIRGAP is on; add the host to "
                              "AIRGAP_ALLOWLIST or set AIRGAP=false)")


def _is_inet(sock: socket.socket) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def install(policy: Policy | None = None) -> bool:
    """Install the guard (idempotent; a later call replaces the policy). False when AIRGAP is off."""
    global _policy
    if policy is None:
        if not airgap_enabled():
            uninstall()
            return False
        policy = policy_from_env()
    _policy = policy
    if _originals:
        return True
    _originals.update(connect=socket.socket.connect, connect_ex=socket.socket.connect_ex,
                      create_connection=socket.create_connection, getaddrinfo=socket.getaddrinfo)
    real_connect: Callable[..., Any] = _originals["connect"]
    real_connect_ex: Callable[..., Any] = _originals["connect_ex"]
    real_create: Callable[..., Any] = _originals["create_connection"]
    real_gai: Callable[..., Any] = _originals["getaddrinfo"]

    def connect(self: socket.socket, address: Any) -> Any:
        if _is_inet(self):
            _check(_host_of(address), "connect")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if _is_inet(self):
            _check(_host_of(address), "connect")
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        _check(_host_of(address), "connection")
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        _check(host, "name lookup")
        return real_gai(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment,unused-ignore]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment,unused-ignore]
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
    return True


def uninstall() -> None:
    """Restore the real socket functions (tests; `AIRGAP=false`)."""
    global _policy
    _policy = None
    if not _originals:
        return
    socket.socket.connect = _originals["connect"]  # type: ignore[method-assign,assignment,unused-ignore]
    socket.socket.connect_ex = _originals["connect_ex"]  # type: ignore[method-assign,assignment,unused-ignore]
    socket.create_connection = _originals["create_connection"]
    socket.getaddrinfo = _originals["getaddrinfo"]
    _originals.clear()


def installed() -> bool:
    return bool(_originals) and _policy is not None
