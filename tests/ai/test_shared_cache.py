"""The shared (Redis) layer when no Redis answers: the local layers carry on, one warning
per outage, no secret in any message. Against a real redis-server, see
tests/realmodel/test_shared_cache.py."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest

from lantern.cache import namespace, open_cache
from lantern.cache_redis import SharedCache, display_url
from lantern.config import CacheSettings, load_settings


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "lantern.cache" and r.levelno >= logging.WARNING
    ]


def redis_settings(tmp_path, **extra) -> CacheSettings:
    return CacheSettings(
        dir=str(tmp_path),
        backend="redis",
        url=f"redis://127.0.0.1:{closed_port()}/0",
        **extra,
    )


def test_an_unreachable_redis_warns_once_and_the_local_layers_answer(tmp_path, caplog):
    cache = open_cache(redis_settings(tmp_path), project="shop")
    for number in range(5):
        cache.set(f"review:v1:{number}", {"n": number}, 60)
    assert [cache.get(f"review:v1:{n}") for n in range(5)] == [{"n": n} for n in range(5)]
    assert cache.get("review:v1:absent") is None
    [warning] = warnings(caplog)
    assert "shared cache" in warning and "local cache only" in warning
    shared = cache.stats()["shared"]
    assert shared["state"] == "unavailable" and shared["namespace"] == "shop"
    cache.close()


def test_after_the_pause_the_shared_layer_is_tried_again_without_a_second_warning(caplog):
    now = [0.0]
    url = f"redis://127.0.0.1:{closed_port()}/0"
    shared = SharedCache(
        url, namespace="p", max_value_bytes=1024, timeout=0.5, clock=lambda: now[0]
    )
    assert shared.get("k") is None
    assert shared.failures == 1
    assert shared.get("k") is None
    assert shared.failures == 1  # within the pause: not even tried
    now[0] += 31
    assert shared.get("k") is None
    assert shared.failures == 2  # tried again, still down
    assert len(warnings(caplog)) == 1


def test_the_password_comes_from_the_environment_and_is_never_shown(caplog):
    secret = "correct-horse-battery"
    shared = SharedCache(
        f"redis://127.0.0.1:{closed_port()}/0",
        namespace="p",
        max_value_bytes=1024,
        timeout=0.5,
        password_env="TEAM_REDIS_PASSWORD",
        env={"TEAM_REDIS_PASSWORD": secret},
    )
    shared.set("k", {"v": 1}, 60)
    assert secret not in " ".join(warnings(caplog))
    assert secret not in str(shared.stats())
    assert display_url("redis://lantern:hunter2@cache.internal:6380/1") == (
        "redis://lantern:***@cache.internal:6380/1"
    )


def test_a_value_over_the_bound_is_never_sent(caplog):
    shared = SharedCache(
        f"redis://127.0.0.1:{closed_port()}/0", namespace="p", max_value_bytes=64, timeout=0.5
    )
    shared.set("k", {"code": "x" * 100}, 60)
    assert shared.too_large == 1
    assert shared.failures == 0  # refused before any connection was tried
    assert warnings(caplog) == []


def test_redis_without_a_url_is_the_local_cache_with_one_warning(tmp_path, caplog):
    cache = open_cache(CacheSettings(dir=str(tmp_path), backend="redis"))
    cache.set("fix:v1:1", {"v": 1}, 60)
    assert cache.get("fix:v1:1") == {"v": 1}
    assert cache.shared is None
    [warning] = warnings(caplog)
    assert "cache.url" in warning
    cache.close()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("shop", "shop"), ("team/shop", "team/shop"), ("my shop!", "my_shop_"), ("  ", "default")],
)
def test_namespaces_are_safe_key_segments(name, expected):
    assert namespace(name) == expected


def test_lantern_cache_url_selects_the_redis_backend():
    settings, problems = load_settings([], env={"LANTERN_CACHE_URL": "redis://cache:6379/0"})
    assert problems == []
    assert (settings.cache.backend, settings.cache.url) == ("redis", "redis://cache:6379/0")


def test_cache_stats_shows_the_shared_layer_and_why_it_is_unavailable(tmp_path):
    project = tmp_path / "shop"
    project.mkdir()
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "LANTERN_CACHE_DIR": str(tmp_path / "cache"),
        "LANTERN_CACHE_URL": f"redis://127.0.0.1:{closed_port()}/0",
    }
    shown = subprocess.run(
        [sys.executable, "-m", "lantern", "cache", "stats"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr  # the local cache works
    assert "Shared:" in shown.stdout and "namespace shop: unavailable" in shown.stdout
    cleared = subprocess.run(
        [sys.executable, "-m", "lantern", "cache", "clear"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cleared.returncode == 1  # the shared namespace could not be cleared: say so
    assert "shared cache" in cleared.stderr and "namespace shop" in cleared.stdout


def test_without_redis_py_the_one_warning_says_how_to_install_it(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "redis", None)  # `import redis` raises ImportError
    shared = SharedCache(
        f"redis://127.0.0.1:{closed_port()}/0", namespace="p", max_value_bytes=64, timeout=0.5
    )
    assert shared.get("k") is None
    shared.set("k", {"v": 1}, 60)
    [warning] = warnings(caplog)
    assert "redis-py" in warning and "trying again" not in warning
