"""Single-flight: identical concurrent requests share one call; cancellation is per caller.

The shared call is aborted only when every caller has left (cancelled or gave up), so
one impatient caller never takes an answer away from the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class CallerCancelled(Exception):
    """The caller's cancel event was set before the shared call finished."""


@dataclass
class _Flight(Generic[T]):
    task: asyncio.Task[T]
    callers: int = 0


class SingleFlight:
    def __init__(self) -> None:
        self._flights: dict[str, _Flight[Any]] = {}

    @property
    def in_flight(self) -> int:
        return len(self._flights)

    async def run(
        self,
        key: str,
        start: Callable[[], Awaitable[T]],
        cancel: asyncio.Event | None = None,
    ) -> T:
        """The result of the flight for `key`, starting it with `start()` if none is running.

        Raises CallerCancelled when `cancel` is set first; a cancelled caller task gets
        CancelledError as usual. Either way the flight is aborted if no caller is left.
        """
        flight = self._flights.get(key)
        if flight is None:
            flight = _Flight(asyncio.ensure_future(start()))
            self._flights[key] = flight
            flight.task.add_done_callback(lambda _, f=flight: self._forget(key, f))
        flight.callers += 1
        watcher = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
        try:
            waiting = {flight.task} if watcher is None else {flight.task, watcher}
            # asyncio.wait never cancels what it waits on, so the shared task survives
            # this caller's own cancellation.
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if flight.task.done():
                return flight.task.result()
            raise CallerCancelled
        finally:
            if watcher is not None:
                watcher.cancel()
            flight.callers -= 1
            if flight.callers == 0 and not flight.task.done():
                flight.task.cancel()  # nobody wants it any more: abort the HTTP request
                self._forget(key, flight)

    def _forget(self, key: str, flight: _Flight[Any]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
