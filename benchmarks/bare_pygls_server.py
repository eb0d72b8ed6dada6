"""The baseline for start-up: a pygls server that does nothing but answer.

It answers pull diagnostics with an empty report and code actions with an empty list,
so the benchmark can time the protocol round trip without any analysis.
"""

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("bare-pygls", "1.0")


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: types.DidOpenTextDocumentParams) -> None:
    pass


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(inter_file_dependencies=False, workspace_diagnostics=False),
)
def diagnostic(params: types.DocumentDiagnosticParams) -> types.FullDocumentDiagnosticReport:
    return types.FullDocumentDiagnosticReport(items=[])


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
    return []


if __name__ == "__main__":
    server.start_io()
