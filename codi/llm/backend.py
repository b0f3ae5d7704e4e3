"""Pick where words come from: endpoints, else the embedded model, else none (deterministic).

Every fall-back is recorded with its reason in ``Backend.notes``; nothing falls back silently.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from codi.config.flags import llm_enabled
from codi.config.paths import adapter_path_from_env
from codi.llm import worker
from codi.llm.adapters import AdapterError
from codi.llm.endpoints import EndpointError, EndpointPool, endpoints_from_env, timeout_from_env
from codi.llm.runtime import Generation, ModelUnavailable, embedded
from codi.telemetry.redact import redact_text
from codi.telemetry.tracing import span


@dataclass(slots=True)
class LLMSettings:
    enabled: bool = True
    endpoints: list[str] = field(default_factory=list)
    timeout: float = 20.0
    model: str | None = None  # GGUF path for the embedded runtime
    adapter: str | None = None
    ruleset: str | None = None

    @classmethod
    def from_env(cls, enabled: bool = True, model: str | None = None, adapter: str | None = None,
                 ruleset: str | None = None) -> LLMSettings:
        return cls(enabled=enabled and llm_enabled(), endpoints=endpoints_from_env(),
                   timeout=timeout_from_env(), model=model, adapter=adapter or adapter_path_from_env(),
                   ruleset=ruleset)


DISABLED = "LLM disabled (--no-llm or LLM_ENABLED=false)"


class NoModel(RuntimeError):
    """No backend could answer; the message is the fallback reason."""


@dataclass(slots=True)
class Backend:
    settings: LLMSettings
    notes: list[str] = field(default_factory=list)
    _embedded_error: str | None = None
    _endpoints_down: bool = False

    def generate(self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None,
                 max_tokens: int = 128, stop: list[str] | None = None, sentences: int | None = None) -> Generation:
        """The model's answer; with ``sentences``, only that many sentences of it (the embedded model stops
        writing there, an endpoint's text is cut there)."""
        # Facts in a prompt come from the user's Dockerfile: secret values never reach a model (or its logs).
        messages = [{**m, "content": redact_text(m.get("content", ""))} for m in messages]
        with span("llm.generate", adapter=self.settings.adapter) as traced:
            got = self._generate(messages, schema, max_tokens, stop, sentences)
            traced.set(model=got.model_id, adapter=got.adapter_version, backend=got.backend,
                       prompt_tokens=got.prompt_tokens, completion_tokens=got.completion_tokens,
                       latency_ms=got.latency_ms, fallback=bool(self._endpoints_down or self._embedded_error))
            traced.content(prompt=messages[-1].get("content") if messages else None, completion=got.text)
            return got

    def _generate(self, messages: list[dict[str, str]], schema: dict[str, Any] | None,
                  max_tokens: int, stop: list[str] | None, sentences: int | None = None) -> Generation:
        if not self.settings.enabled:
            raise NoModel(DISABLED)
        if self.settings.endpoints and not self._endpoints_down:
            pool = EndpointPool(self.settings.endpoints, self.settings.timeout)
            try:
                got = pool.chat(messages, schema, max_tokens, stop)
                if sentences is not None and schema is None:
                    from codi.llm.guard import sentences as split

                    got.text = " ".join(split(got.text)[:sentences])
                return got
            except EndpointError as exc:
                # Later calls of this run go straight to the embedded model.
                self._endpoints_down = True
                self._note(f"endpoints failed ({exc}); using the embedded model")
        if self._embedded_error is None:
            try:
                child = worker.running(self.settings.model, self.settings.adapter)
                if child is not None:  # `codi run` from a shell: loaded in a process of its own
                    child.require_ruleset(self.settings.ruleset)
                    return child.chat(messages, schema, max_tokens, stop, sentences)
                model = embedded(self.settings.model, self.settings.adapter, self.settings.ruleset)
                return model.chat(messages, schema, max_tokens, stop, sentences)
            except (ModelUnavailable, AdapterError) as exc:
                self._embedded_error = str(exc)
                self._note(f"embedded model unavailable: {exc}")
        raise NoModel(self._embedded_error or "no model")

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def preload(settings: LLMSettings) -> threading.Thread | None:
    """Start loading the embedded model (and verifying its adapter) on a background thread, so that the
    load (~0.4 s on 2 cores) overlaps the deterministic work before the first model call. The model cache
    (``codi.llm.runtime.embedded``) makes the later call wait for this load instead of repeating it; a load
    that fails here is not cached and fails again, with its reason, where the model is used. Nothing to do
    with the model off or an endpoint configured (the embedded model is then only the fallback)."""
    if not settings.enabled or settings.endpoints:
        return None
    if worker.running(settings.model, settings.adapter) is not None:
        return None  # `codi run` from a shell started it in a process of its own (codi.llm.worker)

    def load() -> None:
        from codi.llm import prompts

        try:
            model = embedded(settings.model, settings.adapter, settings.ruleset)
            # The system messages of the explain and rank prompts are read now too, while CODI analyses.
            model.warm(prompts.fixed_heads())
        except Exception:  # noqa: BLE001 - reported by the call that needs the model
            return

    thread = threading.Thread(target=load, name="codi-model-preload", daemon=True)
    thread.start()
    return thread

