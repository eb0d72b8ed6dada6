"""The engine: decision, cache, debounce, cancellation and error episodes, with a fake
model standing in for AIService.complete."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from lantern.ai.errors import (
    NOT_CONFIGURED_HELP,
    AIError,
    Cancelled,
    NotConfigured,
    ProviderUnavailable,
)
from lantern.analysis.languages import language_named, parse
from lantern.completion.engine import CompletionEngine, EngineSettings, Request
from lantern.completion.postprocess import Suggestion
from lantern.positions import LineIndex

CURSOR = "<|cursor|>"


@dataclass
class Answer:
    text: str


@dataclass
class FakeModel:
    """Answers `reply` after `latency` seconds; records each call and its cancel event."""

    reply: Any = "3.14 * r * r"
    latency: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def complete(self, path: str, source: str, line: int, column: int, **kwargs: Any) -> Any:
        self.calls.append({"line": line, "column": column, **kwargs})
        if self.latency:
            try:
                await asyncio.wait_for(kwargs["cancel"].wait(), self.latency)
                return Cancelled("cancelled")  # as AIService answers a set cancel event
            except TimeoutError:
                pass
        return self.reply if not isinstance(self.reply, str) else Answer(self.reply)


def engine_for(model: FakeModel, *, ready: bool = True, debounce_ms: int = 0) -> tuple:
    """An engine on `model`, and the list of errors it reported."""
    reports: list[AIError] = []
    engine = CompletionEngine(
        complete=model.complete,
        unavailable=lambda: None if ready else NotConfigured(NOT_CONFIGURED_HELP),
        on_error=lambda error, request: reports.append(error),
        settings=EngineSettings(debounce_ms=debounce_ms, max_lines=8),
    )
    return engine, reports


def request(document: str, *, invoked: bool = False, uri: str = "file:///a.py") -> Request:
    offset = document.index(CURSOR)
    text = document.replace(CURSOR, "")
    spec = language_named("python")
    assert spec is not None
    return Request(
        uri=uri,
        path="/a.py",
        text=text,
        index=LineIndex(text),
        offset=offset,
        language=spec,
        tree=parse(spec, text.encode()),
        invoked=invoked,
    )


AREA = "def area(r):\n    return <|cursor|>\n"


async def test_a_suggestion_comes_from_the_model_then_from_the_cache() -> None:
    model = FakeModel()
    engine, _ = engine_for(model)
    first = await engine.suggest(request(AREA))
    assert (first.source, first.suggestion) == ("model", Suggestion("3.14 * r * r"))
    assert model.calls[0]["line"] == 2 and model.calls[0]["column"] == 11
    assert model.calls[0]["max_lines"] == 1  # a single-line decision asks for one line
    typed_ahead = await engine.suggest(request(AREA.replace(CURSOR, "3.14 " + CURSOR)))
    assert (typed_ahead.source, typed_ahead.suggestion) == ("cache", Suggestion("* r * r"))
    assert len(model.calls) == 1


async def test_no_model_call_inside_a_string() -> None:
    model = FakeModel()
    engine, _ = engine_for(model)
    outcome = await engine.suggest(request('x = "ab<|cursor|>c"\n'))
    assert outcome.source == "none" and not model.calls


async def test_without_a_model_the_user_is_told_once_per_episode() -> None:
    model = FakeModel()
    engine, reports = engine_for(model, ready=False)
    for _ in range(5):
        assert (await engine.suggest(request(AREA))).suggestion is None
    assert [error.kind for error in reports] == ["not_configured"]
    assert not model.calls


async def test_provider_failures_are_reported_once_until_a_completion_succeeds() -> None:
    model = FakeModel(reply=ProviderUnavailable("p1 is down (request id req-1)"))
    engine, reports = engine_for(model)
    for _ in range(3):
        assert (await engine.suggest(request(AREA, invoked=True))).source == "provider_unavailable"
    assert reports == [ProviderUnavailable("p1 is down (request id req-1)")]
    model.reply = "math.pi * r ** 2"
    assert (await engine.suggest(request(AREA))).suggestion is not None
    model.reply = ProviderUnavailable("p1 is down again")
    await engine.suggest(request(AREA.replace(CURSOR, "x" + CURSOR)))
    assert len(reports) == 2


async def test_a_newer_keystroke_supersedes_a_request_still_waiting() -> None:
    model = FakeModel()
    engine, _ = engine_for(model, debounce_ms=200)
    older = asyncio.ensure_future(engine.suggest(request(AREA)))
    await asyncio.sleep(0)
    newer = await engine.suggest(request(AREA.replace(CURSOR, "m" + CURSOR)))
    assert (await older).source == "superseded"
    assert newer.source == "model"
    assert len(model.calls) == 1


async def test_a_newer_keystroke_cancels_the_model_call_in_flight() -> None:
    model = FakeModel(latency=5.0)
    engine, _ = engine_for(model)
    older = asyncio.ensure_future(engine.suggest(request(AREA, invoked=True)))
    while not model.calls:
        await asyncio.sleep(0.001)
    model.latency = 0.0
    await engine.suggest(request(AREA.replace(CURSOR, "m" + CURSOR), invoked=True))
    assert model.calls[0]["cancel"].is_set()
    async with asyncio.timeout(1):
        assert (await older).source == "superseded"


async def test_explicit_invocation_does_not_wait_for_the_debounce() -> None:
    engine, _ = engine_for(FakeModel(), debounce_ms=5000)
    async with asyncio.timeout(1):
        assert (await engine.suggest(request(AREA, invoked=True))).suggestion is not None


async def test_time_inside_lantern_excludes_the_model_latency() -> None:
    engine, _ = engine_for(FakeModel(latency=0.3))
    outcome = await engine.suggest(request(AREA, invoked=True))
    assert outcome.suggestion is not None
    assert outcome.local_seconds < 0.2


async def test_new_settings_forget_earlier_suggestions() -> None:
    model = FakeModel()
    engine, _ = engine_for(model)
    await engine.suggest(request(AREA))
    engine.reconfigure(EngineSettings(debounce_ms=0, max_lines=3))
    assert (await engine.suggest(request(AREA))).source == "model"
    assert len(model.calls) == 2
