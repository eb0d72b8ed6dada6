"""textDocument/didOpen, didChange, didSave, didClose: keep the session in step.

These run on the event loop, in the order the client sent them, so every edit lands
on the text it was computed for. Analysis is only scheduled here, never run.
"""

from __future__ import annotations

from lsprotocol import types

from lantern.lsp import completion, diagnostics, review
from lantern.lsp.server import LanternServer
from lantern.session import TextChange


def register(server: LanternServer) -> None:
    @server.handler(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanternServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        diagnostics.forget(ls, item.uri, closed=False)  # an open without a close
        ls.session.open(item.uri, item.language_id, item.version, item.text)
        diagnostics.schedule(ls, item.uri, immediately=True)
        diagnostics.publish_syntax_first(ls, item.uri)
        review.on_event(ls, item.uri, "open")

    @server.handler(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanternServer, params: types.DidChangeTextDocumentParams) -> None:
        document = params.text_document
        changes = [_text_change(change) for change in params.content_changes]
        if ls.session.change(document.uri, document.version, changes) is None:
            return
        if _runs_on_type(ls, document.uri):
            diagnostics.schedule(ls, document.uri)
        review.on_event(ls, document.uri, "change")

    @server.handler(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: LanternServer, params: types.DidSaveTextDocumentParams) -> None:
        if not _runs_on_type(ls, params.text_document.uri):
            diagnostics.schedule(ls, params.text_document.uri, immediately=True)
        review.on_event(ls, params.text_document.uri, "save")

    @server.handler(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanternServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.session.close(params.text_document.uri)
        diagnostics.forget(ls, params.text_document.uri)
        review.forget(ls, params.text_document.uri)
        completion.forget(ls, params.text_document.uri)


def _text_change(change: types.TextDocumentContentChangeEvent) -> TextChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        start, end = change.range.start, change.range.end
        return TextChange(change.text, (start.line, start.character), (end.line, end.character))
    return TextChange(change.text)


def _runs_on_type(ls: LanternServer, uri: str) -> bool:
    settings = ls.session.settings_for(uri)
    return settings is None or settings.diagnostics.run_on == "type"
