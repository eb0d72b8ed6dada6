"""When to ask the model: an adaptive debounce from the user's typing rhythm, and one
live request per document (starting a new one cancels the one before).

The wait is the mean of the configured base and 1.5x the user's median interval
between keystrokes (requests), clamped to 100-400 ms (the range is widened to include
the base). A fast typist's pause is noticed sooner; a slow typist is not interrupted
between two keystrokes. Gaps of a second or more are pauses, not rhythm, and are not
counted. Everything here runs on one event loop.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Callable

MIN_MS = 100.0
MAX_MS = 400.0
PAUSE_SECONDS = 1.0
HISTORY = 20


class TypingRhythm:
    """The intervals between recent completion requests (any document: rhythm is the
    user's, not the file's)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: float | None = None
        self.intervals: deque[float] = deque(maxlen=HISTORY)  # seconds

    def keystroke(self) -> None:
        now = self._clock()
        if self._last is not None and 0 <= now - self._last < PAUSE_SECONDS:
            self.intervals.append(now - self._last)
        self._last = now

    def delay_seconds(self, base_ms: float) -> float:
        """How long to wait after the latest keystroke before asking the model."""
        if base_ms <= 0:
            return 0.0
        low, high = min(MIN_MS, base_ms), max(MAX_MS, base_ms)
        wanted = base_ms
        if self.intervals:
            wanted = (base_ms + 1.5 * statistics.median(self.intervals) * 1000) / 2
        return max(low, min(high, wanted)) / 1000


class LatestRequest:
    """One live request per document: `start(uri)` cancels the previous one's event."""

    def __init__(self) -> None:
        self._current: dict[str, asyncio.Event] = {}

    def start(self, uri: str) -> asyncio.Event:
        if (previous := self._current.get(uri)) is not None:
            previous.set()
        cancel = asyncio.Event()
        self._current[uri] = cancel
        return cancel

    def finish(self, uri: str, cancel: asyncio.Event) -> None:
        if self._current.get(uri) is cancel:
            del self._current[uri]

    def cancel(self, uri: str) -> None:
        """The document closed or changed under a request: let it go."""
        if (current := self._current.pop(uri, None)) is not None:
            current.set()


async def quiet_for(seconds: float, cancel: asyncio.Event) -> bool:
    """Wait `seconds`; False as soon as `cancel` is set (a newer keystroke)."""
    if cancel.is_set():
        return False
    if seconds <= 0:
        return True
    try:
        await asyncio.wait_for(cancel.wait(), seconds)
    except TimeoutError:
        return True
    return False
