"""The air-gap guard refuses before any real connect or lookup is reached.

The real socket functions are replaced by recorders *before* the guard wraps them, so even a broken
guard could not send a packet: the addresses used are reserved documentation ones (RFC 5737/2606).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from codi.llm import airgap

BLOCKED_IP = "192.0.2.10"  # TEST-NET-1, never routed
BLOCKED_NAME = "blocked.example.invalid"


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    calls: list[Any] = []

    def fake_connect(self: socket.socket, address: Any) -> None:
        calls.append(("connect", address))
        raise ConnectionRefusedError("recorder: no real connect in tests")

    def fake_gai(host: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(("getaddrinfo", host))
        raise socket.gaierror("recorder: no real lookup in tests")

    airgap.uninstall()
    monkeypatch.setattr(socket.socket, "connect", fake_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, a: fake_connect(self, a) or 0)
    monkeypatch.setattr(socket, "getaddrinfo", fake_gai)
    yield calls
    airgap.uninstall()


def test_raw_socket_and_create_connection_are_refused(recorder: list[Any]) -> None:
    assert airgap.install(airgap.Policy())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(airgap.AirgapViolation):
        s.connect((BLOCKED_IP, 443))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(airgap.AirgapViolation):
        s.connect_ex((BLOCKED_IP, 443))
    with pytest.raises(airgap.AirgapViolation):
        socket.create_connection((BLOCKED_NAME, 80), timeout=1)
    with pytest.raises(airgap.AirgapViolation):
        socket.getaddrinfo(BLOCKED_NAME, 80)
    assert recorder == []


def test_http_clients_are_refused(recorder: list[Any]) -> None:
    airgap.install(airgap.Policy())
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{BLOCKED_NAME}/", timeout=1)
    with pytest.raises((urllib.error.URLError, airgap.AirgapViolation)):
        urllib.request.urlopen(f"http://{BLOCKED_IP}/", timeout=1)
    assert recorder == []


def test_loopback_and_allowlist_pass_through(recorder: list[Any]) -> None:
    airgap.install(airgap.Policy(["models.internal", "*.corp.example"]))
    for host in ("127.0.0.1", "localhost", "::1", "models.internal", "llm.corp.example"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s, pytest.raises(ConnectionRefusedError) as info:
            s.connect((host, 9))
        assert not isinstance(info.value, airgap.AirgapViolation)
    assert [c[1][0] for c in recorder] == ["127.0.0.1", "localhost", "::1", "models.internal", "llm.corp.example"]
    with pytest.raises(airgap.AirgapViolation):
        socket.getaddrinfo("evil.corp.example.org", 80)


def test_env_switches(monkeypatch: pytest.MonkeyPatch, recorder: list[Any]) -> None:
    monkeypatch.setenv("AIRGAP", "false")
    assert airgap.install() is False and not airgap.installed()
    monkeypatch.setenv("AIRGAP", "true")
    monkeypatch.setenv("AIRGAP_ALLOWLIST", "testserver, *.internal.api.local")
    assert airgap.install() and airgap.installed()
    assert airgap.policy_from_env().allows("testserver") and airgap.policy_from_env().allows("x.internal.api.local")
    with pytest.raises(airgap.AirgapViolation):
        socket.getaddrinfo(BLOCKED_NAME, 80)
    airgap.uninstall()
    assert socket.getaddrinfo is not None and not airgap.installed()


def test_policy_matching() -> None:
    p = airgap.Policy(["*.svc.local", "10.0.0.5"])
    assert p.allows("127.0.0.5") and p.allows("::ffff:127.0.0.1") and p.allows(None)
    assert p.allows("a.svc.local") and p.allows("svc.local") and p.allows("10.0.0.5")
    assert not p.allows("svc.local.evil.example") and not p.allows("10.0.0.6") and not p.allows(BLOCKED_IP)
