"""textDocument/inlineCompletion and textDocument/completion.

Clients that advertise inline completion (LSP 3.18) get the model's suggestion as ghost
text. The classic list always offers the document's identifiers and the language's
keywords (no model needed) and, for clients without inline completion, the model's
suggestion as one item marked "Lantern AI". The pipeline (decision, debounce, cache,
post-processing) is `lantern.completion`; this edge converts positions (through
`lantern.positions`), answers only for the document version it computed for, and lets
pygls's cancellation of a request (`$/cancelRequest`) reach the model call, which aborts
its HTTP request. The model is the server's one AIService (`lantern.lsp.ai`); problems
reach the user through it once per episode, never per keystroke, and a missing model is
only logged unless the user pressed the inline-suggest key.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from lantern.completion.local import ItemKind, document_identifiers, local_items
from lantern.completion.text import word_before
from lantern.lsp import parsing
from lantern.lsp.ai import edge
from lantern.lsp.server import LanternServer
from lantern.positions import LineIndex
from lantern.session import LARGE_DOCUMENT, Snapshot

# lantern.completion.engine imports the model layer's errors: it is imported on first use,
# so that starting the server does not load the model layer.
if TYPE_CHECKING:
    from lantern.completion.engine import CompletionEngine, Outcome
    from lantern.config import Settings

log = logging.getLogger("lantern.completion")

AI_LABEL = "Lantern AI"
# A document's identifiers are read again once no message has come for this long.
QUIET_SECONDS = 0.2
_LABEL_WIDTH = 60


@dataclass
class _State:
    engine: CompletionEngine | None = None
    generation: int = -1
    # uri -> (version, its identifiers): see `_identifiers`.
    identifiers: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    # uri -> the task reading them again (kept: the loop holds tasks weakly).
    refreshing: dict[str, asyncio.Task[None]] = field(default_factory=dict)


def register(server: LanternServer) -> None:
    server.completion_state = _State()

    @server.handler(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: LanternServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        if (cursor := await _at_cursor(ls, params)) is None:
            return None
        settings, snapshot, offset = cursor
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        outcome = await _suggest(
            ls, settings, snapshot, offset, invoked=invoked, asks_model=invoked
        )
        suggestion = outcome.suggestion
        if suggestion is None or not _current(ls, snapshot):
            return None
        item = types.InlineCompletionItem(
            insert_text=suggestion.text,
            range=_range(ls, snapshot.index, offset, offset + suggestion.replace),
        )
        return types.InlineCompletionList(items=[item])

    @server.handler(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."])
    )
    async def completion(
        ls: LanternServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        if (cursor := await _at_cursor(ls, params)) is None:
            return None
        settings, snapshot, offset = cursor
        word = word_before(snapshot.text, offset)
        items: list[types.CompletionItem] = []
        incomplete = False
        if settings.completion.local_items:
            # Collecting a large document's identifiers is one query over the whole tree
            # (a second on a 2 MB bundle, holding the GIL): it offers keywords only.
            large = len(snapshot.source) >= LARGE_DOCUMENT
            names = frozenset() if large else _identifiers(ls, snapshot)
            found, incomplete = local_items(
                snapshot.language, None, snapshot.source, word, identifiers=names
            )
            incomplete = incomplete or large
            items += [
                types.CompletionItem(
                    label=item.label,
                    kind=types.CompletionItemKind.Keyword
                    if item.kind is ItemKind.KEYWORD
                    else types.CompletionItemKind.Variable,
                    sort_text=f"1{item.label}",
                )
                for item in found
            ]
        if settings.completion.classic_ai and not _client_has_inline(ls):
            # The suggestion depends on every character typed: the client must ask again.
            incomplete = True
            # Editors send "Invoked" for lists opened by typing too (VS Code's quick
            # suggestions, nvim-cmp): the classic list is always debounced.
            outcome = await _suggest(ls, settings, snapshot, offset, invoked=False)
            if outcome.suggestion is not None:
                items.insert(0, _ai_item(ls, snapshot, offset, word, outcome))
        if not _current(ls, snapshot):
            return types.CompletionList(is_incomplete=True, items=[])
        return types.CompletionList(is_incomplete=incomplete, items=items)


def forget(ls: LanternServer, uri: str) -> None:
    """The document closed: its pending completion is cancelled."""
    state: _State = ls.completion_state
    state.identifiers.pop(uri, None)
    if state.engine is not None:
        state.engine.forget(uri)


def _identifiers(ls: LanternServer, snapshot: Snapshot) -> frozenset[str]:
    """The document's identifiers for its classic completion list. Reading them is a
    query over the whole tree (4 ms on a 3,500-line file, at every keystroke a list is
    asked for), so while the user types the last version's are offered (they lack at most
    what was typed since) and read again once the server is quiet."""
    state: _State = ls.completion_state
    known = state.identifiers.get(snapshot.uri)
    if known is not None and known[0] == snapshot.version:
        return known[1]
    if snapshot.language is None:
        return frozenset()
    if known is None:
        names = document_identifiers(snapshot.language, snapshot.tree, snapshot.source)
        state.identifiers[snapshot.uri] = (snapshot.version, names)
        return names
    if snapshot.uri not in state.refreshing and ls.loop is not None:
        task = ls.loop.create_task(_refresh_identifiers(ls, snapshot.uri))
        state.refreshing[snapshot.uri] = task
        task.add_done_callback(lambda _: state.refreshing.pop(snapshot.uri, None))
    return known[1]


async def _refresh_identifiers(ls: LanternServer, uri: str) -> None:
    """Read `uri`'s identifiers again once the server is quiet, off the loop."""
    await ls.until_quiet(QUIET_SECONDS, limit=math.inf)
    state: _State = ls.completion_state
    snapshot = ls.session.snapshot(uri)
    if snapshot is None or snapshot.language is None or uri not in state.identifiers:
        return
    names = await asyncio.to_thread(
        document_identifiers, snapshot.language, snapshot.tree, snapshot.source
    )
    if (known := state.identifiers.get(uri)) is not None and known[0] < snapshot.version:
        state.identifiers[uri] = (snapshot.version, names)


# -- helpers -----------------------------------------------------------------------------


async def _at_cursor(
    ls: LanternServer, params: types.InlineCompletionParams | types.CompletionParams
) -> tuple[Settings, Snapshot, int] | None:
    """(settings, snapshot, str offset of the cursor), or None when completion is off or
    the document is not open. Waits for the settings to be loaded."""
    await ls.settings_ready.wait()
    settings = ls.session.settings
    # A large document's tree may still be on its way: without it, completion offers
    # the language's keywords only.
    snapshot = await parsing.snapshot(ls, params.text_document.uri, wait=parsing.ANSWER_WITHIN)
    if settings is None or not settings.completion.enabled or snapshot is None:
        return None
    return settings, snapshot, _offset(ls, snapshot, params.position)


def _engine(ls: LanternServer, settings: Settings) -> CompletionEngine:
    """The engine, on the server's one AIService, following the settings' generation."""
    from lantern.completion.engine import CompletionEngine, EngineSettings

    state: _State = ls.completion_state
    ai = edge(ls)
    wanted = EngineSettings(
        debounce_ms=settings.completion.debounce_ms,
        max_lines=settings.completion.max_lines,
        # As many characters each side as the prompt budget has tokens (2,000 by default).
        context_chars=settings.ai.max_prompt_tokens["complete"],
    )
    if state.engine is None:
        state.engine = CompletionEngine(
            complete=lambda *args, **kwargs: ai.service().complete(*args, **kwargs),
            # Checked before the debounce: without a model, local items answer at once.
            unavailable=lambda: ai.unavailable("complete"),
            on_error=lambda error, request: ai.failed(error, asked=request.asks_model),
            on_success=ai.succeeded,
            settings=wanted,
        )
    elif state.generation != ls.session.settings_generation:
        state.engine.reconfigure(wanted)
    state.generation = ls.session.settings_generation
    return state.engine


async def _suggest(
    ls: LanternServer,
    settings: Settings,
    snapshot: Snapshot,
    offset: int,
    *,
    invoked: bool,
    asks_model: bool = False,
) -> Outcome:
    from lantern.completion.engine import Request

    engine = _engine(ls, settings)
    request = Request(
        uri=snapshot.uri,
        path=to_fs_path(snapshot.uri) or snapshot.uri,
        text=snapshot.text,
        index=snapshot.index,
        offset=offset,
        language=snapshot.language,
        tree=snapshot.tree,
        invoked=invoked,
        asks_model=asks_model,
    )
    outcome = await engine.suggest(request)
    log.debug(
        "completion %s v%d: %s (%s), %.1f ms in Lantern",
        snapshot.uri,
        snapshot.version,
        outcome.source,
        outcome.decision.reason,
        outcome.local_seconds * 1000,
    )
    return outcome


def _ai_item(
    ls: LanternServer, snapshot: Snapshot, offset: int, word: str, outcome: Outcome
) -> types.CompletionItem:
    """The model's suggestion as a classic item: it replaces the word being typed (so
    clients filter it like any other item) plus the auto-closed brackets it writes."""
    assert outcome.suggestion is not None
    text = outcome.suggestion.text
    whole = word + text
    first_line = whole.strip().split("\n", 1)[0]
    label = first_line if len(first_line) <= _LABEL_WIDTH else first_line[: _LABEL_WIDTH - 1] + "…"
    edit_range = _range(ls, snapshot.index, offset - len(word), offset + outcome.suggestion.replace)
    language = snapshot.language.name if snapshot.language else ""
    return types.CompletionItem(
        label=label,
        label_details=types.CompletionItemLabelDetails(description=AI_LABEL),
        kind=types.CompletionItemKind.Text,
        detail=AI_LABEL,
        documentation=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=f"```{language}\n{whole}\n```"
        ),
        sort_text="0",
        filter_text=whole,
        text_edit=types.TextEdit(range=edit_range, new_text=whole),
        insert_text_format=types.InsertTextFormat.PlainText,
    )


def _client_has_inline(ls: LanternServer) -> bool:
    text_document = ls.client_capabilities.text_document
    return text_document is not None and text_document.inline_completion is not None


def _offset(ls: LanternServer, snapshot: Snapshot, position: types.Position) -> int:
    return snapshot.index.offset_at(position.line, position.character, ls.session.encoding)


def _range(ls: LanternServer, index: LineIndex, start: int, end: int) -> types.Range:
    encoding = ls.session.encoding
    start_line, start_character = index.position_at(start, encoding)
    end_line, end_character = index.position_at(end, encoding)
    return types.Range(
        start=types.Position(line=start_line, character=start_character),
        end=types.Position(line=end_line, character=end_character),
    )


def _current(ls: LanternServer, snapshot: Snapshot) -> bool:
    """Is the document still at the version the answer was computed for?"""
    document = ls.session.documents.get(snapshot.uri)
    return document is not None and document.version == snapshot.version
