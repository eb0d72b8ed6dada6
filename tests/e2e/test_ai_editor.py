"""AI in the editor, end to end: the real server over stdio, configured only by the
three LANTERN_AI_* variables, against the loopback OpenAI-compatible server."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from tests.e2e.conftest import (
    RecordingClient,
    change_document,
    lantern_client,
    open_document,
    pull_capabilities,
    push_capabilities,
)
from tests.support import code_model
from tests.support.openai_server import Fault, OpenAIServer, RecordedRequest

SOURCE = """import os


def load(path):
    data = risky(path)
    return data


def total(values):
    return sum(values)


class Store:
    def save(self, item):
        return risky(item)
"""
UNSAFE = "import pickle\n\n\ndef read(blob):\n    return pickle.loads(blob)\n"


def ai_env(server: OpenAIServer) -> dict[str, str]:
    return {"LANTERN_AI_BASE_URL": server.url, "LANTERN_AI_MODEL": "test-model"}


def reviews(server: OpenAIServer) -> list[RecordedRequest]:
    return [r for r in server.generation_requests if code_model.task_of(r) == "review"]


def ai_lines(params: types.PublishDiagnosticsParams) -> list[int]:
    return sorted(d.range.start.line for d in params.diagnostics if d.source == "lantern-ai")


async def ai_published(
    client: RecordingClient, uri: str, count: int
) -> types.PublishDiagnosticsParams:
    """The first publication of `uri` holding `count` AI diagnostics."""

    def find() -> types.PublishDiagnosticsParams | None:
        for params in reversed(client.published):
            if params.uri == uri and len(ai_lines(params)) == count:
                return params
        return None

    return await client.wait_until(find)


def resolving_capabilities() -> types.ClientCapabilities:
    """VS Code's, plus lazy edits in codeAction/resolve, progress and showDocument."""
    capabilities = push_capabilities()
    capabilities.text_document.code_action.resolve_support = types.ClientCodeActionResolveOptions(
        properties=["edit"]
    )
    capabilities.window = types.WindowClientCapabilities(
        work_done_progress=True, show_document=types.ShowDocumentClientCapabilities(support=True)
    )
    return capabilities


async def test_ai_findings_appear_on_the_right_lines_with_their_source(tmp_path, model):
    async with lantern_client(tmp_path, env=ai_env(model)) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        published = await ai_published(client, uri, 2)
        assert ai_lines(published) == [4, 14]  # the two `risky(` calls, 0-based
        finding = next(d for d in published.diagnostics if d.source == "lantern-ai")
        assert finding.code == "unchecked-call"
        # The model said "error"; AI findings are capped at warning by default.
        assert finding.severity == types.DiagnosticSeverity.Warning
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=4, character=8),
            )
        )
        assert hover is not None and "checked()" in hover.contents.value
    # Neighbouring functions and classes share one request; the imports are not sent.
    [request] = reviews(model)
    assert "import os" not in request.prompt_text.split("Review this unit", 1)[1]


async def test_reopen_and_restart_cost_no_model_request(tmp_path, model):
    uri = (tmp_path / "store.py").as_uri()
    async with lantern_client(tmp_path, env=ai_env(model)) as client:
        open_document(client, uri, SOURCE)
        await ai_published(client, uri, 2)
        sent = len(model.generation_requests)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        client.published.clear()
        open_document(client, uri, SOURCE)
        await ai_published(client, uri, 2)
        assert len(model.generation_requests) == sent
    async with lantern_client(tmp_path, env=ai_env(model)) as restarted:
        open_document(restarted, uri, SOURCE)
        await ai_published(restarted, uri, 2)
    assert len(model.generation_requests) == sent


async def test_saving_after_an_edit_sends_only_the_changed_function(tmp_path, model):
    async with lantern_client(tmp_path, env=ai_env(model)) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        await ai_published(client, uri, 2)
        before = len(reviews(model))
        # Insert two lines above `total` and make it call risky(): `load` and `Store`
        # move down but keep their text.
        change_document(client, uri, 2, "\n\n", start=(7, 0))
        change_document(client, uri, 3, "    risky(values)\n", start=(11, 0))
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        published = await ai_published(client, uri, 3)
        assert ai_lines(published) == [4, 11, 17]
        sent = reviews(model)[before:]
        assert len(sent) == 1 and "def total" in sent[0].prompt_text


async def test_a_result_for_an_edited_unit_is_never_published(tmp_path, model):
    # One slow answer for the whole file: a finding in `load`, another in `Store`.
    slow = '{"findings": [{"line": 5, "message": "stale"}, {"line": 15, "message": "kept"}]}'
    model.script(Fault.slow(1.5, content=slow))
    async with lantern_client(tmp_path, env=ai_env(model)) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        await asyncio.to_thread(model.wait_for_requests, 1)
        # While the first review is slow, `load` is rewritten.
        change_document(client, uri, 2, "    data = open(path).read()\n", start=(4, 0), end=(5, 0))
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        # The answer for `Store` is still good; the one for the old `load` is not.
        published = await ai_published(client, uri, 1)
        assert [d.message for d in published.diagnostics if d.source == "lantern-ai"] == ["kept"]
        await client.wait_until(lambda: len(reviews(model)) == 2)  # the new `load` alone
        assert "data = open(path)" in reviews(model)[1].prompt_text
        for params in client.published:
            assert all(d.message != "stale" for d in params.diagnostics), params


async def test_listing_code_actions_never_calls_the_model_and_fix_with_ai_resolves(tmp_path, model):
    async with lantern_client(
        tmp_path, env=ai_env(model), capabilities=resolving_capabilities()
    ) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        published = await ai_published(client, uri, 2)
        sent = len(model.generation_requests)
        diagnostic = next(d for d in published.diagnostics if d.source == "lantern-ai")
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic]),
            )
        )
        assert len(model.generation_requests) == sent
        titles = [a.title for a in actions]
        fix = next(a for a in actions if a.title.startswith("Fix with AI"))
        assert any(t.startswith("Explain with AI") for t in titles)
        assert fix.edit is None and fix.command is None  # computed on resolve only
        resolved = await client.code_action_resolve_async(fix)
        edit = resolved.edit.document_changes[0]
        assert edit.text_document.version == 1
        [text_edit] = edit.edits
        assert text_edit.range.start.line == 4 and text_edit.range.end.line == 5
        assert text_edit.new_text == "    data = checked(path)\n"


async def test_fix_command_without_a_model_says_how_to_set_one_up(tmp_path):
    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / "app.py").as_uri()
        open_document(client, uri, UNSAFE)
        static = await client.diagnostics_for(uri)
        assert static.diagnostics  # static analysis works without a model
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="lantern.fix", arguments=[uri, static.diagnostics[0]]
            )
        )
        message = await client.wait_until(
            lambda: next((m for m in client.messages if "LANTERN_AI_BASE_URL" in m.message), None)
        )
        assert "docs/ai.md" in message.message and "LANTERN_AI_API_KEY" in message.message
        assert "LANTERN_AI_MODEL" in result["error"]


async def test_explain_generate_and_generated_tests_as_a_new_file(tmp_path, model):
    (tmp_path / "tests").mkdir()
    async with lantern_client(
        tmp_path, env=ai_env(model), capabilities=resolving_capabilities()
    ) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)

        async def run(command: str, *arguments: object) -> dict:
            return await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=list(arguments))
            )

        whole = {"start": {"line": 3, "character": 0}, "end": {"line": 5, "character": 15}}
        explained = await run("lantern.explain", uri, whole)
        assert "lines 4-6" in explained["markdown"]

        generated = await run(
            "lantern.generate", uri, {"line": 10, "character": 0}, "average of values", "function"
        )
        [insert] = generated["edit"]["documentChanges"][0]["edits"]
        assert insert["range"]["start"] == {"line": 10, "character": 0}
        assert insert["newText"].startswith("def ") and "return 42" in insert["newText"]

        tests = await run("lantern.generate", uri, {"line": 3, "character": 0}, "", "tests")
        create, content = tests["edit"]["documentChanges"]
        assert create["kind"] == "create"
        assert create["uri"] == (tmp_path / "tests" / "test_store.py").as_uri()
        assert "def test_generated" in content["edits"][0]["newText"]

        history = await run("lantern.history")
        assert [e["kind"] for e in history["entries"]] == ["tests", "function"]
        shown = await run("lantern.history", "show", history["entries"][0]["id"])
        assert shown["files"] == [create["uri"]]


async def test_provider_failure_is_one_message_with_a_request_id_and_static_goes_on(
    tmp_path, model
):
    model.down(Fault.server_error(500))
    env = {**ai_env(model), "LANTERN_AI_MODEL": "test-model"}
    async with lantern_client(tmp_path, env=env) as client:
        first = (tmp_path / "a.py").as_uri()
        second = (tmp_path / "b.py").as_uri()
        open_document(client, first, SOURCE)
        message = await client.wait_until(
            lambda: next((m for m in client.messages if "HTTP 500" in m.message), None)
        )
        assert "request lantern-" in message.message
        open_document(client, second, UNSAFE)
        static = await client.diagnostics_for(second)
        assert any(d.code == "LS105" for d in static.diagnostics)
        await client.wait_until(lambda: len(model.generation_requests) >= 6)
        failures = [m for m in client.messages if "HTTP 500" in m.message]
        assert len(failures) == 1  # one episode, one message
        status = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="lantern.status", arguments=[])
        )
        assert "request lantern-" in status["last_error"]["message"]


async def test_secrets_and_ignored_files_never_reach_the_model(tmp_path, model):
    (tmp_path / ".lanternignore").write_text("private/\n")
    (tmp_path / "private").mkdir()
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    source = f'def connect():\n    token = "{token}"\n    return risky(token)\n'
    async with lantern_client(tmp_path, env=ai_env(model)) as client:
        hidden = (tmp_path / "private" / "keys.py").as_uri()
        shown = (tmp_path / "app.py").as_uri()
        open_document(client, hidden, SOURCE)
        open_document(client, shown, source)
        await ai_published(client, shown, 1)
    sent = "\n".join(r.raw for r in model.requests)
    assert token not in sent
    assert "def load(path)" not in sent  # nothing of the ignored file


async def test_pull_clients_get_ai_findings_through_a_refresh(tmp_path, model):
    async with lantern_client(
        tmp_path, env=ai_env(model), capabilities=pull_capabilities()
    ) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        await client.wait_until(lambda: len(reviews(model)) == 1)

        async def pull() -> list[int]:
            report = await client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
            return sorted(d.range.start.line for d in report.items if d.source == "lantern-ai")

        async with asyncio.timeout(15):
            while await pull() != [4, 14]:
                await asyncio.sleep(0.05)
