"""When to ask the model: an adaptive debounce from the user's typing rhythm, and one
live request per document (starting a new one cancels the one before).

The wait is the mean of the configured base and twice the user's slower intervals
between keystrokes (requests): the 75th percentile of the last 20, or the latest if
longer. It is clamped to 100-400 ms (the range is widened to include the base). A fast
typist's pause is noticed sooner; a slow typist is not interrupted between two keys.
Gaps of a second or more are pauses, not rhythm, and are not counted; the first key
after one waits at least the base. Everything here runs on one event loop.
"""

from __future__ import annotations

import asyncio
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
        self._after_pause = True
        self.intervals: deque[float] = deque(maxlen=HISTORY)  # seconds

    def keystroke(self) -> None:
        now = self._clock()
        gap = None if self._last is None else now - self._last
        self._after_pause = gap is None or not 0 <= gap < PAUSE_SECONDS
        if gap is not None and not self._after_pause:
            self.intervals.append(gap)
        self._last = now

    def delay_seconds(self, base_ms: float) -> float:
        """How long to wait after the latest keystroke before asking the model."""
        if base_ms <= 0:
            return 0.0
        low, high = min(MIN_MS, base_ms), max(MAX_MS, base_ms)
        wanted = base_ms
        if self.intervals:
            # The slower end of the rhythm, and the latest gap: a typist slowing down is
            # followed at once, one speeding up only once it is their habit.
            ordered = sorted(self.intervals)
            slow = max(ordered[(len(ordered) * 3) // 4], self.intervals[-1])
            wanted = (base_ms + 2 * slow * 1000) / 2
            if self._after_pause:
                wanted = max(wanted, base_ms)  # the first key after a pause says nothing yet
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
