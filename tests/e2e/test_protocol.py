"""The protocol contract: edits in the shape the client supports, result ids, life cycle."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from lantern.positions import Encoding
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
    # Lantern's own actions: quick fixes and fix-all (not the AI's commands and refactors).
    return [
        a
        for a in result or []
        if isinstance(a, types.CodeAction) and str(a.kind).startswith(("quickfix", "source"))
    ]


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
        refreshes = client.diagnostic_refresh_count
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_until(lambda: client.diagnostic_refresh_count > refreshes)
        open_document(client, uri, EVAL, version=0)
        ignored = await pull(client, uri, third.result_id)
        assert ignored.kind == "full" and not ignored.items


def project(root: Path, config: str | None = None, name: str = "lantern.toml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / name).write_text(config)
    return root


async def codes_of(client, path: Path, text: str = EVAL) -> list[str]:
    """The codes first published for `path`, opened now with `text`."""
    open_document(client, path.as_uri(), text)
    published = await client.diagnostics_for(path.as_uri(), 1)
    return [str(d.code) for d in published.diagnostics]


async def published_codes(client, path: Path, codes: list[str], after: int = 0) -> None:
    """Wait for a publication for `path` with exactly `codes` (after the first `after`)."""
    await client.wait_until(
        lambda: any(
            p.uri == path.as_uri() and [str(d.code) for d in p.diagnostics] == codes
            for p in client.published[after:]
        )
    )


IGNORE_EVAL = '[rules]\nignore = ["LS101"]\n'


async def test_each_file_takes_the_nearest_project_config_in_any_folder(tmp_path: Path):
    a = project(tmp_path / "a")
    b = project(tmp_path / "b", IGNORE_EVAL)
    nested = project(
        b / "vendor" / "lib", '[tool.lantern.rules]\nselect = ["LS"]\n', "pyproject.toml"
    )
    plain = project(b / "plain", "[project]\nname = 'x'\n", "pyproject.toml")  # no [tool.lantern]
    async with lantern_client(tmp_path, folders=[a, b]) as client:
        assert await codes_of(client, a / "x.py") == ["LS101"]
        assert await codes_of(client, b / "y.py") == []
        assert await codes_of(client, plain / "z.py") == []  # b's config, above it
        assert await codes_of(client, nested / "w.py") == ["LS101"]  # the nearest wins


async def test_client_settings_are_asked_per_workspace_folder(tmp_path: Path):
    a, b = project(tmp_path / "a"), project(tmp_path / "b")
    async with lantern_client(tmp_path, folders=[a, b]) as client:
        client.set_configuration({}, section="lantern")
        client.set_configuration(
            {"rules": {"ignore": ["LS1"]}}, section="lantern", scope_uri=b.as_uri()
        )
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        open_document(client, (a / "x.py").as_uri(), EVAL)
        open_document(client, (b / "y.py").as_uri(), EVAL)
        await published_codes(client, a / "x.py", ["LS101"])
        await published_codes(client, b / "y.py", [])


async def test_workspace_folders_added_and_removed_later_are_honoured(tmp_path: Path):
    a, b = project(tmp_path / "a"), project(tmp_path / "b")
    async with lantern_client(tmp_path, folders=[a]) as client:
        client.set_configuration({}, section="lantern")
        client.set_configuration(
            {"rules": {"ignore": ["LS1"]}}, section="lantern", scope_uri=b.as_uri()
        )
        y = b / "y.py"
        assert await codes_of(client, y) == ["LS101"]  # b is not a folder yet
        for added, removed, codes in (([b], [], []), ([], [b], ["LS101"])):
            count = len(client.published)
            client.workspace_did_change_workspace_folders(
                types.DidChangeWorkspaceFoldersParams(
                    event=types.WorkspaceFoldersChangeEvent(
                        added=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in added],
                        removed=[
                            types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in removed
                        ],
                    )
                )
            )
            # The open document is analysed again with the settings of its folder, if any.
            await published_codes(client, y, codes, after=count)


async def test_a_changed_config_file_is_read_again(tmp_path: Path):
    a = project(tmp_path / "a")
    async with lantern_client(tmp_path, folders=[a]) as client:
        x = a / "x.py"
        assert await codes_of(client, x) == ["LS101"]
        (a / "lantern.toml").write_text(IGNORE_EVAL)
        count = len(client.published)
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=(a / "lantern.toml").as_uri(), type=types.FileChangeType.Created
                    )
                ]
            )
        )
        await published_codes(client, x, [], after=count)


@pytest.mark.parametrize("value", [None, False, "off", [], [1]], ids=repr)
async def test_settings_of_any_shape_warn_once_and_analysis_goes_on(tmp_path: Path, value):
    async with lantern_client(
        tmp_path, initialization_options={"ai": value, "rules": value}
    ) as client:
        assert await codes_of(client, tmp_path / "a.py") == ["LS101"]
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"lantern": {"ai": value}})
        )
        b = tmp_path / "b.py"
        assert await codes_of(client, b) == ["LS101"]
        shown = [m.message for m in client.messages]
        for key in ("ai", "rules"):
            warned = [m for m in shown if f"Invalid setting `{key}`" in m]
            assert len(warned) == 1 and "using the default instead" in warned[0]
        assert not [m for m in shown if "failed" in m]


ODD_PYTHON = [
    "def run(expr):\n    return eval(expr) + \\\n        1\n",
    "def add(item, seen=[]):\n    '''Doc'''; return seen\n",
    "def add(item, seen=[]):\n    '''Doc'''\n    return seen\n",
    'def run(expr):\n    return eval(f"""{expr}\n    """)\n',
]


@pytest.mark.parametrize("text", ODD_PYTHON)
async def test_every_offered_action_leaves_code_that_compiles(tmp_path: Path, text: str):
    from tests.e2e.test_actions import apply, edits_of

    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / "odd.py").as_uri()
        open_document(client, uri, text)
        published = await client.diagnostics_for(uri, 1)
        lines = {d.range.start.line for d in published.diagnostics}
        assert lines
        offered = [
            action
            for line in sorted(lines)
            for action in await code_actions(client, uri, line)
            if getattr(action, "kind", None) == types.CodeActionKind.QuickFix and not action.command
        ]
        assert any(a.title.startswith("Ignore") for a in offered)
        for action in offered:
            fixed = apply(text, await edits_of(client, action, uri, 1), Encoding.UTF16)
            compile(fixed, "odd.py", "exec")  # raises SyntaxError for a broken edit


def bundle(functions: int) -> str:
    """One minified line with one LS101 (`eval`) finding per function (case 14)."""
    chunk = (
        "function f{i}(a,b){{var c=a.length,d=[];for(var e=0;e<c;e++)d.push(b(a[e],e));"
        "return eval(b)?d:null}}"
    )
    return "".join(chunk.format(i=i) for i in range(functions)) + "\n"


async def test_code_actions_on_a_one_line_file_are_bounded(tmp_path: Path):
    from lantern.lsp.actions import MAX_MORE_ON_THE_LINES

    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / "bundle.min.js").as_uri()
        text = bundle(400)
        open_document(client, uri, text, language_id="javascript")
        published = await client.diagnostics_for(uri, 1)
        assert len(published.diagnostics) == 400
        at_start = await code_actions(client, uri, 0)
        quick = [a for a in at_start if getattr(a, "kind", None) == types.CodeActionKind.QuickFix]
        # Not 800 actions: the findings nearest the cursor, each with its fix and ignore.
        assert 0 < len(quick) <= 2 * MAX_MORE_ON_THE_LINES
        # At a finding, that finding's actions come first.
        column = text.index("eval", text.index("function f200")) + 1
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(
                    start=types.Position(line=0, character=column),
                    end=types.Position(line=0, character=column),
                ),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        found = result[0].diagnostics[0].range
        assert found.start.character <= column < found.end.character


@pytest.mark.parametrize("bom", ["", "\ufeff"])
async def test_columns_on_line_1_address_the_text_as_the_client_sent_it(tmp_path: Path, bom: str):
    """Editors strip a file's BOM before sending it; if one is sent, it is a character of
    the client's text and positions count it, as the client does (case 03 over LSP)."""
    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / "bom.py").as_uri()
        text = bom + "x = eval(input())\n"
        open_document(client, uri, text)
        (diagnostic,) = (await client.diagnostics_for(uri, 1)).diagnostics
        start = text.index("eval")
        assert (diagnostic.range.start.line, diagnostic.range.start.character) == (0, start)
        assert diagnostic.range.end.character == start + len("eval(input())")


async def test_fix_all_is_in_the_plain_menu_beside_a_safe_fix(tmp_path: Path):
    """Editors that cannot ask for an action kind (Helix, Zed, Kate) still reach fix-all."""
    async with lantern_client(tmp_path, capabilities=literal_actions_only()) as client:
        uri = (tmp_path / "menu.py").as_uri()
        open_document(client, uri, EVAL + "if x == None:\n    pass\n")
        await client.diagnostics_for(uri, 1)
        beside_safe = [a.title for a in await code_actions(client, uri, 2)]
        beside_unsafe = [a.title for a in await code_actions(client, uri, 1)]
        assert "Lantern: fix all safe problems" in beside_safe
        assert "Lantern: fix all safe problems" not in beside_unsafe
