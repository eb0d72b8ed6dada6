"""A 1.5 MB minified file: nothing waits for its parse or analysis. Other documents are
answered while it is processed; its own requests are answered at once with what there
is ("still analysing", no actions yet), then with exactly the findings a fresh analysis
gives. The limits are generous (seconds): they catch blocking, not slowness."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from lsprotocol import types

from lantern.analysis.engine import analyse, rule_options
from lantern.analysis.languages import language_named, parse
from lantern.session import LARGE_DOCUMENT
from tests.e2e.conftest import (
    RecordingClient,
    change_document,
    lantern_client,
    open_document,
    pull_capabilities,
    push_capabilities,
)

# A request answered later than this waited for the big file (its parse alone takes a
# second or more; analysing it, several).
NOT_BLOCKED_SECONDS = 5.0


def _bundle(statements: int = 60_000) -> str:
    """About 770 KB of statements on one line, with an `eval` (a finding) in one of 5,000."""
    parts = [f"var a{i}=1" if i % 5000 else "eval(s)" for i in range(statements)]
    text = ";".join(parts)
    assert LARGE_DOCUMENT < len(text) < 2_000_000  # large, under the default size cap
    return text + "\n"


# Enough time to analyse it whole, however loaded the machine: the findings are compared.
_NO_BUDGET = {"diagnostics": {"timeBudgetMs": 600_000}}


def _still_analysing(items: list[types.Diagnostic]) -> bool:
    return any(d.code == "lantern" and "still analysing" in d.message for d in items)


async def _pull(client: RecordingClient, uri: str) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return list(report.items)


async def _timed(request) -> tuple[float, object]:
    started = time.perf_counter()
    result = await request
    return time.perf_counter() - started, result


def _code_action(client: RecordingClient, uri: str, line: int, character: int = 0) -> object:
    return client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line, character), end=types.Position(line, character + 4)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )


async def test_other_documents_are_answered_while_a_large_file_is_processed(tmp_path: Path):
    async with lantern_client(
        tmp_path, capabilities=pull_capabilities(), configuration=_NO_BUDGET
    ) as client:
        small = (tmp_path / "small.py").as_uri()
        open_document(client, small, "import os\n\n\ndef run(path):\n    return os.system(path)\n")
        expected_small = await _pull(client, small)
        assert expected_small  # os.system with a variable: a finding to offer actions for

        big = (tmp_path / "bundle.min.js").as_uri()
        text = _bundle()
        open_document(client, big, text, "javascript")
        first = await _pull(client, big)
        assert _still_analysing(first)  # answered without waiting for the analysis

        waited, actions = await _timed(_code_action(client, small, 4))
        assert waited < NOT_BLOCKED_SECONDS and actions
        waited, items = await _timed(_pull(client, small))
        assert waited < NOT_BLOCKED_SECONDS and items == expected_small
        # Still being analysed: the small document's answers did not wait for it.
        assert _still_analysing(await _pull(client, big))

        # Then the findings, exactly those of a fresh analysis of the same text.
        async with asyncio.timeout(120):
            while _still_analysing(items := await _pull(client, big)):
                await asyncio.sleep(0.2)
        javascript = language_named("javascript")
        source = text.encode()
        expected = analyse(javascript, source, parse(javascript, source), rule_options(None))
        assert expected  # the evals
        found = [(d.code, d.range.start.character, d.range.end.character) for d in items]
        assert found == [(f.code, f.start_byte, f.end_byte) for f in expected]


async def test_requests_on_a_large_file_are_answered_at_once_with_what_there_is(tmp_path: Path):
    async with lantern_client(
        tmp_path, capabilities=pull_capabilities(), configuration=_NO_BUDGET
    ) as client:
        big = (tmp_path / "bundle.min.js").as_uri()
        open_document(client, big, _bundle(), "javascript")
        await asyncio.sleep(0)
        for request in (
            _code_action(client, big, 0),
            client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=big),
                    position=types.Position(0, 1000),
                )
            ),
            _pull(client, big),
        ):
            waited, _answer = await _timed(request)
            assert waited < NOT_BLOCKED_SECONDS
        # Edited while its parse and analysis run: the findings are the new text's
        # (`eval(s)` at the start became `gval(s)`), and its quick fixes carry version 2.
        change_document(client, big, 2, "g", start=(0, 0), end=(0, 1))
        async with asyncio.timeout(120):
            while _still_analysing(items := await _pull(client, big)):
                await asyncio.sleep(0.2)
        evals = [d for d in items if d.code == "LS101"]
        assert len(evals) == 11 and evals[0].range.start.character > 0
        async with asyncio.timeout(120):
            while not (
                actions := await _code_action(client, big, 0, evals[0].range.start.character)
            ):
                await asyncio.sleep(0.2)
        fixes = [a for a in actions if isinstance(a, types.CodeAction) and a.kind == "quickfix"]
        assert fixes and all(a.data["version"] == 2 for a in fixes)


async def test_a_pushing_client_gets_the_large_files_findings_when_ready(tmp_path: Path):
    async with lantern_client(tmp_path, capabilities=push_capabilities()) as client:
        big = (tmp_path / "bundle.min.js").as_uri()
        open_document(client, big, _bundle(), "javascript")
        small = (tmp_path / "small.py").as_uri()
        open_document(client, small, "def f(:\n")
        published = await client.diagnostics_for(small, 1)
        assert [d.code for d in published.diagnostics] == ["syntax"]
        async with asyncio.timeout(120):
            big_published = await client.wait_until(
                lambda: next((p for p in client.published if p.uri == big), None), timeout=120
            )
        assert not _still_analysing(list(big_published.diagnostics))
