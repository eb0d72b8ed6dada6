"""The completion pipeline for one request, without the protocol.

    decide (tree-sitter) -> cache (incl. typed-ahead) -> debounce (cancelled by the next
    keystroke) -> model (cancellable) -> post-process -> cache

`CompletionEngine.suggest` answers a `Request` with a `Suggestion` or None. Starting a
request for a document cancels the one before it (its debounce ends, its HTTP request is
aborted). Model failures are handed to `on_error` once per episode (until a completion
succeeds again); the caller decides what to show. It never raises for a model failure.
It imports the model layer's error types, so the protocol edge imports it lazily.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from lantern.ai.errors import AIError, Cancelled
from lantern.completion.cache import CompletionCache
from lantern.completion.debounce import LatestRequest, TypingRhythm, quiet_for
from lantern.completion.decision import Decision, Mode, decide
from lantern.completion.postprocess import Context, Suggestion, postprocess
from lantern.completion.text import context_window, line_and_column

if TYPE_CHECKING:
    from tree_sitter import Tree

    from lantern.analysis.languages import LanguageSpec
    from lantern.positions import LineIndex

log = logging.getLogger("lantern.completion")

# The post-processing windows: enough for indentation and brackets, cheap to scan.
_PREFIX_WINDOW = 8000
_SUFFIX_WINDOW = 4000


class CompleteFn(Protocol):
    """`AIService.complete`'s shape: a result with `.text`, or an AIError value."""

    def __call__(
        self,
        path: str,
        source: str,
        line: int,
        column: int,
        *,
        language: str | None,
        max_lines: int,
        cancel: asyncio.Event | None,
    ) -> Awaitable[Any]: ...


@dataclass(frozen=True, slots=True)
class Request:
    """One completion request on a snapshot of a document."""

    uri: str
    path: str
    text: str
    index: LineIndex
    offset: int  # str offset of the cursor in `text`
    language: LanguageSpec | None
    tree: Tree | None
    invoked: bool  # asked for explicitly, not by typing
    # The user asked for the model's suggestion itself (an inline-suggest key), so a
    # setup problem deserves a message; a classic list asked for identifiers too.
    asks_model: bool = False


@dataclass(slots=True)
class Outcome:
    """What happened, for the caller and for measurements."""

    suggestion: Suggestion | None
    decision: Decision
    source: str  # "cache", "model", or why there is nothing: "none", "superseded", ...
    local_seconds: float = 0.0  # time spent in Lantern, the model's wait excluded


@dataclass
class Episode:
    """Failures are reported once until things work again."""

    current: str | None = None

    def failed(self, kind: str) -> bool:
        """True when `kind` starts a new episode (worth one message)."""
        if self.current == kind:
            return False
        self.current = kind
        return True

    def recovered(self) -> None:
        self.current = None


@dataclass
class EngineSettings:
    debounce_ms: int = 200
    max_lines: int = 8
    # Characters of context on each side of the cursor handed to the model layer (up to
    # twice that on one side when the other is short). The model layer redacts and
    # measures all of it, at some 1 ms per kilobyte, so it is kept near what a prompt
    # shows: 2,000 characters is about 50 lines each way (Tabby sends 20).
    context_chars: int = 2000


@dataclass
class CompletionEngine:
    complete: CompleteFn
    # Why the model cannot be asked right now (not configured, turned off), or None.
    unavailable: Callable[[], AIError | None]
    # Told once per episode of failures of one kind; the caller decides what to show.
    on_error: Callable[[AIError, Request], None]
    on_success: Callable[[], None] = lambda: None
    settings: EngineSettings = field(default_factory=EngineSettings)
    cache: CompletionCache = field(default_factory=CompletionCache)
    rhythm: TypingRhythm = field(default_factory=TypingRhythm)
    latest: LatestRequest = field(default_factory=LatestRequest)
    episode: Episode = field(default_factory=Episode)

    def reconfigure(self, settings: EngineSettings) -> None:
        """New settings (maybe a new model): earlier suggestions no longer apply."""
        self.settings = settings
        self.cache.clear()
        self.episode.recovered()

    async def suggest(self, request: Request) -> Outcome:
        """The suggestion for `request` (None in the outcome when there is none), with
        where it came from and the time spent in Lantern (waits excluded)."""
        started = time.perf_counter()
        waited = 0.0
        cancel = self.latest.start(request.uri)
        try:
            self.rhythm.keystroke()
            byte = request.index.byte_at(request.offset)
            decision = decide(
                request.text, request.offset, request.tree, byte, invoked=request.invoked
            )
            if decision.mode is Mode.NONE:
                return Outcome(None, decision, "none", time.perf_counter() - started)
            prefix, suffix = request.text[: request.offset], request.text[request.offset :]
            if (cached := self.cache.get(prefix, suffix)) is not None and cached.text.strip():
                return Outcome(cached, decision, "cache", time.perf_counter() - started)
            if (reason := self.unavailable()) is not None:
                if self.episode.failed(reason.kind):
                    self.on_error(reason, request)
                return Outcome(None, decision, reason.kind, time.perf_counter() - started)
            delay = 0.0 if request.invoked else self.rhythm.delay_seconds(self.settings.debounce_ms)
            paused = time.perf_counter()
            if not await quiet_for(delay, cancel):
                return Outcome(None, decision, "superseded", paused - started)
            asked = time.perf_counter()
            waited += asked - paused
            result = await self._ask(request, decision.mode, cancel)
            waited += time.perf_counter() - asked
            local = time.perf_counter() - started - waited
            if isinstance(result, Cancelled):
                return Outcome(None, decision, "superseded", local)
            if isinstance(result, AIError):
                if self.episode.failed(result.kind):
                    self.on_error(result, request)
                return Outcome(None, decision, result.kind, local)
            self.episode.recovered()
            self.on_success()
            context = Context(
                prefix=prefix[-_PREFIX_WINDOW:],
                suffix=suffix[:_SUFFIX_WINDOW],
                mode=decision.mode,
                max_lines=self.settings.max_lines,
                line_comment=request.language.line_comment if request.language else None,
            )
            suggestion = postprocess(result.text, context)
            if suggestion is not None:
                # Even when superseded: typing ahead into it is served from the cache.
                self.cache.put(prefix, suffix, suggestion)
            source = "superseded" if cancel.is_set() else "model"
            local = time.perf_counter() - started - waited
            return Outcome(None if cancel.is_set() else suggestion, decision, source, local)
        finally:
            self.latest.finish(request.uri, cancel)

    async def _ask(self, request: Request, mode: Mode, cancel: asyncio.Event) -> Any:
        """The model layer's answer for the text around the cursor.

        Only a window can fit the prompt, so only the window is handed over: the model
        layer redacts and measures that, not the whole file. Near either end of the
        file, the other side may use the whole budget.
        """
        reach = self.settings.context_chars
        before = 2 * reach - min(len(request.text) - request.offset, reach)
        after = 2 * reach - min(request.offset, reach)
        start, end = context_window(request.text, request.offset, before, after)
        window = request.text[start:end]
        line, column = line_and_column(window, request.offset - start)
        return await self.complete(
            request.path,
            window,
            line,
            column,
            language=request.language.name if request.language else None,
            max_lines=1 if mode is Mode.LINE else self.settings.max_lines + 1,
            cancel=cancel,
        )

    def forget(self, uri: str) -> None:
        """The document closed: cancel its request."""
        self.latest.cancel(uri)
