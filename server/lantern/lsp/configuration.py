"""Settings from the client: initializationOptions and `workspace/configuration`.

Loaded on `initialized` (not in `initialize`, which must answer fast) and again on
`workspace/didChangeConfiguration`. Invalid keys never stop the server: they are
dropped and the user is told once which key was wrong and what is used instead.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from lantern.lsp.server import LanternServer

log = logging.getLogger(__name__)

SECTION = "lantern"


def register(server: LanternServer) -> None:
    @server.handler(types.INITIALIZED)
    async def initialized(ls: LanternServer, params: types.InitializedParams) -> None:
        await reload(ls, None)

    @server.handler(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: LanternServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await reload(ls, params.settings)


async def reload(ls: LanternServer, pushed: Any) -> None:
    """Rebuild the settings from every source and re-analyse what is open."""
    from lantern.config import file_layers, load_settings, lsp_layer

    session = ls.session
    layers = [
        *file_layers(session.workspace_root),
        lsp_layer("initializationOptions", session.initialization_options),
    ]
    client_settings = await _client_section(ls) if _can_pull_configuration(ls) else pushed
    layers.append(lsp_layer("workspace/configuration", client_settings))
    try:
        settings, warnings = load_settings(layers)
    finally:
        ls.settings_ready.set()  # even a failure must not leave pulls waiting forever
    logging.getLogger("lantern").setLevel(settings.log_level.upper())
    for warning in warnings:
        log.warning("Configuration: %s", warning)
    if warnings:
        message = "Lantern configuration: " + " ".join(warnings)
        ls.show_once(f"config:{message}", message)
    session.update_settings(settings)

    from lantern.lsp import review
    from lantern.lsp.diagnostics import refresh_all

    refresh_all(ls)
    for uri in list(session.documents):  # opened before the settings were known
        review.on_event(ls, uri, "open")


def _can_pull_configuration(ls: LanternServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def _client_section(ls: LanternServer) -> Any:
    try:
        answer = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception as exc:  # a client that fails here must not cost us the session
        log.warning("workspace/configuration failed (%s); using the other sources", exc)
        return None
    return answer[0] if answer else None
