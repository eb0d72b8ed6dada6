"""What real OpenAI-compatible servers do differently, reproduced on the loopback server
(llama-cpp-python's behaviour, seen in tests/realmodel): a 500 refusing `json_schema`,
JSON mode that needs the schema, streams cut short for another request, one request at
a time. The fast, always-run half of docs/providers.md's table."""

from __future__ import annotations

import asyncio
import json

from lantern.ai.errors import TimedOut
from lantern.ai.service import CompletionResult, ReviewResult
from tests.ai.conftest import PY_SOURCE, provider
from tests.support.openai_server import Fault


async def test_a_500_refusing_json_schema_moves_to_json_mode_carrying_the_schema(
    openai_server, make_service
):
    openai_server.supports_json_schema = False
    openai_server.refusal_status = 500  # llama-cpp-python's answer to `json_schema`
    openai_server.reply_with(json.dumps({"findings": []}))
    service = make_service(provider(openai_server))

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ReviewResult), result
    formats = [r.json.get("response_format") for r in openai_server.generation_requests]
    assert [f["type"] for f in formats] == ["json_schema", "json_object"]
    assert formats[1]["schema"] == formats[0]["json_schema"]["schema"]
    stats = service.stats()["providers"][0]
    assert stats["structured_output"] == "json_object"
    assert stats["failures"] == {} and stats["circuit"] == "closed"


async def test_a_500_about_something_else_is_a_failure_not_a_refusal(openai_server, make_service):
    openai_server.down(Fault.server_error(500))
    service = make_service(provider(openai_server))

    await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert len(openai_server.generation_requests) == 1  # no second format was tried
    assert service.stats()["providers"][0]["structured_output"] == "json_schema"


def _area(number: int) -> str:
    return f"def area_{number}(r):\n    return 3.14 * r\n"


async def test_streams_cut_for_another_request_are_asked_again_and_then_queued(
    openai_server, make_service
):
    openai_server.interrupts_streams = True
    openai_server.reply_with(" * r\n")
    # Each answer streams slowly enough for the next caller's request to arrive meanwhile.
    openai_server.script(*[Fault.slow_stream(0.3, content=" * r\n  # more\n") for _ in range(3)])
    service = make_service(provider(openai_server), deadline_seconds={"complete": 30})

    # The others ask once the first is streaming (its first caller also pays for the SDK's
    # import and client, which could otherwise outlast its whole answer).
    first = asyncio.ensure_future(service.complete("/ws/area.py", _area(0), 2, 19))
    await asyncio.to_thread(openai_server.wait_for_requests, 1, 10.0)
    others = await asyncio.gather(
        *(service.complete("/ws/area.py", _area(n), 2, 19) for n in (1, 2))
    )
    results = [await first, *others]

    assert all(isinstance(r, CompletionResult) for r in results), results  # nobody lost
    stats = service.stats()["providers"][0]
    assert stats["max_concurrent_requests"] == 1
    # The server cuts every stream another request overlaps, and a caller asks again only
    # once: no failure means the second round went one at a time. (How long each waited
    # varies with the timing, down to microseconds: the next test measures a queue.)
    assert stats["failures"] == {}
    assert stats["requests"] == 3


async def test_a_queued_caller_reports_its_time_in_the_queue(openai_server, make_service):
    openai_server.script(Fault.slow(0.3, content=" * r"), Fault.slow(0.3, content=" * r"))
    service = make_service(provider(openai_server, max_concurrent_requests=1, timeout=10))

    results = await asyncio.gather(
        *(service.complete("/ws/area.py", _area(n), 2, 19) for n in range(2))
    )

    assert all(isinstance(r, CompletionResult) for r in results), results
    # The second waited for the first's 0.3 s answer.
    assert max(r.meta.queue_ms for r in results) >= 200
    assert service.stats()["providers"][0]["queue_ms"]["p90"] >= 200


async def test_a_stream_cut_short_with_no_other_request_is_a_bad_answer(
    openai_server, make_service
):
    openai_server.down(Fault.cut_stream(after_chunks=1, content="a\nb\nc\n"))
    service = make_service(provider(openai_server))

    await service.complete("/ws/area.py", _area(0), 2, 19)

    stats = service.stats()["providers"][0]
    assert stats["failures"] == {"bad_response": 1}
    assert stats["max_concurrent_requests"] is None  # nothing to learn from a lone request


async def test_a_caller_whose_deadline_passes_in_the_queue_does_not_trip_the_breaker(
    openai_server, make_service
):
    openai_server.script(Fault.slow(2.0, content=" * r"))
    service = make_service(
        provider(openai_server, max_concurrent_requests=1, timeout=10),
        deadline_seconds={"complete": 0.5, "explain": 10},
        breaker_failures=1,
    )

    first = asyncio.ensure_future(service.explain("/ws/area.py", _area(0), 1, 2))
    await asyncio.to_thread(openai_server.wait_for_requests, 1, 5.0)
    queued = await service.complete("/ws/area.py", _area(1), 2, 19)
    await first

    assert isinstance(queued, TimedOut), queued
    assert "still queued" in queued.message
    stats = service.stats()["providers"][0]
    assert stats["circuit"] == "closed"
    assert len(openai_server.generation_requests) == 1  # the queued one was never sent
