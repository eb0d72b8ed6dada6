"""Rule diagnostics, quick fixes and fix-all through the real server."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from lantern.positions import Encoding, LineIndex
from tests.e2e.conftest import (
    RecordingClient,
    change_document,
    lantern_client,
    open_document,
    pull_capabilities,
    push_capabilities,
)

NONE_CHECK = "def f(x):\n    if x == None:\n        return 1\n    return 2\n"


def apply(text: str, edits: list[types.TextEdit], encoding: Encoding) -> str:
    index = LineIndex(text)
    spans = []
    for edit in edits:
        start = index.offset_at(edit.range.start.line, edit.range.start.character, encoding)
        end = index.offset_at(edit.range.end.line, edit.range.end.character, encoding)
        spans.append((start, end, edit.new_text))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


async def edits_of(
    client: RecordingClient, action: types.CodeAction, uri: str, version: int
) -> list[types.TextEdit]:
    """The action's edits (resolving it first when the server sent it without), checked
    to be for `uri` at `version`."""
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    return only_edit(action, uri, version)


def only_edit(action: types.CodeAction, uri: str, version: int) -> list[types.TextEdit]:
    """The edits of a one-document action: versioned `documentChanges` for clients that
    support them, else `changes` (Neovim does not advertise `documentChanges`)."""
    assert action.edit is not None
    if action.edit.document_changes is None:
        assert action.edit.changes is not None and list(action.edit.changes) == [uri]
        return list(action.edit.changes[uri])
    assert action.edit.changes is None
    (change,) = action.edit.document_changes
    assert change.text_document.uri == uri
    assert change.text_document.version == version
    return list(change.edits)


async def actions_at(
    client: RecordingClient, uri: str, line: int, only: list[str] | None = None
) -> list[types.CodeAction]:
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


async def test_none_comparison_is_fixed_and_rechecked(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "none.py").as_uri()
    open_document(client, uri, NONE_CHECK, version=1)
    published = await client.diagnostics_for(uri, 1)
    (diagnostic,) = [d for d in published.diagnostics if d.code == "LB204"]
    assert diagnostic.source == "lantern"
    assert diagnostic.range.start == types.Position(line=1, character=7)
    assert diagnostic.range.end == types.Position(line=1, character=16)
    assert diagnostic.code_description.href.endswith("docs/rules.md#lb204")
    assert diagnostic.data["fix"]["safe"] is True

    actions = await actions_at(client, uri, 1)
    titles = [a.title for a in actions]
    assert "Ignore LB204 on this line" in titles
    (fix,) = [a for a in actions if a.title.startswith("Use `is`")]
    assert fix.is_preferred and fix.kind == types.CodeActionKind.QuickFix
    fixed = apply(NONE_CHECK, await edits_of(client, fix, uri, 1), Encoding.UTF16)
    assert "if x is None:" in fixed

    change_document(client, uri, 2, fixed)
    republished = await client.diagnostics_for(uri, 2)
    assert [d for d in republished.diagnostics if d.code == "LB204"] == []


async def test_ignore_action_suppresses_the_finding(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "ignore.py").as_uri()
    open_document(client, uri, NONE_CHECK, version=1)
    await client.diagnostics_for(uri, 1)
    (ignore,) = [a for a in await actions_at(client, uri, 1) if a.title.startswith("Ignore")]
    suppressed = apply(NONE_CHECK, await edits_of(client, ignore, uri, 1), Encoding.UTF16)
    assert "if x == None:  # lantern: ignore[LB204]" in suppressed
    change_document(client, uri, 2, suppressed)
    republished = await client.diagnostics_for(uri, 2)
    assert [d.code for d in republished.diagnostics] == []


FIXABLE = (
    "import yaml\n\n\n"
    "def load(text, items=[]):\n"
    "    if text == None:\n"
    "        return None\n"
    "    return yaml.load(text)\n"
)


async def test_fix_all_applies_only_safe_fixes(client: RecordingClient, tmp_path: Path):
    uri = (tmp_path / "fixall.py").as_uri()
    open_document(client, uri, FIXABLE, version=3)
    published = await client.diagnostics_for(uri, 3)
    assert {"LB201", "LB204", "LS106"} <= {d.code for d in published.diagnostics}
    (fix_all,) = await actions_at(client, uri, 0, only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.lantern"
    fixed = apply(FIXABLE, await edits_of(client, fix_all, uri, 3), Encoding.UTF16)
    assert "text is None" in fixed and "yaml.safe_load(text)" in fixed
    assert "items=[]" in fixed  # the mutable-default fix is unsafe: not part of fix-all
    change_document(client, uri, 4, fixed)
    republished = await client.diagnostics_for(uri, 4)
    assert {d.code for d in republished.diagnostics} == {"LB201"}


def lazy_capabilities() -> types.ClientCapabilities:
    capabilities = pull_capabilities()
    capabilities.text_document.code_action = types.CodeActionClientCapabilities(
        code_action_literal_support=types.ClientCodeActionLiteralOptions(
            code_action_kind=types.ClientCodeActionKindOptions(
                value_set=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]
            )
        ),
        resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]),
        data_support=True,
    )
    return capabilities


async def test_pull_client_resolves_edits_lazily_and_never_for_a_stale_version(tmp_path: Path):
    async with lantern_client(tmp_path, capabilities=lazy_capabilities()) as client:
        uri = (tmp_path / "lazy.py").as_uri()
        open_document(client, uri, NONE_CHECK, version=1)
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert "LB204" in [item.code for item in report.items]
        actions = await actions_at(client, uri, 1)
        assert actions and all(a.edit is None for a in actions if isinstance(a, types.CodeAction))
        fix = next(a for a in actions if a.title.startswith("Use `is`"))
        resolved = await client.code_action_resolve_async(fix)
        fixed = apply(NONE_CHECK, only_edit(resolved, uri, 1), Encoding.UTF8)
        assert "if x is None:" in fixed

        change_document(client, uri, 2, "\n" + NONE_CHECK)
        stale = await client.code_action_resolve_async(fix)
        assert stale.edit is None


async def test_ignored_rule_is_not_reported(tmp_path: Path):
    configuration = {"rules": {"ignore": ["LB2"], "extend_select": ["LB201"]}}
    async with lantern_client(
        tmp_path, capabilities=push_capabilities(), initialization_options=configuration
    ) as client:
        uri = (tmp_path / "config.py").as_uri()
        open_document(client, uri, FIXABLE, version=1)
        published = await client.diagnostics_for(uri, 1)
        assert {d.code for d in published.diagnostics} == {"LB201", "LS106"}


async def test_edit_inside_a_function_keeps_findings_elsewhere(
    client: RecordingClient, tmp_path: Path
):
    text = "import os\n\n\ndef a(cmd):\n    os.system(cmd)\n\n\ndef b(x):\n    return x\n"
    uri = (tmp_path / "incremental.py").as_uri()
    open_document(client, uri, text, version=1)
    first = await client.diagnostics_for(uri, 1)
    assert [(d.code, d.range.start.line) for d in first.diagnostics] == [("LS102", 4)]
    change_document(client, uri, 2, "if x == None:\n        pass\n    ", start=(8, 4))
    second = await client.diagnostics_for(uri, 2)
    assert [(d.code, d.range.start.line) for d in second.diagnostics] == [
        ("LS102", 4),
        ("LB204", 8),
    ]
