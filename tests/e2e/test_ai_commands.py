"""AI commands and actions over stdio: faults, cancellation, clients of every capability
level, multi-file generation, workspace analysis and review triggers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types

from tests.e2e.conftest import (
    RecordingClient,
    change_document,
    lantern_client,
    open_document,
    push_capabilities,
)
from tests.e2e.test_ai_editor import SOURCE, UNSAFE, ai_env, resolving_capabilities, reviews
from tests.support import code_model
from tests.support.openai_server import Fault


async def run(client: RecordingClient, command: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


async def fix_selection_action(
    client: RecordingClient, uri: str, start: tuple[int, int], end: tuple[int, int]
) -> types.CodeAction:
    """The "Fix selection with AI" action listed for the selection start..end."""
    selection = types.Range(
        start=types.Position(line=start[0], character=start[1]),
        end=types.Position(line=end[0], character=end[1]),
    )
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=selection,
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return next(a for a in actions if a.title == "Fix selection with AI")


WHOLE = {"start": {"line": 3, "character": 0}, "end": {"line": 5, "character": 15}}


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault.server_error(503), "HTTP 503"),
        (Fault.rate_limited(1), "Rate limited"),
        (Fault.garbage(), "unreadable answer"),
        (Fault.hang(), "deadline"),
        (Fault.status_code(401), "HTTP 401"),
    ],
    ids=["server-error", "rate-limited", "garbage", "timeout", "auth"],
)
async def test_every_fault_ends_in_one_clear_message_and_the_server_keeps_working(
    tmp_path, model, fault, said
):
    # A provider of its own, without retries: each call meets the fault once.
    (tmp_path / "lantern.toml").write_text(
        f"[ai]\nreview_on = []\ndeadline_seconds = {{ explain = 2 }}\n"
        f'[[ai.providers]]\nname = "local"\nbase_url = "{model.url}"\nmodel = "test-model"\n'
        "max_retries = 0\n"
    )
    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        model.down(fault)
        failed = await run(client, "lantern.explain", uri, WHOLE)
        assert said in failed["error"]
        again = await run(client, "lantern.explain", uri, WHOLE)
        assert said in again["error"]
        shown = [m for m in client.messages if said in m.message]
        assert len(shown) == 1  # one message per episode, not per call
        model.down(None)
        async with asyncio.timeout(10):  # past the Retry-After of the rate-limit case
            while "markdown" not in (recovered := await run(client, "lantern.explain", uri, WHOLE)):
                await asyncio.sleep(0.2)
        assert "lines 4-6" in recovered["markdown"]
        other = (tmp_path / "other.py").as_uri()
        open_document(client, other, UNSAFE)
        static = await client.diagnostics_for(other)
        assert any(d.code == "LS105" for d in static.diagnostics)


async def test_cancel_request_aborts_the_http_request(tmp_path, model):
    model.script(Fault.hang())
    options = {"ai": {"review_on": []}}
    async with lantern_client(
        tmp_path, env=ai_env(model), initialization_options=options
    ) as client:
        uri = (tmp_path / "app.py").as_uri()
        open_document(client, uri, "def f():\n    return 1\n")
        params = types.ExecuteCommandParams(command="lantern.explain", arguments=[uri, WHOLE])
        pending = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="explain-1"
            )
        )
        [request] = await asyncio.to_thread(model.wait_for_requests, 1)
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="explain-1"))
        assert await asyncio.to_thread(request.disconnected.wait, 10)
        with pytest.raises(Exception, match="cancel"):
            await pending


async def test_cancelling_the_review_progress_aborts_it(tmp_path, model):
    model.script(Fault.hang())
    capabilities = resolving_capabilities()
    async with lantern_client(tmp_path, env=ai_env(model), capabilities=capabilities) as client:
        uri = (tmp_path / "app.py").as_uri()
        open_document(client, uri, "def f():\n    return risky(1)\n")
        [request] = await asyncio.to_thread(model.wait_for_requests, 1)
        token = await client.wait_until(lambda: next(iter(client.progress_reports), None))
        client.protocol.notify(
            types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
        )
        assert await asyncio.to_thread(request.disconnected.wait, 10)
        ended = await client.wait_until(
            lambda: any(
                isinstance(r, types.WorkDoneProgressEnd) for r in client.progress_reports[token]
            )
        )
        assert ended


async def test_clients_without_lazy_resolve_get_a_command_that_applies_the_fix(tmp_path, model):
    applied: list[types.WorkspaceEdit] = []
    capabilities = push_capabilities()
    capabilities.text_document.code_action.resolve_support = None
    async with lantern_client(tmp_path, env=ai_env(model), capabilities=capabilities) as client:

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            applied.append(params.edit)
            return types.ApplyWorkspaceEditResult(applied=True)

        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        fix = await fix_selection_action(client, uri, (3, 0), (5, 15))
        assert fix.edit is None and fix.command is not None
        result = await run(client, fix.command.command, *fix.command.arguments)
        assert result["applied"] is True
        [edit] = applied
        [text_edit] = edit.document_changes[0].edits
        assert text_edit.new_text == "    data = checked(path)\n"


async def test_a_fix_for_an_older_version_is_never_resolved(tmp_path, model):
    async with lantern_client(
        tmp_path, env=ai_env(model), capabilities=resolving_capabilities()
    ) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        fix = await fix_selection_action(client, uri, (3, 0), (5, 0))
        change_document(client, uri, 2, "# edited\n", start=(0, 0))
        before = len(model.generation_requests)
        resolved = await client.code_action_resolve_async(fix)
        assert resolved.edit is None
        assert len(model.generation_requests) == before


@pytest.mark.parametrize("kind", ["files", "api", "ui", "cli"])
async def test_file_kinds_create_files_and_never_overwrite(tmp_path, model, kind):
    (tmp_path / "generated.py").write_text("# mine\n")
    async with lantern_client(
        tmp_path, env=ai_env(model), capabilities=resolving_capabilities()
    ) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        result = await run(client, "lantern.generate", uri, {"line": 0, "character": 0}, "x", kind)
        create, content = result["edit"]["documentChanges"]
        assert create["uri"] == (tmp_path / "generated.2.py").as_uri()
        assert content["textDocument"]["uri"] == create["uri"]
        assert "nothing is overwritten" in result["summary"]
    [asked] = [r for r in model.generation_requests if code_model.task_of(r) == "generate_files"]
    assert f"({kind})" in asked.prompt_text


async def test_a_client_that_cannot_create_files_gets_them_as_data(tmp_path, model):
    capabilities = push_capabilities()
    capabilities.workspace.workspace_edit.resource_operations = []
    async with lantern_client(tmp_path, env=ai_env(model), capabilities=capabilities) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        result = await run(
            client, "lantern.generate", uri, {"line": 0, "character": 0}, "", "tests"
        )
        assert "edit" not in result
        [created] = result["files"]
        assert created["uri"].endswith("/tests/test_store.py")


async def test_generate_tests_in_an_editor_that_cannot_create_files_writes_the_file(
    tmp_path, model
):
    """Such an editor (no "create" resource operation) gets "Generate tests" as a command,
    even when it resolves edits lazily; the server writes the new file and shows it."""
    capabilities = resolving_capabilities()
    capabilities.workspace.workspace_edit.resource_operations = []
    async with lantern_client(tmp_path, env=ai_env(model), capabilities=capabilities) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        at = types.Position(line=9, character=4)  # in `total`
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=at, end=at),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        tests = next(a for a in actions if a.title == "Generate tests for `total`")
        assert tests.command is not None and tests.data is None
        result = await run(client, tests.command.command, *tests.command.arguments)
        written = tmp_path / "tests" / "test_store.py"
        assert result["applied"] is True and result["written"] == [written.as_uri()]
        assert written.read_text().strip()
        shown = await client.wait_until(lambda: list(client.shown_documents))
        assert shown[0].uri == written.as_uri()
        assert any("test_store.py" in m.message for m in client.messages)
        # Asked again, the file exists: a second one is written beside it, never over it.
        first = written.read_text()
        again = await run(client, tests.command.command, *tests.command.arguments)
        assert again["written"] == [(tmp_path / "tests" / "test_store.2.py").as_uri()]
        assert written.read_text() == first


async def test_explain_from_an_action_opens_a_markdown_document(tmp_path, model):
    async with lantern_client(
        tmp_path, env=ai_env(model), capabilities=resolving_capabilities()
    ) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        await run(client, "lantern.explain", uri, WHOLE, {"show": True})
        shown = await client.wait_until(lambda: list(client.shown_documents))
        assert shown[0].uri.endswith(".md") and "/explanations/" in shown[0].uri


async def test_analyze_workspace_publishes_for_files_that_are_not_open(tmp_path, model):
    (tmp_path / "lib.py").write_text("def g(x):\n    return risky(x)\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "dep.js").write_text("eval(x)\n")
    async with lantern_client(tmp_path, env=ai_env(model)) as client:
        result = await run(client, "lantern.analyzeWorkspace")
        assert result["files"] == 1 and result["ai"] == 1
        published = await client.diagnostics_for((tmp_path / "lib.py").as_uri())
        assert [d.source for d in published.diagnostics] == ["lantern-ai"]
        assert not any(p.uri.endswith("dep.js") for p in client.published)


async def test_review_on_nothing_reviews_only_on_command(tmp_path, model):
    options = {"ai": {"review_on": []}}
    async with lantern_client(tmp_path, env=ai_env(model), initialization_options=options) as c:
        uri = (tmp_path / "store.py").as_uri()
        open_document(c, uri, SOURCE)
        c.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        await c.diagnostics_for(uri)
        status = await run(c, "lantern.status")
        assert reviews(model) == [] and status["review_on"] == []
        result = await run(c, "lantern.analyzeFile", uri)
        assert result["ai"] == 2 and len(reviews(model)) == 1


async def test_idle_review_runs_after_the_pause(tmp_path, model):
    options = {"ai": {"review_on": ["idle"], "review_idle_ms": 300}}
    async with lantern_client(tmp_path, env=ai_env(model), initialization_options=options) as c:
        uri = (tmp_path / "store.py").as_uri()
        open_document(c, uri, SOURCE)
        await c.diagnostics_for(uri)
        assert reviews(model) == []
        change_document(c, uri, 2, "\n", start=(0, 0))
        await c.wait_until(lambda: len(reviews(model)) == 1)


async def test_status_and_clear_cache(tmp_path, model):
    async with lantern_client(tmp_path, env=ai_env(model)) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, SOURCE)
        await client.wait_until(lambda: len(reviews(model)) == 1)
        await run(client, "lantern.analyzeFile", uri)
        status = await run(client, "lantern.status")
        assert status["tasks"]["review"]["requests"] == 1
        assert "| review | 1 |" in status["markdown"]
        cleared = await run(client, "lantern.clearCache")
        assert cleared.endswith("cached answer(s) removed") and not cleared.startswith("0 ")
        await run(client, "lantern.analyzeFile", uri)
        assert len(reviews(model)) == 2  # the cache was really emptied


async def test_bad_arguments_are_invalid_params(tmp_path):
    async with lantern_client(tmp_path) as client:
        with pytest.raises(Exception, match="document URI"):
            await run(client, "lantern.fix", 42, {})
        with pytest.raises(Exception, match="not open"):
            await run(client, "lantern.explain", "file:///nowhere.py", WHOLE)


async def test_generation_reports_progress_while_the_model_writes(tmp_path, model):
    body = "".join(f"    step_{n} = {n}\n" for n in range(12))
    model.script(f"```python\ndef steps():\n{body}    return step_0\n```")
    options = {"ai": {"review_on": []}}  # the scripted answer is the generation's
    async with lantern_client(
        tmp_path,
        env=ai_env(model),
        capabilities=resolving_capabilities(),
        initialization_options=options,
    ) as client:
        uri = (tmp_path / "store.py").as_uri()
        open_document(client, uri, "x = 1\n")
        result = await run(
            client, "lantern.generate", uri, {"line": 1, "character": 0}, "s", "code"
        )
        assert "step_11 = 11" in result["edit"]["documentChanges"][0]["edits"][0]["newText"]
    [request] = [r for r in model.generation_requests if code_model.task_of(r) == "generate"]
    assert request.json["stream"] is True
    messages = [
        r.message
        for reports in client.progress_reports.values()
        for r in reports
        if isinstance(r, types.WorkDoneProgressReport)
    ]
    assert any("the model has written" in (m or "") for m in messages), messages
