"""OpenAI-compatible providers: clients, routing per task, fallback, limits and breakers.

Retries with backoff, jitter and `Retry-After` are the `openai` SDK's own (configured
per provider); this module adds what the SDK lacks: the next provider on failure, a
circuit breaker, client-side rate limits, a deadline, and negotiation of what each
endpoint accepts: the JSON form it takes (a JSON schema, JSON mode with a schema, or plain
text), `stream_options`, `max_completion_tokens`, and how many requests it serves at once
(a server that cuts a stream short when another request arrives gets one at a time,
queued here, and the time spent queueing is reported). `openai` is imported on the first
request, never at import time. API keys are read from the environment when a client is
built and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from lantern.ai.errors import (
    NOT_CONFIGURED_HELP,
    NotConfigured,
    ProviderUnavailable,
    RateLimited,
    TimedOut,
)
from lantern.ai.limits import CircuitBreaker, Clock, RateLimiter
from lantern.ai.privacy import scrub
from lantern.ai.stats import Stats
from lantern.config import AISettings, ProviderSettings, Task

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger("lantern.ai")

FailureKind = Literal[
    "rate_limited",
    "timeout",
    "connection",
    "server_error",
    "auth",
    "model_not_found",
    "bad_request",
    "bad_response",
    "interrupted",
]
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Sent when a provider needs no key (local servers): the SDK insists on a non-empty one.
NO_KEY = "no-key-needed"


class ProviderFailure(Exception):
    """One provider could not answer; the pool moves on to the next one."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        retry_after: float | None = None,
        request_id: str | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.request_id = request_id


@dataclass(frozen=True)
class Reply:
    """A model's answer with what it cost."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float
    finish_reason: str | None = None
    queue_ms: float = 0.0  # waiting for a free slot of a one-request-at-a-time endpoint


def provider_settings(ai: AISettings, env: Mapping[str, str]) -> list[ProviderSettings]:
    """The configured providers; without any, `OPENAI_API_KEY` makes a last-resort one."""
    if ai.providers:
        return list(ai.providers)
    if env.get("OPENAI_API_KEY"):
        return [
            ProviderSettings(
                name="openai",
                base_url=env.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_BASE_URL,
                model=env.get("LANTERN_AI_MODEL") or ai.openai_env_model,
                api_key_env="OPENAI_API_KEY",
            )
        ]
    return []


class Provider:
    """One endpoint: its lazily built SDK client, breaker, limits and learned quirks."""

    def __init__(
        self, settings: ProviderSettings, ai: AISettings, clock: Clock, env: Mapping[str, str]
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.clock = clock
        self.breaker = CircuitBreaker(ai.breaker_failures, ai.breaker_cooldown_seconds, clock)
        self.limiter = RateLimiter(settings.requests_per_minute, settings.tokens_per_minute, clock)
        self.api_key = env.get(settings.api_key_env) if settings.api_key_env else None
        # What the endpoint accepts, learned from its refusals.
        auto = settings.structured_output == "auto"
        self.structured_mode = "json_schema" if auto else settings.structured_output
        self.fill_in_middle = settings.fill_in_middle
        self.token_parameter = "max_tokens"
        self.stream_usage = True  # ask streams to end with `usage`, until refused
        self.resting_until = 0.0  # after a 429 with Retry-After, skip until then
        # Requests sent at once: unlimited until configured, or learned from a server
        # that cut a stream short because another request came in.
        self.concurrency = settings.max_concurrent_requests
        self.waiting = 0  # callers queued for a slot right now
        self.queue_timeouts = 0  # callers whose deadline passed while they were queued
        self.active = 0  # requests on the wire right now
        self._sent = 0  # requests ever sent, to tell whether one overlapped another
        self._slots: asyncio.Semaphore | None = None
        self._client: AsyncOpenAI | None = None

    @property
    def key_missing(self) -> bool:
        return bool(self.settings.api_key_env) and not self.api_key

    def secrets(self) -> list[str]:
        """Values that must never appear in a message (scrubbed from errors)."""
        return [self.api_key] if self.api_key else []

    def client(self) -> AsyncOpenAI:
        if self._client is None:
            import openai  # costs ~0.5 s: only when a request is really made

            common: dict[str, Any] = {
                "api_key": self.api_key or NO_KEY,
                "timeout": self.settings.timeout,
                "max_retries": self.settings.max_retries,
                "default_headers": self.settings.headers or None,
            }
            if self.settings.api_version:
                self._client = _within_deadline(openai.AsyncAzureOpenAI)(
                    azure_endpoint=self.settings.base_url,
                    api_version=self.settings.api_version,
                    **common,
                )
            else:
                self._client = _within_deadline(openai.AsyncOpenAI)(
                    base_url=self.settings.base_url, **common
                )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # -- requests ----------------------------------------------------------------------

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        timeout: float,
        schema: tuple[str, dict[str, Any]] | None = None,
        stream: bool = False,
        stop_after_lines: int | None = None,
        retries: int | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Reply:
        """One chat completion. With `schema` (name, JSON schema) ask for JSON, in the
        strictest form this endpoint accepts. Streamed, `on_text` hears the answer so far
        after each piece."""
        while True:
            extra: dict[str, Any] = {self.token_parameter: max_tokens}
            if schema is not None and self.structured_mode != "text":
                extra["response_format"] = _response_format(self.structured_mode, *schema)
            try:
                return await self._call(
                    "chat",
                    messages,
                    extra,
                    temperature,
                    timeout,
                    stream,
                    stop_after_lines,
                    retries,
                    on_text,
                )
            except ProviderFailure as failure:
                if not self._learn_from(failure, extra):
                    raise

    async def complete_code(
        self,
        prefix: str,
        suffix: str,
        *,
        max_tokens: int,
        timeout: float,
        stop_after_lines: int,
    ) -> Reply:
        """Fill in the middle through the legacy `/completions` route with `suffix`."""
        extra: dict[str, Any] = {"max_tokens": max_tokens, "suffix": suffix}
        try:
            try:
                reply = await self._call(
                    "completions", prefix, extra, 0.0, timeout, True, stop_after_lines
                )
            except ProviderFailure as failure:
                if not (self.stream_usage and "stream_options" in failure.message.lower()):
                    raise
                self.stream_usage = False
                reply = await self._call(
                    "completions", prefix, extra, 0.0, timeout, True, stop_after_lines
                )
        except ProviderFailure as failure:
            if self.fill_in_middle is None and failure.kind in ("bad_request", "model_not_found"):
                self.fill_in_middle = False  # this endpoint has no FIM: use chat from now on
            raise
        if self.fill_in_middle is None:
            self.fill_in_middle = True
        return reply

    async def list_models(self, timeout: float) -> list[str]:
        try:
            page = await self.client().with_options(max_retries=0).models.list(timeout=timeout)
            return [model.id for model in page.data]
        except Exception as exc:
            raise self._failure(exc) from None

    def _learn_from(self, failure: ProviderFailure, sent: dict[str, Any]) -> bool:
        """Adapt to an endpoint's refusal of a parameter; True if worth asking again.

        Refusals come as 400s, and from some servers as a 500 whose message names the
        parameter (llama-cpp-python validates `response_format` that way)."""
        text = failure.message.lower()
        about_format = any(word in text for word in ("response_format", "json", "schema"))
        if failure.kind == "server_error" and "response_format" in sent and about_format:
            failure.kind = "bad_request"
        if failure.kind != "bad_request":
            return False
        if "response_format" in sent and self.settings.structured_output == "auto" and about_format:
            self.structured_mode = (
                "json_object" if self.structured_mode == "json_schema" else "text"
            )
            log.info("%s: falling back to %s answers", self.name, self.structured_mode)
            return True
        if self.stream_usage and "stream_options" in text:
            self.stream_usage = False
            return True
        if self.token_parameter == "max_tokens" and "max_completion_tokens" in text:
            self.token_parameter = "max_completion_tokens"
            return True
        return False

    async def _call(
        self,
        route: Literal["chat", "completions"],
        prompt: list[dict[str, str]] | str,
        extra: dict[str, Any],
        temperature: float,
        timeout: float,
        stream: bool,
        stop_after_lines: int | None,
        retries: int | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Reply:
        for attempt in (1, 2):
            async with self._slot() as queued_seconds:
                mark = self._sent
                self._sent += 1
                self.active += 1
                overlapped = self.active > 1
                try:
                    reply = await self._send(
                        route,
                        prompt,
                        extra,
                        temperature,
                        timeout,
                        stream,
                        stop_after_lines,
                        retries,
                        on_text,
                    )
                    return dataclasses.replace(reply, queue_ms=queued_seconds * 1000)
                except ProviderFailure as failure:
                    overlapped = overlapped or self._sent > mark + 1
                    if failure.kind != "interrupted":
                        raise
                    failure.kind = "bad_response"
                    if not overlapped or attempt == 2:
                        raise
                    if self.concurrency != 1:
                        self._serve_one_at_a_time()
                finally:
                    self.active -= 1
            # Cut short for another caller's request: ask again, queued behind it this time.
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _serve_one_at_a_time(self) -> None:
        log.info(
            "%s cut an answer short when another request came in: it serves one request at "
            "a time, so Lantern now queues them (`max_concurrent_requests = 1`).",
            self.name,
        )
        self.concurrency = 1
        self._slots = asyncio.Semaphore(1)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[float]:
        """Hold one of the endpoint's request slots (if it has a limit); yields the
        seconds spent waiting for it."""
        if self.concurrency is None:
            yield 0.0
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        slots = self._slots  # release into the semaphore acquired, even if one is learned
        started = time.monotonic()
        self.waiting += 1
        try:
            await slots.acquire()
        except asyncio.CancelledError:
            self.queue_timeouts += 1  # (or a cancelled caller: either way, not the server)
            raise
        finally:
            self.waiting -= 1
        try:
            yield time.monotonic() - started
        finally:
            slots.release()

    async def _send(
        self,
        route: Literal["chat", "completions"],
        prompt: list[dict[str, str]] | str,
        extra: dict[str, Any],
        temperature: float,
        timeout: float,
        stream: bool,
        stop_after_lines: int | None,
        retries: int | None,
        on_text: Callable[[str], None] | None,
    ) -> Reply:
        client = self.client()
        if retries is not None:
            client = client.with_options(max_retries=retries)
        if stream and self.stream_usage:
            extra = {**extra, "stream_options": {"include_usage": True}}
        # Our own id on every request, so a failure can be named in messages and matched
        # in the provider's logs; the provider's `x-request-id` wins when it sends one.
        request_id = f"lantern-{uuid.uuid4().hex[:12]}"
        extra = {**extra, "extra_headers": {"X-Client-Request-Id": request_id}}
        started = time.monotonic()
        deadline = _CALL_DEADLINE.set(started + timeout)
        try:
            if route == "chat":
                response: Any = await client.chat.completions.create(
                    model=self.settings.model,
                    messages=prompt,  # type: ignore[arg-type]
                    temperature=temperature,
                    stream=stream,
                    timeout=timeout,
                    **extra,
                )
            else:
                response = await client.completions.create(
                    model=self.settings.model,
                    prompt=prompt,  # type: ignore[arg-type]
                    temperature=temperature,
                    stream=stream,
                    timeout=timeout,
                    **extra,
                )
            if stream:
                text, finish, usage = await _read_stream(response, stop_after_lines, on_text)
            else:
                choice = response.choices[0]
                text = choice.message.content if route == "chat" else choice.text
                finish, usage = choice.finish_reason, response.usage
        except ProviderFailure as failure:
            failure.request_id = failure.request_id or request_id
            raise
        except Exception as exc:
            failure = self._failure(exc)
            failure.request_id = getattr(exc, "request_id", None) or request_id
            raise failure from None
        finally:
            _CALL_DEADLINE.reset(deadline)
        if text is None:
            raise ProviderFailure(
                "bad_response", f"{self.name}: the answer has no text", request_id=request_id
            )
        return Reply(
            text=text,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            latency_ms=(time.monotonic() - started) * 1000,
            finish_reason=finish,
        )

    def _failure(self, exc: BaseException) -> ProviderFailure:
        """Translate anything the SDK raised into a ProviderFailure with a clean message."""
        import openai

        name = self.name
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = _server_message(exc)
            retry_after = _retry_after(exc.response.headers)
            kind: FailureKind
            if status == 429:
                kind = "rate_limited"
            elif status in (401, 403):
                kind = "auth"
            elif status == 404:
                kind = "model_not_found"
            elif status >= 500:
                kind = "server_error"
            else:
                kind = "bad_request"
            message = f"{name}: HTTP {status}" + (f" ({detail})" if detail else "")
            if kind == "rate_limited" and retry_after:
                message += f"; it asks to wait {retry_after:g}s before the next request"
            return ProviderFailure(kind, scrub(message, self.secrets()), retry_after)
        if isinstance(exc, openai.APITimeoutError):
            return ProviderFailure(
                "timeout", f"{name}: no answer within {self.settings.timeout:g}s"
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            reason = type(cause).__name__ if cause else "connection error"
            return ProviderFailure(
                "connection", f"{name}: cannot reach {self.settings.base_url} ({reason})"
            )
        # Garbage bodies surface as JSON or validation errors from deep inside the SDK.
        return ProviderFailure(
            "bad_response",
            scrub(f"{name}: unreadable answer ({type(exc).__name__})", self.secrets()),
        )


def _response_format(mode: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    if mode == "json_object":
        # JSON mode alone lets a model write any JSON, or none until `max_tokens`
        # (llama.cpp); servers that constrain output by a schema read it from here,
        # the others ignore it.
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


async def _read_stream(
    stream: Any, stop_after_lines: int | None, on_text: Callable[[str], None] | None = None
) -> tuple[str, str | None, Any]:
    """Collect a streamed answer; stop early after enough lines (closing the connection).
    `on_text` hears the text so far after each piece (progress while the model writes)."""
    parts: list[str] = []
    finish: str | None = None
    usage = None
    lines = 0
    try:
        async for chunk in stream:
            usage = getattr(chunk, "usage", None) or usage
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            piece = choice.delta.content if hasattr(choice, "delta") else choice.text
            if piece:
                parts.append(piece)
                lines += piece.count("\n")
                if on_text is not None:
                    on_text("".join(parts))
            finish = choice.finish_reason or finish
            if stop_after_lines is not None and lines >= stop_after_lines:
                return "".join(parts), "length_lines", usage
    finally:
        await stream.close()
    if finish is None:
        # The stream ended without a final chunk: the answer may be cut anywhere (and
        # llama.cpp ends a stream this way when another request arrives).
        raise ProviderFailure("interrupted", "the stream ended before the answer was complete")
    return "".join(parts), finish, usage


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else str(error)
    if message is None:
        try:
            message = json.loads(exc.response.text).get("error", {}).get("message")
        except Exception:
            message = None
    return " ".join(str(message or "").split())[:200]


# When the request being made must be answered (time.monotonic()), for the SDK's retries.
_CALL_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "lantern_call_deadline", default=None
)
_BOUNDED: dict[type, type] = {}


def _within_deadline(client_class: type) -> Any:
    """`client_class` (an openai client) whose built-in retry gives up at once when the
    server's `Retry-After` would outlast the call's deadline: sleeping past it only to be
    cut off would hide the rate limit behind a timeout, and the provider is rested for
    the time it asked instead (`ProviderPool._failed`)."""
    if client_class not in _BOUNDED:

        class Bounded(client_class):  # type: ignore[misc, valid-type]
            def _should_retry(self, response: Any) -> bool:
                wait = _retry_after(response.headers)
                deadline = _CALL_DEADLINE.get()
                if wait is not None and deadline is not None and time.monotonic() + wait > deadline:
                    return False
                return bool(super()._should_retry(response))

        Bounded.__name__ = client_class.__name__
        _BOUNDED[client_class] = Bounded
    return _BOUNDED[client_class]


def _retry_after(headers: Any) -> float | None:
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name) if headers is not None else None
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue
    return None


Operation = Callable[[Provider, float], Awaitable[Reply]]


class ProviderPool:
    """All providers, routed per task; `call` walks the route until one answers."""

    def __init__(
        self, ai: AISettings, clock: Clock, stats: Stats, env: Mapping[str, str] | None = None
    ) -> None:
        env = os.environ if env is None else env
        self.clock = clock
        self.stats = stats
        self.warnings: list[str] = []
        self.providers: dict[str, Provider] = {}
        for settings in provider_settings(ai, env):
            if settings.name in self.providers:
                self.warnings.append(
                    f"Provider name `{settings.name}` is used twice; the first wins."
                )
                continue
            self.providers[settings.name] = Provider(settings, ai, clock, env)
        self.routes: dict[Task, list[Provider]] = {}
        for task in ("review", "fix", "explain", "generate", "complete"):
            names = ai.routing.get(task)  # type: ignore[call-overload]
            if names is None:
                route = [p for p in self.providers.values() if task in p.settings.tasks]
            else:
                route = []
                for name in names:
                    if name in self.providers:
                        route.append(self.providers[name])
                    else:
                        self.warnings.append(
                            f"`ai.routing.{task}` names unknown provider `{name}`."
                        )
            self.routes[task] = route  # type: ignore[index]

    def route(self, task: Task) -> list[Provider]:
        return self.routes[task]

    def not_configured(self, task: Task) -> NotConfigured:
        if not self.providers:
            return NotConfigured(NOT_CONFIGURED_HELP)
        return NotConfigured(
            f'No provider serves `{task}`. Add "{task}" to a provider\'s `tasks`, or list '
            f"providers under `ai.routing.{task}` (configured: {', '.join(self.providers)})."
        )

    async def call(
        self,
        task: Task,
        operation: Operation,
        *,
        estimated_tokens: int,
        deadline: float,
        only: Provider | None = None,
    ) -> tuple[Provider, Reply]:
        """Ask each provider of `task`'s route in turn (or just `only`) until one answers.

        Raises TimedOut, RateLimited, ProviderUnavailable or NotConfigured; never returns
        without an answer.
        """
        route = [only] if only is not None else self.route(task)
        if not route:
            raise self.not_configured(task)
        attempts: list[dict[str, Any]] = []
        rate_limits: list[float | None] = []
        for provider in route:
            skip = self._skip_reason(provider)
            if skip is not None:
                attempts.append({"provider": provider.name, "kind": skip[0], "message": skip[1]})
                if skip[0] == "rate_limited":
                    rate_limits.append(provider.resting_until - self.clock.monotonic())
                continue
            try:
                await provider.limiter.acquire(estimated_tokens, deadline, provider.name)
            except RateLimited as limited:
                provider.breaker.release()
                attempts.append(
                    {"provider": provider.name, "kind": "local_limit", "message": limited.message}
                )
                rate_limits.append(limited.details.get("retry_after"))
                continue
            remaining = deadline - self.clock.monotonic()
            queue_timeouts = provider.queue_timeouts
            try:
                async with asyncio.timeout(self.clock.real_seconds(remaining)):
                    reply = await operation(
                        provider, min(provider.settings.timeout, self.clock.real_seconds(remaining))
                    )
            except ProviderFailure as failure:
                self._failed(provider, task, failure, attempts, rate_limits)
                continue
            except TimeoutError:
                if provider.queue_timeouts > queue_timeouts:
                    # Still queued behind our own requests: the provider did nothing wrong.
                    provider.breaker.release()
                    where = (
                        f"still queued for {provider.name}, which serves "
                        f"{provider.concurrency} request(s) at a time"
                    )
                else:
                    provider.breaker.record_failure()
                    where = f"last tried: {provider.name}"
                self.stats.failed(provider.name, task, "timeout")
                raise TimedOut(
                    f"No answer for `{task}` within its deadline "
                    f"(`ai.deadline_seconds.{task}`); {where}.",
                    attempts=[*attempts, {"provider": provider.name, "kind": "timeout"}],
                ) from None
            except BaseException:
                provider.breaker.release()
                raise
            provider.breaker.record_success()
            self.stats.answered(
                provider.name,
                task,
                reply.latency_ms,
                reply.prompt_tokens or 0,
                reply.completion_tokens or 0,
                reply.queue_ms,
            )
            used = (reply.prompt_tokens or 0) + (reply.completion_tokens or 0)
            provider.limiter.settle(estimated_tokens, used or None)
            return provider, reply
        summary = "; ".join(attempt["message"] for attempt in attempts)
        if attempts and all(a["kind"] in ("rate_limited", "local_limit") for a in attempts):
            known = [wait for wait in rate_limits if wait is not None]
            raise RateLimited(
                f"Rate limited: {summary}",
                retry_after=min(known) if known else None,
                attempts=attempts,
            )
        raise ProviderUnavailable(
            f"No provider could answer `{task}`: {summary}", attempts=attempts
        )

    def _skip_reason(self, provider: Provider) -> tuple[str, str] | None:
        if provider.key_missing:
            env = provider.settings.api_key_env
            return "not_configured", f"{provider.name}: the environment variable {env} is not set"
        now = self.clock.monotonic()
        if provider.resting_until > now:
            wait = provider.resting_until - now
            return "rate_limited", f"{provider.name}: rate limited, retry in {wait:.1f}s"
        if not provider.breaker.allow():
            wait = provider.breaker.retry_in()
            return (
                "circuit_open",
                f"{provider.name}: skipped after {provider.breaker.failures} failures in a row "
                f"(next try in {wait:.1f}s)",
            )
        return None

    def _failed(
        self,
        provider: Provider,
        task: Task,
        failure: ProviderFailure,
        attempts: list[dict[str, Any]],
        rate_limits: list[float | None],
    ) -> None:
        provider.breaker.record_failure()
        self.stats.failed(provider.name, task, failure.kind)
        if failure.kind == "rate_limited":
            rate_limits.append(failure.retry_after)
            if failure.retry_after:
                provider.resting_until = self.clock.monotonic() + failure.retry_after
        log.warning("%s failed for %s: %s", provider.name, task, failure.message)
        message = failure.message
        if failure.request_id:
            message += f" [request {failure.request_id}]"
        attempts.append(
            {
                "provider": provider.name,
                "kind": failure.kind,
                "message": message,
                "request_id": failure.request_id,
            }
        )

    async def close(self) -> None:
        for provider in self.providers.values():
            await provider.close()
