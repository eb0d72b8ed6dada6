"""Lantern end to end against llama.cpp's OpenAI-compatible server (llama-cpp-python) and a
tiny base model, configured only by the LANTERN_AI_* variables.

The model (Gemma 3 270M, not instruction-tuned) writes poor answers: these tests assert
the protocol — a valid result or a clean typed error, never a crash or a hang; caching;
cancellation; queueing — and never the quality of what the model says.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.e2e.conftest import RecordingClient, lantern_client, open_document
from tests.e2e.test_ai_editor import resolving_capabilities
from tests.e2e.test_completion import inline_capabilities, inline_params
from tests.realmodel.servers import LLAMA_MODEL, RunningServer

SOURCE = "def ratio(total, count):\n    return total / count\n"
WHOLE = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 24}}
# Short answers keep the suite quick: the protocol is the same for long ones.
TOKENS = {"review": 12, "fix": 48, "explain": 24, "generate": 48, "complete": 24}


def llama_env(llama: RunningServer) -> dict[str, str]:
    return {"LANTERN_AI_BASE_URL": llama.url, "LANTERN_AI_MODEL": LLAMA_MODEL}


def options(**ai: Any) -> dict[str, Any]:
    return {"ai": {"reviewOn": [], "maxAnswerTokens": TOKENS, **ai}}


def requests_seen(llama: RunningServer, route: str = "") -> int:
    """Requests the llama.cpp server has answered so far (from its access log)."""
    return llama.log.read_text(errors="replace").count(f'"POST /v1/{route}')


def disconnections(llama: RunningServer) -> int:
    """Streams the llama.cpp server stopped because the client closed the connection."""
    return llama.log.read_text(errors="replace").count("Disconnected from client")


async def run(client: RecordingClient, command: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


async def provider_status(client: RecordingClient) -> dict[str, Any]:
    status = await run(client, "lantern.status")
    [provider] = status["providers"]
    return {**provider, "tasks": status["tasks"]}


def is_result_or_typed_error(result: dict[str, Any], key: str) -> bool:
    """A command's answer: the thing asked for, or an error message that says what went
    wrong (a model answer that was unusable, a deadline), never an internal failure."""
    if key in result:
        return True
    error = result.get("error")
    return isinstance(error, str) and bool(error) and "Internal error" not in error


async def test_review_negotiates_json_mode_with_a_schema_after_the_500(
    tmp_path: Path, llama: RunningServer
) -> None:
    # llama-cpp-python answers `response_format: json_schema` with HTTP 500 (its request
    # validation); Lantern must fall back to JSON mode with the schema, never to text.
    async with lantern_client(
        tmp_path, env=llama_env(llama), initialization_options=options()
    ) as client:
        uri = (tmp_path / "ratio.py").as_uri()
        open_document(client, uri, SOURCE)
        result = await run(client, "lantern.analyzeFile", uri)
        status = await provider_status(client)
    assert isinstance(result["ai"], int)  # findings (perhaps none), or the error was shown
    assert status["structured_output"] == "json_object"
    review = status["by_task"]["review"]
    answered_or_typed = review["requests"] + review["failures"].get("invalid_answer", 0)
    assert answered_or_typed >= 1, review
    assert "bad_request" not in review["failures"] and "server_error" not in review["failures"]


async def test_explain_fix_and_generate_give_results_or_typed_errors_and_explain_is_cached(
    tmp_path: Path, llama: RunningServer
) -> None:
    async with lantern_client(
        tmp_path, env=llama_env(llama), initialization_options=options()
    ) as client:
        uri = (tmp_path / "ratio.py").as_uri()
        open_document(client, uri, SOURCE)
        explained = await run(client, "lantern.explain", uri, WHOLE)
        assert "markdown" in explained, explained  # any non-empty text is an explanation
        before = requests_seen(llama)
        again = await run(client, "lantern.explain", uri, WHOLE)
        assert again["markdown"] == explained["markdown"]
        assert requests_seen(llama) == before  # served from the cache
        fixed = await run(client, "lantern.fix", uri, WHOLE)
        assert is_result_or_typed_error(fixed, "edit"), fixed
        generated = await run(
            client, "lantern.generate", uri, {"line": 2, "character": 0}, "a mean function"
        )
        assert is_result_or_typed_error(generated, "edit"), generated
        # The server keeps serving after all of it.
        status = await provider_status(client)
    assert status["circuit"] == "closed"
    assert status["tasks"]["explain"]["cache_hits"] == 1


async def test_inline_completion_through_completions_with_suffix(
    tmp_path: Path, llama: RunningServer
) -> None:
    async with lantern_client(
        tmp_path,
        env=llama_env(llama),
        capabilities=inline_capabilities(),
        initialization_options=options(deadlineSeconds={"complete": 60}),
    ) as client:
        uri = (tmp_path / "area.py").as_uri()
        open_document(client, uri, "def area(r):\n    return 3.14 * r\n")
        before = requests_seen(llama, "completions")
        answer = await client.text_document_inline_completion_async(
            inline_params(uri, 1, 19, invoked=True)
        )
        status = await provider_status(client)
    assert answer is None or isinstance(answer, (list, types.InlineCompletionList))
    assert requests_seen(llama, "completions") == before + 1  # /v1/completions, not chat
    assert status["fill_in_middle"] is True
    assert status["tasks"]["complete"]["requests"] == 1


async def test_inline_completion_through_chat_is_streamed(
    tmp_path: Path, llama: RunningServer
) -> None:
    provider = {"name": "llama", "baseUrl": llama.url, "model": LLAMA_MODEL, "fillInMiddle": False}
    async with lantern_client(
        tmp_path,
        capabilities=inline_capabilities(),
        initialization_options=options(providers=[provider], deadlineSeconds={"complete": 60}),
    ) as client:
        uri = (tmp_path / "area.py").as_uri()
        open_document(client, uri, "def area(r):\n    return 3.14 * r\n")
        before = requests_seen(llama, "chat/completions")
        answer = await client.text_document_inline_completion_async(
            inline_params(uri, 1, 19, invoked=True)
        )
        status = await provider_status(client)
    assert answer is None or isinstance(answer, (list, types.InlineCompletionList))
    assert requests_seen(llama, "chat/completions") == before + 1
    assert status["tasks"]["complete"]["requests"] == 1


async def test_cancelling_a_streamed_generation_stops_the_server_generating(
    tmp_path: Path, llama: RunningServer
) -> None:
    # A long answer, streamed (progress is shown while the model writes).
    settings = options(
        maxAnswerTokens={**TOKENS, "generate": 1500}, deadlineSeconds={"generate": 600}
    )
    source = "# TODO: print the numbers from 1 to 1000, one print call for each\n"
    async with lantern_client(
        tmp_path,
        env=llama_env(llama),
        capabilities=resolving_capabilities(),
        initialization_options=settings,
    ) as client:
        uri = (tmp_path / "count.py").as_uri()
        open_document(client, uri, source)
        disconnects = disconnections(llama)
        params = types.ExecuteCommandParams(
            command="lantern.generate",
            arguments=[uri, {"line": 1, "character": 0}, "print 1 to 1000", "code"],
        )
        pending = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="generate-to-cancel"
            )
        )
        await client.wait_until(
            lambda: any(
                isinstance(report, types.WorkDoneProgressReport)
                for reports in client.progress_reports.values()
                for report in reports
            ),
            timeout=120,
        )
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="generate-to-cancel"))
        try:
            outcome: Any = await pending
        except Exception as cancelled:
            outcome = cancelled
        assert "cancel" in str(outcome).lower(), outcome
        # The server saw the connection close and stopped generating, without waiting
        # for another request to interrupt it.
        deadline = time.monotonic() + 60
        while disconnections(llama) == disconnects:
            assert time.monotonic() < deadline, "llama.cpp kept generating after the cancel"
            await asyncio.sleep(0.2)
        explained = await run(client, "lantern.explain", uri, WHOLE)
        assert "markdown" in explained or "error" in explained


async def test_concurrent_streams_queue_for_a_one_request_server_and_report_queue_time(
    tmp_path: Path, llama: RunningServer
) -> None:
    # llama.cpp cuts a stream short when another request arrives. Lantern learns that the
    # server takes one request at a time, asks again, and queues the rest.
    async with lantern_client(
        tmp_path,
        env=llama_env(llama),
        capabilities=inline_capabilities(),
        initialization_options=options(deadlineSeconds={"complete": 120}),
    ) as client:
        uris = []
        for number in range(3):
            uri = (tmp_path / f"area{number}.py").as_uri()
            open_document(client, uri, f"def area{number}(r):\n    return 3.14 * r\n")
            uris.append(uri)
        answers = await asyncio.gather(
            *(
                client.text_document_inline_completion_async(
                    inline_params(uri, 1, 19, invoked=True)
                )
                for uri in uris
            )
        )
        status = await provider_status(client)
    assert len(answers) == 3  # every caller got an answer: nobody lost, nothing hung
    complete = status["by_task"]["complete"]
    assert complete["requests"] == 3, complete  # all three answered by the model
    assert status["max_concurrent_requests"] == 1
    assert complete["queue_ms"]["p90"] > 0, complete
