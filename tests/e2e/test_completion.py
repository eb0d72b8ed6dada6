"""Inline and classic completion through the real server, against the loopback model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.conftest import (
    RecordingClient,
    change_document,
    lantern_client,
    open_document,
    push_capabilities,
)
from tests.support.openai_server import Fault, OpenAIServer

URI_NAME = "shop.py"
OPENAI_KEY = "sk-proj-Zx8aQ2mN4vB6cD1eF3gH5jK7lP9rS0tU"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def model() -> Iterator[OpenAIServer]:
    with OpenAIServer(models=("test-model",)) as server:
        yield server


def model_env(server: OpenAIServer) -> dict[str, str]:
    return {
        "LANTERN_AI_BASE_URL": server.url,
        "LANTERN_AI_MODEL": "test-model",
        "LANTERN_AI_API_KEY": "test-key",
    }


# Reviews on open would also ask the model: these tests count completion requests only.
NO_REVIEWS = {"ai": {"reviewOn": []}}


def inline_capabilities() -> types.ClientCapabilities:
    """VS Code's capabilities plus LSP 3.18 inline completion, as VS Code 1.91+ sends."""
    capabilities = push_capabilities()
    assert capabilities.text_document is not None
    capabilities.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return capabilities


def inline_params(
    uri: str, line: int, character: int, *, invoked: bool = False
) -> types.InlineCompletionParams:
    kind = (
        types.InlineCompletionTriggerKind.Invoked
        if invoked
        else types.InlineCompletionTriggerKind.Automatic
    )
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


async def inline(
    client: RecordingClient, uri: str, line: int, character: int, *, invoked: bool = False
) -> types.InlineCompletionList | list[types.InlineCompletionItem] | None:
    return await client.text_document_inline_completion_async(
        inline_params(uri, line, character, invoked=invoked)
    )


async def classic(
    client: RecordingClient, uri: str, line: int, character: int, *, invoked: bool = False
) -> types.CompletionList | list[types.CompletionItem] | None:
    """`textDocument/completion` at (line, character); `invoked`: with the Invoked trigger
    (else without a context)."""
    context = (
        types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)
        if invoked
        else None
    )
    return await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=context,
        )
    )


def items_of(answer: types.InlineCompletionList | list | None) -> list[types.InlineCompletionItem]:
    if answer is None:
        return []
    return list(answer.items if isinstance(answer, types.InlineCompletionList) else answer)


async def test_inline_completion_returns_the_processed_text_over_the_auto_closed_paren(
    tmp_path: Path, model: OpenAIServer
) -> None:
    model.reply_with('"total:", total)')
    async with lantern_client(
        tmp_path, capabilities=inline_capabilities(), env=model_env(model), configuration=NO_REVIEWS
    ) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, "def show(total):\n    print()\n")
        (item,) = items_of(await inline(client, uri, 1, 10))
    assert item.insert_text == '"total:", total)'
    assert item.range == types.Range(
        start=types.Position(line=1, character=10), end=types.Position(line=1, character=11)
    )
    (request,) = model.generation_requests
    assert request.path == "/v1/completions"  # fill in the middle, with the suffix
    assert request.json["suffix"].startswith(")")


async def test_a_burst_of_twenty_keystrokes_sends_at_most_two_model_requests(
    tmp_path: Path, model: OpenAIServer
) -> None:
    model.reply_with("s) + offset")
    typed = "value = compute(item"
    assert len(typed) == 20
    async with lantern_client(
        tmp_path, capabilities=inline_capabilities(), env=model_env(model), configuration=NO_REVIEWS
    ) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, "def f(items, offset):\n    \n")
        pending = []
        for number, char in enumerate(typed, start=1):
            change_document(client, uri, number + 1, char, start=(1, 3 + number))
            request = inline_params(uri, 1, 4 + number)
            pending.append(
                asyncio.ensure_future(client.text_document_inline_completion_async(request))
            )
            await asyncio.sleep(0.03)  # the typist's rhythm, not a wait for the server
        answers = await asyncio.gather(*pending)
    assert 1 <= len(model.generation_requests) <= 2
    assert [item.insert_text for item in items_of(answers[-1])] == ["s) + offset"]
    assert all(not items_of(answer) for answer in answers[:-2])


async def test_typing_ahead_into_a_suggestion_is_served_without_a_new_request(
    tmp_path: Path, model: OpenAIServer
) -> None:
    model.reply_with("3.14 * r * r")
    async with lantern_client(
        tmp_path, capabilities=inline_capabilities(), env=model_env(model), configuration=NO_REVIEWS
    ) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, "def area(r):\n    return \n")
        (first,) = items_of(await inline(client, uri, 1, 11))
        change_document(client, uri, 2, "3.14 ", start=(1, 11))
        (rest,) = items_of(await inline(client, uri, 1, 16))
    assert first.insert_text == "3.14 * r * r"
    assert rest.insert_text == "* r * r"
    assert len(model.generation_requests) == 1


async def test_classic_lists_opened_by_typing_are_debounced_like_inline_ones(
    tmp_path: Path, model: OpenAIServer
) -> None:
    """Editors mark lists opened by typing as "Invoked" too: they must not each cost a
    model request; the list after the pause has the model's item and the local ones."""
    model.reply_with("s) + offset")
    typed = "value = compute(item"
    async with lantern_client(tmp_path, env=model_env(model), configuration=NO_REVIEWS) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, "def f(items, offset):\n    \n")
        pending = []
        for number, char in enumerate(typed, start=1):
            change_document(client, uri, number + 1, char, start=(1, 3 + number))
            answer = classic(client, uri, 1, 4 + number, invoked=True)
            pending.append(asyncio.ensure_future(answer))
            await asyncio.sleep(0.03)
        answers = await asyncio.gather(*pending)
    assert 1 <= len(model.generation_requests) <= 2
    last = answers[-1]
    assert last.items[0].label_details.description == "Lantern AI"
    assert last.items[0].text_edit.new_text == "items) + offset"
    assert "items" in {item.label for item in last.items[1:]}


async def test_cancel_request_aborts_the_model_http_request(
    tmp_path: Path, model: OpenAIServer
) -> None:
    model.script(Fault.hang())
    # A long deadline: only the cancellation can end the request within the wait below.
    async with lantern_client(
        tmp_path,
        capabilities=inline_capabilities(),
        env=model_env(model),
        configuration={"ai": {"deadlineSeconds": {"complete": 120}, "reviewOn": []}},
    ) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, "def area(r):\n    return 3.14 * r\n")
        answer = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_INLINE_COMPLETION,
                inline_params(uri, 1, 19, invoked=True),
                msg_id="completion-to-cancel",
            )
        )
        (request,) = await asyncio.to_thread(model.wait_for_requests, 1, 10.0)
        client.cancel_request(types.CancelParams(id="completion-to-cancel"))
        aborted = await asyncio.to_thread(request.disconnected.wait, 5.0)
        with pytest.raises(Exception, match="cancel"):
            await answer
    assert aborted, "the model's HTTP request was still open after $/cancelRequest"


async def test_an_answer_for_an_older_version_is_not_returned(
    tmp_path: Path, model: OpenAIServer
) -> None:
    model.script(Fault.slow(1.0, content=" * r * r"))
    async with lantern_client(
        tmp_path, capabilities=inline_capabilities(), env=model_env(model), configuration=NO_REVIEWS
    ) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, "def area(r):\n    return 3.14\n")
        answer = asyncio.ensure_future(inline(client, uri, 1, 15, invoked=True))
        await asyncio.to_thread(model.wait_for_requests, 1, 10.0)
        change_document(client, uri, 2, "\n# edited", start=(1, 15))
        assert items_of(await answer) == []
    assert len(model.generation_requests) == 1


async def test_classic_completion_without_a_model_offers_identifiers_and_keywords(
    tmp_path: Path,
) -> None:
    text = "def compute_total(items):\n    subtotal = 0\n    return subtotal\n\nco\n"
    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, text)
        answers = []
        for _ in range(5):
            answers.append(await classic(client, uri, 4, 2))
        await client.wait_until(
            lambda: [m for m in client.log_messages if "No AI provider" in m.message]
        )
    labels = {item.label: item for item in answers[-1].items}
    assert labels["compute_total"].kind == types.CompletionItemKind.Variable
    assert labels["continue"].kind == types.CompletionItemKind.Keyword
    assert "co" not in labels and "subtotal" not in labels
    assert not [item for item in answers[-1].items if item.detail == "Lantern AI"]
    # Five requests without a model: one line in the log, no message box.
    assert len([m for m in client.log_messages if "No AI provider" in m.message]) == 1
    assert client.messages == []


async def test_identifiers_added_while_typing_are_offered_once_the_server_is_quiet(
    tmp_path: Path,
) -> None:
    # While typing, the list may lag the text by what was typed since the last pause:
    # the identifiers are read again then (off the loop), not at every keystroke.
    text = "def compute_total(items):\n    return 0\n\nco\n"
    async with lantern_client(tmp_path) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, text)

        async def labels(line: int) -> set[str]:
            answer = await classic(client, uri, line, 2)
            assert isinstance(answer, types.CompletionList)
            return {item.label for item in answer.items}

        assert "compute_total" in await labels(3)
        change_document(client, uri, 2, "count_items = 1\n", (0, 0))  # "co" is on line 4 now
        assert "compute_total" in await labels(4)
        for _ in range(20):  # read again once the server has been quiet (0.2 s)
            await asyncio.sleep(0.4)
            if "count_items" in (found := await labels(4)):
                break
    assert {"compute_total", "count_items"} <= found


async def test_classic_completion_marks_the_model_item_for_clients_without_inline(
    tmp_path: Path, model: OpenAIServer
) -> None:
    model.reply_with("tal(items)")
    text = "def compute_total(items):\n    return 0\n\nresult = compute_to\n"
    async with lantern_client(tmp_path, env=model_env(model), configuration=NO_REVIEWS) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, text)
        answer = await classic(client, uri, 3, 19, invoked=True)
    ai = answer.items[0]
    assert ai.label_details is not None and ai.label_details.description == "Lantern AI"
    assert ai.text_edit is not None and ai.text_edit.new_text == "compute_total(items)"
    assert ai.text_edit.range.start == types.Position(line=3, character=9)
    assert answer.is_incomplete
    assert "compute_total" in {item.label for item in answer.items[1:]}


async def test_a_secret_in_the_file_never_reaches_the_model(
    tmp_path: Path, model: OpenAIServer
) -> None:
    model.reply_with("client = connect(OPENAI_KEY)")
    text = (
        f'OPENAI_KEY = "{OPENAI_KEY}"\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n\ndef connect(key):\n    \n'
    )
    async with lantern_client(
        tmp_path, capabilities=inline_capabilities(), env=model_env(model), configuration=NO_REVIEWS
    ) as client:
        uri = (tmp_path / URI_NAME).as_uri()
        open_document(client, uri, text)
        await inline(client, uri, 4, 4, invoked=True)
    assert model.generation_requests
    for request in model.requests:
        assert OPENAI_KEY not in request.raw
        assert AWS_KEY not in request.raw


async def test_a_lanternignored_file_is_never_sent_and_still_gets_local_items(
    tmp_path: Path, model: OpenAIServer
) -> None:
    (tmp_path / ".lanternignore").write_text("private/\n")
    (tmp_path / "private").mkdir()
    text = "def compute_total(items):\n    return 0\n\nresult = compute_to\n"
    async with lantern_client(
        tmp_path, capabilities=inline_capabilities(), env=model_env(model), configuration=NO_REVIEWS
    ) as client:
        uri = (tmp_path / "private" / "ledger.py").as_uri()
        open_document(client, uri, text)
        inline_answer = await inline(client, uri, 3, 19, invoked=True)
        classic_answer = await classic(client, uri, 3, 19)
    assert items_of(inline_answer) == []
    assert "compute_total" in {item.label for item in classic_answer.items}
    assert model.generation_requests == []
