"""The protocol contract: edits in the shape the client supports, result ids, life cycle."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.e2e.conftest import lantern_client, open_document, pull_capabilities

EVAL = "def run(expr):\n    return eval(expr)\n"


def literal_actions_only() -> types.ClientCapabilities:
    """A client that advertises code action literals and nothing about workspace edits."""
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]
                    )
                )
            )
        )
    )


async def code_actions(client, uri: str, line: int, only: list[str] | None = None):
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line, character=0),
            ),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    return list(result or [])


async def test_client_without_document_changes_gets_plain_changes(tmp_path: Path):
    async with lantern_client(tmp_path, capabilities=literal_actions_only()) as client:
        uri = (tmp_path / "dc.py").as_uri()
        open_document(client, uri, EVAL + "if x == None:\n    pass\n")
        await client.diagnostics_for(uri, 1)
        listed = await code_actions(client, uri, 1)
        # The AI actions run a command (the model is asked only when one is chosen).
        quick_fixes = [action for action in listed if action.command is None]
        fix_all = await code_actions(client, uri, 0, [types.CodeActionKind.SourceFixAll])
        assert len(quick_fixes) == 2 and len(fix_all) == 1
        for action in quick_fixes + fix_all:
            assert action.edit.document_changes is None
            assert list(action.edit.changes) == [uri]
        ignore = next(a for a in quick_fixes if a.title == "Ignore LS101 on this line")
        (edit,) = ignore.edit.changes[uri]
        assert edit.range == types.Range(
            start=types.Position(line=1, character=21), end=types.Position(line=1, character=21)
        )
        assert edit.new_text == "  # lantern: ignore[LS101]"


async def pull(client, uri: str, previous: str | None = None):
    return await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous
        )
    )


async def test_result_id_names_the_text_not_the_version_number(tmp_path: Path):
    async with lantern_client(tmp_path, capabilities=pull_capabilities()) as client:
        uri = (tmp_path / "reopen.py").as_uri()
        open_document(client, uri, "import os\n", version=0)
        first = await pull(client, uri)
        assert first.kind == "full" and not first.items
        # Neovim reopens a file changed on disk at version 0 again.
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        open_document(client, uri, EVAL, version=0)
        second = await pull(client, uri, first.result_id)
        assert second.kind == "full" and second.result_id != first.result_id
        (item,) = second.items
        assert item.code == "LS101"
        assert (item.range.start.line, item.range.start.character) == (1, 11)
        assert (item.range.end.line, item.range.end.character) == (1, 21)
        # An open without a close, same version number again: still judged by the text.
        open_document(client, uri, "import os\n", version=0)
        third = await pull(client, uri, second.result_id)
        assert third.kind == "full" and not third.items
        # The same text and settings: unchanged is right.
        again = await pull(client, uri, third.result_id)
        assert again.kind == "unchanged" and again.result_id == third.result_id
        # New settings: a full report even for the same text.
        client.set_configuration({"rules": {"ignore": ["LS101"]}}, section="lantern")
        refreshes = client.refreshes
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_until(lambda: client.refreshes > refreshes)
        open_document(client, uri, EVAL, version=0)
        ignored = await pull(client, uri, third.result_id)
        assert ignored.kind == "full" and not ignored.items
