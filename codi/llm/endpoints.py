"""OpenAI-compatible endpoints (``LLM_ENDPOINT``, comma-separated): round-robin, health, one retry."""

from __future__ import annotations

import importlib.util
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from codi.llm.runtime import SEED, Generation

HEALTH_TTL_S = 30.0


def endpoints_from_env() -> list[str]:
    return [u.strip() for u in os.environ.get("LLM_ENDPOINT", "").split(",") if u.strip()]


def timeout_from_env(default: float = 20.0) -> float:
    try:
        value = float(os.environ.get("LLM_TIMEOUT_SECONDS", "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def base_url(url: str) -> str:
    url = url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


class EndpointError(RuntimeError):
    """Every endpoint tried failed; ``attempts`` says what happened at each."""

    def __init__(self, attempts: list[str]) -> None:
        super().__init__("; ".join(attempts) or "no endpoint configured")
        self.attempts = attempts


_counters: dict[tuple[str, ...], itertools.count[int]] = {}
_health: dict[str, tuple[float, bool]] = {}
_lock = threading.Lock()


@dataclass(slots=True)
class EndpointPool:
    urls: list[str]
    timeout: float = 20.0
    attempts: list[str] = field(default_factory=list)

    def _order(self) -> list[str]:
        key = tuple(self.urls)
        with _lock:
            start = next(_counters.setdefault(key, itertools.count()))
        n = len(self.urls)
        return [self.urls[(start + i) % n] for i in range(n)]

    def healthy(self, url: str) -> bool:
        import httpx

        now = time.monotonic()
        cached = _health.get(url)
        if cached and now - cached[0] < HEALTH_TTL_S:
            return cached[1]
        ok = False
        for path in ("/healthz", "/v1/models"):
            try:
                resp = httpx.get(base_url(url) + path, timeout=min(self.timeout, 3.0))
                ok = resp.status_code == 200
            except (httpx.HTTPError, OSError):
                ok = False
            if ok:
                break
        _health[url] = (now, ok)
        return ok

    def chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, max_tokens: int,
             stop: list[str] | None, model: str | None = None) -> Generation:
        """First healthy endpoint in round-robin order, then one retry on the next; else EndpointError."""
        if importlib.util.find_spec("httpx") is None:
            raise EndpointError("LLM_ENDPOINT needs httpx: pip install 'codi[llm]'")
        import httpx

        self.attempts = []
        tries = 0
        for url in self._order():
            if tries == 2:
                break
            if not self.healthy(url):
                self.attempts.append(f"{url}: health check failed")
                continue
            tries += 1
            body: dict[str, Any] = {"model": model or "default", "messages": messages, "temperature": 0,
                                    "seed": SEED, "max_tokens": max_tokens, "stop": stop or None}
            if schema:
                body["response_format"] = {"type": "json_schema",
                                           "json_schema": {"name": "codi", "schema": schema, "strict": True}}
            started = time.perf_counter()
            try:
                resp = httpx.post(base_url(url) + "/v1/chat/completions", json=body, timeout=self.timeout)
                resp.raise_for_status()
                data: Any = resp.json()
                text = data["choices"][0]["message"]["content"] or ""
            except httpx.TimeoutException:
                self.attempts.append(f"{url}: timed out after {self.timeout:g} s")
                _health[url] = (time.monotonic(), False)
                continue
            except (httpx.HTTPError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
                self.attempts.append(f"{url}: {type(exc).__name__}: {exc}")
                _health[url] = (time.monotonic(), False)
                continue
            usage = data.get("usage") or {}
            return Generation(text=text, prompt_tokens=int(usage.get("prompt_tokens", 0)),
                              completion_tokens=int(usage.get("completion_tokens", 0)),
                              latency_ms=int((time.perf_counter() - started) * 1000),
                              model_id=str(data.get("model") or model or "unknown"),
                              adapter_version=data.get("adapter_version"), backend="endpoint", endpoint=url)
        raise EndpointError(self.attempts)


def reset_state() -> None:
    """Forget round-robin positions and cached health (tests)."""
    with _lock:
        _counters.clear()
        _health.clear()
