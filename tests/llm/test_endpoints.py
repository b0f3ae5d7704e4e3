"""OpenAI-compatible endpoints: round-robin, health, timeout, one retry, recorded fallbacks.

Servers here are `codi.llm.server.ModelServer` on 127.0.0.1 (free ports) wrapping a stand-in model,
so the client and the server's routes are tested together; each test stops what it starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from codi.llm.backend import Backend, LLMSettings, NoModel
from codi.llm.endpoints import EndpointError, EndpointPool, base_url, reset_state
from codi.llm.runtime import Generation
from codi.llm.server import ModelServer


class StandIn:
    """Answers like EmbeddedModel.chat, tagging the text with its name."""

    def __init__(self, name: str, delay: float = 0.0, broken: bool = False) -> None:
        self.model_id, self.adapter_version = name, "v-test"
        self.delay, self.broken = delay, broken
        self.schemas: list[Any] = []

    def chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None, max_tokens: int = 128,
             stop: list[str] | None = None) -> Generation:
        self.schemas.append(schema)
        if self.broken:
            raise RuntimeError("model crashed")
        time.sleep(self.delay)
        return Generation(json.dumps({"from": self.model_id}), 3, 2, 1, self.model_id, "v-test", "embedded")


@pytest.fixture
def servers() -> Iterator[list[ModelServer]]:
    started: list[ModelServer] = []
    reset_state()
    yield started
    for s in started:
        s.stop()
    reset_state()


def _serve(started: list[ModelServer], model: StandIn) -> ModelServer:
    server = ModelServer(model, "127.0.0.1", 0).start()  # type: ignore[arg-type]
    started.append(server)
    return server


MSG = [{"role": "user", "content": "hi"}]


def test_server_routes(servers: list[ModelServer]) -> None:
    model = StandIn("m1")
    s = _serve(servers, model)
    assert httpx.get(s.url + "/healthz").json() == {"status": "ok", "model_id": "m1", "adapter_version": "v-test"}
    assert httpx.get(s.url + "/v1/models").json()["data"][0]["id"] == "m1"
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = {"messages": MSG, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}
    reply = httpx.post(s.url + "/v1/chat/completions", json=body).json()
    assert reply["choices"][0]["message"]["role"] == "assistant" and reply["usage"]["total_tokens"] == 5
    assert model.schemas[-1] == schema
    assert httpx.post(s.url + "/v1/chat/completions", content=b"{}").status_code == 400
    assert httpx.get(s.url + "/nope").status_code == 404


def test_round_robin(servers: list[ModelServer]) -> None:
    a, b = _serve(servers, StandIn("a")), _serve(servers, StandIn("b"))
    pool = EndpointPool([a.url, b.url + "/v1/"], timeout=5)
    used = [json.loads(pool.chat(MSG, None, 8, None).text)["from"] for _ in range(4)]
    assert used == ["a", "b", "a", "b"]
    assert base_url(b.url + "/v1/") == b.url


def test_retry_on_next_endpoint_and_reason(servers: list[ModelServer]) -> None:
    bad, good = _serve(servers, StandIn("bad", broken=True)), _serve(servers, StandIn("good"))
    pool = EndpointPool([bad.url, good.url], timeout=5)
    gen = pool.chat(MSG, None, 8, None)
    assert gen.endpoint == good.url and gen.backend == "endpoint" and gen.model_id == "good"
    assert len(pool.attempts) == 1 and bad.url in pool.attempts[0]


def test_timeout_then_all_fail(servers: list[ModelServer]) -> None:
    slow = _serve(servers, StandIn("slow", delay=1.5))
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    pool = EndpointPool([slow.url, dead], timeout=0.4)
    with pytest.raises(EndpointError) as info:
        pool.chat(MSG, None, 8, None)
    text = str(info.value)
    assert "timed out" in text and "health check failed" in text


def test_backend_falls_back_with_reason(servers: list[ModelServer], tmp_path: Any) -> None:
    dead = "http://127.0.0.1:9"
    settings = LLMSettings(endpoints=[dead], timeout=0.5, model=str(tmp_path / "missing.gguf"))
    backend = Backend(settings)
    with pytest.raises(NoModel, match="no such GGUF"):
        backend.generate(MSG)
    assert any("endpoints failed" in n for n in backend.notes)
    assert any("embedded model unavailable" in n for n in backend.notes)
    with pytest.raises(NoModel, match="disabled"):
        Backend(LLMSettings(enabled=False)).generate(MSG)


def test_backend_uses_endpoint(servers: list[ModelServer], monkeypatch: pytest.MonkeyPatch) -> None:
    s = _serve(servers, StandIn("remote"))
    monkeypatch.setenv("LLM_ENDPOINT", s.url)
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "3")
    settings = LLMSettings.from_env()
    assert settings.endpoints == [s.url] and settings.timeout == 3.0
    gen = Backend(settings).generate(MSG, {"type": "object"})
    assert gen.backend == "endpoint" and gen.model_id == "remote" and gen.adapter_version == "v-test"


def test_client_that_gives_up_leaves_no_traceback(servers: list[ModelServer],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: a client timing out mid-generation made the server print a BrokenPipeError trace."""
    import socket

    slow = _serve(servers, StandIn("slow", delay=0.5))
    body = json.dumps({"messages": MSG}).encode()
    with socket.create_connection(("127.0.0.1", slow.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    time.sleep(1.0)  # the generation finishes and the answer meets a closed socket
    assert httpx.get(slow.url + "/healthz", timeout=5).json()["status"] == "ok"
    assert "Traceback" not in capsys.readouterr().err
