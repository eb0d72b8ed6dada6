"""Provider and cache faults (issue 11 cases 11-13): a Retry-After longer than the
deadline fails at once and names the wait; a cache directory deleted while in use is
noticed and recreated; closing the cache releases every file."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from pathlib import Path

from lantern.ai.errors import RateLimited
from lantern.cache import open_cache
from lantern.config import CacheSettings
from tests.ai.conftest import PY_SOURCE, provider
from tests.support.openai_server import Fault


async def test_a_retry_after_beyond_the_deadline_fails_at_once_and_names_the_wait(
    openai_server, make_service
):
    openai_server.down(Fault.rate_limited(retry_after=30))
    service = make_service(provider(openai_server, max_retries=2), deadline_seconds={"explain": 5})

    started = time.monotonic()
    first = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)
    took = time.monotonic() - started
    second = await service.explain("/ws/app.py", PY_SOURCE, 9, 12)

    assert isinstance(first, RateLimited), first
    assert took < 4  # not slept towards the 30 s, nor cut off by the 5 s deadline
    assert "wait 30s" in first.message
    assert first.details["retry_after"] == 30
    assert isinstance(second, RateLimited)  # the provider rests for the time it asked
    assert len(openai_server.generation_requests) == 1


def _open_files_under(directory: Path) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed between listing and reading
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(str(directory))
    return count


async def test_closing_the_cache_releases_every_file_whatever_threads_used_it(tmp_path: Path):
    for round_ in range(4):
        cache = open_cache(CacheSettings(dir=str(tmp_path)))
        for i in range(12):  # as AIService does: from the default executor's threads
            await asyncio.to_thread(cache.set, f"review:{round_}:{i}", {"v": i}, 100)
            assert await asyncio.to_thread(cache.get, f"review:{round_}:{i}") == {"v": i}
        cache.close()
        assert _open_files_under(tmp_path) == 0


def test_a_cache_directory_deleted_while_in_use_is_noticed_once_and_recreated(
    tmp_path: Path, caplog
):
    directory = tmp_path / "cache"
    cache = open_cache(CacheSettings(dir=str(directory)))
    cache.set("review:k1", {"v": 1}, 100)
    shutil.rmtree(directory)
    with caplog.at_level(logging.WARNING, logger="lantern.cache"):
        cache.set("review:k2", {"v": 2}, 100)
        cache.set("review:k3", {"v": 3}, 100)
    stats = cache.stats()
    cache.close()

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "removed while in use" in warnings[0].getMessage()
    assert stats["disk"] == "ok" and stats["entries"] == 2
    again = open_cache(CacheSettings(dir=str(directory)))
    assert again.get("review:k2") == {"v": 2}
    again.close()


def test_a_cache_directory_deleted_twice_leaves_the_memory_layer(tmp_path: Path):
    directory = tmp_path / "cache"
    cache = open_cache(CacheSettings(dir=str(directory)))
    cache.set("review:a", {"v": 1}, 100)
    for key in ("review:b", "review:c"):
        shutil.rmtree(directory)
        cache.set(key, {"v": 2}, 100)
    assert cache.get("review:c") == {"v": 2}  # still served, from memory
    assert cache.stats()["disk"] == "unavailable"
    cache.close()
