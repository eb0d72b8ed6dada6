"""The answer cache: zero requests for an answer already paid for (also from a new
process), private on disk, capped, and harmless when broken."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from lantern.ai.service import ExplainResult, ReviewResult
from lantern.cache import open_cache
from lantern.config import CacheSettings
from tests.ai.conftest import PY_SOURCE, provider

REPO = Path(__file__).resolve().parents[2]
FINDINGS = json.dumps({"findings": [{"line": 6, "message": "eval runs arbitrary code"}]})


async def test_an_identical_request_is_served_from_the_cache_without_http(
    openai_server, make_service
):
    openai_server.reply_with(FINDINGS)
    service = make_service(provider(openai_server))

    first = await service.review("/ws/app.py", PY_SOURCE, 5, 7)
    second = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(first, ReviewResult) and isinstance(second, ReviewResult)
    assert (first.meta.cached, second.meta.cached) == (False, True)
    assert second.findings == first.findings
    assert len(openai_server.generation_requests) == 1
    assert service.stats()["tasks"]["review"] == {
        "requests": 1,
        "cache_hits": 1,
        "failures": 0,
        "tokens": first.meta.prompt_tokens + first.meta.completion_tokens,
    }


async def test_a_change_in_the_code_or_the_model_misses_the_cache(
    openai_server, make_service, tmp_path
):
    openai_server.models.add("other-model")
    openai_server.reply_with(FINDINGS)
    service = make_service(provider(openai_server))
    other = make_service(provider(openai_server, model="other-model"), cache_dir=tmp_path / "cache")

    await service.review("/ws/app.py", PY_SOURCE, 5, 7)
    await service.review("/ws/app.py", PY_SOURCE.replace("value", "result"), 5, 7)
    await other.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert len(openai_server.generation_requests) == 3


async def test_a_new_process_reuses_the_answer_without_any_request(
    openai_server, make_service, tmp_path
):
    openai_server.reply_with(FINDINGS)
    service = make_service(provider(openai_server))
    first = await service.review("/ws/app.py", PY_SOURCE, 5, 7)
    service.cache.close()
    before = len(openai_server.requests)

    script = textwrap.dedent(
        f"""
        import asyncio, json
        from lantern.ai.service import AIService
        from lantern.config import Settings
        settings = Settings.model_validate({{
            "ai": {{"providers": [{json.dumps(provider(openai_server))}]}},
            "cache": {{"dir": {str(tmp_path / "cache")!r}}},
        }})
        result = asyncio.run(AIService(settings, env={{}}).review(
            "/ws/app.py", {PY_SOURCE!r}, 5, 7))
        print(result.model_dump_json())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO
    )

    assert done.returncode == 0, done.stderr
    reused = ReviewResult.model_validate_json(done.stdout)
    assert reused.meta.cached is True
    assert reused.findings == first.findings
    assert len(openai_server.requests) == before


async def test_the_cache_holds_no_secret_and_no_prompt(openai_server, make_service, tmp_path):
    secret = "ghp_" + "Q" * 36
    openai_server.reply_with("Explained.")
    service = make_service(provider(openai_server))

    result = await service.explain("/ws/app.py", f'TOKEN = "{secret}"\n{PY_SOURCE}', 1, 8)

    assert isinstance(result, ExplainResult)
    service.cache.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert secret.encode() not in stored
    assert b"eval(text)" not in stored  # keys are hashes; values are answers only


def test_cache_directory_is_private(tmp_path):
    cache = open_cache(CacheSettings(dir=str(tmp_path / "fresh" / "lantern")))
    cache.set("review:abc", {"x": 1}, 60)

    for directory in (tmp_path / "fresh" / "lantern", tmp_path / "fresh" / "lantern" / "ai"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert cache.get("review:abc") == {"x": 1}
    cache.close()


def test_size_cap_evicts_old_entries(tmp_path):
    cache = open_cache(CacheSettings(dir=str(tmp_path), max_size_mb=1, memory_entries=0))
    for index in range(40):
        cache.set(f"generate:{index}", {"code": os.urandom(60_000).hex()}, 3600)

    stats = cache.stats()
    assert stats["size_bytes"] <= 1.2 * 1024 * 1024
    assert stats["entries"] < 40
    assert cache.get("generate:39") is not None
    cache.close()


def test_memory_front_serves_without_the_disk(tmp_path):
    cache = open_cache(CacheSettings(dir=str(tmp_path), memory_entries=2))
    for key in ("a:1", "a:2", "a:3"):
        cache.set(key, {"k": key}, 3600)
    cache.close()  # disk closed: what remains readable comes from memory or reopens lazily

    assert cache.get("a:3") == {"k": "a:3"}
    assert cache.get("a:1") == {"k": "a:1"}  # evicted from memory, read back from disk
    cache.close()


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "lantern.cache"]


def test_unusable_cache_directory_warns_once_and_carries_on(tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    cache = open_cache(CacheSettings(dir=str(blocker)))

    cache.set("review:1", {"v": 1}, 60)
    cache.set("review:2", {"v": 2}, 60)

    assert cache.get("review:1") == {"v": 1}  # memory still works
    assert len(_warnings(caplog)) == 1
    assert cache.stats()["disk"] == "unavailable"


def test_corrupt_database_warns_once_and_carries_on(tmp_path, caplog):
    directory = tmp_path / "ai"
    directory.mkdir()
    (directory / "cache.db").write_bytes(b"this is not sqlite" * 100)
    cache = open_cache(CacheSettings(dir=str(tmp_path)))

    cache.set("explain:1", {"v": 1}, 60)
    assert cache.get("explain:1") == {"v": 1}
    assert cache.get("explain:2") is None
    assert len(_warnings(caplog)) == 1
    assert "unusable" in _warnings(caplog)[0]


def test_locked_database_does_not_block_requests(tmp_path, caplog):
    healthy = open_cache(CacheSettings(dir=str(tmp_path)))
    healthy.set("fix:1", {"v": 1}, 60)
    healthy.close()
    holder = sqlite3.connect(tmp_path / "ai" / "cache.db", timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        cache = open_cache(CacheSettings(dir=str(tmp_path), memory_entries=0), lock_timeout=0.05)
        cache.set("fix:2", {"v": 2}, 60)
        assert cache.get("fix:1") is None
        assert len(_warnings(caplog)) == 1
    finally:
        holder.rollback()
        holder.close()


async def test_a_broken_cache_never_fails_a_request(openai_server, make_service, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    blocker = tmp_path / "blocked"
    blocker.write_text("")
    openai_server.reply_with("Explained.")
    service = make_service(provider(openai_server), cache_dir=blocker)

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ExplainResult)
    assert len(_warnings(caplog)) == 1


def test_cache_command_reports_and_clears(tmp_path):
    env = {
        **os.environ,
        "LANTERN_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    cache = open_cache(CacheSettings(dir=str(tmp_path / "cache")))
    cache.set("review:1", {"v": 1}, 60)
    cache.set("review:2", {"v": 2}, 60)
    cache.set("complete:1", {"v": 3}, 60)
    cache.close()

    def lantern(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lantern", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )

    stats = lantern("cache", "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["by_task"] == {"review": 2, "complete": 1}
    text = lantern("cache", "stats")
    assert "Entries:    3" in text.stdout
    cleared = lantern("cache", "clear")
    assert cleared.returncode == 0 and "Removed 3" in cleared.stdout
    assert json.loads(lantern("cache", "stats", "--json").stdout)["entries"] == 0
