"""The server's core behaviour over stdio: lifecycle, documents, syntax diagnostics, robustness."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from lantern import __version__
from tests.e2e.conftest import (
    RecordingClient,
    change_document,
    lantern_client,
    open_document,
    pull_capabilities,
    push_capabilities,
)

BROKEN = {
    "python": ("broken.py", "def f(:\n    pass\n", 0),
    "javascript": ("broken.js", "const x = 1;\nfunction f( { return 1 }\n", 1),
    "typescript": ("broken.ts", "let ok: number = 1;\nlet x: number = ;\n", 1),
    "typescriptreact": ("broken.tsx", "const a = 1;\nconst b = <div>{a</div>;\n", 1),
    "go": ("broken.go", "package main\n\nfunc main() {\n\tx := \n}\n", 3),
    "rust": ("broken.rs", "fn main() {\n    let x = ;\n}\n", 1),
    "java": ("Broken.java", "class A {\n  void f() { int x = ; }\n}\n", 1),
}


async def test_initialize_advertises_incremental_sync_and_pull_diagnostics(tmp_path: Path):
    async with lantern_client(tmp_path) as client:
        capabilities = client.initialize_result.capabilities
        info = client.initialize_result.server_info
    assert info.name == "lantern" and info.version == __version__
    sync = capabilities.text_document_sync
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.open_close is True
    assert capabilities.diagnostic_provider.identifier == "lantern"


@pytest.mark.parametrize("language_id", sorted(BROKEN))
async def test_syntax_error_is_reported_in_every_language(
    client: RecordingClient, tmp_path: Path, language_id: str
):
    name, text, line = BROKEN[language_id]
    uri = (tmp_path / name).as_uri()
    open_document(client, uri, text, language_id, version=7)
    published = await client.diagnostics_for(uri)
    assert published.version == 7
    syntax = [d for d in published.diagnostics if d.code == "syntax"]
    assert syntax, published.diagnostics
    assert syntax[0].range.start.line == line
    assert syntax[0].source == "lantern"
    assert syntax[0].severity == types.DiagnosticSeverity.Error
    assert syntax[0].message.startswith("Syntax error")


async def test_python_missing_paren_is_named(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "f.py").as_uri()
    open_document(client, uri, "def f(:\n    pass\n")
    published = await client.diagnostics_for(uri)
    (diagnostic,) = published.diagnostics
    assert diagnostic.message == 'Syntax error: missing ")"'
    assert diagnostic.range.start == types.Position(line=0, character=6)


async def test_language_falls_back_to_the_file_extension(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "script.py").as_uri()
    open_document(client, uri, "def f(:\n", language_id="plaintext-unknown")
    published = await client.diagnostics_for(uri)
    assert [d.code for d in published.diagnostics] == ["syntax"]


async def test_unknown_language_is_accepted_and_not_analysed(
    client: RecordingClient, tmp_path: Path
):
    notes = (tmp_path / "notes.txt").as_uri()
    open_document(client, notes, "def f(:\n", language_id="plaintext")
    good = (tmp_path / "after.py").as_uri()
    open_document(client, good, "def f(:\n")
    await client.diagnostics_for(good)
    notes_published = [p for p in client.published if p.uri == notes]
    assert all(not p.diagnostics for p in notes_published)


async def test_incremental_edit_fixes_then_breaks_the_file(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "edit.py").as_uri()
    open_document(client, uri, "def f(:\n    return 1\n", version=1)
    first = await client.diagnostics_for(uri, version=1)
    assert first.diagnostics
    change_document(client, uri, 2, ")", start=(0, 6))  # def f():
    fixed = await client.diagnostics_for(uri, version=2)
    assert list(fixed.diagnostics) == []
    change_document(client, uri, 3, "x = (\n", start=(2, 0))  # an unclosed paren after it
    broken = await client.diagnostics_for(uri, version=3)
    assert [d.range.start.line for d in broken.diagnostics] == [2]


async def test_edits_with_non_ascii_text_keep_ranges_exact(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "unicode.py").as_uri()
    # "é" is 1 UTF-16 unit, "😀" is 2: the range after them must still be exact.
    open_document(client, uri, 's = "é😀"\nt = 1\n', version=1)
    await client.diagnostics_for(uri, version=1)
    change_document(client, uri, 2, " (", start=(0, 9))  # after the closing quote
    published = await client.diagnostics_for(uri, version=2)
    (diagnostic,) = published.diagnostics
    assert diagnostic.range.start == types.Position(line=0, character=10)
    assert diagnostic.message == 'Syntax error: "(" is never closed'


async def test_close_clears_published_diagnostics(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "closing.py").as_uri()
    open_document(client, uri, "def f(:\n")
    await client.diagnostics_for(uri)
    count = len(client.published)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    cleared = await client.wait_until(lambda: client.published[count:])
    assert cleared[0].uri == uri and list(cleared[0].diagnostics) == []


async def test_burst_of_keystrokes_is_coalesced_into_one_analysis(
    client: RecordingClient, tmp_path: Path
):
    uri = (tmp_path / "burst.py").as_uri()
    open_document(client, uri, "x = 1\n", version=1)
    await client.diagnostics_for(uri, version=1)
    typed = "print('hello world')"
    for version, char in enumerate(typed, start=2):
        change_document(client, uri, version, char, start=(1, version - 2))
    last = len(typed) + 1
    final = await client.diagnostics_for(uri, version=last)
    assert list(final.diagnostics) == []
    during_burst = [p.version for p in client.published if p.uri == uri and p.version != 1]
    assert during_burst == [last]


async def test_pull_diagnostics_when_the_client_asks_for_them(tmp_path: Path):
    async with lantern_client(tmp_path, capabilities=pull_capabilities()) as client:
        uri = (tmp_path / "pulled.go").as_uri()
        open_document(client, uri, "package main\nfunc main() {\n\tx := \n}\n", "go")
        first = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert first.kind == "full"
        assert [d.range.start.line for d in first.items] == [2]
        # Loading the settings asks for a pull again (the first answer may have been the
        # syntax errors alone, while the server warmed up).
        await client.wait_until(lambda: client.refreshes)
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert [d.range.start.line for d in report.items] == [2]
        again = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                previous_result_id=report.result_id,
            )
        )
        assert again.kind == "unchanged"
        change_document(client, uri, 2, "1", start=(2, 6))
        fixed = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                previous_result_id=report.result_id,
            )
        )
        assert fixed.kind == "full" and list(fixed.items) == []
        # A pull client is never pushed to.
        assert not [p for p in client.published if p.uri == uri]


# A syntax error on line 5 and a finding (LB204) on line 1.
BROKEN_AND_FLAWED = "def f(x):\n    if x == None:\n        return 1\n\n\ndef g(:\n    pass\n"


def _pull(uri: str) -> types.DocumentDiagnosticParams:
    return types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))


# The server waits this long before loading its settings (a test-only switch): the
# first answers come while they are unknown.
SLOW_SETTINGS = {"LANTERN_TEST_SETTINGS_DELAY": "3"}


async def test_first_pull_answers_with_the_syntax_errors_while_the_settings_load(
    tmp_path: Path,
):
    async with lantern_client(
        tmp_path, capabilities=pull_capabilities(), env=SLOW_SETTINGS
    ) as client:
        uri = (tmp_path / "broken.py").as_uri()
        open_document(client, uri, BROKEN_AND_FLAWED)
        first = await client.text_document_diagnostic_async(_pull(uri))
        assert [(d.code, d.range.start.line) for d in first.items] == [("syntax", 5)]
        await client.wait_until(lambda: client.refreshes)
        complete = await client.text_document_diagnostic_async(_pull(uri))
        assert complete.kind == "full"
        assert sorted((d.code, d.range.start.line) for d in complete.items) == [
            ("LB204", 1),
            ("syntax", 5),
        ]


async def test_first_publication_is_the_syntax_errors_while_the_settings_load(tmp_path: Path):
    async with lantern_client(tmp_path, env=SLOW_SETTINGS) as client:
        uri = (tmp_path / "broken.py").as_uri()
        open_document(client, uri, BROKEN_AND_FLAWED)
        first = await client.diagnostics_for(uri, 1)
        assert [(d.code, d.range.start.line) for d in first.diagnostics] == [("syntax", 5)]
        complete = await client.wait_until(
            lambda: [p for p in client.published if p.uri == uri and len(p.diagnostics) == 2]
        )
        codes = sorted(str(d.code) for d in complete[0].diagnostics)
        assert codes == ["LB204", "syntax"] and complete[0].version == 1


async def test_a_clean_file_gets_its_complete_diagnostics_in_one_answer(tmp_path: Path):
    async with lantern_client(
        tmp_path, capabilities=pull_capabilities(), env=SLOW_SETTINGS
    ) as client:
        uri = (tmp_path / "flawed.py").as_uri()
        broken = (tmp_path / "broken.py").as_uri()
        open_document(client, uri, "def f(x):\n    return x == None\n")
        open_document(client, broken, BROKEN_AND_FLAWED)
        pulled = asyncio.ensure_future(client.text_document_diagnostic_async(_pull(uri)))
        # Asked after it, answered at once (syntax errors to show): had the clean file's
        # answer not waited for the settings, it would have come first.
        assert (await client.text_document_diagnostic_async(_pull(broken))).items
        assert not pulled.done()
        assert [d.code for d in (await pulled).items] == ["LB204"]


async def test_bad_configuration_warns_once_and_the_server_keeps_serving(tmp_path: Path):
    options = {"diagnostics": {"debounceMs": "soon"}, "colour": "blue"}
    async with lantern_client(tmp_path, initialization_options=options) as client:
        messages = await client.wait_until(
            lambda: [m for m in client.messages if "configuration" in m.message]
        )
        assert len(messages) == 1
        text = messages[0].message
        assert "diagnostics.debounce_ms" in text and "'soon'" in text and "using 100" in text
        assert "colour" in text
        assert messages[0].type == types.MessageType.Warning
        uri = (tmp_path / "still.py").as_uri()
        open_document(client, uri, "def f(:\n")
        assert (await client.diagnostics_for(uri)).diagnostics


async def test_workspace_configuration_is_read_and_reread_on_change(tmp_path: Path):
    async with lantern_client(
        tmp_path, configuration={"diagnostics": {"enabled": False}}
    ) as client:
        uri = (tmp_path / "quiet.py").as_uri()
        open_document(client, uri, "def f(:\n", version=1)
        quiet = await client.diagnostics_for(uri, version=1)
        assert list(quiet.diagnostics) == []
        client.set_configuration({"diagnostics": {"enabled": True}}, section="lantern")
        count = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        loud = await client.wait_until(
            lambda: [p for p in client.published[count:] if p.uri == uri and p.diagnostics]
        )
        assert loud[0].diagnostics[0].code == "syntax"


async def test_workspace_lantern_toml_is_applied(tmp_path: Path):
    (tmp_path / "lantern.toml").write_text("[diagnostics]\nenabled = false\n")
    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / "off.py").as_uri()
        open_document(client, uri, "def f(:\n")
        assert list((await client.diagnostics_for(uri)).diagnostics) == []


async def test_crash_in_a_handler_is_reported_and_the_server_keeps_serving(tmp_path: Path):
    env = {"LANTERN_TEST_CRASH": types.TEXT_DOCUMENT_DID_OPEN}
    async with lantern_client(tmp_path, env=env) as client:
        open_document(client, (tmp_path / "crash.py").as_uri(), "x = 1\n")
        shown = await client.wait_until(
            lambda: [m for m in client.messages if "textDocument/didOpen failed" in m.message]
        )
        assert shown[0].type == types.MessageType.Error
        logged = await client.wait_until(
            lambda: [m for m in client.log_messages if "Traceback" in m.message]
        )
        assert "crash injected" in logged[0].message
        uri = (tmp_path / "fine.py").as_uri()
        open_document(client, uri, "def f(:\n")
        assert (await client.diagnostics_for(uri)).diagnostics
        # A second crash of the same kind is logged but not shown again.
        open_document(client, (tmp_path / "crash2.py").as_uri(), "x = 1\n")
        await client.wait_until(
            lambda: len([m for m in client.log_messages if "Traceback" in m.message]) == 2
        )
        assert len([m for m in client.messages if "failed" in m.message]) == 1


async def test_a_crash_in_background_analysis_is_reported_and_the_server_keeps_serving(
    tmp_path: Path,
):
    env = {"LANTERN_TEST_CRASH": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}
    async with lantern_client(tmp_path, env=env) as client:
        open_document(client, (tmp_path / "crash.py").as_uri(), "x = 1\n")
        shown = await client.wait_until(
            lambda: [m for m in client.messages if "publishDiagnostics failed" in m.message]
        )
        assert shown[0].type == types.MessageType.Error
        uri = (tmp_path / "fine.py").as_uri()
        open_document(client, uri, "def f(:\n")
        assert (await client.diagnostics_for(uri)).diagnostics


async def test_oversized_file_is_not_analysed_and_the_log_says_why(tmp_path: Path):
    options = {"diagnostics": {"maxFileSize": 1000}}
    async with lantern_client(tmp_path, initialization_options=options) as client:
        uri = (tmp_path / "huge.py").as_uri()
        open_document(client, uri, "def f(:\n" + "x = 1\n" * 500)
        published = await client.diagnostics_for(uri)
        # Said once in the editor (issue 11): one information at the top, no findings.
        [said] = published.diagnostics
        assert said.severity == types.DiagnosticSeverity.Information
        assert said.range.start.line == 0 and "exceeds diagnostics.max_file_size" in said.message
        logged = await client.wait_until(
            lambda: [m for m in client.log_messages if "huge.py" in m.message]
        )
        assert "exceeds diagnostics.max_file_size" in logged[0].message


async def test_binary_file_is_not_analysed(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "blob.py").as_uri()
    open_document(client, uri, "def f(:\n\x00\x01\x02")
    [said] = (await client.diagnostics_for(uri)).diagnostics  # why, not a syntax error
    assert said.code == "lantern" and "NUL" in said.message
    logged = await client.wait_until(
        lambda: [m for m in client.log_messages if "blob.py" in m.message]
    )
    assert "NUL" in logged[0].message


async def test_utf8_position_encoding_is_used_when_the_client_prefers_it(tmp_path: Path):
    capabilities = push_capabilities()
    capabilities.general = types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
    )
    async with lantern_client(tmp_path, capabilities=capabilities) as client:
        assert client.initialize_result.capabilities.position_encoding == "utf-8"
        uri = (tmp_path / "bytes.py").as_uri()
        open_document(client, uri, 's = "é"\nx = (\n', version=1)
        await client.diagnostics_for(uri, version=1)
        change_document(client, uri, 2, " (", start=(0, 8))  # 8 bytes: after the quote
        published = await client.diagnostics_for(uri, version=2)
        starts = sorted(
            (d.range.start.line, d.range.start.character) for d in published.diagnostics
        )
        assert starts[0] == (0, 9)


async def spawn_server() -> asyncio.subprocess.Process:
    """`lantern serve` on pipes, driven by hand (no LSP client in between)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lantern",
        "serve",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_server_exits_when_stdin_closes():
    process = await spawn_server()
    assert process.stdin is not None
    process.stdin.close()
    async with asyncio.timeout(15):
        await process.wait()


async def test_server_exits_when_its_parent_process_dies():
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)"
    )
    server = await spawn_server()
    assert server.stdin is not None
    body = (
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":'
        f'{{"processId":{parent.pid},"rootUri":null,"capabilities":{{}}}}}}'
    ).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    await server.stdin.drain()
    parent.kill()
    await parent.wait()
    async with asyncio.timeout(15):
        await server.wait()


def test_project_files_never_shadow_the_standard_library(tmp_path: Path):
    # `python -m` puts the working directory on sys.path: a user's typing.py must not load.
    (tmp_path / "typing.py").write_text("raise SystemExit('the project typing.py was imported')\n")
    (tmp_path / "broken.py").write_text("def f(:\n")
    result = subprocess.run(
        [sys.executable, "-m", "lantern", "check", "broken.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "broken.py:1:7: error syntax" in result.stdout


async def test_tcp_transport_answers_initialize():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lantern",
        "serve",
        "--tcp",
        "--port",
        str(port),
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(20):
            while True:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    break
                except OSError:
                    await asyncio.sleep(0.05)  # not listening yet
            body = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}'
            writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            header = await reader.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            answer = await reader.readexactly(length)
            writer.close()
        assert b'"serverInfo": {"name": "lantern"' in answer
    finally:
        server.kill()
        await server.wait()
