"""Bounded time and flat memory over the wire: no document holds another, no analysis
runs unbounded, no notification leaves state behind (issue 11)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types

from lantern.lsp.server import create_server
from tests.e2e import conftest
from tests.e2e.conftest import (
    RecordingClient,
    change_document,
    lantern_client,
    open_document,
    pull_capabilities,
)
from tests.support.openai_server import Fault, OpenAIServer
from tests.support.worst_cases import many_findings, many_statements


async def _pull(client: RecordingClient, uri: str) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    return report.items


async def _pull_complete(client: RecordingClient, uri: str) -> list[types.Diagnostic]:
    """The findings, once computed: a large document is answered "still analysing" at
    first (lantern.lsp.parsing)."""
    while True:
        items = await _pull(client, uri)
        if not any(d.code == "lantern" and "still analysing" in d.message for d in items):
            return items
        await asyncio.sleep(0.2)


async def test_a_long_analysis_does_not_hold_another_documents_pull(tmp_path: Path):
    configuration = {"diagnostics": {"time_budget_ms": 600_000}}  # it runs to the end
    async with lantern_client(
        tmp_path, capabilities=pull_capabilities(), initialization_options=configuration
    ) as client:
        big, small = (tmp_path / "big.py").as_uri(), (tmp_path / "small.py").as_uri()
        open_document(client, big, many_findings("python", 20_000))  # about 850 KB
        open_document(client, small, "def f(:\n")
        slow = asyncio.ensure_future(_pull_complete(client, big))
        await asyncio.sleep(0)  # the big pull is sent first
        quick = await asyncio.wait_for(_pull(client, small), 30)
        assert [d.code for d in quick] == ["syntax"]
        assert not slow.done(), "the small document waited for the big one"
        assert len(await asyncio.wait_for(slow, 120)) == 20_000


async def test_an_analysis_over_its_budget_publishes_a_partial_result_and_says_so(
    tmp_path: Path,
):
    configuration = {"diagnostics": {"time_budget_ms": 100}}
    async with lantern_client(
        tmp_path, capabilities=pull_capabilities(), initialization_options=configuration
    ) as client:
        uri = (tmp_path / "big.py").as_uri()
        open_document(client, uri, many_findings("python", 40_000))
        items = await asyncio.wait_for(_pull_complete(client, uri), 60)
        notices = [d for d in items if d.code == "lantern"]
        assert len(notices) == 1
        assert notices[0].severity == types.DiagnosticSeverity.Information
        assert notices[0].message.startswith("Analysis stopped after ")
        assert notices[0].range.start == types.Position(line=0, character=0)
        # Partial: the budget is checked between steps (slices of the query, rules), so
        # what was found before it ran out is kept, and the rest is missing.
        assert len([d for d in items if d.code == "LS101"]) < 40_000


async def test_a_two_cursor_edit_in_a_large_file_costs_no_more_than_opening_it(
    tmp_path: Path,
):
    """Case 01: the edit at the first and the last line made the incremental path
    quadratic in the number of statements (17 s for 3,000 lines)."""
    lines = 20_000
    async with lantern_client(tmp_path, capabilities=pull_capabilities()) as client:
        uri = (tmp_path / "many.py").as_uri()
        text = many_statements("python", lines // 2)
        open_document(client, uri, text)
        await _pull(client, uri)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=line, character=0),
                            end=types.Position(line=line, character=0),
                        ),
                        text="#",
                    )
                    for line in (0, lines - 1)
                ],
            )
        )
        started = time.monotonic()
        edited = await asyncio.wait_for(_pull(client, uri), 60)
        seconds = time.monotonic() - started
        expected = text.split("\n")
        expected[0], expected[-2] = "#" + expected[0], "#" + expected[-2]
        fresh = (tmp_path / "fresh.py").as_uri()
        open_document(client, fresh, "\n".join(expected))
        assert [(d.code, d.range) for d in edited] == [
            (d.code, d.range) for d in await _pull(client, fresh)
        ]
        assert seconds < 10  # seconds, not minutes: it was quadratic


async def test_a_file_over_the_size_limit_says_so_at_its_top(tmp_path: Path):
    configuration = {"diagnostics": {"max_file_size": 1_000}}
    async with lantern_client(
        tmp_path, capabilities=pull_capabilities(), initialization_options=configuration
    ) as client:
        uri = (tmp_path / "large.py").as_uri()
        open_document(client, uri, "x = eval(y)\n" * 200)
        items = await _pull(client, uri)
        assert [(d.code, d.severity, d.range.start.line) for d in items] == [
            ("lantern", types.DiagnosticSeverity.Information, 0)
        ]
        assert "max_file_size" in items[0].message
        change_document(client, uri, 2, "x = eval(y)\n")
        assert [d.code for d in await _pull(client, uri)] == ["LS101"]


def test_notifications_leave_no_state_behind():
    """Case 15: pygls kept a future (with the params) per didOpen/didChange/didClose."""
    server = create_server()
    server.session.pull_diagnostics = True  # nothing to publish: there is no client
    protocol = server.protocol
    uri = "file:///w/a.py"
    for round_ in range(200):
        protocol._handle_notification(
            types.TEXT_DOCUMENT_DID_OPEN,
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text="x = 1\n" * 50
                )
            ),
        )
        protocol._handle_notification(
            types.TEXT_DOCUMENT_DID_CHANGE,
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=str(round_))],
            ),
        )
        protocol._handle_notification(
            types.TEXT_DOCUMENT_DID_CLOSE,
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)),
        )
    assert server.session.documents == {}
    # The last notification's entry goes when the next message comes; none piles up.
    assert len(protocol._request_futures) <= 1


# Runs the server with its stderr in a file (argv[1]) so the test can read every log line.
_SERVE_LOGGING_TO = (
    "import os, sys\n"
    "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND)\n"
    "os.dup2(fd, 2)\n"
    "sys.argv = ['lantern', 'serve']\n"
    "from lantern.cli import main\n"
    "sys.exit(main())\n"
)


async def test_the_api_key_is_never_in_logs_status_errors_or_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Item 7: at debug level, with the provider echoing the key back in its 401."""
    key = "sk-planted-0123456789abcdefghijKLMN"
    model = OpenAIServer().start()
    echoed = json.dumps({"error": {"message": f"Incorrect API key provided: {key}"}})
    model.down(Fault.status_code(401, body=echoed))
    stderr = tmp_path / "server.stderr"
    monkeypatch.setattr(
        conftest, "SERVER_COMMAND", [sys.executable, "-c", _SERVE_LOGGING_TO, str(stderr)]
    )
    env = {
        "LANTERN_AI_BASE_URL": model.url,
        "LANTERN_AI_MODEL": "test-model",
        "LANTERN_AI_API_KEY": key,
        "LANTERN_LOG_LEVEL": "DEBUG",
    }
    seen: list[str] = []
    try:
        async with lantern_client(tmp_path, env=env) as client:
            uri = (tmp_path / "app.py").as_uri()
            open_document(client, uri, "def load(text):\n    return eval(text)\n")
            await client.wait_until(lambda: model.generation_requests)
            for command, arguments in (("lantern.analyzeFile", [uri]), ("lantern.status", [])):
                try:
                    result = await client.workspace_execute_command_async(
                        types.ExecuteCommandParams(command=command, arguments=arguments)
                    )
                    seen.append(json.dumps(result, default=str))
                except Exception as exc:  # an error answer: its text is what the user sees
                    seen.append(str(exc))
            seen += [m.message for m in client.log_messages]
            seen += [m.message for m in client.messages]
            seen += [json.dumps(p.diagnostics, default=str) for p in client.published]
    finally:
        model.stop()
    assert model.generation_requests[0].headers["authorization"] == f"Bearer {key}"
    log = stderr.read_text()
    assert " DEBUG " in log  # it really logged at debug level
    assert key not in log
    assert not [text for text in seen if key in text]
    for file in (tmp_path / "cache").rglob("*"):
        if file.is_file():
            assert key.encode() not in file.read_bytes(), file
