"""The team-shared answer cache against a real redis-server on a free loopback port: two
Lantern processes with separate disk caches share reviews, keys are namespaced by project
and prompt version, values are bounded, and an outage costs one warning, not answers.

The model here is the loopback code model (tests/support): what is under test is Redis.
"""

from __future__ import annotations

from pathlib import Path

import redis as redis_client

from lantern.cache import open_cache
from lantern.cache_redis import SharedCache
from lantern.config import CacheSettings
from tests.e2e.conftest import lantern_client, open_document
from tests.e2e.test_ai_editor import SOURCE, ai_env, ai_published, reviews
from tests.realmodel.servers import RunningServer, redis_server
from tests.support.openai_server import OpenAIServer


def redis_url(server: RunningServer) -> str:
    return f"redis://127.0.0.1:{server.port}/0"


def shared_env(model: OpenAIServer, server: RunningServer) -> dict[str, str]:
    return {**ai_env(model), "LANTERN_CACHE_URL": redis_url(server)}


async def review_once(home: Path, env: dict[str, str]) -> None:
    """A developer at `home` (their own disk cache) opens shop/store.py and sees its review."""
    workspace = home / "shop"  # the same project name on every machine: its namespace
    workspace.mkdir(parents=True)
    async with lantern_client(home, env=env, workspace=workspace) as client:
        uri = (workspace / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        await ai_published(client, uri, 2)


async def test_a_second_developer_pays_no_model_request_for_what_the_first_reviewed(
    tmp_path: Path, model: OpenAIServer, redis: RunningServer
) -> None:
    await review_once(tmp_path / "alice", shared_env(model, redis))
    paid = len(reviews(model))
    assert paid >= 1
    await review_once(tmp_path / "bob", shared_env(model, redis))
    assert len(reviews(model)) == paid  # Bob's disk cache was empty: Redis answered
    assert (tmp_path / "alice" / "cache").exists() and (tmp_path / "bob" / "cache").exists()
    keys = [k.decode() for k in redis_client.Redis(port=redis.port).keys("*")]
    assert keys and all(k.startswith("lantern:shop:") for k in keys), keys
    assert all(":v1:" in k for k in keys if k.startswith("lantern:shop:review:")), keys


async def test_without_the_shared_cache_the_second_developer_pays_again(
    tmp_path: Path, model: OpenAIServer
) -> None:
    # The control for the test above: separate disk caches alone share nothing.
    await review_once(tmp_path / "alice", ai_env(model))
    paid = len(reviews(model))
    await review_once(tmp_path / "bob", ai_env(model))
    assert len(reviews(model)) == 2 * paid


async def test_redis_going_down_mid_session_costs_one_warning_and_no_answer(
    tmp_path: Path, model: OpenAIServer
) -> None:
    with redis_server(tmp_path / "redis") as server:
        env = shared_env(model, server)
        workspace = tmp_path / "shop"
        workspace.mkdir()
        async with lantern_client(tmp_path, env=env, workspace=workspace) as client:
            first = (workspace / "store.py").as_uri()
            open_document(client, first, SOURCE)
            await ai_published(client, first, 2)
            server.stop()
            for name in ("other", "third"):
                uri = (workspace / f"{name}.py").as_uri()
                open_document(client, uri, SOURCE.replace("def load(", f"def load_{name}("))
                await ai_published(client, uri, 2)  # reviewed all the same
            shown = [m.message for m in client.log_messages if "shared cache" in m.message]
    assert len(shown) == 1, shown
    assert "unavailable" in shown[0] and "local cache only" in shown[0]


def test_values_keep_their_ttl_and_oversized_ones_stay_local(
    tmp_path: Path, redis: RunningServer
) -> None:
    settings = CacheSettings(
        dir=str(tmp_path / "cache"), backend="redis", url=redis_url(redis), max_value_kb=1
    )
    cache = open_cache(settings, project="shop")
    cache.set("explain:v1:small", {"markdown": "short"}, 600)
    cache.set("generate:v1:large", {"code": "x" * 4096}, 600)
    direct = redis_client.Redis(port=redis.port)
    assert 0 < direct.pttl("lantern:shop:explain:v1:small") <= 600_000
    assert not direct.exists("lantern:shop:generate:v1:large")
    assert cache.get("generate:v1:large") == {"code": "x" * 4096}  # still cached locally
    assert cache.stats()["shared"]["too_large"] == 1
    cache.close()
    # Another machine (an empty disk) reads the shared entry and keeps a local copy.
    other = open_cache(settings.model_copy(update={"dir": str(tmp_path / "other")}), project="shop")
    assert other.get("explain:v1:small") == {"markdown": "short"}
    assert other.stats()["entries"] == 1
    # Clearing asks for fresh answers: this namespace goes, another project's stays.
    direct.set("lantern:other-project:explain:v1:x", b"{}")
    assert other.clear() == 2  # the local copy and the shared entry
    assert direct.keys("lantern:shop:*") == []
    assert direct.exists("lantern:other-project:explain:v1:x")
    other.close()


def test_the_password_is_read_from_the_environment(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis", extra=["--requirepass", "s3cret-team-pw"]) as server:
        url = redis_url(server)
        good = open_cache(
            CacheSettings(dir=str(tmp_path / "cache"), backend="redis", url=url),
            project="shop",
            env={"LANTERN_CACHE_PASSWORD": "s3cret-team-pw"},
        ).shared
        assert good is not None
        good.set("review:v1:k", {"v": 1}, 60)
        found = good.get("review:v1:k")
        assert found is not None and found[0] == {"v": 1} and 0 < found[1] <= 60
        wrong = SharedCache(
            url,
            namespace="shop",
            max_value_bytes=1024,
            timeout=1,
            password_env="TEAM_PW",
            env={"TEAM_PW": "not-the-password"},
        )
        assert wrong.get("review:v1:k") is None
        assert wrong.problem is not None and "not-the-password" not in wrong.problem
        good.close()
        wrong.close()
