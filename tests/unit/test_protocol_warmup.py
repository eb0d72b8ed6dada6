"""The protocol's one-time work (cattrs generating each message class's hooks) is done by
the warm-up, once per converter, so no request of the user's pays for it."""

from __future__ import annotations

import json
import threading

import cattrs.gen
import pytest
from lsprotocol import types
from pygls.protocol.json_rpc import JsonRPCResponseMessage

from lantern.lsp import warmup
from lantern.lsp.ai import AIEdge
from lantern.lsp.server import create_server


@pytest.fixture
def server():
    server = create_server()
    received = warmup.received_methods(server.protocol.fm.features)
    assert warmup.prepare_messages(server.protocol._converter, received, warmup.FIRST) > 0
    everything = [*received, *warmup.SENT]
    assert warmup.prepare_messages(server.protocol._converter, received, everything) > 0
    return server


@pytest.fixture
def generated(monkeypatch):
    """The classes cattrs generates a hook for from now on."""
    made: list[str] = []
    for name in ("make_dict_structure_fn", "make_dict_unstructure_fn"):
        original = getattr(cattrs.gen, name)

        def counting(cls, *args, _original=original, **kwargs):
            made.append(cls.__name__)
            return _original(cls, *args, **kwargs)

        monkeypatch.setattr(cattrs.gen, name, counting)
    return made


def _diagnostic() -> types.Diagnostic:
    where = types.Range(start=types.Position(line=0, character=0), end=types.Position(0, 3))
    return types.Diagnostic(
        range=where,
        message="m",
        severity=types.DiagnosticSeverity.Warning,
        code="PY001",
        code_description=types.CodeDescription(href="https://example.org"),
        source="lantern",
        data={"fix": {"title": "t"}},
    )


def _sent(server, message) -> dict:
    return json.loads(json.dumps(message, default=server.protocol._serialize_message))


def test_a_first_open_pull_and_code_action_generate_no_hook(server, generated):
    text_document = {"uri": "file:///w/a.py", "languageId": "python", "version": 1, "text": "x\n"}
    incoming = [
        {"method": types.TEXT_DOCUMENT_DID_OPEN, "params": {"textDocument": text_document}},
        {
            "id": 1,
            "method": types.TEXT_DOCUMENT_DIAGNOSTIC,
            "params": {"textDocument": {"uri": text_document["uri"]}},
        },
        {
            "id": 2,
            "method": types.TEXT_DOCUMENT_CODE_ACTION,
            "params": {
                "textDocument": {"uri": text_document["uri"]},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
                "context": {"diagnostics": [], "only": ["quickfix"]},
            },
        },
    ]
    for message in incoming:
        server.protocol.structure_message({"jsonrpc": "2.0", **message})
    report = types.RelatedFullDocumentDiagnosticReport(items=[_diagnostic()], result_id="r")
    action = types.CodeAction(
        title="Fix",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[_diagnostic()],
        edit=types.WorkspaceEdit(
            changes={"file:///w/a.py": [types.TextEdit(_diagnostic().range, "y")]}
        ),
    )
    answers = [
        JsonRPCResponseMessage(id=1, jsonrpc="2.0", result=report),
        JsonRPCResponseMessage(id=2, jsonrpc="2.0", result=[action]),
        types.PublishDiagnosticsNotification(
            params=types.PublishDiagnosticsParams(uri="file:///w/a.py", diagnostics=[_diagnostic()])
        ),
    ]
    sent = [_sent(server, answer) for answer in answers]
    assert generated == []
    assert sent[0]["result"]["items"][0]["code"] == "PY001"  # and the answers are whole
    assert sent[1]["result"][0]["edit"]["changes"]["file:///w/a.py"][0]["newText"] == "y"


def test_completion_hover_and_progress_generate_no_hook(server, generated):
    item = types.CompletionItem(label="walk", kind=types.CompletionItemKind.Function)
    hover = types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="x"))
    begin = types.WorkDoneProgressBegin(title="Reviewing", cancellable=True)
    for answer in (
        JsonRPCResponseMessage(id=3, jsonrpc="2.0", result=types.CompletionList(False, [item])),
        JsonRPCResponseMessage(id=4, jsonrpc="2.0", result=hover),
        types.ProgressNotification(params=types.ProgressParams(token="t", value=begin)),
    ):
        _sent(server, answer)
    assert generated == []


def test_each_method_is_prepared_once_per_converter(server):
    received = warmup.received_methods(server.protocol.fm.features)
    assert warmup.prepare_messages(server.protocol._converter, received, received) == 0
    other = create_server()  # its own converter: prepared separately
    assert warmup.prepare_messages(other.protocol._converter, received, warmup.FIRST) > 0


def test_without_a_model_the_first_review_check_builds_no_ai_service(monkeypatch):
    from lantern.config import Settings

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = create_server()
    server.session.update_settings(Settings())
    ai = AIEdge(server)
    assert ai.ready() is False
    assert ai._service is None


def test_warm_up_pauses_before_each_class_it_prepares(generated):
    server = create_server()
    received = warmup.received_methods(server.protocol.fm.features)
    before = len(generated)  # (creating the server generates a few)
    pauses: list[int] = []
    prepared = warmup.prepare_messages(
        server.protocol._converter,
        received,
        [types.TEXT_DOCUMENT_HOVER],
        pause=lambda: pauses.append(len(generated)),
    )
    made = generated[before:]
    assert prepared == 1 and made
    # Asked before each class: before the first, nothing was generated yet.
    assert pauses[0] == before and len(pauses) >= len(set(made))


def test_background_work_waits_until_the_server_has_been_quiet():
    server = create_server()
    finished = threading.Event()
    server.busy(+1)  # a request is being answered
    worker = threading.Thread(target=lambda: (server.wait_quiet(0.05), finished.set()))
    worker.start()
    assert not finished.wait(0.3)
    server.busy(-1)
    assert finished.wait(5)
    worker.join()


def test_without_a_model_completion_is_told_why_and_builds_no_ai_service(monkeypatch):
    # Its imports (the openai SDK's) would otherwise land on the first completion.
    from lantern.config import Settings

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = create_server()
    server.session.update_settings(Settings())
    ai = AIEdge(server)
    unavailable = ai.unavailable("complete")
    assert unavailable is not None and unavailable.kind == "not_configured"
    assert "model" in unavailable.message.lower()
    server.session.update_settings(Settings.model_validate({"ai": {"enabled": False}}))
    turned_off = ai.unavailable("complete")
    assert turned_off is not None and turned_off.kind == "disabled"
    assert ai._service is None


def test_the_rest_of_the_warm_up_drops_the_first_answers_hooks_only_early_on():
    # cattrs empties its hook cache whenever it registers a container type: the rest of
    # the warm-up meets those first and then puts the first answers' hooks back, so an
    # answer sent while it generates the rest (a keystroke's pull, 2 s after start)
    # finds its hooks. Before, drops went on until three quarters of the way.
    made: list[tuple[str, bool]] = []  # (class, generated for the probe's answer)
    probing = [False]
    originals = {}
    for name in ("make_dict_structure_fn", "make_dict_unstructure_fn"):
        originals[name] = original = getattr(cattrs.gen, name)

        def counting(cls, *args, _original=original, **kwargs):
            made.append((cls.__name__, probing[0]))
            return _original(cls, *args, **kwargs)

        setattr(cattrs.gen, name, counting)
    try:
        server = create_server()
        converter = server.protocol._converter
        received = warmup.received_methods(server.protocol.fm.features)
        warmup.prepare_messages(converter, received, warmup.FIRST)
        warmup.prepare_messages(converter, received, warmup.SOON)
        first = {name for name, _ in made}
        report = types.RelatedFullDocumentDiagnosticReport(items=[_diagnostic()], result_id="r")

        def probe() -> None:
            probing[0] = True
            _sent(server, JsonRPCResponseMessage(id=1, jsonrpc="2.0", result=report))
            probing[0] = False

        warmup.prepare_messages(converter, received, [*received, *warmup.SENT], pause=probe)
    finally:
        for name, original in originals.items():
            setattr(cattrs.gen, name, original)
    # (Containers bring their element classes along, so some classes come early too.)
    dropped = [i for i, (_, probed) in enumerate(made) if probed]
    assert len(made) > len(first) and (not dropped or max(dropped) < len(made) / 2)
