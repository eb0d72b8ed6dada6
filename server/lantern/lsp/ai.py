"""The model layer as the editor sees it: one `AIService` per server, what the user is
told when a call fails, and the `lantern/status` notification.

Failures are reported per *episode*: the first failure of a kind shows one message
(with the request id when there is one); the same kind stays quiet until a call
succeeds again. "No model configured" is said once per settings change, and only when
the user asked for an AI feature: automatic reviews without a model stay silent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lantern.lsp.server import LanternServer

if TYPE_CHECKING:
    from lantern.ai.errors import AIError
    from lantern.ai.service import AIService
    from lantern.config import Task

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "lantern/status"
# Errors that are the user's setup, not an outage: they never mark the model unreachable.
_SETUP_KINDS = {"not_configured", "disabled", "excluded", "too_large", "cancelled"}
_UNREACHABLE_KINDS = {"provider_unavailable", "timed_out"}


class AIEdge:
    """Owns the server's AIService and tells the user how the model is doing."""

    def __init__(self, server: LanternServer) -> None:
        self.server = server
        self._service: AIService | None = None
        self._generation = -1  # settings generation the service was built for
        self._episodes: set[str] = set()
        self._working = 0
        self.last_error: dict[str, Any] | None = None

    # -- the service -------------------------------------------------------------------

    def service(self) -> AIService:
        """The AIService for the current settings (built on first use: it is not cheap)."""
        session = self.server.session
        settings = session.settings
        if settings is None:
            from lantern.config import Settings

            settings = Settings()
        if self._service is None:
            from lantern.ai.service import AIService

            self._service = AIService(settings, workspace_root=session.workspace_root)
        elif self._generation != session.settings_generation:
            self._service.reconfigure(settings)
        self._generation = session.settings_generation
        return self._service

    def ready(self) -> bool:
        """Whether automatic AI work (reviews) should run: enabled and a provider set."""
        settings = self.server.session.settings
        if settings is None or not settings.ai.enabled:
            return False
        if self._service is None:
            from lantern.ai.providers import provider_settings

            # No model configured (the default): say so without building the service,
            # whose imports and disk cache would otherwise land on the first didOpen.
            if not provider_settings(settings.ai, os.environ):
                return False
        return bool(self.service().pool.providers)

    def unavailable(self, task: Task) -> AIError | None:
        """Why `task` cannot ask a model now (AI turned off, no provider for it), or None.
        With no model configured (the default) this is said without building the service:
        its imports (the `openai` SDK's among them, ~16 ms) would land on the request."""
        from lantern.ai.errors import NOT_CONFIGURED_HELP, Disabled, NotConfigured
        from lantern.ai.providers import provider_settings

        # The service is built from these settings (the defaults before they load).
        settings = self.server.session.settings
        ai = settings.ai if settings is not None else None
        if ai is not None and not ai.enabled:
            return Disabled("AI features are turned off (`ai.enabled = false`); nothing was sent.")
        if self._service is None and ai is not None and not provider_settings(ai, os.environ):
            return NotConfigured(NOT_CONFIGURED_HELP)
        pool = self.service().pool
        return None if pool.route(task) else pool.not_configured(task)

    def prepare(self) -> None:
        """Import what `ready` needs, and the model layer when a model is configured (the
        first review on open would import it on the event loop). For a worker thread;
        before the settings are known it does nothing (it imports the settings model)."""
        settings = self.server.session.settings
        if settings is None or not settings.ai.enabled:
            return
        from lantern.ai.providers import provider_settings

        if provider_settings(settings.ai, os.environ):
            import lantern.ai.service  # noqa: F401

    async def close(self) -> None:
        if self._service is not None:
            await self._service.aclose()
            self._service = None

    # -- outcomes ----------------------------------------------------------------------

    def succeeded(self) -> None:
        if self._episodes - _SETUP_KINDS:
            self._episodes &= _SETUP_KINDS
            self.status("idle", "the model answers again")

    def failed(self, error: AIError, *, asked: bool) -> str:
        """Report `error` (once per episode); return the sentence for the user.

        `asked` is true when the user invoked the feature (a command, an action): setup
        problems are then shown too; for automatic work they are only logged.
        """
        message = f"Lantern AI: {error.message}"
        if error.kind == "cancelled":
            return message
        if error.kind in _SETUP_KINDS:
            log.info("%s", error.message)
            if asked:
                key = f"{error.kind}:{self.server.session.settings_generation}"
                self._show(key, message, types.MessageType.Warning)
            return message
        self.last_error = {"kind": error.kind, **error.to_dict()}
        log.warning("%s", error.message)
        if error.kind not in self._episodes:
            self._episodes.add(error.kind)
            self._show(error.kind, message, types.MessageType.Error)
            state = "unreachable" if error.kind in _UNREACHABLE_KINDS else "error"
            self.status(state, error.message)
        return message

    def _show(self, key: str, message: str, kind: types.MessageType) -> None:
        # Episodes decide when to speak; show_once would silence a later episode.
        self.server.notify_threadsafe(
            lambda: self.server.window_show_message(
                types.ShowMessageParams(type=kind, message=message)
            )
        )

    # -- status ------------------------------------------------------------------------

    @contextmanager
    def working(self, what: str) -> Iterator[None]:
        """Count a piece of AI work for the status bar while it runs."""
        self._working += 1
        self.status("analysing", what)
        try:
            yield
        finally:
            self._working -= 1
            if self._working == 0 and not (self._episodes - _SETUP_KINDS):
                self.status("idle", "")

    def status(self, state: str, message: str) -> None:
        params = {"state": state, "message": message, "count": self._working}
        self.server.notify_threadsafe(
            lambda: self.server.protocol.notify(STATUS_NOTIFICATION, params)
        )


def edge(ls: LanternServer) -> AIEdge:
    if ls.ai_edge is None:
        ls.ai_edge = AIEdge(ls)
    return ls.ai_edge
