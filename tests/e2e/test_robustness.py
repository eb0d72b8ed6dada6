"""Bad input over the wire: the server answers what it can, says what it cannot, keeps serving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.conftest import RecordingClient, change_document, open_document


def send_raw(client: RecordingClient, body: bytes) -> None:
    """Write one framed message exactly as given, bypassing the client's serialisation."""
    writer = client.protocol.writer
    assert writer is not None
    writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def still_serving(client: RecordingClient, tmp_path: Path, name: str) -> None:
    uri = (tmp_path / name).as_uri()
    open_document(client, uri, "def f(:\n")
    published = await client.diagnostics_for(uri)
    assert [d.code for d in published.diagnostics] == ["syntax"]


async def test_garbage_json_is_survived(client: RecordingClient, tmp_path: Path):
    send_raw(client, b"{this is not json")
    await still_serving(client, tmp_path, "after_garbage.py")


async def test_notification_with_invalid_params_is_survived(
    client: RecordingClient, tmp_path: Path
):
    body = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 42}}
    send_raw(client, json.dumps(body).encode())
    await still_serving(client, tmp_path, "after_bad_params.py")


async def test_unknown_request_gets_method_not_found(client: RecordingClient, tmp_path: Path):
    with pytest.raises(Exception, match=r"(?i)method not found|-32601"):
        await client.protocol.send_request_async("lantern/noSuchMethod", {})
    await still_serving(client, tmp_path, "after_unknown.py")


async def test_request_for_a_document_that_is_not_open_is_answered(
    client: RecordingClient, tmp_path: Path
):
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=(tmp_path / "never.py").as_uri())
        )
    )
    assert report.kind == "full" and list(report.items) == []


async def test_edits_past_the_end_are_clamped(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "clamped.py").as_uri()
    open_document(client, uri, "x = 1\n", version=1)
    await client.diagnostics_for(uri, version=1)
    change_document(client, uri, 2, "(", start=(40, 99), end=(50, 0))  # far past the end
    published = await client.diagnostics_for(uri, version=2)
    (diagnostic,) = published.diagnostics
    assert diagnostic.range.start.line == 1  # the "(" landed at the very end


async def test_change_to_a_closed_document_is_ignored(client: RecordingClient, tmp_path: Path):
    change_document(client, (tmp_path / "ghost.py").as_uri(), 5, "x")
    await still_serving(client, tmp_path, "after_ghost.py")


async def test_odd_text_is_analysed_without_harm(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "odd.py").as_uri()
    # Lone surrogates, control characters, a BOM, form feeds and every line break kind.
    open_document(client, uri, "\ufeffx = '\ud800'\x0c\r\ny = (\u2028\rz = 3\n")
    published = await client.diagnostics_for(uri)
    assert all(d.range.start.line <= d.range.end.line for d in published.diagnostics)
    await still_serving(client, tmp_path, "after_odd.py")
