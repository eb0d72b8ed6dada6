"""WorkspaceEdits follow the client's capabilities; no edit that breaks the syntax is offered."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from lantern.analysis.fixes import adds_syntax_error, apply_edits
from lantern.analysis.languages import language_named, parse
from lantern.analysis.rules.model import Edit
from lantern.analysis.syntax import syntax_errors
from lantern.lsp.edits import Refused, file_creation, workspace_edit
from lantern.lsp.server import LanternServer
from lantern.session import Session

URI = "file:///w/a.py"
SOURCE = "def run(expr):\n    return eval(expr)\n"


def server(
    workspace_edit_capability: types.WorkspaceEditClientCapabilities | None,
) -> LanternServer:
    ls = LanternServer()
    ls.protocol.client_capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(workspace_edit=workspace_edit_capability)
    )
    return ls


def snapshot(ls: LanternServer, text: str = SOURCE, uri: str = URI, version: int = 7):
    session: Session = ls.session
    session.open(uri, "", version, text)
    return session.snapshot(uri)


INSERT_COMMENT = [Edit(len(SOURCE) - 1, len(SOURCE) - 1, "  # lantern: ignore[LS101]")]


def test_plain_changes_when_document_changes_are_not_advertised():
    for capability in (None, types.WorkspaceEditClientCapabilities()):
        ls = server(capability)
        edit = workspace_edit(ls, snapshot(ls), INSERT_COMMENT)
        assert isinstance(edit, types.WorkspaceEdit) and edit.document_changes is None
        (text_edit,) = edit.changes[URI]
        assert (text_edit.range.start.line, text_edit.range.start.character) == (1, 21)
        assert text_edit.new_text == "  # lantern: ignore[LS101]"


def test_versioned_document_changes_when_advertised():
    ls = server(types.WorkspaceEditClientCapabilities(document_changes=True))
    edit = workspace_edit(ls, snapshot(ls), INSERT_COMMENT)
    assert isinstance(edit, types.WorkspaceEdit) and edit.changes is None
    (change,) = edit.document_changes
    assert change.text_document.uri == URI and change.text_document.version == 7
    assert [e.new_text for e in change.edits] == ["  # lantern: ignore[LS101]"]


def test_edit_that_adds_a_syntax_error_is_refused():
    ls = server(types.WorkspaceEditClientCapabilities(document_changes=True))
    after_colon = SOURCE.index(":") + 1
    refused = workspace_edit(ls, snapshot(ls), [Edit(after_colon, after_colon, " (")])
    assert isinstance(refused, Refused) and "syntax error" in refused.reason


def test_an_edit_to_a_file_with_errors_is_judged_by_what_it_adds():
    broken = "def f(:\n    pass\nx == None\n"
    ls = server(None)
    start = broken.index("==")
    assert isinstance(
        workspace_edit(ls, snapshot(ls, broken), [Edit(start, start + 2, "is")]),
        types.WorkspaceEdit,
    )
    assert isinstance(
        workspace_edit(ls, snapshot(ls, broken), [Edit(start, start + 2, "is (")]), Refused
    )


def test_file_creation_needs_the_create_resource_operation():
    for capability in (
        None,
        types.WorkspaceEditClientCapabilities(document_changes=True),
        types.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[types.ResourceOperationKind.Rename]
        ),
    ):
        refused = file_creation(server(capability), "file:///w/test_a.py", "x = 1\n")
        assert isinstance(refused, Refused) and "create" in refused.reason


@pytest.mark.parametrize("overwrite", [False, True])
def test_file_creation_with_create_support(overwrite: bool):
    ls = server(
        types.WorkspaceEditClientCapabilities(
            resource_operations=[types.ResourceOperationKind.Create]
        )
    )
    edit = file_creation(ls, "file:///w/test_a.py", "x = 1\n", overwrite=overwrite)
    assert isinstance(edit, types.WorkspaceEdit)
    create, fill = edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == "file:///w/test_a.py"
    assert bool(create.options and create.options.overwrite) is overwrite
    assert fill.text_document.uri == "file:///w/test_a.py" and fill.text_document.version is None
    assert [e.new_text for e in fill.edits] == ["x = 1\n"]


def test_file_creation_refuses_text_with_syntax_errors():
    ls = server(
        types.WorkspaceEditClientCapabilities(
            resource_operations=[types.ResourceOperationKind.Create]
        )
    )
    assert isinstance(file_creation(ls, "file:///w/t.py", "def f(:\n"), Refused)
    assert isinstance(file_creation(ls, "file:///w/notes.txt", "def f(:\n"), types.WorkspaceEdit)


PIECES = ["(", ")", ":", "\n", "    ", "x", " = ", "1", "def f():", "'", "#", "\\\n", "if x:"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=10).map("".join),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 4), st.sampled_from(PIECES)), max_size=3),
)
def test_incremental_check_agrees_with_a_fresh_parse(text: str, raw_edits):
    """`adds_syntax_error` (incremental re-parse) says what a fresh parse of the result says."""
    python = language_named("python")
    source = text.encode()
    edits = [Edit(min(s, len(source)), min(s + n, len(source)), t) for s, n, t in raw_edits]
    after = apply_edits(source, edits)
    fresh = len(syntax_errors(python, after, parse(python, after)))
    before = len(syntax_errors(python, source, parse(python, source)))
    expected = bool(edits) and fresh > before
    assert adds_syntax_error(python, source, parse(python, source), edits) is expected
