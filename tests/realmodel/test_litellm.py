"""Lantern against a LiteLLM proxy (the router teams put in front of their models), which
routes the model name `gemma` to the llama.cpp server and `dead-route` to a port nothing
listens on. Lantern knows only the proxy. Protocol-level assertions only (see
test_llamacpp.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.e2e.conftest import lantern_client, open_document
from tests.e2e.test_completion import inline_capabilities, inline_params
from tests.realmodel.servers import LITELLM_KEY, RunningServer
from tests.realmodel.test_llamacpp import SOURCE, TOKENS, WHOLE, provider_status, requests_seen, run


def proxy_env(proxy: RunningServer) -> dict[str, str]:
    return {
        "LANTERN_AI_BASE_URL": proxy.url,
        "LANTERN_AI_MODEL": "gemma",
        "LANTERN_AI_API_KEY": LITELLM_KEY,
    }


def options(**ai: Any) -> dict[str, Any]:
    # The proxy passes llama.cpp's slow schema-constrained answers through: keep them short.
    tokens = {**TOKENS, "review": 8}
    return {"ai": {"reviewOn": [], "maxAnswerTokens": tokens, **ai}}


async def test_review_and_inline_completion_through_the_proxy(
    tmp_path: Path, litellm: RunningServer, llama: RunningServer
) -> None:
    async with lantern_client(
        tmp_path,
        env=proxy_env(litellm),
        capabilities=inline_capabilities(),
        initialization_options=options(deadlineSeconds={"complete": 60}),
    ) as client:
        uri = (tmp_path / "ratio.py").as_uri()
        open_document(client, uri, SOURCE)
        before = requests_seen(llama, "completions")
        reviewed = await run(client, "lantern.analyzeFile", uri)
        answer = await client.text_document_inline_completion_async(
            inline_params(uri, 1, 24, invoked=True)
        )
        status = await provider_status(client)
    assert isinstance(reviewed["ai"], int)
    # The proxy relays llama.cpp's HTTP 500 for `json_schema`; Lantern reads the reason
    # through LiteLLM's wrapping and settles on JSON mode with the schema.
    assert status["structured_output"] == "json_object"
    review = status["by_task"]["review"]
    assert review["requests"] + review["failures"].get("invalid_answer", 0) >= 1, review
    assert answer is None or isinstance(answer, (list, types.InlineCompletionList))
    assert status["by_task"]["complete"]["requests"] == 1
    assert requests_seen(llama, "completions") == before + 1  # FIM relayed as /completions


async def test_a_dead_route_falls_back_to_a_live_one_through_the_proxy(
    tmp_path: Path, litellm: RunningServer
) -> None:
    common = {"baseUrl": litellm.url, "apiKeyEnv": "TEAM_PROXY_KEY", "maxRetries": 0}
    providers = [
        {**common, "name": "dead", "model": "dead-route"},
        {**common, "name": "live", "model": "gemma"},
    ]
    async with lantern_client(
        tmp_path,
        env={"TEAM_PROXY_KEY": LITELLM_KEY},
        initialization_options=options(providers=providers),
    ) as client:
        uri = (tmp_path / "ratio.py").as_uri()
        open_document(client, uri, SOURCE)
        explained = await run(client, "lantern.explain", uri, WHOLE)
        status = await run(client, "lantern.status")
    assert "markdown" in explained, explained
    by_name = {p["name"]: p for p in status["providers"]}
    # The proxy reports its dead upstream as HTTP 500 (not a connection error).
    assert by_name["dead"]["failures"] == {"server_error": 1}
    assert by_name["live"]["requests"] == 1 and by_name["live"]["failures"] == {}
