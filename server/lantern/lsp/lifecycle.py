"""initialize / shutdown: negotiated capabilities, and exiting when the editor is gone.

The initialize answer must be fast (start-up is benchmarked): settings are loaded
later, on `initialized`, by `lantern.lsp.configuration`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from lantern.lsp.server import LanternServer
from lantern.positions import encoding_from_lsp

log = logging.getLogger(__name__)

PARENT_POLL_SECONDS = 3.0


def register(server: LanternServer) -> None:
    @server.handler(types.INITIALIZE)
    def initialize(ls: LanternServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        session = ls.session
        session.encoding = encoding_from_lsp(ls.workspace.position_encoding)
        text_document = params.capabilities.text_document
        session.pull_diagnostics = (
            text_document is not None and text_document.diagnostic is not None
        )
        session.workspace_root = _workspace_root(params)
        if params.workspace_folders:
            session.workspace_folders = [folder.uri for folder in params.workspace_folders]
        elif session.workspace_root is not None:
            session.workspace_folders = [session.workspace_root.as_uri()]
        session.initialization_options = params.initialization_options
        if params.process_id:
            ls.loop.create_task(_exit_when_gone(params.process_id))


def _workspace_root(params: types.InitializeParams) -> Path | None:
    if params.workspace_folders:
        uri = params.workspace_folders[0].uri
    elif params.root_uri:
        uri = params.root_uri
    else:
        return Path(params.root_path) if params.root_path else None
    path = to_fs_path(uri)
    return Path(path) if path else None


async def _exit_when_gone(pid: int) -> None:
    """The LSP spec asks a server to exit when the process that started it dies."""
    while True:
        await asyncio.sleep(PARENT_POLL_SECONDS)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            log.warning("The editor (pid %d) is gone; exiting", pid)
            os._exit(0)
        except PermissionError:
            pass  # alive, owned by someone else
