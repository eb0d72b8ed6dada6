"""Every WorkspaceEdit Lantern sends is built here, in the shape the client can apply.

LSP 3.17 lets a client advertise `workspace.workspaceEdit.documentChanges` (versioned
`TextDocumentEdit`s) and `resourceOperations` (create, rename, delete files). A client
that advertises neither applies only `changes` (uri -> text edits); sending it
`documentChanges` means the edit is silently not applied. So:

- `workspace_edit` uses versioned `documentChanges` when the client supports them (the
  version protects against applying an edit to text it was not computed for), and
  `changes` otherwise;
- `file_creation` uses a `CreateFile` operation only when the client lists "create" in
  `resourceOperations`, and otherwise returns a `Refused` value saying so;
- neither offers an edit that would leave the document with more syntax errors than it
  has now: the result is re-parsed first (`analysis.fixes.adds_syntax_error`).

Refusals are values, not exceptions: callers skip the action, or show `reason`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from lantern.analysis.fixes import adds_syntax_error
from lantern.analysis.languages import detect_language, parse
from lantern.analysis.rules.model import Edit
from lantern.analysis.syntax import syntax_errors
from lantern.lsp.server import LanternServer
from lantern.session import Snapshot, encode


@dataclass(frozen=True, slots=True)
class Refused:
    """Why an edit cannot be offered; `reason` is a sentence fit to show the user."""

    reason: str


def workspace_edit(
    ls: LanternServer, snapshot: Snapshot, edits: list[Edit]
) -> types.WorkspaceEdit | Refused:
    """One document's byte `edits` (UTF-8 offsets into `snapshot.source`) as a WorkspaceEdit.

    Positions use the negotiated encoding. Refused when the edited text would have more
    syntax errors than `snapshot`'s text, or when there is nothing to edit.
    """
    if not edits:
        return Refused("There is nothing to change.")
    if (
        snapshot.language is not None
        and snapshot.tree is not None
        and adds_syntax_error(snapshot.language, snapshot.source, snapshot.tree, edits)
    ):
        return Refused("The change would leave a syntax error, so Lantern does not offer it.")
    encoding = ls.session.encoding
    text_edits: list[types.TextEdit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        start = snapshot.index.position_at_byte(edit.start, encoding)
        end = snapshot.index.position_at_byte(edit.end, encoding)
        text_edits.append(types.TextEdit(range=_range(start, end), new_text=edit.text))
    if not supports_document_changes(ls):
        return types.WorkspaceEdit(changes={snapshot.uri: text_edits})
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=snapshot.uri, version=snapshot.version
                ),
                edits=list(text_edits),
            )
        ]
    )


def file_creation(
    ls: LanternServer, uri: str, text: str, *, overwrite: bool = False
) -> types.WorkspaceEdit | Refused:
    """A WorkspaceEdit that creates the file `uri` holding `text`.

    Without `overwrite` the client fails the whole edit if the file exists (rather than
    inserting `text` into it); with it, the file's old content is replaced.
    Refused when the client cannot create files, or when `text` in the language of
    `uri` (by extension) has syntax errors.
    """
    # LSP 3.17: a client listing resource operations accepts `documentChanges` holding them.
    if not supports_resource_operation(ls, types.ResourceOperationKind.Create):
        return Refused(
            "This editor cannot create files from a language server (it does not list "
            '"create" in workspace.workspaceEdit.resourceOperations), so Lantern cannot '
            f"create {uri}."
        )
    language = detect_language(uri)
    if language is not None:
        source = encode(text)
        if syntax_errors(language, source, parse(language, source)):
            return Refused(f"The text for {uri} has a syntax error, so Lantern does not create it.")
    options = types.CreateFileOptions(overwrite=True) if overwrite else None
    start = types.Position(line=0, character=0)
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(uri=uri, options=options),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(start=start, end=start), new_text=text)],
            ),
        ]
    )


def supports_document_changes(ls: LanternServer) -> bool:
    """The client applies versioned `documentChanges` (else only `changes`)."""
    capability = _workspace_edit_capability(ls)
    return bool(capability and capability.document_changes)


def supports_resource_operation(ls: LanternServer, kind: types.ResourceOperationKind) -> bool:
    """The client applies this file operation (create, rename, delete) in an edit."""
    capability = _workspace_edit_capability(ls)
    operations = capability.resource_operations if capability else None
    return bool(operations and kind in operations)


def _workspace_edit_capability(ls: LanternServer) -> types.WorkspaceEditClientCapabilities | None:
    workspace = ls.client_capabilities.workspace
    return workspace.workspace_edit if workspace else None


def _range(start: tuple[int, int], end: tuple[int, int]) -> types.Range:
    return types.Range(
        start=types.Position(line=start[0], character=start[1]),
        end=types.Position(line=end[0], character=end[1]),
    )
