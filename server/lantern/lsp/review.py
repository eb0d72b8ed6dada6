"""AI diagnostics: the model reviews the units of a document that changed since their
last review, and its findings are published with the static ones (source "lantern-ai").

Triggers come from `ai.review_on` (open, save, idle) and from `lantern.analyzeFile`.
One review pass runs per document at a time; a trigger during a pass runs one more
pass after it. Findings are remembered per unit text (`lantern.assist.review`), so
unchanged units keep theirs, shifted with edits, and a re-open costs nothing (the disk
cache answers). Findings are only ever published mapped onto the units of the
document's *current* version; a pass that ends with the document moved on re-queues
the units that changed, after the idle pause.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types

from lantern.analysis.findings import Finding
from lantern.lsp import diagnostics
from lantern.lsp.ai import edge
from lantern.lsp.progress import WorkProgress
from lantern.lsp.server import LanternServer
from lantern.session import Snapshot

if TYPE_CHECKING:
    from lantern.ai.errors import AIError
    from lantern.ai.service import KnownDiagnostic
    from lantern.assist.review import ReviewLedger, ReviewUnit

# The review modules import the model layer: loaded on first use, not at start-up.

log = logging.getLogger(__name__)


def _new_ledger() -> ReviewLedger:
    from lantern.assist.review import ReviewLedger

    return ReviewLedger()


@dataclass
class _Document:
    ledger: ReviewLedger = field(default_factory=_new_ledger)
    units: tuple[int, list[ReviewUnit]] | None = None  # (version, units) memo
    task: asyncio.Task[None] | None = None
    again: bool = False  # a trigger arrived during the running pass
    idle: asyncio.TimerHandle | None = None
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class _State:
    documents: dict[str, _Document] = field(default_factory=dict)
    # Documents edited before the first settings were loaded.
    edited_early: set[str] = field(default_factory=set)


def _state(ls: LanternServer) -> _State:
    if ls.review_state is None:
        ls.review_state = _State()
    return ls.review_state


def _document(ls: LanternServer, uri: str) -> _Document:
    return _state(ls).documents.setdefault(uri, _Document())


# -- triggers ------------------------------------------------------------------------------


def on_event(ls: LanternServer, uri: str, event: str) -> None:
    """A document was opened, saved or edited: start a review if `ai.review_on` says so."""
    settings = ls.session.settings
    if settings is None:  # see `settings_loaded`
        if event == "change":
            _state(ls).edited_early.add(uri)
        return
    triggers = settings.ai.review_on
    if event == "change":
        if "idle" in triggers:
            _after_idle(ls, uri)
        return
    if event in triggers:
        start(ls, uri)


def settings_loaded(ls: LanternServer) -> None:
    """Settings were (re)loaded: what is open is reviewed as on open (a model may have
    just been configured), and what was edited before the first settings as on an edit."""
    edited, _state(ls).edited_early = _state(ls).edited_early, set()
    for uri in list(ls.session.documents):
        on_event(ls, uri, "open")
        if uri in edited:
            on_event(ls, uri, "change")


def start(ls: LanternServer, uri: str) -> asyncio.Task[None] | None:
    """Review `uri` now (or right after the pass already running). Quiet without a model."""
    if ls.loop is None or uri not in ls.session.documents or not edge(ls).ready():
        return None
    document = _document(ls, uri)
    if document.task is not None and not document.task.done():
        document.again = True
        return document.task
    document.cancel = asyncio.Event()
    document.task = ls.loop.create_task(_passes(ls, uri, document))
    return document.task


def _after_idle(ls: LanternServer, uri: str) -> None:
    settings = ls.session.settings
    if ls.loop is None or settings is None:
        return
    document = _document(ls, uri)
    if document.idle is not None:
        document.idle.cancel()
    document.idle = ls.loop.call_later(settings.ai.review_idle_ms / 1000, lambda: start(ls, uri))


def forget(ls: LanternServer, uri: str) -> None:
    """The document closed: stop its review and drop what was remembered."""
    document = _state(ls).documents.pop(uri, None)
    if document is None:
        return
    document.cancel.set()
    if document.idle is not None:
        document.idle.cancel()


def clear(ls: LanternServer) -> None:
    """Forget every finding (the cache was cleared): the next trigger asks again."""
    for document in _state(ls).documents.values():
        document.ledger.clear()


# -- the passes ------------------------------------------------------------------------------


async def _passes(ls: LanternServer, uri: str, document: _Document) -> None:
    try:
        while True:
            document.again = False
            version = await _review_once(ls, uri, document)
            current = ls.session.documents.get(uri)
            if current is None or document.cancel.is_set():
                return
            if document.again:
                continue
            if version is not None and current.version != version:
                _after_idle(ls, uri)  # the units edited meanwhile are reviewed once quiet
            return
    except Exception as exc:  # isolated like a handler: logged, shown once, server goes on
        ls.report_handler_error("lantern AI review", exc)


async def _review_once(ls: LanternServer, uri: str, document: _Document) -> int | None:
    """Review the pending units of the current version; the version reviewed, or None."""
    snapshot = ls.session.snapshot(uri)
    if snapshot is None or snapshot.language is None or snapshot.tree is None:
        return None
    units = units_of(ls, snapshot)
    document.ledger.retain(units)
    pending = document.ledger.pending(units)
    if not pending:
        return snapshot.version
    from lantern.assist.review import review_pending

    ai = edge(ls)
    known = known_diagnostics(ls, snapshot, await diagnostics.findings_for(ls, snapshot))
    progress = await WorkProgress.start(
        ls, "Lantern: AI review", f"{len(pending)} to review", cancel=document.cancel
    )
    done = 0

    def reviewed(unit: ReviewUnit, error: AIError | None) -> None:
        nonlocal done
        done += 1
        progress.report(f"{unit.label} ({done}/{len(pending)})", done * 100 // len(pending))
        if error is not None:
            ai.failed(error, asked=False)
            return
        ai.succeeded()
        diagnostics.refresh(ls, uri)

    try:
        with ai.working(f"reviewing {len(pending)} unit(s) of {uri.rsplit('/', 1)[-1]}"):
            await review_pending(
                ai.service(),
                document.ledger,
                units,
                path=snapshot.uri,
                text=snapshot.text,
                language=snapshot.language,
                known=known,
                cancel=document.cancel,
                on_done=reviewed,
            )
    finally:
        progress.end("cancelled" if document.cancel.is_set() else f"{done} reviewed")
    return snapshot.version


def known_diagnostics(
    ls: LanternServer, snapshot: Snapshot, findings: list[Finding]
) -> list[KnownDiagnostic]:
    """Findings as the model layer's KnownDiagnostic (1-based lines), for prompts."""
    from lantern.assist.review import known_from

    return known_from(findings, snapshot.index)


# -- what the rest of the edge asks ------------------------------------------------------------


def units_of(ls: LanternServer, snapshot: Snapshot) -> list[ReviewUnit]:
    """The review units of a snapshot (memoised per version)."""
    document = _document(ls, snapshot.uri)
    if document.units is not None and document.units[0] == snapshot.version:
        return document.units[1]
    from lantern.assist.review import review_units

    assert snapshot.language is not None
    units = review_units(snapshot.text, snapshot.language, snapshot.tree)
    if ls.session.documents.get(snapshot.uri) is not None:
        document.units = (snapshot.version, units)
    return units


def with_ai(ls: LanternServer, snapshot: Snapshot, static: list[Finding]) -> list[Finding]:
    """`static` plus the AI findings of this snapshot that no static finding overlaps."""
    document = _state(ls).documents.get(snapshot.uri)
    if document is None or snapshot.language is None or snapshot.tree is None:
        return static
    reviewed = document.ledger.findings(units_of(ls, snapshot))
    if not reviewed:
        return static
    from lantern.assist.review import merge_findings

    return merge_findings(static, reviewed, snapshot.index)


def generation(ls: LanternServer, uri: str) -> int:
    """Changes whenever the AI findings of `uri` may have changed (for pull result ids)."""
    document = _state(ls).documents.get(uri)
    return document.ledger.generation if document is not None else 0


def hover(ls: LanternServer, params: types.HoverParams) -> types.Hover | None:
    """The model's explanation of the AI findings under the cursor."""
    snapshot = ls.session.snapshot(params.text_document.uri)
    if snapshot is None:
        return None
    document = _state(ls).documents.get(snapshot.uri)
    if document is None or snapshot.language is None:
        return None
    line = params.position.line + 1
    parts = []
    for item in document.ledger.findings(units_of(ls, snapshot)):
        if item.line <= line <= item.end_line:
            text = f"**lantern-ai** `{item.code}` ({item.severity}): {item.message}"
            if item.fix_hint:
                text += f"\n\n*Suggested fix:* {item.fix_hint}"
            parts.append(text + f"\n\n<sub>model: {item.model}</sub>")
    if not parts:
        return None
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)
        )
    )


def register(server: LanternServer) -> None:
    @server.handler(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: LanternServer, params: types.HoverParams) -> types.Hover | None:
        return hover(ls, params)
