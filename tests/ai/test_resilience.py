"""Fallback, Retry-After, circuit breaker, rate limits, deadlines, cancellation and
single-flight, all against real loopback HTTP servers."""

from __future__ import annotations

import asyncio
import json
import time

from lantern.ai.errors import (
    Cancelled,
    ProviderUnavailable,
    RateLimited,
    TimedOut,
)
from lantern.ai.service import ExplainResult, ReviewResult
from tests.ai.conftest import PY_SOURCE, FastClock, ManualClock, provider, unused_port, wait_for
from tests.support.openai_server import Fault

NO_FINDINGS = json.dumps({"findings": []})


async def test_falls_back_to_the_second_provider_when_the_first_fails(openai_servers, make_service):
    first, second = openai_servers(), openai_servers(default_reply=NO_FINDINGS)
    first.down(Fault.server_error(503))
    service = make_service(provider(first, "first"), provider(second, "second"))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ReviewResult)
    assert result.meta.provider == "second"
    assert len(first.generation_requests) == 1
    assert len(second.generation_requests) == 1
    assert service.stats()["providers"][0]["failures"] == {"server_error": 1}


async def test_falls_back_on_timeouts_refused_connections_and_missing_models(
    openai_servers, make_service
):
    slow = openai_servers()
    slow.down(Fault.hang())
    good = openai_servers(default_reply="It evaluates text.")
    service = make_service(
        provider(f"http://127.0.0.1:{unused_port()}/v1", "refused"),
        provider(slow, "slow", timeout=0.3),
        provider(good, "wrong-model", model="no-such-model"),
        provider(good, "good"),
    )

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ExplainResult), result
    assert result.meta.provider == "good"
    kinds = {p["name"]: p["failures"] for p in service.stats()["providers"] if p["name"] != "good"}
    assert kinds == {
        "refused": {"connection": 1},
        "slow": {"timeout": 1},
        "wrong-model": {"model_not_found": 1},
    }


async def test_every_provider_failing_is_a_typed_error_naming_each(openai_servers, make_service):
    one, two = openai_servers(), openai_servers()
    one.down(Fault.server_error(500))
    two.down(Fault.garbage())
    service = make_service(provider(one, "one"), provider(two, "two"))

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ProviderUnavailable)
    assert [a["provider"] for a in result.details["attempts"]] == ["one", "two"]
    assert "HTTP 500" in result.message and "unreadable answer" in result.message


async def test_retry_after_is_honoured_before_retrying(openai_server, make_service):
    openai_server.script(Fault.rate_limited(retry_after=0.4), "An explanation.")
    service = make_service(provider(openai_server, max_retries=1))

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ExplainResult)
    first, second = openai_server.generation_requests
    assert second.received_at - first.received_at >= 0.38


async def test_a_rate_limited_provider_rests_for_retry_after_while_others_answer(
    openai_servers, make_service
):
    busy, spare = openai_servers(), openai_servers(default_reply="Explained.")
    busy.down(Fault.rate_limited(retry_after=60))
    service = make_service(provider(busy, "busy"), provider(spare, "spare"))

    await service.explain("/ws/app.py", PY_SOURCE, 5, 7)
    second = await service.explain("/ws/app.py", PY_SOURCE, 9, 12)

    assert isinstance(second, ExplainResult) and second.meta.provider == "spare"
    assert len(busy.generation_requests) == 1  # not asked again during its Retry-After


async def test_rate_limited_everywhere_is_reported_as_rate_limited(openai_server, make_service):
    openai_server.down(Fault.rate_limited(retry_after=30))
    service = make_service(provider(openai_server))

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, RateLimited)
    assert result.details["retry_after"] == 30


async def test_breaker_opens_after_consecutive_failures_and_recovers_after_cooldown(
    openai_servers, make_service
):
    flaky, backup = openai_servers(), openai_servers(default_reply="Explained.")
    flaky.down(Fault.server_error(500))
    clock = ManualClock()
    service = make_service(
        provider(flaky, "flaky"),
        provider(backup, "backup"),
        clock=clock,
        breaker_failures=2,
        breaker_cooldown_seconds=30,
    )

    async def explain(line: int) -> ExplainResult:
        result = await service.explain("/ws/app.py", PY_SOURCE, line, line)
        assert isinstance(result, ExplainResult), result
        return result

    await explain(1)
    await explain(2)
    assert service.stats()["providers"][0]["circuit"] == "open"
    await explain(3)
    assert len(flaky.generation_requests) == 2  # skipped while open

    clock.now += 31  # cool-down over: one probe goes through, and fails
    await explain(4)
    assert len(flaky.generation_requests) == 3
    assert service.stats()["providers"][0]["circuit"] == "open"

    flaky.down(None)
    flaky.reply_with("Explained by flaky.")
    clock.now += 31
    probe = await explain(5)
    assert probe.meta.provider == "flaky"
    assert service.stats()["providers"][0]["circuit"] == "closed"
    assert (await explain(6)).meta.provider == "flaky"


async def test_request_limit_queues_callers_in_order_and_refuses_only_past_the_deadline(
    openai_server, make_service
):
    openai_server.reply_with("Explained.")
    clock = FastClock(factor=100)  # a minute lasts 0.6 s
    service = make_service(
        provider(openai_server, requests_per_minute=2),
        clock=clock,
        deadline_seconds={"explain": 100},
    )

    started = time.monotonic()
    results = await asyncio.gather(
        *(service.explain("/ws/app.py", PY_SOURCE, n, n) for n in range(1, 8))
    )

    answered = [r for r in results if isinstance(r, ExplainResult)]
    refused = [r for r in results if isinstance(r, RateLimited)]
    # 2 at once, then one every 30 s: at 30, 60, 90 s; the 6th and 7th would pass 100 s.
    assert (len(answered), len(refused)) == (5, 2)
    assert all("per minute" in r.message for r in refused)
    requests = openai_server.generation_requests
    assert len(requests) == 5
    # The k-th request after the first two may leave no earlier than k x 30 s of clock
    # time (0.3 s real) after the start; a loaded machine only makes requests later.
    late = [r.received_at - started for r in requests[2:]]
    assert all(at >= 0.3 * k - 0.05 for k, at in enumerate(late, start=1)), late


async def test_token_limit_refuses_a_request_larger_than_the_whole_budget(
    openai_server, make_service
):
    service = make_service(provider(openai_server, tokens_per_minute=100))

    result = await service.explain("/ws/app.py", PY_SOURCE, 1, 12)

    assert isinstance(result, RateLimited)
    assert "more than the configured 100" in result.message
    assert openai_server.generation_requests == []


async def test_deadline_ends_the_call_and_aborts_the_request(openai_server, make_service):
    openai_server.down(Fault.hang())
    service = make_service(provider(openai_server), deadline_seconds={"explain": 0.3})

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, TimedOut)
    request = openai_server.generation_requests[0]
    assert await asyncio.to_thread(request.disconnected.wait, 5)


async def test_cancelling_the_caller_task_aborts_the_http_request(openai_server, make_service):
    openai_server.down(Fault.hang())
    service = make_service(provider(openai_server))

    task = asyncio.create_task(service.explain("/ws/app.py", PY_SOURCE, 5, 7))
    (request,) = await wait_for(openai_server, 1)
    task.cancel()

    try:
        await task
        raise AssertionError("the task should have been cancelled")
    except asyncio.CancelledError:
        pass
    assert await asyncio.to_thread(request.disconnected.wait, 5)
    assert service.stats()["in_flight"] == 0


async def test_cancel_event_returns_cancelled_and_aborts_a_streaming_completion(
    openai_server, make_service
):
    openai_server.down(Fault.slow_stream(0.5, content="a\nb\nc\nd\n"))
    service = make_service(provider(openai_server))
    cancel = asyncio.Event()

    task = asyncio.create_task(service.complete("/ws/app.py", PY_SOURCE, 6, 4, cancel=cancel))
    (request,) = await wait_for(openai_server, 1)
    cancel.set()

    assert isinstance(await task, Cancelled)
    assert await asyncio.to_thread(request.disconnected.wait, 5)


async def test_identical_concurrent_requests_share_one_call(openai_server, make_service):
    openai_server.script(Fault.slow(0.3, content="Shared explanation."))
    service = make_service(provider(openai_server))

    results = await asyncio.gather(
        *(service.explain("/ws/app.py", PY_SOURCE, 5, 7) for _ in range(4))
    )

    assert {r.markdown for r in results} == {"Shared explanation."}
    assert len(openai_server.generation_requests) == 1


async def test_one_caller_leaving_does_not_abort_the_shared_call(openai_server, make_service):
    openai_server.script(Fault.slow(0.4, content="Still wanted."))
    service = make_service(provider(openai_server))
    impatient = asyncio.Event()

    leaving = asyncio.create_task(service.explain("/ws/app.py", PY_SOURCE, 5, 7, cancel=impatient))
    staying = asyncio.create_task(service.explain("/ws/app.py", PY_SOURCE, 5, 7))
    (request,) = await wait_for(openai_server, 1)
    impatient.set()

    assert isinstance(await leaving, Cancelled)
    result = await staying
    assert isinstance(result, ExplainResult) and result.markdown == "Still wanted."
    assert not request.disconnected.is_set()


async def test_provider_headers_and_azure_paths_reach_the_server(openai_server, make_service):
    openai_server.reply_with("Explained.")
    service = make_service(
        provider(
            openai_server.root_url,
            "azure",
            api_version="2024-10-21",
            headers={"X-Team": "lantern"},
            api_key_env="AZURE_KEY",
        ),
        env={"AZURE_KEY": "azure-test-key"},
    )

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ExplainResult), result
    (request,) = openai_server.generation_requests
    assert request.path == "/openai/deployments/test-model/chat/completions"
    assert request.query["api-version"] == "2024-10-21"
    assert request.headers["x-team"] == "lantern"
    assert request.headers["api-key"] == "azure-test-key"
