"""Helpers for the AI layer's tests: settings pointing at loopback servers, services
with a private cache, and clocks that make minutes pass quickly."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from lantern.ai.limits import Clock
from lantern.ai.service import AIService
from lantern.cache import open_cache
from lantern.config import Settings
from tests.support.openai_server import OpenAIServer

PY_SOURCE = """import os
from pathlib import Path


def load(text):
    value = eval(text)
    return value


class Store:
    def save(self, path, data):
        Path(path).write_text(data)
"""


def provider(server: OpenAIServer | str, name: str = "p1", **overrides: Any) -> dict[str, Any]:
    """A provider entry for `server` (or a base URL); retries off unless asked for."""
    url = server if isinstance(server, str) else server.url
    return {"name": name, "base_url": url, "model": "test-model", "max_retries": 0, **overrides}


def settings_for(*providers: dict[str, Any], cache_dir: Path, **ai: Any) -> Settings:
    return Settings.model_validate(
        {"ai": {"providers": list(providers), **ai}, "cache": {"dir": str(cache_dir)}}
    )


def unused_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FastClock(Clock):
    """Time runs `factor` times faster: a minute of rate limit lasts 60/factor seconds."""

    def __init__(self, factor: float = 100.0) -> None:
        self.factor = factor
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return self._origin + (time.monotonic() - self._origin) * self.factor

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.factor)

    def real_seconds(self, seconds: float) -> float:
        return seconds / self.factor


class ManualClock(Clock):
    """Time moves only when the test says so (for breaker cool-downs)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def make_service(tmp_path: Path) -> AsyncIterator[Callable[..., AIService]]:
    """`make_service(*providers, clock=None, env=None, workspace=None, **ai_settings)`."""
    services: list[AIService] = []

    def make(
        *providers: dict[str, Any],
        clock: Clock | None = None,
        env: dict[str, str] | None = None,
        workspace: Path | None = None,
        cache_dir: Path | None = None,
        **ai: Any,
    ) -> AIService:
        settings = settings_for(*providers, cache_dir=cache_dir or tmp_path / "cache", **ai)
        service = AIService(
            settings,
            open_cache(settings.cache),
            workspace_root=workspace,
            env=env or {},
            clock=clock,
        )
        services.append(service)
        return service

    yield make
    for service in services:
        await service.aclose()


def wait_for(server: OpenAIServer, count: int) -> Any:
    """Await until `server` has seen `count` requests (without blocking the loop)."""
    return asyncio.to_thread(server.wait_for_requests, count, 5.0)
