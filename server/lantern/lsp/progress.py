"""Server-initiated work-done progress (`window/workDoneProgress/create`, `$/progress`),
cancellable from the editor, for clients that support it; a silent no-op otherwise.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

from lsprotocol import types

from lantern.lsp.server import LanternServer

log = logging.getLogger(__name__)

_tokens = itertools.count(1)
# token -> the cancel event of the work it reports on
_cancellers: dict[str, asyncio.Event] = {}


def register(server: LanternServer) -> None:
    @server.handler(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel(ls: LanternServer, params: types.WorkDoneProgressCancelParams) -> None:
        event = _cancellers.get(str(params.token))
        if event is not None:
            event.set()


class WorkProgress:
    """One piece of work shown in the editor's progress UI.

    `cancelled` is set when the user cancels it there; callers pass it on as the
    `cancel` event of model calls, which aborts their HTTP requests.
    """

    def __init__(self, ls: LanternServer, token: str | None, cancelled: asyncio.Event) -> None:
        self.ls = ls
        self.token = token
        self.cancelled = cancelled

    @classmethod
    async def start(
        cls,
        ls: LanternServer,
        title: str,
        message: str = "",
        cancel: asyncio.Event | None = None,
    ) -> WorkProgress:
        cancelled = cancel or asyncio.Event()
        token: str | None = None
        if _supported(ls):
            token = f"lantern-{next(_tokens)}"
            try:
                await asyncio.wait_for(ls.work_done_progress.create_async(token), 5.0)
            except Exception as exc:  # an old client, or it refused: work goes on silently
                log.debug("window/workDoneProgress/create failed: %s", exc)
                token = None
        progress = cls(ls, token, cancelled)
        if token is not None:
            _cancellers[token] = cancelled
            progress._send(
                types.WorkDoneProgressBegin(
                    title=title, message=message or None, cancellable=True, percentage=0
                )
            )
        return progress

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.token is not None:
            self._send(types.WorkDoneProgressReport(message=message, percentage=percentage))

    def end(self, message: str = "") -> None:
        if self.token is None:
            return
        self._send(types.WorkDoneProgressEnd(message=message or None))
        _cancellers.pop(self.token, None)
        self.ls.work_done_progress.tokens.pop(self.token, None)  # pygls never forgets them
        self.token = None

    def _send(self, value: Any) -> None:
        token = self.token
        assert token is not None
        self.ls.notify_threadsafe(
            lambda: self.ls.protocol.notify(
                types.PROGRESS, types.ProgressParams(token=token, value=value)
            )
        )


def _supported(ls: LanternServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window and window.work_done_progress)
